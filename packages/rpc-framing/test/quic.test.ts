/**
 * rpc-framing over real @tsquic/quic-transport connections on 127.0.0.1:
 * one QUIC bidirectional stream per call, pushes on unidirectional streams,
 * resets carrying status codes as application error codes.
 */
import { afterEach, describe, expect, test } from 'vitest';
import { FrameDecoder, RpcError, StatusCode, decodeResponseFrame, encodeFrame, encodeRequestFrame, type PushEvent } from '../src/index.js';
import { RAW, rpcError, sleep, unhex, until } from './helpers.js';
import { quicFixture, type QuicFixture } from './quic-fixture.js';

let f: QuicFixture | undefined;
afterEach(async () => {
  await f?.close();
  f = undefined;
});

/** Writes `bytes` on a fresh QUIC stream and reads the ResponseFrame back. */
async function rawCall(fx: QuicFixture, bytes: Uint8Array, fin = true) {
  const s = await fx.conn.createBidirectionalStream();
  const w = s.writable.getWriter();
  void w.write(bytes).catch(() => undefined);
  if (fin) void w.close().catch(() => undefined);
  const d = new FrameDecoder();
  const r = s.readable.getReader();
  for (;;) {
    const frame = d.next();
    if (frame) return { response: decodeResponseFrame(frame), writerClosed: w.closed };
    const { value, done } = await r.read();
    if (done) throw new Error('no response frame');
    d.push(value);
  }
}

describe('rpc-framing over QUIC loopback', () => {
  test('typed and raw calls, peer info, metadata both ways', async () => {
    f = await quicFixture();
    f.server.handle(20, (payload, ctx) => {
      ctx.responseMetadata['x-alpn'] = ctx.peer.alpn;
      ctx.responseMetadata['x-req'] = ctx.metadata['x-req'] ?? '';
      return payload;
    });
    const r = await f.echo.echo({ text: 'héllo', blob: Uint8Array.of(1, 2, 3) });
    expect([r.text, [...r.blob]]).toEqual(['héllo', [1, 2, 3]]);
    const res = await f.client.call(20, Uint8Array.of(9, 8), { metadata: { 'x-req': 'abc' } });
    expect([...res.payload]).toEqual([9, 8]);
    expect(res.metadata).toEqual({ 'x-alpn': 'rpc-test', 'x-req': 'abc' });
    expect([...(await f.client.call(RAW.reverse, Uint8Array.of(1, 2, 3))).payload]).toEqual([3, 2, 1]);
  });

  test('200 concurrent calls from one client complete with correct results', async () => {
    f = await quicFixture();
    const results = await Promise.all(Array.from({ length: 200 }, (_, i) => f!.echo.echo({ text: `call ${i}`, blob: new Uint8Array(i * 10).fill(i & 0xff) })));
    results.forEach((r, i) => {
      expect(r.text).toBe(`call ${i}`);
      expect(r.blob.length).toBe(i * 10);
      expect(r.blob.every((b) => b === (i & 0xff))).toBe(true);
    });
    expect(f.client.load).toEqual({ running: 0, queued: 0 });
  });

  test('a slow handler does not delay other calls', async () => {
    f = await quicFixture();
    const done: string[] = [];
    const slow = f.echo.echo({ text: 'slow', delayMs: 800 }).then(() => done.push('slow'));
    await sleep(20);
    const t0 = Date.now();
    await Promise.all(Array.from({ length: 30 }, (_, i) => f!.echo.echo({ text: `${i}` }).then(() => done.push('fast'))));
    expect(Date.now() - t0).toBeLessThan(600);
    expect(done).not.toContain('slow');
    await slow;
    expect(done.at(-1)).toBe('slow');
  });

  test('a status from the handler, UNKNOWN for a crash, UNIMPLEMENTED for an unknown method; the connection is kept', async () => {
    f = await quicFixture();
    f.server.handle(21, () => {
      throw new RpcError(StatusCode.NOT_FOUND, 'no such room', { 'x-room': 'r1' });
    });
    const nf = await rpcError(f.client.call(21, new Uint8Array(0)));
    expect([nf.code, nf.rawMessage, nf.metadata]).toEqual([StatusCode.NOT_FOUND, 'no such room', { 'x-room': 'r1' }]);
    expect((await rpcError(f.client.call(RAW.fail, new Uint8Array(0)))).code).toBe(StatusCode.UNKNOWN);
    const un = await rpcError(f.client.call(4242, new Uint8Array(0)));
    expect(un.code).toBe(StatusCode.UNIMPLEMENTED);
    expect(un.message).toBe('UNIMPLEMENTED: no method with id 4242');
    expect((await f.echo.echo({ text: 'still here' })).text).toBe('still here');
  });

  test('a malformed RequestFrame: INVALID_ARGUMENT, STOP_SENDING(3) on the request half, connection kept', async () => {
    f = await quicFixture();
    const { response, writerClosed } = await rawCall(f, encodeFrame(unhex('0a05ff')), false);
    expect(response.status).toBe(StatusCode.INVALID_ARGUMENT);
    expect(response.message).toMatch(/malformed RequestFrame/);
    await expect(writerClosed).rejects.toMatchObject({ code: 3n });
    expect((await f.echo.echo({ text: 'ok' })).text).toBe('ok');
  });

  test('an oversized RequestFrame: RESOURCE_EXHAUSTED and STOP_SENDING(8) before the body arrives, connection kept', async () => {
    f = await quicFixture({ server: { maxFrameSize: 1000 } });
    // The varint prefix announces 1 MiB; only the prefix is sent.
    const { response, writerClosed } = await rawCall(f, unhex('80100000'), false);
    expect(response.status).toBe(StatusCode.RESOURCE_EXHAUSTED);
    expect(response.message).toContain('1048576');
    await expect(writerClosed).rejects.toMatchObject({ code: 8n });
    // Through the client: a request over the server's limit.
    const e = await rpcError(f.client.call(RAW.reverse, new Uint8Array(5000)));
    expect(e.code).toBe(StatusCode.RESOURCE_EXHAUSTED);
    expect([...(await f.client.call(RAW.reverse, Uint8Array.of(1, 2))).payload]).toEqual([2, 1]);
  });

  test('a second frame on the request half: INVALID_ARGUMENT', async () => {
    f = await quicFixture();
    const req = encodeRequestFrame({ methodId: RAW.hang, requestId: 7n });
    const two = new Uint8Array(req.length * 2);
    two.set(req);
    two.set(req, req.length);
    const { response } = await rawCall(f, two);
    expect(response.status).toBe(StatusCode.INVALID_ARGUMENT);
  });

  test('cancelling a call resets only its stream: the handler sees CANCELLED, the others run on', async () => {
    f = await quicFixture();
    const acs = Array.from({ length: 5 }, () => new AbortController());
    const calls = acs.map((ac) => rpcError(f!.client.call(RAW.hang, new Uint8Array(0), { signal: ac.signal })));
    await until(() => f!.hung.length === 5);
    const victim = f.hung[0]!.requestId;
    const victimIndex = Number(victim) - 1;
    acs[victimIndex]!.abort();
    expect((await calls[victimIndex]!).code).toBe(StatusCode.CANCELLED);
    const ctx = f.hung.find((c) => c.requestId === victim)!;
    await until(() => ctx.signal.aborted);
    expect((ctx.signal.reason as RpcError).code).toBe(StatusCode.CANCELLED);
    expect(f.hung.filter((c) => c.signal.aborted)).toHaveLength(1);
    // The connection and the other calls are untouched.
    expect((await f.echo.echo({ text: 'alive' })).text).toBe('alive');
    expect(f.conn.stats).toBeDefined();
    for (const ac of acs) ac.abort();
    for (const c of calls) expect((await c).code).toBe(StatusCode.CANCELLED);
    await until(() => f!.hung.every((c) => c.signal.aborted));
  });

  test('a deadline: DEADLINE_EXCEEDED at the client, the handler aborted at the server', async () => {
    f = await quicFixture();
    const t0 = Date.now();
    const e = await rpcError(f.client.call(RAW.hang, new Uint8Array(0), { timeoutMs: 150 }));
    expect(e.code).toBe(StatusCode.DEADLINE_EXCEEDED);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(140);
    await until(() => f!.hung[0]?.signal.aborted === true);
    expect(f.hung[0]!.deadline).toBeTypeOf('number');
    expect((await f.echo.echo({ text: 'after' }, { timeoutMs: 5000 })).text).toBe('after');
  });

  test('server push: a subscription on its own unidirectional stream, and a push the server starts', async () => {
    f = await quicFixture();
    const ticks: number[] = [];
    for await (const t of f.echo.count({ n: 100 })) ticks.push(t.i);
    expect(ticks).toEqual(Array.from({ length: 100 }, (_, i) => i));
    const conn = await f.connection();
    const ch = await conn.openPush();
    for (let i = 0; i < 10; i++) await ch.send('note', Uint8Array.of(i));
    await ch.close();
    const streams = f.client.pushes();
    const stream = (await streams.next()).value!;
    expect(stream.requestId).toBe(0n);
    const got: PushEvent[] = [];
    for await (const ev of stream) got.push(ev);
    expect(got.map((e) => e.payload[0])).toEqual(Array.from({ length: 10 }, (_, i) => i));
  });

  test('push back-pressure: a client that does not read holds the sender back (QUIC flow control)', async () => {
    f = await quicFixture();
    const conn = await f.connection();
    const ch = await conn.openPush();
    const big = new Uint8Array(64 * 1024);
    let sent = 0;
    const sender = (async () => {
      for (let i = 0; i < 200; i++) {
        await ch.send('blob', big);
        sent++;
      }
      await ch.close();
    })();
    await sleep(300);
    // 200 × 64 KiB = 12.5 MiB would be sent at once without back-pressure.
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThan(100);
    const stream = (await f.client.pushes().next()).value!;
    let n = 0;
    for await (const ev of stream) {
      expect(ev.payload.length).toBe(big.length);
      n++;
    }
    await sender;
    expect(n).toBe(200);
  });

  test('limits: the server accepts at most maxConcurrentCalls streams, the client queues beyond its own limit', async () => {
    f = await quicFixture({ server: { maxConcurrentCalls: 4 }, client: { maxConcurrentCalls: 8 } });
    const ac = new AbortController();
    const calls = Array.from({ length: 12 }, () => rpcError(f!.client.call(RAW.hang, new Uint8Array(0), { signal: ac.signal })));
    await until(() => f!.hung.length === 4);
    await sleep(100);
    const conn = await f.connection();
    expect(conn.activeCalls).toBe(4);
    expect(f.hung).toHaveLength(4);
    expect(f.client.load).toEqual({ running: 8, queued: 4 });
    ac.abort();
    for (const c of calls) expect((await c).code).toBe(StatusCode.CANCELLED);
    expect((await f.echo.echo({ text: 'free again' })).text).toBe('free again');
    await until(() => conn.activeCalls === 0);
  });

  test('the connection closing fails calls in progress with UNAVAILABLE and aborts the handlers', async () => {
    f = await quicFixture();
    const pending = rpcError(f.client.call(RAW.hang, new Uint8Array(0)));
    await until(() => f!.hung.length === 1);
    const conn = await f.connection();
    conn.close({ closeCode: 0n, reason: 'server going away' });
    expect((await pending).code).toBe(StatusCode.UNAVAILABLE);
    await until(() => f!.hung[0]!.signal.aborted);
    expect((f.hung[0]!.signal.reason as RpcError).code).toBe(StatusCode.UNAVAILABLE);
  });
});
