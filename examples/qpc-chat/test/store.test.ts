/** The message log: durable appends, replay, a torn last write, damage. */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, test } from 'vitest';
import { LOG_FILE, MessageStore } from '../src/store.js';
import { cleanUp, tempDir } from './harness.js';

afterEach(cleanUp);

describe('MessageStore', () => {
  test('appends one JSON line per message, ids in sequence, replayed on open', async () => {
    const dir = await tempDir();
    const { store } = await MessageStore.open(dir);
    await Promise.all(['a', 'b', 'c'].map((t, i) => store.append(i === 1 ? 'r2' : 'r1', 'ann', t, 1000 + i)));
    await store.close();
    const lines = (await readFile(join(dir, LOG_FILE), 'utf8')).split('\n');
    expect(lines).toEqual(['{"id":1,"room":"r1","nick":"ann","text":"a","sentAtMs":1000}', '{"id":2,"room":"r2","nick":"ann","text":"b","sentAtMs":1001}', '{"id":3,"room":"r1","nick":"ann","text":"c","sentAtMs":1002}', '']);
    const again = await MessageStore.open(dir);
    expect(again.store.messageCount).toBe(3);
    expect(again.store.roomNames).toEqual(['r1', 'r2']);
    expect(again.store.history('r1', 10).map((m) => m.text)).toEqual(['a', 'c']);
    expect((await again.store.append('r1', 'bob', 'd', 5)).id).toBe(4);
    await again.store.close();
  });

  test('a last line torn by a crash is dropped and the file repaired', async () => {
    const dir = await tempDir();
    const torn = '{"id":2,"room":"r","ni';
    await writeFile(join(dir, LOG_FILE), `{"id":1,"room":"r","nick":"a","text":"kept","sentAtMs":1}\n${torn}`);
    const { store, truncatedBytes } = await MessageStore.open(dir);
    expect(truncatedBytes).toBe(torn.length);
    expect(store.messageCount).toBe(1);
    await store.append('r', 'a', 'next', 2);
    await store.close();
    expect(await readFile(join(dir, LOG_FILE), 'utf8')).toBe('{"id":1,"room":"r","nick":"a","text":"kept","sentAtMs":1}\n{"id":2,"room":"r","nick":"a","text":"next","sentAtMs":2}\n');
  });

  test('a damaged line inside the log is refused, not skipped', async () => {
    const dir = await tempDir();
    await writeFile(join(dir, LOG_FILE), '{"id":1,"room":"r","nick":"a","text":"x","sentAtMs":1}\n{garbage}\n');
    await expect(MessageStore.open(dir)).rejects.toThrow(/messages\.jsonl:2: not a JSON line/);
    await writeFile(join(dir, LOG_FILE), '{"id":2,"room":"r","nick":"a","text":"x","sentAtMs":1}\n');
    await expect(MessageStore.open(dir)).rejects.toThrow(/id 2 out of sequence/);
    await writeFile(join(dir, LOG_FILE), '{"id":1,"room":"r"}\n');
    await expect(MessageStore.open(dir)).rejects.toThrow(/:1: not a stored message/);
  });
});
