/** Our server side (RFC 9114 §4, §6, §7) against a hand-driven client over an in-memory session pair. */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Http3Connection } from '../src/connection.js';
import { H3ErrorCode } from '../src/errors.js';
import { FrameType } from '../src/frames.js';
import type { Http3Handler } from '../src/server.js';
import { withTrailers } from '../src/response.js';
import { decodeSettings } from '../src/settings.js';
import { hex } from '@tsquic/test-support/hex';
import { memorySessionPair, type MemorySession } from './support/memory-session.js';
import { closeCode, codeOf, collect, concat, dataFrame, frame, GET, headersFrame, nextUniStream, openBidi, openControl, openUni, parseResponse, readAtLeast, rejection, section, settingsFrame, varint } from './support/raw-peer.js';

const hello: Http3Handler = async (req) => {
  const path = new URL(req.url).pathname;
  if (path === '/hello.txt') return new Response(req.method === 'HEAD' ? null : 'hello', { headers: { 'content-length': '5' } });
  if (path === '/echo') return new Response(await req.arrayBuffer());
  if (path === '/throw') throw new Error('handler bug');
  return new Response('not found', { status: 404 });
};

/** A raw client against our HTTP/3 server. */
function start(h: Http3Handler = hello, options: Parameters<typeof Http3Connection.server>[2] = {}): { client: MemorySession; server: Http3Connection } {
  const [client, s] = memorySessionPair();
  return { client, server: Http3Connection.server(s, h, options) };
}

describe('our streams (RFC 9114 §6.2, RFC 9204 §4.2)', () => {
  it('opens a control stream with SETTINGS first and a reserved frame, QPACK encoder and decoder streams, and a GREASE stream', async () => {
    const { client } = start(hello, { random: () => 0.5 });
    const streams = [await nextUniStream(client), await nextUniStream(client), await nextUniStream(client), await nextUniStream(client)];
    const grease = 0x1fn * 0x8000n + 0x21n;
    const first = await readAtLeast(streams[0]!, 3);
    const control = concat(first, await readAtLeast(streams[0]!, first[2]! + 5 - (first.length - 3)));
    expect(control[0]).toBe(0x00);
    expect(control[1]).toBe(FrameType.SETTINGS);
    const settings = decodeSettings(control.subarray(3, 3 + control[2]!));
    expect(settings).toEqual(
      new Map([
        [0x01n, 4096n], // QPACK_MAX_TABLE_CAPACITY
        [0x07n, 16n], // QPACK_BLOCKED_STREAMS
        [0x06n, 65536n], // MAX_FIELD_SECTION_SIZE
        [grease, 0x1fffn], // a reserved setting (§7.2.4.1)
      ]),
    );
    // §7.2.8: a frame of a reserved type follows SETTINGS.
    expect(control.subarray(3 + control[2]!)).toEqual(frame(grease));
    expect((await readAtLeast(streams[1]!, 1))[0]).toBe(0x02);
    expect((await readAtLeast(streams[2]!, 1))[0]).toBe(0x03);
    // §6.2.3: a stream of a reserved type.
    expect(await collect(streams[3]!)).toEqual(concat(varint(grease), new TextEncoder().encode('GREASE is the word')));
    client.close();
  });

  it('sends no GREASE when told not to', async () => {
    const { client } = start(hello, { grease: false });
    const control = await readAtLeast(await nextUniStream(client), 3);
    expect(decodeSettings((await readAtLeast(new ReadableStream({ start: (c) => (c.enqueue(control), c.close()) }), 3)).subarray(3, 3 + control[2]!)).size).toBe(3);
    client.close();
  });
});

describe('requests', () => {
  it('answers a GET with HEADERS and DATA, then FIN; HEAD without content', async () => {
    const { client } = start();
    await openControl(client);
    const r = await parseResponse((await openBidi(client, headersFrame(GET('/hello.txt')))).readable);
    expect(r.sections[0]).toEqual([
      [':status', '200'],
      ['content-length', '5'],
      ['content-type', 'text/plain;charset=UTF-8'],
    ]);
    expect(new TextDecoder().decode(r.data)).toBe('hello');
    const head = await parseResponse((await openBidi(client, headersFrame([[':method', 'HEAD'], ...GET('/hello.txt').slice(1)]))).readable);
    expect(head.sections[0]).toContainEqual(['content-length', '5']);
    expect(head.data.length).toBe(0);
    client.close();
  });

  it('ignores unknown and reserved frames, streams and settings, and reads a body and its trailers', async () => {
    let trailers: Headers | undefined;
    const { client } = start(async (req, info) => {
      const body = await req.text();
      trailers = await info.trailers;
      return new Response(body);
    });
    await openControl(client, frame(0x21, hex('0102')), [
      [0x21, 1],
      [0x3344, 5],
    ]);
    const unknown = await openUni(client, concat(varint(0x54), hex('00112233')), true);
    await openUni(client, new Uint8Array(0)); // closed before its type: tolerated
    const request = concat(frame(0x1f * 3 + 0x21, hex('ff')), headersFrame([[':method', 'POST'], ...GET('/echo').slice(1), ['content-length', '3']]), frame(0x40), dataFrame(hex('616263')), headersFrame([['x-trailer', 'yes']]));
    const r = await parseResponse((await openBidi(client, request)).readable);
    expect(r.sections[0]).toContainEqual([':status', '200']);
    expect(new TextDecoder().decode(r.data)).toBe('abc');
    expect(trailers?.get('x-trailer')).toBe('yes');
    // RFC 9114 §6.2: the unknown stream type is refused with H3_STREAM_CREATION_ERROR.
    expect(codeOf(await rejection(unknown.closed))).toBe(H3ErrorCode.H3_STREAM_CREATION_ERROR);
    client.close({ closeCode: 0x100n });
    expect(await closeCode(client)).toBe(0x100);
  });

  it('gives a GET\u2019s trailers to a handler that asks, before or after they came; a reset GET\u2019s trailers reject', async () => {
    const seen: Record<string, unknown> = {};
    const { client } = start(async (req, info) => {
      const path = new URL(req.url).pathname;
      if (path === '/early') seen.early = (await info.trailers).get('x-t');
      if (path === '/late') {
        await new Promise((r) => setTimeout(r, 20)); // the FIN and trailers are read meanwhile
        seen.late = (await info.trailers).get('x-t');
      }
      if (path === '/reset') seen.reset = codeOf(await rejection(info.trailers));
      return new Response('ok');
    });
    await openControl(client);
    for (const path of ['/early', '/late']) {
      const r = await parseResponse((await openBidi(client, concat(headersFrame(GET(path)), headersFrame([['x-t', path]])))).readable);
      expect(new TextDecoder().decode(r.data)).toBe('ok');
    }
    const reset = await openBidi(client, headersFrame(GET('/reset')), true);
    await new Promise((r) => setTimeout(r, 20));
    await reset.writable.abort(Object.assign(new Error('gone'), { code: 0x10cn }));
    await new Promise((r) => setTimeout(r, 50));
    expect(seen).toEqual({ early: '/early', late: '/late', reset: 0x10c });
    client.close();
  });

  it('sends the trailers a handler attaches, after the body', async () => {
    const { client } = start(() => withTrailers(new Response('data'), () => ({ 'x-checksum': 'c0ffee' })));
    const r = await parseResponse((await openBidi(client, headersFrame(GET('/')))).readable);
    expect(r.sections).toEqual([
      [
        [':status', '200'],
        ['content-type', 'text/plain;charset=UTF-8'],
      ],
      [['x-checksum', 'c0ffee']],
    ]);
    client.close();
  });

  it('answers 500 when the handler throws, and 501 to a CONNECT nobody serves', async () => {
    const errors: unknown[] = [];
    const { client } = start(hello, { onError: (e) => errors.push(e) });
    expect((await parseResponse((await openBidi(client, headersFrame(GET('/throw')))).readable)).sections[0]).toContainEqual([':status', '500']);
    expect(String(errors[0])).toMatch(/handler bug/);
    const connect = headersFrame([
      [':method', 'CONNECT'],
      [':authority', 'a.example:443'],
    ]);
    expect((await parseResponse((await openBidi(client, connect)).readable)).sections[0]).toContainEqual([':status', '501']);
    client.close();
  });

  it('answers 431 to a header section above SETTINGS_MAX_FIELD_SECTION_SIZE, and the connection lives on (RFC 9114 §4.2.2)', async () => {
    const { client } = start(hello, { maxFieldSectionSize: 300 });
    const big = await parseResponse((await openBidi(client, headersFrame([...GET('/hello.txt'), ['x-big', 'y'.repeat(400)]]))).readable);
    expect(big.sections[0]).toEqual([[':status', '431']]);
    expect((await parseResponse((await openBidi(client, headersFrame(GET('/hello.txt')))).readable)).data.length).toBe(5);
    client.close();
  });

  it.each([
    ['a malformed request (no :path)', headersFrame(GET('/x').slice(0, 3)), H3ErrorCode.H3_MESSAGE_ERROR],
    ['an uppercase field name', headersFrame([...GET('/hello.txt'), ['X-Up', '1']]), H3ErrorCode.H3_MESSAGE_ERROR],
    ['a connection-specific field', headersFrame([...GET('/hello.txt'), ['connection', 'close']]), H3ErrorCode.H3_MESSAGE_ERROR],
    ['FIN before HEADERS', frame(0x21), H3ErrorCode.H3_REQUEST_INCOMPLETE],
    ['a HEADERS frame far above the field section limit', frame(FrameType.HEADERS, new Uint8Array(140_000)), H3ErrorCode.H3_EXCESSIVE_LOAD],
    ['an extended CONNECT although we did not enable it', headersFrame([[':method', 'CONNECT'], [':protocol', 'websocket'], ...GET('/').slice(1)]), H3ErrorCode.H3_MESSAGE_ERROR],
  ])('resets the stream for %s, and the connection lives on', async (_, bytes, code) => {
    const { client } = start();
    const s = await openBidi(client, bytes);
    expect(codeOf(await rejection(collect(s.readable)))).toBe(code);
    const ok = await parseResponse((await openBidi(client, headersFrame(GET('/hello.txt')))).readable);
    expect(ok.data.length).toBe(5);
    client.close();
  });

  it('resets a request whose content does not match its content-length (RFC 9114 §4.1.2)', async () => {
    const { client } = start(async (req) => new Response(await req.arrayBuffer()));
    const s = await openBidi(client, concat(headersFrame([[':method', 'POST'], ...GET('/').slice(1), ['content-length', '10']]), dataFrame(hex('0102'))));
    expect(codeOf(await rejection(collect(s.readable)))).toBe(H3ErrorCode.H3_MESSAGE_ERROR);
    client.close();
  });

  it('a client reset aborts the handler\u2019s signal and the response body source is cancelled', async () => {
    let aborted: unknown;
    let cancelled: unknown;
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    const { client } = start((req) => {
      req.signal.addEventListener('abort', () => (aborted = req.signal.reason));
      started();
      return new Response(new ReadableStream({ pull: (c) => c.enqueue(new Uint8Array(1024)), cancel: (r) => void (cancelled = r ?? 'cancelled') }));
    });
    const s = await openBidi(client, concat(headersFrame([[':method', 'POST'], ...GET('/').slice(1)]), dataFrame(hex('01'))), true);
    await running;
    const reader = s.readable.getReader();
    await reader.read();
    const reason = Object.assign(new Error('client cancels'), { code: BigInt(H3ErrorCode.H3_REQUEST_CANCELLED) });
    await reader.cancel(reason);
    await s.writable.abort(reason);
    for (let i = 0; i < 1000 && (aborted === undefined || cancelled === undefined); i++) await new Promise((r) => setTimeout(r, 5));
    expect(aborted).toBeDefined();
    expect(cancelled).toBeDefined();
    client.close();
  });
  it('the handler\u2019s signal is made when first read: one read only after the client reset is already aborted, and a clone\u2019s signal aborts with it', async () => {
    let started!: () => void;
    const running = new Promise<void>((r) => (started = r));
    let release!: () => void;
    const later = new Promise<void>((r) => (release = r));
    const seen: { instance?: boolean; cloneAborted?: boolean; lateAborted?: boolean; reason?: unknown } = {};
    const { client } = start(async (req) => {
      seen.instance = req instanceof Request;
      const copy = req.clone();
      started();
      await later; // the client resets meanwhile; req.signal is read only now
      seen.lateAborted = req.signal.aborted;
      seen.reason = req.signal.reason;
      seen.cloneAborted = copy.signal.aborted;
      return new Response('late');
    });
    const s = await openBidi(client, concat(headersFrame([[':method', 'POST'], ...GET('/').slice(1)]), dataFrame(hex('01'))), true);
    await running;
    const reason = Object.assign(new Error('client cancels'), { code: BigInt(H3ErrorCode.H3_REQUEST_CANCELLED) });
    await s.readable.cancel(reason);
    await s.writable.abort(reason);
    await new Promise((r) => setTimeout(r, 50));
    release();
    for (let i = 0; i < 1000 && seen.lateAborted === undefined; i++) await new Promise((r) => setTimeout(r, 5));
    expect(seen).toMatchObject({ instance: true, lateAborted: true, cloneAborted: true });
    expect(seen.reason).toBeDefined();
    client.close();
  });
});

describe('connection errors from a misbehaving client', () => {
  const cases: [string, (c: MemorySession) => Promise<unknown>, number][] = [
    ['a control stream not starting with SETTINGS', (c) => openUni(c, concat(varint(0), frame(FrameType.GOAWAY, varint(0))), true), H3ErrorCode.H3_MISSING_SETTINGS],
    ['a control stream starting with an unknown frame', (c) => openUni(c, concat(varint(0), frame(0x21)), true), H3ErrorCode.H3_MISSING_SETTINGS],
    ['a second SETTINGS frame', (c) => openControl(c, settingsFrame()), H3ErrorCode.H3_FRAME_UNEXPECTED],
    ['DATA on the control stream', (c) => openControl(c, dataFrame(hex('00'))), H3ErrorCode.H3_FRAME_UNEXPECTED],
    ['HEADERS on the control stream', (c) => openControl(c, headersFrame(GET('/'))), H3ErrorCode.H3_FRAME_UNEXPECTED],
    ['an HTTP/2 PING frame', (c) => openControl(c, frame(0x06, new Uint8Array(8))), H3ErrorCode.H3_FRAME_UNEXPECTED],
    ['an HTTP/2 setting', (c) => openControl(c, new Uint8Array(0), [[0x02, 1]]), H3ErrorCode.H3_SETTINGS_ERROR],
    ['SETTINGS_H3_DATAGRAM = 2', (c) => openControl(c, new Uint8Array(0), [[0x33, 2]]), H3ErrorCode.H3_SETTINGS_ERROR],
    ['a 20 KB SETTINGS frame', (c) => openUni(c, concat(varint(0), frame(FrameType.SETTINGS, new Uint8Array(20_000))), true), H3ErrorCode.H3_EXCESSIVE_LOAD],
    ['a GOAWAY with two varints', (c) => openControl(c, frame(FrameType.GOAWAY, hex('0404'))), H3ErrorCode.H3_FRAME_ERROR],
    ['a CANCEL_PUSH for a push never promised', (c) => openControl(c, frame(FrameType.CANCEL_PUSH, varint(0))), H3ErrorCode.H3_ID_ERROR],
    ['a MAX_PUSH_ID that decreases', (c) => openControl(c, concat(frame(0x0d, varint(5)), frame(0x0d, varint(4)))), H3ErrorCode.H3_ID_ERROR],
    ['a closed control stream', (c) => openUni(c, concat(varint(0), settingsFrame())), H3ErrorCode.H3_CLOSED_CRITICAL_STREAM],
    [
      'a reset control stream',
      async (c) => {
        const control = await openControl(c);
        await new Promise((r) => setTimeout(r, 50)); // let SETTINGS arrive; a reset before the stream type is tolerated
        await control.abort(new Error('reset'));
      },
      H3ErrorCode.H3_CLOSED_CRITICAL_STREAM,
    ],
    ['a second control stream', async (c) => (await openControl(c), openControl(c)), H3ErrorCode.H3_STREAM_CREATION_ERROR],
    ['a push stream from a client', (c) => openUni(c, concat(varint(1), varint(0)), true), H3ErrorCode.H3_STREAM_CREATION_ERROR],
    [
      'an insertion beyond the table capacity',
      // Set Dynamic Table Capacity 4096, then Insert with Literal Name "hello" and a 5,000-byte value (RFC 9204 §3.2.2, §4.3.3).
      (c) => openUni(c, concat(varint(2), hex('3fe11f'), hex('45'), new TextEncoder().encode('hello'), hex('7f891d'), new Uint8Array(5000).fill(0x61)), true),
      H3ErrorCode.QPACK_ENCODER_STREAM_ERROR,
    ],
    ['a capacity above our maximum', (c) => openUni(c, concat(varint(2), hex('3fe13f')), true), H3ErrorCode.QPACK_ENCODER_STREAM_ERROR],
    ['a closed encoder stream', (c) => openUni(c, concat(varint(2), hex('20'))), H3ErrorCode.H3_CLOSED_CRITICAL_STREAM],
    ['a second decoder stream', async (c) => (await openUni(c, varint(3), true), openUni(c, varint(3), true)), H3ErrorCode.H3_STREAM_CREATION_ERROR],
    ['a Section Acknowledgment for nothing we sent', (c) => openUni(c, concat(varint(3), hex('80')), true), H3ErrorCode.QPACK_DECODER_STREAM_ERROR],
    ['an Insert Count Increment of 0', (c) => openUni(c, concat(varint(3), hex('00')), true), H3ErrorCode.QPACK_DECODER_STREAM_ERROR],
    ['DATA before HEADERS on a request stream', (c) => openBidi(c, dataFrame(hex('01'))), H3ErrorCode.H3_FRAME_UNEXPECTED],
    ['SETTINGS on a request stream', (c) => openBidi(c, settingsFrame()), H3ErrorCode.H3_FRAME_UNEXPECTED],
    ['PUSH_PROMISE from a client', (c) => openBidi(c, frame(FrameType.PUSH_PROMISE, concat(varint(0), section(GET('/'))))), H3ErrorCode.H3_FRAME_UNEXPECTED],
    ['a HEADERS frame cut short by FIN', (c) => openBidi(c, headersFrame(GET('/hello.txt')).subarray(0, 6)), H3ErrorCode.H3_FRAME_ERROR],
    ['a frame header cut short by FIN', (c) => openBidi(c, hex('01')), H3ErrorCode.H3_FRAME_ERROR],
    [
      'more blocked sections than SETTINGS_QPACK_BLOCKED_STREAMS (RFC 9204 §2.1.2)',
      // Required Insert Count 1 (encoded 2) while nothing was inserted: each section blocks; the 17th is one too many.
      async (c) => {
        for (let i = 0; i < 17; i++) await openBidi(c, frame(FrameType.HEADERS, hex('0200 80')), true);
      },
      H3ErrorCode.QPACK_DECOMPRESSION_FAILED,
    ],
    ['a Required Insert Count beyond the table', (c) => openBidi(c, frame(FrameType.HEADERS, hex('ff00 d1'))), H3ErrorCode.QPACK_DECOMPRESSION_FAILED],
    ['DATA after trailers', (c) => openBidi(c, concat(headersFrame([[':method', 'POST'], ...GET('/echo').slice(1)]), headersFrame([['x-t', '1']]), dataFrame(hex('00')))), H3ErrorCode.H3_FRAME_UNEXPECTED],
  ];
  it.each(cases)('closes the connection for %s', async (_, act, code) => {
    const { client } = start();
    await act(client);
    expect((await closeCode(client)).toString(16)).toBe(code.toString(16));
  });
});

describe('random input never escapes as anything but an HTTP/3 error code', () => {
  const turn = (): Promise<void> => new Promise((r) => setTimeout(r, 0));
  /** Until the server holds a field section blocked on its encoder stream (RFC 9204 §2.1.2), or `done()`. */
  const untilBlocked = async (server: Http3Connection, done = (): boolean => false): Promise<void> => {
    while (!done() && server.qpackStats.decoder.blockedSections === 0) await turn();
  };
  const known = new Set<number>([0x100, 0x101, 0x102, 0x103, 0x104, 0x105, 0x106, 0x107, 0x108, 0x109, 0x10a, 0x10b, 0x10c, 0x10d, 0x10e, 0x10f, 0x110, 0x200, 0x201, 0x202, 0x33]);

  it('random bytes after SETTINGS on the control stream', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 48 }), async (bytes) => {
        const { client } = start();
        await openUni(client, concat(varint(0), settingsFrame(), bytes));
        expect(known.has(await closeCode(client))).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('random bytes on a request stream', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 48 }), fc.boolean(), async (bytes, withHeaders) => {
        const { client, server } = start();
        const s = await openBidi(client, withHeaders ? concat(headersFrame(GET('/hello.txt')), bytes) : bytes);
        let settled = false;
        const response = collect(s.readable)
          .then(
            () => undefined,
            (e: unknown) => {
              const code = codeOf(e);
              if (code !== undefined) expect(known.has(code)).toBe(true);
            },
          )
          .finally(() => (settled = true));
        // RFC 9204 §2.1.2: a section that references dynamic entries not yet inserted (e.g. 01 03 03 24 16, a HEADERS
        // frame with Required Insert Count 2) blocks its stream until the encoder stream inserts them. This peer never
        // does, so that request rightly waits for ever: the test stops waiting once the server reports it blocked.
        await untilBlocked(server, () => settled);
        client.close({ closeCode: 0x100n });
        await response;
        expect(known.has(await closeCode(client))).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('a request stream blocked on the encoder stream waits, and the connection still closes cleanly', async () => {
    const { client, server } = start();
    const s = await openBidi(client, hex('01 03 03 24 16'));
    const reader = s.readable.getReader();
    let answered = false;
    void reader.read().then(
      () => (answered = true),
      () => undefined,
    );
    await untilBlocked(server);
    // Still blocked after the server has had a few turns: no response, no error.
    for (let i = 0; i < 5; i++) await turn();
    expect(answered).toBe(false);
    expect(server.qpackStats.decoder.blockedSections).toBe(1);
    client.close({ closeCode: 0x100n });
    expect(await closeCode(client)).toBe(0x100);
    await server.closed;
  });
});
