import { afterEach, describe, expect, test } from 'vitest';
import { RpcClient, RpcError, STATUS_NAMES, StatusCode, StreamError, createMemorySessionPair, decodeResponseFrame, encodeFrame, encodeRequestFrame, encodeResponseFrame, FrameDecoder, type DuplexLike } from '../src/index.js';
import { RAW, fixture, rpcError, sleep, unhex, until, type Fixture } from './helpers.js';

let f: Fixture;
afterEach(() => f?.close());

const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const utf8 = (s: string): Uint8Array => new TextEncoder().encode(s);

/** Opens a raw call stream from the client session and returns its writer and a response reader. */
async function rawStream(fx: Fixture): Promise<{ s: DuplexLike; w: WritableStreamDefaultWriter<Uint8Array>; response(): Promise<ReturnType<typeof decodeResponseFrame>> }> {
  const s = await fx.sessions[0].createBidirectionalStream();
  const w = s.writable.getWriter();
  return {
    s,
    w,
    async response() {
      const d = new FrameDecoder();
      const r = s.readable.getReader();
      for (;;) {
        const frame = d.next();
        if (frame) return decodeResponseFrame(frame);
        const { value, done } = await r.read();
        if (done) throw new Error('no response frame');
        d.push(value);
      }
    },
  };
}

describe('unary calls', () => {
  test('typed call round trip, peer info and metadata both ways', async () => {
    f = fixture();
    f.server.handle(20, (payload, ctx) => {
      ctx.responseMetadata['x-peer'] = ctx.peer.name;
      ctx.responseMetadata['x-req'] = ctx.metadata['x-req'] ?? '';
      return payload;
    });
    expect((await f.echo.echo({ text: 'héllo', blob: Uint8Array.of(1, 2) })).text).toBe('héllo');
    const res = await f.client.call(20, utf8('raw'), { metadata: { 'x-req': 'abc' } });
    expect(text(res.payload)).toBe('raw');
    expect(res.metadata).toEqual({ 'x-peer': 'peer-1', 'x-req': 'abc' });
    expect(res.push).toBe(false);
    let seen: Readonly<Record<string, string>> = {};
    await f.echo.echo({ text: 'm' }, { onResponseMetadata: (md) => (seen = md) });
    expect(seen).toEqual({});
  });

  test('200 concurrent calls all get their own answer', async () => {
    f = fixture();
    const calls = Array.from({ length: 200 }, (_, i) => f.echo.echo({ text: `call ${i}`, blob: new Uint8Array(i) }));
    const results = await Promise.all(calls);
    results.forEach((r, i) => {
      expect(r.text).toBe(`call ${i}`);
      expect(r.blob.length).toBe(i);
    });
    // Every stream finished on both sides: none left open.
    await until(() => f.sessions[0].openStreams.bidi === 0);
    expect(f.client.load).toEqual({ running: 0, queued: 0 });
  });

  test('a slow handler does not delay other calls', async () => {
    f = fixture();
    const order: string[] = [];
    const slow = f.echo.echo({ text: 'slow', delayMs: 300 }).then(() => order.push('slow'));
    await sleep(5);
    const t0 = Date.now();
    await Promise.all(Array.from({ length: 20 }, (_, i) => f.echo.echo({ text: `${i}` }).then(() => order.push('fast'))));
    expect(Date.now() - t0).toBeLessThan(250);
    await slow;
    expect(order.indexOf('slow')).toBe(20);
  });

  test.each(Array.from({ length: 16 }, (_, i) => i + 1))('status %i reaches the client with its message and metadata', async (code) => {
    f = fixture();
    f.server.handle(21, () => {
      throw new RpcError(code as StatusCode, `because ${code}`, { 'x-why': String(code) });
    });
    const e = await rpcError(f.client.call(21, new Uint8Array(0)));
    expect(e.code).toBe(code);
    expect(e.codeName).toBe(STATUS_NAMES[code]);
    expect(e.rawMessage).toBe(`because ${code}`);
    expect(e.metadata).toEqual({ 'x-why': String(code) });
  });

  test('a handler that throws something else is UNKNOWN, without its text; onError sees it', async () => {
    f = fixture();
    const e = await rpcError(f.client.call(RAW.fail, new Uint8Array(0)));
    expect(e.code).toBe(StatusCode.UNKNOWN);
    expect(e.message).not.toContain('secret');
    expect(f.serverErrors).toHaveLength(1);
    expect((f.serverErrors[0] as Error).message).toBe('secret internal detail');
  });

  test('unknown method: UNIMPLEMENTED, and the connection keeps working', async () => {
    f = fixture();
    const e = await rpcError(f.client.call(999, new Uint8Array(0)));
    expect(e.code).toBe(StatusCode.UNIMPLEMENTED);
    expect(e.rawMessage).toContain('999');
    expect((await f.echo.echo({ text: 'still here' })).text).toBe('still here');
  });

  test('a request that does not decode as the method input: INVALID_ARGUMENT', async () => {
    f = fixture();
    const e = await rpcError(f.client.call(1, unhex('0aff')));
    expect(e.code).toBe(StatusCode.INVALID_ARGUMENT);
  });

  test('a response larger than the server limit becomes RESOURCE_EXHAUSTED', async () => {
    f = fixture({ server: { maxFrameSize: 100 } });
    f.server.handle(22, () => new Uint8Array(500));
    const e = await rpcError(f.client.call(22, new Uint8Array(0)));
    expect(e.code).toBe(StatusCode.RESOURCE_EXHAUSTED);
    expect(f.serverErrors).toHaveLength(1);
  });
});

describe('cancellation and deadlines', () => {
  test('an aborted call resets only its stream; the handler sees its signal aborted', async () => {
    f = fixture();
    const ac = new AbortController();
    const hanging = f.client.call(RAW.hang, new Uint8Array(0), { signal: ac.signal });
    const others = Array.from({ length: 10 }, (_, i) => f.echo.echo({ text: `${i}`, delayMs: 20 }));
    await until(() => f.hung.length === 1);
    ac.abort();
    const e = await rpcError(hanging);
    expect(e.code).toBe(StatusCode.CANCELLED);
    const ctx = f.hung[0]!;
    await until(() => ctx.signal.aborted);
    expect((ctx.signal.reason as RpcError).code).toBe(StatusCode.CANCELLED);
    expect((await Promise.all(others)).map((r) => r.text)).toEqual(Array.from({ length: 10 }, (_, i) => `${i}`));
    expect((await f.echo.echo({ text: 'after' })).text).toBe('after');
  });

  test('an already-aborted signal fails at once, without a stream', async () => {
    f = fixture();
    const e = await rpcError(f.client.call(RAW.hang, new Uint8Array(0), { signal: AbortSignal.abort() }));
    expect(e.code).toBe(StatusCode.CANCELLED);
    expect(f.sessions[0].openStreams.bidi).toBe(0);
  });

  test('deadline exceeded: the client gives up and the server handler is aborted', async () => {
    f = fixture();
    const t0 = Date.now();
    const e = await rpcError(f.client.call(RAW.hang, new Uint8Array(0), { timeoutMs: 60 }));
    expect(e.code).toBe(StatusCode.DEADLINE_EXCEEDED);
    expect(Date.now() - t0).toBeGreaterThanOrEqual(55);
    const ctx = f.hung[0]!;
    expect(ctx.deadline).toBeTypeOf('number');
    await until(() => ctx.signal.aborted);
    expect([StatusCode.DEADLINE_EXCEEDED, StatusCode.CANCELLED]).toContain((ctx.signal.reason as RpcError).code);
  });

  test('the server enforces the deadline it was sent, answering DEADLINE_EXCEEDED', async () => {
    f = fixture();
    const raw = await rawStream(f);
    await raw.w.write(encodeRequestFrame({ methodId: RAW.hang, requestId: 1n, timeoutMs: 40 }));
    await raw.w.close();
    const res = await raw.response();
    expect(res.status).toBe(StatusCode.DEADLINE_EXCEEDED);
    expect((f.hung[0]!.signal.reason as RpcError).code).toBe(StatusCode.DEADLINE_EXCEEDED);
  });

  test('an absolute deadline in the past fails at once', async () => {
    f = fixture();
    const e = await rpcError(f.echo.echo({ text: 'x' }, { deadline: Date.now() - 1 }));
    expect(e.code).toBe(StatusCode.DEADLINE_EXCEEDED);
  });

  test('a deadline that is not exceeded does not disturb the call', async () => {
    f = fixture();
    expect((await f.echo.echo({ text: 'in time', delayMs: 10 }, { timeoutMs: 5000 })).text).toBe('in time');
  });
});

describe('bad frames: a status, the stream reset, the connection kept', () => {
  test('malformed RequestFrame: INVALID_ARGUMENT and STOP_SENDING(3)', async () => {
    f = fixture();
    const raw = await rawStream(f);
    await raw.w.write(unhex('03 ffffff'));
    const res = await raw.response();
    expect(res.status).toBe(StatusCode.INVALID_ARGUMENT);
    await expect(raw.w.closed).rejects.toMatchObject({ code: 3n });
    expect((await f.echo.echo({ text: 'ok' })).text).toBe('ok');
  });

  test('oversized RequestFrame: RESOURCE_EXHAUSTED and STOP_SENDING(8) before the body is read', async () => {
    f = fixture({ server: { maxFrameSize: 1024 } });
    const raw = await rawStream(f);
    await raw.w.write(unhex('4fff')); // announces 4095 bytes, sends none of them
    const res = await raw.response();
    expect(res.status).toBe(StatusCode.RESOURCE_EXHAUSTED);
    expect(res.message).toContain('4095');
    await expect(raw.w.closed).rejects.toMatchObject({ code: 8n });
    expect((await f.echo.echo({ text: 'ok' })).text).toBe('ok');
  });

  test('oversized request through the client: RESOURCE_EXHAUSTED, and the client unblocks its write', async () => {
    f = fixture({ server: { maxFrameSize: 1024 }, session: { streamWindow: 512 } });
    const e = await rpcError(f.echo.echo({ blob: new Uint8Array(100_000) }));
    expect(e.code).toBe(StatusCode.RESOURCE_EXHAUSTED);
    expect((await f.echo.echo({ text: 'ok' })).text).toBe('ok');
  });

  test('a request above the client limit fails locally, without a stream', async () => {
    f = fixture({ client: { maxFrameSize: 100 } });
    const e = await rpcError(f.echo.echo({ blob: new Uint8Array(200) }));
    expect(e.code).toBe(StatusCode.RESOURCE_EXHAUSTED);
    expect(f.sessions[0].openStreams.bidi).toBe(0);
  });

  test.each([
    ['a truncated frame', '05aabb', StatusCode.INVALID_ARGUMENT],
    ['no frame at all', '', StatusCode.INVALID_ARGUMENT],
    ['two frames', '00 00', StatusCode.INVALID_ARGUMENT],
  ])('%s on the request half: status %i', async (_name, bytes, status) => {
    f = fixture();
    f.server.handle(23, async (_p, ctx) => {
      await sleep(50, ctx.signal);
      return new Uint8Array(0);
    });
    const raw = await rawStream(f);
    // "two frames" sends a valid RequestFrame for method 23, then an extra frame.
    const body = bytes === '00 00' ? encodeRequestFrame({ methodId: 23, requestId: 1n }) : new Uint8Array(0);
    if (body.length) await raw.w.write(body);
    if (bytes !== '') await raw.w.write(unhex(bytes === '00 00' ? '00' : bytes));
    await raw.w.close();
    expect((await raw.response()).status).toBe(status);
    expect((await f.echo.echo({ text: 'ok' })).text).toBe('ok');
  });

  test('connection is kept through a burst of bad streams beside good calls', async () => {
    f = fixture({ server: { maxFrameSize: 64 } });
    const good = Array.from({ length: 30 }, (_, i) => f.echo.echo({ text: `${i}` }));
    const bad = Array.from({ length: 30 }, async (_, i) => {
      const raw = await rawStream(f);
      await raw.w.write(i % 2 ? unhex('7fff') : unhex('02 ffff'));
      return (await raw.response()).status;
    });
    expect((await Promise.all(good)).map((r) => r.text)).toEqual(Array.from({ length: 30 }, (_, i) => `${i}`));
    const statuses = await Promise.all(bad);
    statuses.forEach((s, i) => expect(s).toBe(i % 2 ? StatusCode.RESOURCE_EXHAUSTED : StatusCode.INVALID_ARGUMENT));
  });
});

describe('a misbehaving server, seen from the client', () => {
  /** A client over a memory pair whose server side answers each call with `answer`. */
  async function against(answer: (s: DuplexLike) => Promise<void>, clientOpts = {}) {
    const [c, s] = createMemorySessionPair();
    const client = new RpcClient(c, clientOpts);
    void (async () => {
      for await (const stream of s.incomingBidirectionalStreams) void answer(stream);
    })();
    return { client, close: () => c.close() };
  }

  test.each([
    ['garbage instead of a ResponseFrame', unhex('03 ffffff'), StatusCode.INTERNAL],
    ['a truncated ResponseFrame', unhex('09 0801'), StatusCode.INTERNAL],
    ['FIN without a ResponseFrame', new Uint8Array(0), StatusCode.INTERNAL],
    ['a status number beyond the table', encodeFrame(unhex('0863')), StatusCode.UNKNOWN],
  ])('%s → %i', async (_name, bytes, status) => {
    const { client, close } = await against(async (s) => {
      const w = s.writable.getWriter();
      if (bytes.length) await w.write(bytes);
      await w.close();
    });
    expect((await rpcError(client.call(1, new Uint8Array(0)))).code).toBe(status);
    close();
  });

  test('a response above the client limit: RESOURCE_EXHAUSTED and STOP_SENDING(8)', async () => {
    let serverWriterClosed: Promise<void> | undefined;
    const { client, close } = await against(
      async (s) => {
        const w = s.writable.getWriter();
        serverWriterClosed = w.closed;
        await w.write(encodeResponseFrame({ payload: new Uint8Array(1000) }));
      },
      { maxFrameSize: 100 },
    );
    expect((await rpcError(client.call(1, new Uint8Array(0)))).code).toBe(StatusCode.RESOURCE_EXHAUSTED);
    await expect(serverWriterClosed).rejects.toMatchObject({ code: 8n });
    close();
  });

  test.each([
    [14n, StatusCode.UNAVAILABLE],
    [1n, StatusCode.CANCELLED],
    [0n, StatusCode.UNKNOWN],
    [0x1000n, StatusCode.UNKNOWN],
  ])('a reset with code %i → status %i', async (code, status) => {
    const { client, close } = await against(async (s) => {
      await s.writable.abort(new StreamError(code));
    });
    expect((await rpcError(client.call(1, new Uint8Array(0)))).code).toBe(status);
    close();
  });
});

describe('session end and limits', () => {
  test('closing the session fails calls in progress with UNAVAILABLE; handlers are aborted', async () => {
    f = fixture();
    const p = f.client.call(RAW.hang, new Uint8Array(0));
    await until(() => f.hung.length === 1);
    f.sessions[1].close({ closeCode: 0n, reason: 'server going away' });
    expect((await rpcError(p)).code).toBe(StatusCode.UNAVAILABLE);
    expect((f.hung[0]!.signal.reason as RpcError).code).toBe(StatusCode.UNAVAILABLE);
    expect((await rpcError(f.echo.echo({ text: 'x' }))).code).toBe(StatusCode.UNAVAILABLE);
    await f.connection.closed;
    expect(f.connection.signal.aborted).toBe(true);
  });

  test('server: excess calls wait unaccepted until a slot frees', async () => {
    f = fixture({ server: { maxConcurrentCalls: 2 } });
    const acs = Array.from({ length: 5 }, () => new AbortController());
    const calls = acs.map((ac) => f.client.call(RAW.hang, new Uint8Array(0), { signal: ac.signal }).catch((e: RpcError) => e.code));
    await until(() => f.hung.length === 2);
    await sleep(20);
    expect(f.hung.length).toBe(2);
    expect(f.connection.activeCalls).toBe(2);
    acs[0]!.abort();
    await until(() => f.hung.length === 3);
    for (const ac of acs) ac.abort();
    expect(await Promise.all(calls)).toEqual(Array(5).fill(StatusCode.CANCELLED));
  });

  test('client: calls beyond the limit queue, a full queue refuses, a queued call can be cancelled', async () => {
    f = fixture({ client: { maxConcurrentCalls: 2, maxQueuedCalls: 2 } });
    const acs = [new AbortController(), new AbortController()];
    const running = acs.map((ac) => f.client.call(RAW.hang, new Uint8Array(0), { signal: ac.signal }).catch((e: RpcError) => e.code));
    const ac = new AbortController();
    const queued = f.client.call(RAW.reverse, utf8('abc'), { signal: ac.signal });
    const queued2 = f.client.call(RAW.reverse, utf8('xyz'));
    expect(f.client.load).toEqual({ running: 2, queued: 2 });
    expect((await rpcError(f.client.call(RAW.reverse, utf8('no room')))).code).toBe(StatusCode.RESOURCE_EXHAUSTED);
    ac.abort();
    expect((await rpcError(queued)).code).toBe(StatusCode.CANCELLED);
    expect(f.client.load).toEqual({ running: 2, queued: 1 });
    await until(() => f.hung.length === 2);
    expect(f.sessions[0].openStreams.bidi).toBe(2); // queued calls hold no stream
    acs[0]!.abort();
    expect(text((await queued2).payload)).toBe('zyx');
    acs[1]!.abort();
    expect(await Promise.all(running)).toEqual([StatusCode.CANCELLED, StatusCode.CANCELLED]);
    expect(f.client.load).toEqual({ running: 0, queued: 0 });
  });
});
