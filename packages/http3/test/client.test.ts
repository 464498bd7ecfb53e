/** Our client side (RFC 9114 §4, §5.2, §6, §7) over an in-memory session pair: against our server and a hand-driven one. */
import { createHash, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isRetryable } from '../src/client.js';
import { Http3Connection } from '../src/connection.js';
import { H3ErrorCode, Http3Error } from '../src/errors.js';
import { FrameType } from '../src/frames.js';
import { withTrailers } from '../src/response.js';
import { hex } from '@tsquic/test-support/hex';
import { memorySessionPair, type MemorySession } from './support/memory-session.js';
import { closeCode, codeOf, collect, concat, dataFrame, frame, headersFrame, nextBidiStream, openBidi, openControl, openUni, rejection, section, varint } from './support/raw-peer.js';

const sha = async (bytes: Uint8Array | ArrayBuffer): Promise<string> => createHash('sha256').update(new Uint8Array(bytes)).digest('hex');

function pair(handler: Parameters<typeof Http3Connection.server>[1], options: { highWaterMark?: number } = {}) {
  const [c, s] = memorySessionPair(options);
  const server = Http3Connection.server(s, handler);
  const client = Http3Connection.client(c);
  return { c, s, client, server };
}

describe('our client and our server', () => {
  it('fetches concurrently, byte for byte, with request bodies of every kind', async () => {
    const { client } = pair(async (req) => {
      const body = new Uint8Array(await req.arrayBuffer());
      return new Response(body, { headers: { 'x-type': req.headers.get('content-type') ?? '', 'x-len': req.headers.get('content-length') ?? '' } });
    });
    const bytes = new Uint8Array(randomBytes(300_000));
    const form = new FormData();
    form.set('field', 'value');
    form.set('file', new Blob([new Uint8Array([1, 2, 3])], { type: 'application/x-test' }), 'f.bin');
    const stream = new ReadableStream<Uint8Array>({
      start(c) {
        for (let i = 0; i < 10; i++) c.enqueue(bytes.subarray(i * 30_000, (i + 1) * 30_000));
        c.close();
      },
    });
    const [a, b, s, f, u, blob] = await Promise.all([
      client.fetch('https://a.test/', { method: 'POST', body: 'text ✓' }),
      client.fetch('https://a.test/', { method: 'PUT', body: bytes }),
      client.fetch('https://a.test/', { method: 'POST', body: stream, duplex: 'half' } as RequestInit),
      client.fetch('https://a.test/', { method: 'POST', body: form }),
      client.fetch('https://a.test/', { method: 'POST', body: new URLSearchParams({ q: 'x y' }) }),
      client.fetch('https://a.test/', { method: 'POST', body: new Blob(['blob'], { type: 'text/x-blob' }) }),
    ]);
    expect(await a.text()).toBe('text ✓');
    expect(a.headers.get('x-type')).toBe('text/plain;charset=UTF-8');
    expect(b.headers.get('x-len')).toBe('300000');
    expect(await sha(await b.arrayBuffer())).toBe(await sha(bytes));
    expect(s.headers.get('x-len')).toBe(''); // streamed: no content-length
    expect(await sha(await s.arrayBuffer())).toBe(await sha(bytes));
    expect(f.headers.get('x-type')).toMatch(/^multipart\/form-data; boundary=/);
    expect(await f.text()).toContain('filename="f.bin"');
    expect(await u.text()).toBe('q=x+y');
    expect([blob.headers.get('x-type'), await blob.text()]).toEqual(['text/x-blob', 'blob']);
  });

  it("a response body read whole (arrayBuffer, text, json, bytes, blob, formData) or as a stream, once; bodyUsed, clone and Fetch's errors as the platform has them", async () => {
    const { client } = pair((req) => {
      const path = new URL(req.url).pathname;
      if (path === '/json') return new Response('{"a":[1,2]}', { headers: { 'content-type': 'application/json' } });
      if (path === '/form') return new Response(new URLSearchParams({ k: 'v w' }));
      if (path === '/big') return new Response(new Uint8Array(200_000).fill(7));
      return new Response('hello ✓', { headers: { 'content-type': 'text/x-hello' } });
    });
    const get = (path: string) => client.fetch(`https://a.test${path}`);
    const t = await get('/');
    expect(t.bodyUsed).toBe(false);
    expect(await t.text()).toBe('hello ✓');
    expect(t.bodyUsed).toBe(true);
    await expect(t.arrayBuffer()).rejects.toThrow(TypeError);
    expect(() => t.clone()).toThrow(TypeError);
    expect(await (await get('/json')).json()).toEqual({ a: [1, 2] });
    expect(Array.from(await (await get('/')).bytes())).toEqual(Array.from(new TextEncoder().encode('hello ✓')));
    const blob = await (await get('/')).blob();
    expect([blob.type, await blob.text()]).toEqual(['text/x-hello', 'hello ✓']);
    expect((await (await get('/form')).formData()).get('k')).toBe('v w');
    const big = new Uint8Array(await (await get('/big')).arrayBuffer());
    expect([big.length, big.every((b) => b === 7)]).toEqual([200_000, true]);
    // As a stream: the body is a ReadableStream; once read, the whole-body readers refuse.
    const s = await get('/big');
    expect(s.body).toBeInstanceOf(ReadableStream);
    expect(s.body).toBe(s.body);
    let n = 0;
    for await (const chunk of s.body!) n += chunk.length;
    expect([n, s.bodyUsed]).toEqual([200_000, true]);
    await expect(s.text()).rejects.toThrow(TypeError);
    // A clone: both read the same bytes, and keep what HTTP/3 adds.
    const c = await get('/');
    const copy = c.clone() as typeof c;
    expect([await c.text(), await copy.text()]).toEqual(['hello ✓', 'hello ✓']);
    expect([copy.streamId, copy.url, (await copy.trailers).constructor]).toEqual([c.streamId, c.url, Headers]);
    // A body stream asked for but not read: the whole-body readers still work through it.
    const l = await get('/');
    void l.body;
    expect(await l.text()).toBe('hello ✓');
  });

  it('carries request and response trailers (RFC 9114 §4.1)', async () => {
    const { client } = pair(async (req, info) => {
      const body = await req.text();
      const trailers = await info.trailers;
      return withTrailers(new Response(`${body}!`), { 'x-echo': trailers.get('x-sum') ?? 'none' });
    });
    const res = await client.fetch('https://a.test/', { method: 'POST', body: 'abc', trailers: async () => ({ 'x-sum': '294' }) });
    expect(await res.text()).toBe('abc!');
    expect((await res.trailers).get('x-echo')).toBe('294');
  });

  it("makes a response's trailers (their promise, a Headers) only when read: before or after the body ends, empty when none, rejecting when the exchange failed", async () => {
    const { client } = pair((req) => (new URL(req.url).pathname === '/t' ? withTrailers(new Response('x'), { 'x-t': '1' }) : new Response('x')));
    const g = globalThis as { Headers: typeof Headers };
    const saved = g.Headers;
    let made = 0;
    g.Headers = new Proxy(saved, {
      construct(target, args, newTarget) {
        // The client's alone (the server in this pair makes its own).
        if (/[\\/]src[\\/]client\.ts:/.test(new Error().stack ?? '')) made++;
        return Reflect.construct(target, args, newTarget) as object;
      },
    });
    try {
      for (let i = 0; i < 10; i++) expect(await (await client.fetch('https://a.test/')).text()).toBe('x');
    } finally {
      g.Headers = saved;
    }
    // Before: the client made an empty Headers at the end of every response, besides the promise made with it.
    expect(made).toBe(0);
    const after = await client.fetch('https://a.test/t');
    await after.text();
    expect((await after.trailers).get('x-t')).toBe('1');
    const before = await client.fetch('https://a.test/t');
    const trailers = before.trailers;
    expect(before.trailers).toBe(trailers);
    await before.text();
    expect((await trailers).get('x-t')).toBe('1');
    const none = await client.fetch('https://a.test/');
    await none.text();
    expect([...(await none.trailers)]).toEqual([]);
    const cancelled = await client.fetch('https://a.test/t');
    await cancelled.body!.cancel(new Error('not wanted'));
    await expect(cancelled.trailers).rejects.toThrow(/not wanted/);
  });

  it('keeps the body source at the pace of the reader (back-pressure end to end)', async () => {
    let pulled = 0;
    const { client } = pair(
      () =>
        new Response(
          new ReadableStream<Uint8Array>(
            {
              pull(c) {
                if (++pulled > 1000) c.close();
                else c.enqueue(new Uint8Array(4096));
              },
            },
            { highWaterMark: 0 },
          ),
        ),
      { highWaterMark: 16 * 1024 },
    );
    const res = await client.fetch('https://a.test/big');
    await new Promise((r) => setTimeout(r, 50));
    expect(pulled).toBeLessThan(40); // a few 16 KiB windows, not 4 MB
    expect((await res.arrayBuffer()).byteLength).toBe(4096 * 1000);
  });

  it('an AbortSignal rejects the fetch, resets the stream with H3_REQUEST_CANCELLED, and the server sees it', async () => {
    let serverSaw: unknown;
    let release!: () => void;
    const held = new Promise<void>((r) => (release = r));
    let started!: () => void;
    const inHandler = new Promise<void>((r) => (started = r));
    const { client } = pair(async (req) => {
      started();
      req.signal.addEventListener('abort', () => {
        serverSaw = req.signal.reason;
        release();
      });
      await held;
      return new Response('late');
    });
    const ac = new AbortController();
    const pending = client.fetch('https://a.test/slow', { method: 'POST', body: new ReadableStream({ pull: () => new Promise(() => {}) }), duplex: 'half', signal: ac.signal } as RequestInit);
    await inHandler;
    ac.abort(new DOMException('enough', 'AbortError'));
    expect(((await rejection(pending)) as DOMException).name).toBe('AbortError');
    await held;
    expect(codeOf(serverSaw)).toBe(H3ErrorCode.H3_REQUEST_CANCELLED);
    expect((await client.fetch('https://a.test/after', { method: 'GET' }).catch((e) => e)) instanceof Response).toBe(true);
  });

  it('an already aborted signal never opens a stream', async () => {
    let called = false;
    const { client } = pair(() => ((called = true), new Response('x')));
    await expect(client.fetch('https://a.test/', { signal: AbortSignal.abort() })).rejects.toMatchObject({ name: 'AbortError' });
    expect(await (await client.fetch('https://a.test/')).text()).toBe('x');
    expect(called).toBe(true);
    expect(client.activeRequests).toBe(0);
  });

  it('refuses bodies on GET, non-https URLs, and requests above the server\u2019s SETTINGS_MAX_FIELD_SECTION_SIZE', async () => {
    const [c, s] = memorySessionPair();
    const client = Http3Connection.client(c);
    await expect(client.fetch('https://a.test/', { body: 'x' })).rejects.toThrow(TypeError);
    await expect(client.fetch('http://a.test/')).rejects.toThrow(/https/);
    await openControl(s, new Uint8Array(0), [[0x06, 150]]);
    await client.peerSettings;
    await expect(client.fetch(`https://a.test/${'x'.repeat(100)}`)).rejects.toThrow(/exceeds the server's limit of 150/);
  });
});

/** A raw server: answers the first request stream with `bytes`, then FIN unless `keepOpen`. */
async function rawServer(bytes: Uint8Array, keepOpen = false): Promise<{ client: Http3Connection; c: MemorySession; writerClosed: Promise<unknown> }> {
  const [c, s] = memorySessionPair();
  await openControl(s);
  const client = Http3Connection.client(c);
  const writerClosed = nextBidiStream(s).then(async (bidi) => {
    const w = bidi.writable.getWriter();
    w.write(bytes).catch(() => undefined);
    if (!keepOpen) w.close().catch(() => undefined);
    return w.closed;
  });
  writerClosed.catch(() => undefined);
  return { client, c, writerClosed };
}

const OK = (length: number, extra: Array<[string, string]> = []): Uint8Array => headersFrame([[':status', '200'], ['content-length', String(length)], ...extra]);

describe('our client against a hand-driven server', () => {
  it('skips unknown frames and interim responses, and reads content split over DATA frames, and trailers', async () => {
    const { client } = await rawServer(
      concat(
        frame(0x21, hex('00')),
        headersFrame([
          [':status', '103'],
          ['link', '</a>; rel=preload'],
        ]),
        OK(5),
        dataFrame(hex('0102')),
        frame(0x1f * 5 + 0x21),
        dataFrame(new Uint8Array(0)),
        dataFrame(hex('030405')),
        headersFrame([['x-checksum', 'abc']]),
      ),
    );
    const res = await client.fetch('https://a/');
    expect(res.status).toBe(200);
    expect(new Uint8Array(await res.arrayBuffer())).toEqual(hex('0102030405'));
    expect((await res.trailers).get('x-checksum')).toBe('abc');
  });

  it('refuses less content than content-length: the body errors with H3_MESSAGE_ERROR', async () => {
    const { client } = await rawServer(concat(OK(5), dataFrame(hex('0102'))));
    const res = await client.fetch('https://a/');
    const e = await rejection(res.arrayBuffer());
    expect(Http3Error.isInstance(e) && e.code).toBe(H3ErrorCode.H3_MESSAGE_ERROR);
  });

  it.each([
    ['more content than content-length', concat(OK(1), dataFrame(hex('0102')))],
    ['content after a 204', concat(headersFrame([[':status', '204']]), dataFrame(hex('01')))],
  ])('refuses %s at once: STOP_SENDING carries H3_MESSAGE_ERROR', async (_, bytes) => {
    const { client, writerClosed } = await rawServer(bytes, true);
    const res = await client.fetch('https://a/');
    if (res.body) expect(codeOf(await rejection(res.arrayBuffer()))).toBe(H3ErrorCode.H3_MESSAGE_ERROR);
    expect(codeOf(await rejection(writerClosed))).toBe(H3ErrorCode.H3_MESSAGE_ERROR);
  });

  it.each([
    ['a response without :status', headersFrame([['content-length', '0']]), H3ErrorCode.H3_MESSAGE_ERROR],
    ['a response stream ended before HEADERS', frame(0x21), H3ErrorCode.H3_REQUEST_INCOMPLETE],
    ['101 Switching Protocols', headersFrame([[':status', '101']]), H3ErrorCode.H3_MESSAGE_ERROR],
  ])('rejects the request for %s (a stream error)', async (_, bytes, code) => {
    const { client } = await rawServer(bytes);
    const e = await rejection(client.fetch('https://a/'));
    expect(Http3Error.isInstance(e) && e.code).toBe(code);
    expect(client.isClosing).toBe(false);
  });

  it.each([
    ['DATA before HEADERS', dataFrame(hex('01')), H3ErrorCode.H3_FRAME_UNEXPECTED],
    ['a PUSH_PROMISE (we never sent MAX_PUSH_ID)', frame(FrameType.PUSH_PROMISE, concat(varint(0), section([[':path', '/']]))), H3ErrorCode.H3_ID_ERROR],
    ['a Required Insert Count beyond the table', frame(FrameType.HEADERS, hex('ff00 bf')), H3ErrorCode.QPACK_DECOMPRESSION_FAILED],
  ])('closes the connection for %s', async (_, bytes, code) => {
    const { client, c } = await rawServer(bytes);
    await rejection(client.fetch('https://a/'));
    expect(await closeCode(c)).toBe(code);
  });

  it('closes the connection for HEADERS after trailers', async () => {
    const { client, c } = await rawServer(concat(OK(0), headersFrame([['x-t', '1']]), headersFrame([['x-t', '2']])));
    const res = await client.fetch('https://a/');
    await rejection(res.arrayBuffer());
    expect(await closeCode(c)).toBe(H3ErrorCode.H3_FRAME_UNEXPECTED);
  });

  it('a cancelled body sends STOP_SENDING with H3_REQUEST_CANCELLED (RFC 9114 §4.1.1)', async () => {
    const { client, writerClosed } = await rawServer(concat(OK(100), dataFrame(new Uint8Array(10))), true);
    const res = await client.fetch('https://a/');
    const reader = res.body!.getReader();
    await reader.read();
    await reader.cancel();
    expect(codeOf(await rejection(writerClosed))).toBe(H3ErrorCode.H3_REQUEST_CANCELLED);
  });

  it('a server reset with H3_REQUEST_REJECTED is a retryable error', async () => {
    const [c, s] = memorySessionPair();
    await openControl(s);
    const client = Http3Connection.client(c);
    void nextBidiStream(s).then((bidi) => bidi.writable.abort(Object.assign(new Error('no'), { code: BigInt(H3ErrorCode.H3_REQUEST_REJECTED) })));
    const e = await rejection(client.fetch('https://a/'));
    expect(Http3Error.isInstance(e) && [e.code, e.remote, e.retryable]).toEqual([H3ErrorCode.H3_REQUEST_REJECTED, true, true]);
    expect(isRetryable(e)).toBe(true);
  });
});

describe('connection-level rules on the client side', () => {
  async function clientWith(act: (server: MemorySession) => Promise<unknown>): Promise<MemorySession> {
    const [c, s] = memorySessionPair();
    Http3Connection.client(c);
    await act(s);
    return c;
  }

  it.each([
    ['a server-initiated bidirectional stream (§6.1)', (s: MemorySession) => openBidi(s, hex('00')), H3ErrorCode.H3_STREAM_CREATION_ERROR],
    ['a push stream without MAX_PUSH_ID (§4.6)', (s: MemorySession) => openUni(s, concat(varint(1), varint(0)), true), H3ErrorCode.H3_ID_ERROR],
    ['MAX_PUSH_ID sent to a client (§7.2.7)', (s: MemorySession) => openControl(s, frame(FrameType.MAX_PUSH_ID, varint(1))), H3ErrorCode.H3_FRAME_UNEXPECTED],
    ['GOAWAY naming a non-request stream (§7.2.6)', (s: MemorySession) => openControl(s, frame(FrameType.GOAWAY, varint(2))), H3ErrorCode.H3_ID_ERROR],
    ['GOAWAY whose ID increases (§5.2)', (s: MemorySession) => openControl(s, concat(frame(FrameType.GOAWAY, varint(4)), frame(FrameType.GOAWAY, varint(8)))), H3ErrorCode.H3_ID_ERROR],
    ['SETTINGS_H3_DATAGRAM = 1 without QUIC datagrams, when we enabled them (RFC 9297 §2.1.1)', async () => undefined, -1],
  ])('closes the connection for %s', async (_, act, code) => {
    if (code === -1) {
      const [c, s] = memorySessionPair({ maxDatagramSize: 0 });
      Http3Connection.client(c, { datagrams: true });
      await openControl(s, new Uint8Array(0), [[0x33, 1]]);
      expect(await closeCode(c)).toBe(H3ErrorCode.H3_SETTINGS_ERROR);
      return;
    }
    expect(await closeCode(await clientWith(act))).toBe(code);
  });

  it('sends no new request after GOAWAY, and fails the unprocessed ones as retryable (§5.2)', async () => {
    const [c, s] = memorySessionPair();
    const client = Http3Connection.client(c);
    const control = await openControl(s);
    const first = client.fetch('https://a/1');
    const second = client.fetch('https://a/2');
    await nextBidiStream(s);
    await nextBidiStream(s);
    await control.write(frame(FrameType.GOAWAY, varint(4))); // stream 0 will be served, stream 4 will not
    const e = await rejection(second);
    expect(Http3Error.isInstance(e) && [e.code, e.retryable]).toEqual([H3ErrorCode.H3_REQUEST_REJECTED, true]);
    expect(client.draining).toBe(true);
    const late = await rejection(client.fetch('https://a/3'));
    expect(isRetryable(late)).toBe(true);
    void first.catch(() => undefined);
    s.close({ closeCode: 0x100n });
  });
});

describe('QPACK settings between the peers (RFC 9204 §3.2.3, §4.5.1.1)', () => {
  it('a peer offering a larger table than we use still decodes us after thousands of insertions (Required Insert Count wraps on ITS capacity)', async () => {
    const [c, s] = memorySessionPair();
    const server = Http3Connection.server(s, (req) => new Response(req.headers.get('x-n')), { qpackMaxTableCapacity: 65536 });
    const client = Http3Connection.client(c, { qpackEncoderCapacity: 4096 });
    // Each value is sent twice, so the encoder inserts it ('repeated'): 600 insertions, past 2 * (4096 / 32) = 256.
    for (let i = 0; i < 600; i++) {
      for (let k = 0; k < 2; k++) expect(await (await client.fetch('https://a.test/', { headers: { 'x-n': `value-${i}` } })).text()).toBe(`value-${i}`);
    }
    expect(client.qpackStats.encoder.inserts).toBeGreaterThan(512);
    expect(server.qpackStats.decoder.inserts).toBe(client.qpackStats.encoder.inserts);
    expect(client.isClosing).toBe(false);
  }, 60_000);
});
