import { describe, expect, test } from 'vitest';
import { SessionClosedError, StreamError, createMemorySessionPair } from '../src/index.js';
import { concat, readAll, sleep, until } from './helpers.js';
import { describeSessionConformance } from './session-conformance.js';

describeSessionConformance('memory pair', async () => {
  const [client, server] = createMemorySessionPair();
  return { client, server, close: () => client.close() };
});

describeSessionConformance('memory pair, 64-byte window, reads of 1..3 bytes', async () => {
  let i = 0;
  const [client, server] = createMemorySessionPair({ streamWindow: 64, writeHighWaterMark: 1, readSize: () => 1 + (i++ % 3) });
  return { client, server, close: () => client.close() };
});

const bytes = (...xs: number[]): Uint8Array => Uint8Array.from(xs);

async function first<T>(s: ReadableStream<T>): Promise<T> {
  const r = s.getReader();
  const { value } = await r.read();
  r.releaseLock();
  return value!;
}

describe('memory session model', () => {
  test('stream ids follow RFC 9000 §2.1', async () => {
    const [c, s] = createMemorySessionPair();
    const ids = [(await c.createBidirectionalStream()).id, (await c.createBidirectionalStream()).id, (await s.createBidirectionalStream()).id, (await s.createBidirectionalStream()).id];
    expect(ids).toEqual([0n, 4n, 1n, 5n]);
  });

  test('a peer learns of a stream only from its first frame', async () => {
    const [c, s] = createMemorySessionPair();
    const stream = await c.createBidirectionalStream();
    const reader = s.incomingBidirectionalStreams.getReader();
    const pending = reader.read();
    const winner = await Promise.race([pending.then(() => 'stream'), sleep(20).then(() => 'nothing')]);
    expect(winner).toBe('nothing');
    await stream.writable.getWriter().write(bytes(1));
    expect((await pending).value!.id).toBe(0n);
  });

  test('write() waits for credit: the window bounds unread bytes', async () => {
    const [c, s] = createMemorySessionPair({ streamWindow: 10, writeHighWaterMark: 1 });
    const stream = await c.createBidirectionalStream();
    const w = stream.writable.getWriter();
    let resolved = false;
    const p = w.write(new Uint8Array(25)).then(() => (resolved = true));
    await sleep(10);
    expect(resolved).toBe(false);
    const peer = await first(s.incomingBidirectionalStreams);
    const r = peer.readable.getReader();
    expect((await r.read()).value!.byteLength).toBe(25);
    await p;
    expect(resolved).toBe(true);
  });

  test('readSize splits and coalesces chunks, bytes stay in order', async () => {
    const sizes = [1, 4, 100, 2];
    let i = 0;
    const [c, s] = createMemorySessionPair({ readSize: () => sizes[i++ % sizes.length]! });
    const stream = await c.createBidirectionalStream();
    const w = stream.writable.getWriter();
    const data = Uint8Array.from({ length: 50 }, (_, k) => k);
    for (let k = 0; k < 50; k += 10) await w.write(data.subarray(k, k + 10));
    await w.close();
    const peer = await first(s.incomingBidirectionalStreams);
    const chunks: Uint8Array[] = [];
    for await (const ch of peer.readable) chunks.push(ch);
    expect(concat(chunks)).toEqual(data);
    expect(chunks.map((ch) => ch.byteLength)).toEqual([1, 4, 45]); // 100 is clamped to the 45 bytes left
  });

  test('the writer may reuse its buffer once write() resolves', async () => {
    const [c, s] = createMemorySessionPair();
    const stream = await c.createBidirectionalStream();
    const w = stream.writable.getWriter();
    const buf = bytes(1, 2, 3);
    await w.write(buf);
    buf.fill(0);
    await w.close();
    expect(await readAll((await first(s.incomingBidirectionalStreams)).readable)).toEqual(bytes(1, 2, 3));
  });

  test('a BYOB reader gets the bytes into its own buffer', async () => {
    const [c, s] = createMemorySessionPair();
    const w = (await c.createUnidirectionalStream()).getWriter();
    await w.write(bytes(1, 2, 3, 4, 5));
    await w.close();
    const r = (await first(s.incomingUnidirectionalStreams)).getReader({ mode: 'byob' });
    const a = await r.read(new Uint8Array(3));
    expect(a.value).toEqual(bytes(1, 2, 3));
    const b = await r.read(new Uint8Array(8));
    expect(b.value).toEqual(bytes(4, 5));
    expect((await r.read(new Uint8Array(8))).done).toBe(true);
  });

  test('a reset reaches the peer even while a write waits for credit', async () => {
    const [c, s] = createMemorySessionPair({ streamWindow: 4, writeHighWaterMark: 1 });
    const stream = await c.createBidirectionalStream();
    const w = stream.writable.getWriter();
    const blocked = w.write(new Uint8Array(100));
    blocked.catch(() => undefined);
    const peer = await first(s.incomingBidirectionalStreams);
    void w.abort(new StreamError(42n));
    await expect(readAll(peer.readable)).rejects.toMatchObject({ code: 42n });
  });

  test('abort/cancel without a code use defaultErrorCode', async () => {
    const [c, s] = createMemorySessionPair({ defaultErrorCode: 0x101n });
    const stream = await c.createBidirectionalStream();
    const w = stream.writable.getWriter();
    await w.write(bytes(1));
    const peer = await first(s.incomingBidirectionalStreams);
    await w.abort(new Error('no code here'));
    await expect(readAll(peer.readable)).rejects.toMatchObject({ code: 0x101n });
  });

  test('MAX_STREAMS: opening waits until a stream has finished both halves', async () => {
    const [c, s] = createMemorySessionPair({ maxBidirectionalStreams: 2 });
    const a = await c.createBidirectionalStream();
    await c.createBidirectionalStream();
    let third = false;
    const p = c.createBidirectionalStream().then(() => (third = true));
    await sleep(10);
    expect(third).toBe(false);
    expect(c.openStreams.bidi).toBe(2);
    // Finish both halves of `a`: FIN each way, each read to the end.
    const aw = a.writable.getWriter();
    await aw.write(bytes(1));
    await aw.close();
    const peer = await first(s.incomingBidirectionalStreams);
    await readAll(peer.readable);
    await sleep(10);
    expect(third).toBe(false); // the response half is still open
    await peer.writable.close();
    await readAll(a.readable);
    await p;
    expect(third).toBe(true);
  });

  test('a stopped or reset stream frees its slot', async () => {
    const [c, s] = createMemorySessionPair({ maxUnidirectionalStreams: 1 });
    const w = (await c.createUnidirectionalStream()).getWriter();
    await w.write(bytes(1));
    const r = await first(s.incomingUnidirectionalStreams);
    await r.cancel(new StreamError(1n));
    await until(() => c.openStreams.uni === 0);
    const w2 = (await c.createUnidirectionalStream()).getWriter();
    await w2.abort(new StreamError(2n));
    await until(() => c.openStreams.uni === 0);
  });

  test('close: both sides see the same CloseInfo and streams fail with SessionClosedError', async () => {
    const [c, s] = createMemorySessionPair();
    const stream = await s.createBidirectionalStream();
    const w = stream.writable.getWriter();
    await w.write(bytes(1));
    s.close({ closeCode: 7, reason: 'done' });
    expect(await c.closed).toEqual({ closeCode: 7n, reason: 'done' });
    expect(await s.closed).toEqual({ closeCode: 7n, reason: 'done' });
    const e = await w.write(bytes(2)).catch((x: unknown) => x);
    expect(SessionClosedError.isInstance(e)).toBe(true);
    expect((e as SessionClosedError).closeCode).toBe(7n);
  });

  test('rejects nonsense options', () => {
    expect(() => createMemorySessionPair({ streamWindow: 0 })).toThrow(RangeError);
    expect(() => createMemorySessionPair({ maxBidirectionalStreams: -1 })).toThrow(RangeError);
    expect(() => createMemorySessionPair({ defaultErrorCode: -1n })).toThrow(RangeError);
  });
});
