import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { H3ErrorCode } from '../src/h3/errors.js';
import { decodeFrameHeader, decodeSettings, FrameType } from '../src/h3/frames.js';
import { type H3Handler, serveH3 } from '../src/h3/server.js';
import { createMemorySessionPair } from '../src/memory-session.js';
import { decodeFieldSection, encodeFieldSection, type FieldLine } from '../src/qpack/field-section.js';
import { type Session, streamErrorCode } from '../src/session.js';
import { fileHandler } from '../src/endpoint/server.js';
import { WwwRoot } from '../src/www.js';
import { collect, type Fixture, makeFixture, rejection } from './support/files.js';
import { hex } from './support/hex.js';
import {
  closeCode,
  concat,
  dataFrame,
  frame,
  GET,
  headersFrame,
  nextUniStream,
  openBidi,
  openControl,
  openUni,
  readAtLeast,
  settingsFrame,
  varint,
} from './support/h3-raw.js';

let fx: Fixture;
let handler: H3Handler;

beforeAll(async () => {
  fx = await makeFixture({ 'hello.txt': 5 });
  handler = fileHandler(await WwwRoot.open(fx.www));
});
afterAll(() => fx.cleanup());

/** A raw client against our HTTP/3 server. */
function start(h: H3Handler = handler): Session {
  const [client, server] = createMemorySessionPair();
  serveH3(server, h);
  return client;
}

/** Parses a response stream's frames: HEADERS decoded, DATA concatenated. */
async function response(stream: ReadableStream<Uint8Array>): Promise<{ fields: [string, string][][]; data: Uint8Array }> {
  const bytes = await collect(stream);
  const fields: [string, string][][] = [];
  const data: Uint8Array[] = [];
  let pos = 0;
  while (pos < bytes.length) {
    const h = decodeFrameHeader(bytes, pos)!;
    const payload = bytes.subarray(h.next, h.next + h.length);
    if (h.type === FrameType.HEADERS) fields.push(decodeFieldSection(payload, { maxFieldSectionSize: 1 << 20 }) as [string, string][]);
    if (h.type === FrameType.DATA) data.push(payload);
    pos = h.next + h.length;
  }
  return { fields, data: concat(...data) };
}

describe('our HTTP/3 streams (RFC 9114 §6.2, RFC 9204 §4.2)', () => {
  it('opens a control stream with SETTINGS first, and QPACK encoder and decoder streams', async () => {
    const client = start();
    const streams = [await nextUniStream(client), await nextUniStream(client), await nextUniStream(client)];
    const control = await readAtLeast(streams[0]!, 2);
    expect(control[0]).toBe(0x00);
    const h = decodeFrameHeader(control, 1)!;
    expect(h.type).toBe(FrameType.SETTINGS);
    const full = await readAtLeast(new ReadableStream({ start: (c) => (c.enqueue(control), c.close()) }), h.next + h.length);
    expect(decodeSettings(full.subarray(h.next, h.next + h.length))).toEqual(
      new Map([
        [0x01n, 0n], // QPACK_MAX_TABLE_CAPACITY
        [0x07n, 0n], // QPACK_BLOCKED_STREAMS
        [0x06n, 65536n], // MAX_FIELD_SECTION_SIZE
        [0x5fn, 0x2an], // a reserved setting (grease)
      ]),
    );
    expect((await readAtLeast(streams[1]!, 1))[0]).toBe(0x02);
    expect((await readAtLeast(streams[2]!, 1))[0]).toBe(0x03);
    client.close();
  });
});

describe('requests', () => {
  it('answers a GET with HEADERS (200, content-length) and DATA, then FIN', async () => {
    const client = start();
    await openControl(client);
    const s = await openBidi(client, headersFrame(GET('/hello.txt')));
    const r = await response(s.readable);
    expect(r.fields).toEqual([
      [
        [':status', '200'],
        ['content-length', '5'],
      ],
    ]);
    expect(Buffer.from(r.data).equals(Buffer.from(fx.files.get('hello.txt')!))).toBe(true);
    client.close();
  });

  it('answers 404, 400 for traversal, 405 for POST, and HEAD without content', async () => {
    const client = start();
    const status = async (fields: readonly FieldLine[]): Promise<{ fields: [string, string][][]; data: Uint8Array }> =>
      response((await openBidi(client, headersFrame(fields))).readable);
    expect((await status(GET('/nope'))).fields[0]).toContainEqual([':status', '404']);
    expect((await status(GET('/../etc/passwd'))).fields[0]).toContainEqual([':status', '400']);
    const post = await status([[':method', 'POST'], ...GET('/hello.txt').slice(1)]);
    expect(post.fields[0]).toContainEqual([':status', '405']);
    const head = await status([[':method', 'HEAD'], ...GET('/hello.txt').slice(1)]);
    expect(head.fields[0]).toEqual([
      [':status', '200'],
      ['content-length', '5'],
    ]);
    expect(head.data.length).toBe(0);
    client.close();
  });

  it('ignores unknown and reserved frames and streams, unknown settings, and accepts a body and trailers', async () => {
    const client = start();
    await openControl(client, frame(0x21, hex('0102')), [[0x21, 1], [0x3344, 5]]);
    const unknown = await openUni(client, concat(varint(0x54), hex('00112233')), true);
    await openUni(client, new Uint8Array(0)); // closed before its type: tolerated
    const request = concat(
      frame(0x1f * 3 + 0x21, hex('ff')),
      headersFrame([...GET('/hello.txt'), ['content-length', '3']]),
      frame(0x40, new Uint8Array(0)),
      dataFrame(hex('010203')),
      headersFrame([['x-trailer', 'yes']]),
    );
    const r = await response((await openBidi(client, request)).readable);
    expect(r.fields[0]).toContainEqual([':status', '200']);
    // RFC 9114 §6.2: the unknown stream type is refused with H3_STREAM_CREATION_ERROR.
    expect(streamErrorCode(await rejection(unknown.closed))).toBe(BigInt(H3ErrorCode.H3_STREAM_CREATION_ERROR));
    client.close({ closeCode: 0x100n });
    expect(await closeCode(client)).toBe(0x100);
  });

  it.each([
    ['a malformed request (no :path)', headersFrame(GET('/x').slice(0, 3)), H3ErrorCode.H3_MESSAGE_ERROR],
    ['an uppercase field name', headersFrame([...GET('/hello.txt'), ['X-Up', '1']]), H3ErrorCode.H3_MESSAGE_ERROR],
    ['FIN before HEADERS', frame(0x21, new Uint8Array(0)), H3ErrorCode.H3_REQUEST_INCOMPLETE],
    ['a HEADERS frame above twice the field section limit', frame(FrameType.HEADERS, new Uint8Array(140_000)), H3ErrorCode.H3_MESSAGE_ERROR],
  ])('resets the stream for %s, and the connection lives on', async (_, bytes, code) => {
    const client = start();
    const s = await openBidi(client, bytes);
    expect(streamErrorCode(await rejection(collect(s.readable)))).toBe(BigInt(code));
    const ok = await response((await openBidi(client, headersFrame(GET('/hello.txt')))).readable);
    expect(ok.data.length).toBe(5);
    client.close();
  });

  it('resets a request whose content does not match its content-length (RFC 9114 §4.1.2)', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const client = start(async (req) => {
      await gate;
      return handler(req);
    });
    const s = await openBidi(client, concat(headersFrame([...GET('/hello.txt'), ['content-length', '10']]), dataFrame(hex('0102'))));
    const failure = rejection(collect(s.readable));
    await new Promise((r) => setTimeout(r, 10));
    release();
    expect(streamErrorCode(await failure)).toBe(BigInt(H3ErrorCode.H3_MESSAGE_ERROR));
    client.close();
  });
});

describe('connection errors from a misbehaving client', () => {
  const cases: [string, (c: Session) => Promise<unknown>, number][] = [
    ['a control stream not starting with SETTINGS', (c) => openUni(c, concat(varint(0), frame(FrameType.GOAWAY, varint(0))), true), H3ErrorCode.H3_MISSING_SETTINGS],
    ['a control stream starting with an unknown frame', (c) => openUni(c, concat(varint(0), frame(0x21, new Uint8Array(0))), true), H3ErrorCode.H3_MISSING_SETTINGS],
    ['a second SETTINGS frame', (c) => openControl(c, settingsFrame()), H3ErrorCode.H3_FRAME_UNEXPECTED],
    ['DATA on the control stream', (c) => openControl(c, dataFrame(hex('00'))), H3ErrorCode.H3_FRAME_UNEXPECTED],
    ['HEADERS on the control stream', (c) => openControl(c, headersFrame(GET('/'))), H3ErrorCode.H3_FRAME_UNEXPECTED],
    ['an HTTP/2 PING frame', (c) => openControl(c, frame(0x06, new Uint8Array(8))), H3ErrorCode.H3_FRAME_UNEXPECTED],
    ['an HTTP/2 setting', (c) => openControl(c, new Uint8Array(0), [[0x02, 1]]), H3ErrorCode.H3_SETTINGS_ERROR],
    ['a 20 KB SETTINGS frame', (c) => openUni(c, concat(varint(0), frame(FrameType.SETTINGS, new Uint8Array(20_000))), true), H3ErrorCode.H3_EXCESSIVE_LOAD],
    ['a GOAWAY with two varints', (c) => openControl(c, frame(FrameType.GOAWAY, hex('0404'))), H3ErrorCode.H3_FRAME_ERROR],
    ['a CANCEL_PUSH for a push never promised', (c) => openControl(c, frame(FrameType.CANCEL_PUSH, varint(0))), H3ErrorCode.H3_ID_ERROR],
    ['a MAX_PUSH_ID that decreases', (c) => openControl(c, concat(frame(0x0d, varint(5)), frame(0x0d, varint(4)))), H3ErrorCode.H3_ID_ERROR],
    ['a closed control stream', (c) => openUni(c, concat(varint(0), settingsFrame())), H3ErrorCode.H3_CLOSED_CRITICAL_STREAM],
    [
      'a reset control stream',
      async (c) => {
        const control = await openControl(c);
        await new Promise((r) => setTimeout(r, 20)); // let SETTINGS arrive; a reset before the stream type is tolerated
        await control.abort(new Error('reset'));
      },
      H3ErrorCode.H3_CLOSED_CRITICAL_STREAM,
    ],
    ['a second control stream', async (c) => (await openControl(c), openControl(c)), H3ErrorCode.H3_STREAM_CREATION_ERROR],
    ['a push stream from a client', (c) => openUni(c, concat(varint(1), varint(0)), true), H3ErrorCode.H3_STREAM_CREATION_ERROR],
    ['an insertion on the encoder stream', (c) => openUni(c, concat(varint(2), hex('c0 03 616263')), true), H3ErrorCode.QPACK_ENCODER_STREAM_ERROR],
    ['a closed encoder stream', (c) => openUni(c, concat(varint(2), hex('20'))), H3ErrorCode.H3_CLOSED_CRITICAL_STREAM],
    ['a second decoder stream', async (c) => (await openUni(c, varint(3), true), openUni(c, varint(3), true)), H3ErrorCode.H3_STREAM_CREATION_ERROR],
    ['a Section Acknowledgment on the decoder stream', (c) => openUni(c, concat(varint(3), hex('80')), true), H3ErrorCode.QPACK_DECODER_STREAM_ERROR],
    ['DATA before HEADERS on a request stream', (c) => openBidi(c, dataFrame(hex('01'))), H3ErrorCode.H3_FRAME_UNEXPECTED],
    ['SETTINGS on a request stream', (c) => openBidi(c, settingsFrame()), H3ErrorCode.H3_FRAME_UNEXPECTED],
    ['PUSH_PROMISE from a client', (c) => openBidi(c, frame(FrameType.PUSH_PROMISE, concat(varint(0), encodeFieldSection(GET('/'))))), H3ErrorCode.H3_FRAME_UNEXPECTED],
    ['a HEADERS frame cut short by FIN', (c) => openBidi(c, headersFrame(GET('/hello.txt')).subarray(0, 6)), H3ErrorCode.H3_FRAME_ERROR],
    ['a frame header cut short by FIN', (c) => openBidi(c, hex('01')), H3ErrorCode.H3_FRAME_ERROR],
    ['a dynamic table reference', (c) => openBidi(c, frame(FrameType.HEADERS, hex('0000 80'))), H3ErrorCode.QPACK_DECOMPRESSION_FAILED],
    ['a Required Insert Count above 0', (c) => openBidi(c, frame(FrameType.HEADERS, hex('0200 d1'))), H3ErrorCode.QPACK_DECOMPRESSION_FAILED],
    ['DATA after trailers', (c) => openBidi(c, concat(headersFrame(GET('/hello.txt')), headersFrame([['x-t', '1']]), dataFrame(hex('00')))), H3ErrorCode.H3_FRAME_UNEXPECTED],
  ];
  it.each(cases)('closes the connection for %s', async (_, act, code) => {
    const client = start();
    await act(client);
    expect((await closeCode(client)).toString(16)).toBe(code.toString(16));
  });
});

describe('random input never escapes as anything but an HTTP/3 error code', () => {
  const known = new Set<number>(Object.values(H3ErrorCode));

  it('random bytes after SETTINGS on the control stream', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 48 }), async (bytes) => {
        const client = start();
        await openUni(client, concat(varint(0), settingsFrame(), bytes));
        expect(known.has(await closeCode(client))).toBe(true);
      }),
      { numRuns: 150 },
    );
  });

  it('random bytes on a request stream', async () => {
    await fc.assert(
      fc.asyncProperty(fc.uint8Array({ maxLength: 48 }), fc.boolean(), async (bytes, withHeaders) => {
        const [client, server] = createMemorySessionPair();
        serveH3(server, handler);
        const s = await openBidi(client, withHeaders ? concat(headersFrame(GET('/hello.txt')), bytes) : bytes);
        try {
          await collect(s.readable);
        } catch (e) {
          const code = streamErrorCode(e);
          if (code !== undefined) expect(known.has(Number(code))).toBe(true);
        }
        client.close({ closeCode: 0x100n });
        expect(known.has(await closeCode(client))).toBe(true);
      }),
      { numRuns: 150 },
    );
  });
});
