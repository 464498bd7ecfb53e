import { mkdir, symlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { downloadName, saveBody } from '../src/downloads.js';
import { readFileChunks, splitRequestPath, WwwRoot } from '../src/www.js';
import { collect, type Fixture, makeFixture, readAll, rejection } from './support/files.js';

let fx: Fixture;
let root: WwwRoot;

beforeAll(async () => {
  fx = await makeFixture({ 'a.bin': 200_000, 'empty.txt': 0 });
  await mkdir(join(fx.www, 'sub'));
  await writeFile(join(fx.www, 'sub', 'b.txt'), 'bee');
  await writeFile(join(fx.dir, 'secret.txt'), 'outside');
  await symlink(join(fx.dir, 'secret.txt'), join(fx.www, 'escape.txt'));
  await symlink(join(fx.www, 'sub', 'b.txt'), join(fx.www, 'inside.txt'));
  root = await WwwRoot.open(fx.www);
});
afterAll(() => fx.cleanup());

describe('request paths', () => {
  it.each([
    ['/a.bin', ['a.bin']],
    ['/sub/b.txt?x=1#f', ['sub', 'b.txt']],
    ['//sub//b.txt', ['sub', 'b.txt']],
    ['/with%20space', ['with space']],
  ])('%s resolves to segments %j', (path, segments) => {
    expect(splitRequestPath(path)).toEqual(segments);
  });

  it.each(['/../secret.txt', '/sub/../../secret.txt', '/%2e%2e/secret.txt', '/./a.bin', '/a%2fb', '/a%5cb', '/a%00', '/%zz', 'a.bin', '/', ''])('%j is refused', (path) => {
    expect(typeof splitRequestPath(path)).toBe('string');
  });
});

describe('document root', () => {
  it('finds regular files below the root, through symlinks that stay inside', async () => {
    expect(await root.resolve('/a.bin')).toMatchObject({ kind: 'file', size: 200_000 });
    expect(await root.resolve('/sub/b.txt')).toMatchObject({ kind: 'file', size: 3 });
    expect(await root.resolve('/inside.txt')).toMatchObject({ kind: 'file', size: 3 });
  });

  it('refuses traversal, symlinks leaving the root, and missing or non-regular files', async () => {
    expect((await root.resolve('/../secret.txt')).kind).toBe('bad-request');
    expect((await root.resolve('/%2E%2E/secret.txt')).kind).toBe('bad-request');
    expect((await root.resolve('/escape.txt')).kind).toBe('forbidden');
    expect((await root.resolve('/missing.bin')).kind).toBe('not-found');
    expect((await root.resolve('/sub')).kind).toBe('not-found');
    expect((await root.resolve('//etc/passwd')).kind).toBe('not-found'); // an "absolute" path stays below the root
  });

  it('reads a file lazily in bounded chunks, exactly `size` bytes', async () => {
    const chunks: Uint8Array[] = [];
    for await (const c of readFileChunks(join(fx.www, 'a.bin'), 200_000, 65_536)) chunks.push(c);
    expect(chunks.map((c) => c.length)).toEqual([65_536, 65_536, 65_536, 3_392]);
    expect(Buffer.concat(chunks)).toEqual(Buffer.from(fx.files.get('a.bin')!));
    const empty: Uint8Array[] = [];
    for await (const c of readFileChunks(join(fx.www, 'empty.txt'), 0)) empty.push(c);
    expect(empty).toEqual([]);
  });

  it('fails when the file is shorter than announced', async () => {
    const it = readFileChunks(join(fx.www, 'sub', 'b.txt'), 10);
    expect(await it.next()).toMatchObject({ done: false });
    expect(String(await rejection(it.next()))).toMatch(/shorter/);
  });
});

describe('downloads', () => {
  it('names a download after the last path component', () => {
    expect(downloadName(new URL('https://server4:443/dir/file%20one.bin'))).toBe('file one.bin');
    expect(() => downloadName(new URL('https://server4/'))).toThrow(TypeError);
    expect(() => downloadName(new URL('https://server4/%2e%2e'))).toThrow(TypeError);
    expect(() => downloadName(new URL('https://server4/a%2fb'))).toThrow(TypeError);
  });

  it('writes a body as it arrives and removes a partial file on failure', async () => {
    const ok = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(Uint8Array.of(1, 2, 3));
        c.enqueue(Uint8Array.of(4));
        c.close();
      },
    });
    expect(await saveBody(ok, fx.downloads, 'ok.bin')).toBe(4);
    let n = 0;
    const failing = new ReadableStream<Uint8Array>({
      pull(c) {
        if (n++ < 2) c.enqueue(new Uint8Array(10));
        else c.error(new Error('reset'));
      },
    });
    expect(String(await rejection(saveBody(failing, fx.downloads, 'partial.bin')))).toMatch(/reset/);
    expect([...(await readAll(fx.downloads)).keys()]).toEqual(['ok.bin']);
    expect(await collect(new ReadableStream({ start: (c) => c.close() }))).toEqual(new Uint8Array(0));
  });
});
