/**
 * The chat service in-process, over real loopback QUIC (the server from
 * `startServer`, clients from `connect`): concurrency, a slow call beside fast
 * ones, cancellation of one call, and the chat rules.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { RpcError, StatusCode } from '@tsquic/rpc-framing';
import { afterEach, describe, expect, test } from 'vitest';
import { connect, type ChatConnection } from '../src/client.js';
import type { ChatHooks } from '../src/chat-service.js';
import { serverConfig } from '../src/config.js';
import { startServer, type RunningServer } from '../src/server.js';
import { cleanUp, tempDir } from './harness.js';

let srv: RunningServer | undefined;
const clients: ChatConnection[] = [];
afterEach(async () => {
  await Promise.all(clients.splice(0).map((c) => c.close()));
  await srv?.close();
  srv = undefined;
  await cleanUp();
});

async function setUp(hooks: ChatHooks = {}): Promise<{ dir: string; client(): Promise<ChatConnection> }> {
  const dir = await tempDir();
  srv = await startServer(serverConfig({ listen: '127.0.0.1:0', tlsCert: join(dir, 'c.der'), tlsKey: join(dir, 'k.der'), dataDir: join(dir, 'data') }, {}), () => undefined, hooks);
  const server = `127.0.0.1:${srv.address.port}`;
  return {
    dir,
    async client() {
      const c = await connect({ server, serverName: 'localhost', caCert: join(dir, 'c.der') });
      clients.push(c);
      return c;
    },
  };
}

async function rpcError(p: Promise<unknown>): Promise<RpcError> {
  try {
    await p;
  } catch (e) {
    if (RpcError.isInstance(e)) return e;
    throw e;
  }
  throw new Error('expected an RpcError');
}

async function until(cond: () => boolean, ms = 5000): Promise<void> {
  const t0 = Date.now();
  while (!cond()) {
    if (Date.now() - t0 > ms) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('qpc chat over loopback QUIC', () => {
  test('200 concurrent calls from one client complete with correct results', async () => {
    const env = await setUp();
    const c = await env.client();
    await c.chat.register({ nick: 'ann' });
    await c.chat.join({ room: 'lobby' });
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => c.chat.send({ room: 'lobby', text: `message ${i}` })));
    results.forEach((r, i) => {
      expect(r.message!.text).toBe(`message ${i}`);
      expect(r.message!.nick).toBe('ann');
    });
    const ids = results.map((r) => Number(r.message!.id)).sort((a, b) => a - b);
    expect(ids).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    const history = await c.chat.history({ room: 'lobby', limit: 1000 });
    expect(history.messages.map((m) => m.text).sort()).toEqual(results.map((r) => r.message!.text).sort());
    // Every line on disk, in id order.
    const lines = (await readFile(srv!.store.path, 'utf8')).trim().split('\n');
    expect(lines.map((l) => (JSON.parse(l) as { id: number }).id)).toEqual(ids);
  });

  test('a slow call does not delay other calls on the same connection', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const env = await setUp({ beforeAppend: (room) => (room === 'slow' ? gate : Promise.resolve()) });
    const c = await env.client();
    await c.chat.register({ nick: 'ann' });
    await c.chat.join({ room: 'slow' });
    await c.chat.join({ room: 'lobby' });
    let slowDone = false;
    const slow = c.chat.send({ room: 'slow', text: 'stuck behind a slow disk' }).then((r) => ((slowDone = true), r));
    const t0 = Date.now();
    await Promise.all([...Array.from({ length: 30 }, (_, i) => c.chat.send({ room: 'lobby', text: `fast ${i}` })), c.chat.history({ room: 'lobby' }), c.chat.members({ room: 'lobby' })]);
    expect(Date.now() - t0).toBeLessThan(3000);
    expect(slowDone).toBe(false);
    release();
    expect((await slow).message!.text).toBe('stuck behind a slow disk');
  });

  test('cancelling a call resets only its stream: the server call is aborted, the connection and other calls go on', async () => {
    const seen: AbortSignal[] = [];
    const env = await setUp({
      beforeAppend: (room, signal) =>
        room === 'slow'
          ? new Promise((_, reject) => {
              seen.push(signal);
              signal.addEventListener('abort', () => reject(signal.reason));
            })
          : Promise.resolve(),
    });
    const c = await env.client();
    await c.chat.register({ nick: 'ann' });
    await c.chat.join({ room: 'slow' });
    await c.chat.join({ room: 'lobby' });
    const watch = c.chat.watch({ room: 'lobby' });
    await watch.response;
    const ac = new AbortController();
    const cancelled = rpcError(c.chat.send({ room: 'slow', text: 'never stored' }, { signal: ac.signal }));
    const other = c.chat.send({ room: 'lobby', text: 'still flowing' });
    await until(() => seen.length === 1);
    ac.abort();
    expect((await cancelled).code).toBe(StatusCode.CANCELLED);
    await until(() => seen[0]!.aborted);
    expect((seen[0]!.reason as RpcError).code).toBe(StatusCode.CANCELLED);
    expect((await other).message!.text).toBe('still flowing');
    // The push stream on the same connection is untouched.
    const it = watch[Symbol.asyncIterator]();
    expect((await it.next()).value!.text).toBe('still flowing');
    await c.chat.send({ room: 'lobby', text: 'after the cancel' });
    expect((await it.next()).value!.text).toBe('after the cancel');
    expect((await c.chat.history({ room: 'slow' })).messages).toEqual([]);
    // Cancelling the watch removes it at the server.
    expect(srv!.chat.watching('lobby')).toBe(1);
    watch.cancel();
    await until(() => srv!.chat.watching('lobby') === 0);
    expect((await c.chat.members({ room: 'lobby' })).members).toEqual(['ann']);
  });

  test('chat rules: nicknames, membership, names, leave, disconnect', async () => {
    const env = await setUp();
    const a = await env.client();
    const b = await env.client();
    expect((await rpcError(a.chat.join({ room: 'lobby' }))).code).toBe(StatusCode.FAILED_PRECONDITION);
    expect((await rpcError(a.chat.register({ nick: 'no spaces' }))).code).toBe(StatusCode.INVALID_ARGUMENT);
    await a.chat.register({ nick: 'ann' });
    expect((await rpcError(b.chat.register({ nick: 'ann' }))).code).toBe(StatusCode.ALREADY_EXISTS);
    await b.chat.register({ nick: 'bob' });
    expect((await rpcError(a.chat.send({ room: 'lobby', text: 'x' }))).message).toBe('FAILED_PRECONDITION: join lobby first');
    expect((await a.chat.join({ room: 'lobby' })).members).toEqual(['ann']);
    expect((await b.chat.join({ room: 'lobby' })).members).toEqual(['ann', 'bob']);
    expect((await rpcError(a.chat.send({ room: 'lobby', text: '' }))).code).toBe(StatusCode.INVALID_ARGUMENT);
    expect((await rpcError(a.chat.send({ room: 'lobby', text: 'x'.repeat(4001) }))).code).toBe(StatusCode.INVALID_ARGUMENT);
    expect((await rpcError(a.chat.history({ room: '../etc' }))).code).toBe(StatusCode.INVALID_ARGUMENT);
    // Leaving ends the leaver's watch.
    const w = b.chat.watch({ room: 'lobby' });
    await w.response;
    await b.chat.leave({ room: 'lobby' });
    const events: string[] = [];
    for await (const m of w) events.push(m.text);
    expect(events).toEqual([]);
    expect((await a.chat.members({ room: 'lobby' })).members).toEqual(['ann']);
    // A closed connection frees its nickname and memberships.
    await a.close();
    await until(() => srv!.connectionCount === 1);
    const c = await env.client();
    expect((await c.chat.register({ nick: 'ann' })).nick).toBe('ann');
    expect((await c.chat.members({ room: 'lobby' })).members).toEqual([]);
  });

  test('history: limit and after_id', async () => {
    const env = await setUp();
    const c = await env.client();
    await c.chat.register({ nick: 'ann' });
    await c.chat.join({ room: 'r' });
    for (let i = 1; i <= 5; i++) await c.chat.send({ room: 'r', text: `m${i}` });
    expect((await c.chat.history({ room: 'r', limit: 2 })).messages.map((m) => m.text)).toEqual(['m4', 'm5']);
    expect((await c.chat.history({ room: 'r', afterId: 3n })).messages.map((m) => m.text)).toEqual(['m4', 'm5']);
    expect((await c.chat.history({ room: 'r' })).messages.map((m) => m.text)).toEqual(['m1', 'm2', 'm3', 'm4', 'm5']);
    expect((await c.chat.history({ room: 'empty' })).messages).toEqual([]);
  });

  test('a history of large messages is cut to the newest ones that fit in a frame, never an error', async () => {
    const env = await setUp();
    const c = await env.client();
    await c.chat.register({ nick: 'ann' });
    await c.chat.join({ room: 'big' });
    const text = (i: number): string => `${i}:${'é'.repeat(3990)}`;
    await Promise.all(Array.from({ length: 250 }, (_, i) => c.chat.send({ room: 'big', text: text(i) })));
    const res = await c.chat.history({ room: 'big', limit: 1000 });
    expect(res.messages.length).toBeGreaterThan(100);
    expect(res.messages.length).toBeLessThan(250);
    // The newest ones, oldest first, contiguous ids.
    const ids = res.messages.map((m) => Number(m.id));
    expect(ids.at(-1)).toBe(250);
    expect(ids).toEqual(Array.from({ length: ids.length }, (_, k) => 251 - ids.length + k));
  });
});
