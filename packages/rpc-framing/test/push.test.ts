import { afterEach, describe, expect, test } from 'vitest';
import { RpcClient, RpcError, StatusCode, createMemorySessionPair, encodeFrame, encodePushFrame, createClient, defineService, registerService, type EventSender, type PushChannel, type RpcSession } from '../src/index.js';
import { EchoRequestSchema, TickSchema } from './gen/tsquic/rpc/test/v1/echo_pb.js';
import { fixture, rpcError, sleep, unhex, until, type Fixture } from './helpers.js';

let f: Fixture;
afterEach(() => f?.close());

async function collect<T>(it: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const x of it) out.push(x);
  return out;
}

/** Registers a raw server-streaming method whose channel the test drives. */
function channelMethod(fx: Fixture, id: number): { channels: PushChannel[] } {
  const channels: PushChannel[] = [];
  fx.server.handle(id, async (_p, ctx) => {
    channels.push(await ctx.openPush());
    return new Uint8Array(0);
  });
  return { channels };
}

describe('subscriptions (server-streaming calls)', () => {
  test('2000 events arrive in order, then the subscription ends', async () => {
    f = fixture();
    const ticks = await collect(f.echo.count({ n: 2000 }));
    expect(ticks.map((t) => t.i)).toEqual(Array.from({ length: 2000 }, (_, i) => i));
  });

  test('many subscriptions at once, each gets its own events', async () => {
    f = fixture();
    const subs = Array.from({ length: 30 }, (_, k) => collect(f.echo.count({ n: k })));
    const results = await Promise.all(subs);
    results.forEach((r, k) => expect(r.map((t) => t.i)).toEqual(Array.from({ length: k }, (_, i) => i)));
  });

  test('the response resolves when the subscription is established, events may come before or after', async () => {
    f = fixture();
    const sub = f.echo.count({ n: 3 });
    await sub.response;
    expect((await collect(sub)).length).toBe(3);
  });

  test('a handler that fails before opening: response and iteration reject with its status', async () => {
    f = fixture();
    f.server.handle(30, () => {
      throw new RpcError(StatusCode.FAILED_PRECONDITION, 'join first');
    });
    const sub = f.client.subscribe(30, new Uint8Array(0));
    expect((await rpcError(sub.response)).code).toBe(StatusCode.FAILED_PRECONDITION);
    expect((await rpcError(collect(sub))).code).toBe(StatusCode.FAILED_PRECONDITION);
  });

  test('a handler that returns without opening: an empty subscription', async () => {
    f = fixture();
    f.server.handle(31, () => new Uint8Array(0));
    const sub = f.client.subscribe(31, new Uint8Array(0));
    expect((await sub.response).push).toBe(false);
    expect(await collect(sub)).toEqual([]);
  });

  test('the server aborts the push stream: events so far, then its status', async () => {
    f = fixture();
    const { channels } = channelMethod(f, 32);
    const sub = f.client.subscribe(32, new Uint8Array(0));
    await until(() => channels.length === 1);
    const ch = channels[0]!;
    await ch.send('t', Uint8Array.of(1));
    await ch.send('t', Uint8Array.of(2));
    const it = sub[Symbol.asyncIterator]();
    expect((await it.next()).value.payload).toEqual(Uint8Array.of(1));
    expect((await it.next()).value.payload).toEqual(Uint8Array.of(2));
    ch.abort(StatusCode.ABORTED);
    expect((await rpcError(it.next())).code).toBe(StatusCode.ABORTED);
  });

  test('leaving the loop cancels: the server channel signal aborts with CANCELLED, other calls unaffected', async () => {
    f = fixture();
    const { channels } = channelMethod(f, 33);
    const sub = f.client.subscribe(33, new Uint8Array(0));
    await until(() => channels.length === 1);
    const ch = channels[0]!;
    const sending = (async () => {
      for (let i = 0; !ch.signal.aborted; i++) await ch.send('t', Uint8Array.of(i & 0xff)).catch(() => undefined);
    })();
    let n = 0;
    for await (const ev of sub) {
      expect(ev.payload[0]).toBe(n & 0xff);
      if (++n === 10) break;
    }
    await until(() => ch.signal.aborted);
    expect((ch.signal.reason as RpcError).code).toBe(StatusCode.CANCELLED);
    await sending;
    expect((await f.echo.echo({ text: 'fine' })).text).toBe('fine');
  });

  test('cancel() from outside makes the iteration throw CANCELLED', async () => {
    f = fixture();
    const { channels } = channelMethod(f, 34);
    const sub = f.client.subscribe(34, new Uint8Array(0));
    await until(() => channels.length === 1);
    const pending = collect(sub);
    sub.cancel();
    expect((await rpcError(pending)).code).toBe(StatusCode.CANCELLED);
    await until(() => channels[0]!.signal.aborted);
  });

  test('the deadline bounds the whole subscription on both sides', async () => {
    f = fixture();
    const { channels } = channelMethod(f, 35);
    const sub = f.client.subscribe(35, new Uint8Array(0), { timeoutMs: 80 });
    await sub.response;
    expect((await rpcError(collect(sub))).code).toBe(StatusCode.DEADLINE_EXCEEDED);
    await until(() => channels[0]!.signal.aborted);
    expect([StatusCode.DEADLINE_EXCEEDED, StatusCode.CANCELLED]).toContain((channels[0]!.signal.reason as RpcError).code);
  });

  test('flow control: send() waits while the client does not read', async () => {
    f = fixture({ session: { streamWindow: 1024, writeHighWaterMark: 1024 } });
    const { channels } = channelMethod(f, 36);
    const sub = f.client.subscribe(36, new Uint8Array(0));
    await until(() => channels.length === 1);
    const ch = channels[0]!;
    let sent = 0;
    const sender = (async () => {
      for (let i = 0; i < 100; i++) {
        await ch.send('blob', new Uint8Array(100));
        sent++;
      }
      await ch.close();
    })();
    await sleep(30);
    expect(sent).toBeGreaterThan(0);
    expect(sent).toBeLessThan(40);
    expect((await collect(sub)).length).toBe(100);
    await sender;
  });

  test('typed events are checked against the method output type', async () => {
    f = fixture();
    f.server.handle(37, async (_p, ctx) => {
      const ch = await ctx.openPush();
      await ch.send('some.other.Type', new Uint8Array(0));
      return new Uint8Array(0);
    });
    // A typed stub for method 37 that expects Tick events.
    const stub = createClient(defineService('t.S', { watch: { id: 37, kind: 'server_streaming', input: EchoRequestSchema, output: TickSchema } }), f.client);
    expect((await rpcError(collect(stub.watch({})))).code).toBe(StatusCode.INTERNAL);
  });

  test('typed server-streaming handler: openEvents(), send, close', async () => {
    f = fixture();
    let sender: EventSender<typeof TickSchema> | undefined;
    const svc = defineService('t.Ticker', { ticks: { id: 40, kind: 'server_streaming', input: EchoRequestSchema, output: TickSchema } });
    registerService(f.server, svc, {
      async ticks(req, ctx) {
        sender = await ctx.openEvents();
        for (let i = 0; i < Number(req.text); i++) await sender.send({ i: i * 2 });
        await sender.close();
      },
    });
    const got = await collect(createClient(svc, f.client).ticks({ text: '4' }));
    expect(got.map((t) => t.i)).toEqual([0, 2, 4, 6]);
    expect(sender!.signal.aborted).toBe(true);
  });
});

describe('pushes the server starts on its own', () => {
  test('connection.openPush(): the client reads it from pushes(), in order', async () => {
    f = fixture();
    const ch = await f.connection.openPush();
    for (let i = 0; i < 50; i++) await ch.send('note', Uint8Array.of(i));
    await ch.close();
    const streams = f.client.pushes()[Symbol.asyncIterator]();
    const first = (await streams.next()).value!;
    expect(first.requestId).toBe(0n);
    const events = await collect(first);
    expect(events.map((e) => e.eventType)).toEqual(Array(50).fill('note'));
    expect(events.map((e) => e.payload[0])).toEqual(Array.from({ length: 50 }, (_, i) => i));
  });

  test('pushes() ends when the session closes', async () => {
    f = fixture();
    const done = collect(f.client.pushes());
    f.close();
    expect(await done).toEqual([]);
  });

  test('unsolicited streams beyond the queue limit are stopped with RESOURCE_EXHAUSTED', async () => {
    f = fixture({ client: { maxQueuedPushStreams: 2 } });
    const chans: PushChannel[] = [];
    for (let i = 0; i < 3; i++) chans.push(await f.connection.openPush());
    await until(() => chans[2]!.signal.aborted);
    expect((chans[2]!.signal.reason as RpcError).code).toBe(StatusCode.RESOURCE_EXHAUSTED);
    expect(chans[0]!.signal.aborted).toBe(false);
  });

  test('send() after the client stopped the stream rejects with the status', async () => {
    f = fixture();
    const ch = await f.connection.openPush();
    const it = f.client.pushes()[Symbol.asyncIterator]();
    (await it.next()).value!.cancel(StatusCode.CANCELLED);
    await until(() => ch.signal.aborted);
    expect((await rpcError(ch.send('x', new Uint8Array(0)))).code).toBe(StatusCode.CANCELLED);
  });

  test('an empty event type is a caller mistake', async () => {
    f = fixture();
    const ch = await f.connection.openPush();
    await expect(ch.send('', new Uint8Array(0))).rejects.toThrow(TypeError);
  });
});

describe('bad push streams from a misbehaving server', () => {
  test.each([
    ['garbage header', unhex('03ffffff'), 13n],
    ['a header with an event type', encodePushFrame({ eventType: 'x' }), 13n],
    ['an oversized header', unhex('7fff'), 8n],
  ])('%s: the client stops the stream (code %i) and the session lives on', async (_name, bytes, code) => {
    const [c, s] = createMemorySessionPair();
    const client = new RpcClient(c, { maxFrameSize: 1000 });
    const w = (await s.createUnidirectionalStream()).getWriter();
    await w.write(bytes);
    await expect(w.closed).rejects.toMatchObject({ code });
    // The session still carries calls.
    void (async () => {
      for await (const st of s.incomingBidirectionalStreams) {
        const sw = st.writable.getWriter();
        await sw.write(encodeFrame(new Uint8Array(0)));
        await sw.close();
      }
    })();
    expect((await client.call(1, new Uint8Array(0))).payload.length).toBe(0);
    c.close();
  });

  test('a header larger than 64 bytes is refused from its length prefix (RESOURCE_EXHAUSTED)', async () => {
    const [c, s] = createMemorySessionPair();
    new RpcClient(c); // default 4 MiB frame limit: the header limit still applies
    const w = (await s.createUnidirectionalStream()).getWriter();
    await w.write(unhex('4041')); // a 65-byte frame announced
    await expect(w.closed).rejects.toMatchObject({ code: 8n });
    c.close();
  });

  test('streams waiting for their header: at most 64 are taken from the transport, the rest wait there', async () => {
    const [c, s] = createMemorySessionPair({ maxUnidirectionalStreams: 200 });
    let taken = 0;
    const counting: RpcSession = {
      createBidirectionalStream: () => c.createBidirectionalStream(),
      createUnidirectionalStream: () => c.createUnidirectionalStream(),
      incomingBidirectionalStreams: c.incomingBidirectionalStreams,
      incomingUnidirectionalStreams: c.incomingUnidirectionalStreams.pipeThrough(
        new TransformStream<ReadableStream<Uint8Array>, ReadableStream<Uint8Array>>({ transform: (x, ctl) => (taken++, ctl.enqueue(x)) }, { highWaterMark: 1 }, { highWaterMark: 0 }),
      ),
    };
    const client = new RpcClient(counting, { maxQueuedPushStreams: 200 });
    const writers: WritableStreamDefaultWriter<Uint8Array>[] = [];
    for (let i = 0; i < 100; i++) {
      const w = (await s.createUnidirectionalStream()).getWriter();
      await w.write(unhex('02')); // a prefix, and the header never completes
      writers.push(w);
    }
    await sleep(20);
    expect(taken).toBeGreaterThanOrEqual(64);
    expect(taken).toBeLessThanOrEqual(66);
    // Headers arrive: every stream is taken and routed.
    for (const w of writers) await w.write(unhex('1800'));
    await until(() => taken === 100);
    let n = 0;
    for await (const st of client.pushes()) {
      expect(st.requestId).toBe(0n);
      if (++n === 100) break;
    }
    c.close();
  });

  test('a push stream for a call nobody waits for is stopped with CANCELLED', async () => {
    const [c, s] = createMemorySessionPair();
    new RpcClient(c);
    const w = (await s.createUnidirectionalStream()).getWriter();
    await w.write(encodePushFrame({ requestId: 12345n }));
    await expect(w.closed).rejects.toMatchObject({ code: 1n });
    c.close();
  });

  test('an event frame without an event type fails the subscription with INTERNAL', async () => {
    f = fixture();
    f.server.handle(50, async (_p, ctx) => {
      const ch = await ctx.openPush();
      // Bypass PushChannel's check: write an event frame with an empty type through a second header.
      await (ch as unknown as { write(b: Uint8Array): Promise<void> }).write(encodePushFrame({ payload: Uint8Array.of(1) }));
      return new Uint8Array(0);
    });
    expect((await rpcError(collect(f.client.subscribe(50, new Uint8Array(0))))).code).toBe(StatusCode.INTERNAL);
  });
});
