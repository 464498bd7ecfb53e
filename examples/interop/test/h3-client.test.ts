import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileHandler } from '../src/endpoint/server.js';
import { H3Client } from '../src/h3/client.js';
import { H3Error, H3ErrorCode } from '../src/h3/errors.js';
import { FrameType } from '../src/h3/frames.js';
import { serveH3 } from '../src/h3/server.js';
import { createMemorySessionPair } from '../src/memory-session.js';
import { encodeFieldSection, type FieldLine } from '../src/qpack/field-section.js';
import { type BidirectionalStream, type Session, streamErrorCode } from '../src/session.js';
import { WwwRoot } from '../src/www.js';
import { collect, type Fixture, makeFixture, rejection } from './support/files.js';
import { hex } from './support/hex.js';
import {
  closeCode,
  concat,
  dataFrame,
  frame,
  headersFrame,
  nextBidiStream,
  openBidi,
  openControl,
  openUni,
  varint,
} from './support/h3-raw.js';

const MB = 1024 * 1024;
let fx: Fixture;
let root: WwwRoot;

beforeAll(async () => {
  fx = await makeFixture({ '5k.bin': 5 * 1024, '10k.bin': 10 * 1024, '500k.bin': 500 * 1024, '2m.bin': 2 * MB, '3m.bin': 3 * MB + 3, 'empty': 0 });
  root = await WwwRoot.open(fx.www);
});
afterAll(() => fx.cleanup());

describe('HTTP/3 client and server over an in-memory session', () => {
  it('fetches several files concurrently, byte for byte', async () => {
    const [c, s] = createMemorySessionPair();
    serveH3(s, fileHandler(root));
    const client = H3Client.open(c);
    const names = ['5k.bin', '10k.bin', '500k.bin', '2m.bin', '3m.bin', 'empty'];
    const results = await Promise.all(
      names.map(async (name) => {
        const res = await client.request({ authority: 'server4:443', path: `/${name}` });
        return { res, body: await collect(res.body) };
      }),
    );
    results.forEach(({ res, body }, i) => {
      const expected = fx.files.get(names[i]!)!;
      expect(res.status).toBe(200);
      expect(res.contentLength).toBe(expected.length);
      expect(Buffer.from(body).equals(Buffer.from(expected)), names[i]).toBe(true);
    });
    client.close();
    expect(await closeCode(c)).toBe(H3ErrorCode.H3_NO_ERROR);
  });

  it('gets 404 for a missing file and 400 for traversal, with empty content', async () => {
    const [c, s] = createMemorySessionPair();
    serveH3(s, fileHandler(root));
    const client = H3Client.open(c);
    for (const [path, status] of [
      ['/missing', 404],
      ['/../../etc/passwd', 400],
      ['/%2e%2e/x', 400],
    ] as const) {
      const res = await client.request({ authority: 'server4', path });
      expect(res.status, path).toBe(status);
      expect((await collect(res.body)).length).toBe(0);
    }
    const head = await client.request({ authority: 'server4', path: '/10k.bin', method: 'HEAD' });
    expect([head.status, head.contentLength, (await collect(head.body)).length]).toEqual([200, 10 * 1024, 0]);
    client.close();
  });

  it('sends nothing ahead of a reader that does not read (back-pressure from the stream to the body source)', async () => {
    const [c, s] = createMemorySessionPair({ highWaterMark: 16 * 1024 });
    let pulled = 0;
    async function* body(): AsyncGenerator<Uint8Array> {
      for (let i = 0; i < 1000; i++) {
        pulled++;
        yield new Uint8Array(4096);
      }
    }
    serveH3(s, () => ({ status: 200, contentLength: 4096 * 1000, body: body() }));
    const client = H3Client.open(c);
    const res = await client.request({ authority: 'x', path: '/big' });
    await new Promise((r) => setTimeout(r, 30));
    expect(pulled).toBeLessThan(20); // about two 16 KiB windows, not 4 MB
    expect((await collect(res.body)).length).toBe(4096 * 1000);
    expect(pulled).toBe(1000);
    client.close();
  });

  it('cancelling a body stops the server reading its body source, and the connection carries on', async () => {
    const [c, s] = createMemorySessionPair({ highWaterMark: 8 * 1024 });
    let stopped = false;
    async function* body(): AsyncGenerator<Uint8Array> {
      try {
        for (;;) yield new Uint8Array(4096);
      } finally {
        stopped = true;
      }
    }
    serveH3(s, () => ({ status: 200, body: body() }));
    const client = H3Client.open(c);
    const res = await client.request({ authority: 'x', path: '/endless' });
    const reader = res.body.getReader();
    await reader.read();
    await reader.cancel();
    await new Promise((r) => setTimeout(r, 20));
    expect(stopped).toBe(true);
    const again = await client.request({ authority: 'server4', path: '/endless' });
    expect(again.status).toBe(200); // the connection is fine
    await again.body.cancel();
    client.close();
  });
});

/** A raw server: answers the first request stream with `bytes`, then FIN unless `keepOpen`. */
async function rawServer(bytes: Uint8Array, keepOpen = false): Promise<{ client: H3Client; c: Session; writerClosed: Promise<unknown> }> {
  const [c, s] = createMemorySessionPair();
  await openControl(s);
  const client = H3Client.open(c);
  const writerClosed = nextBidiStream(s).then(async (bidi: BidirectionalStream) => {
    const w = bidi.writable.getWriter();
    w.write(bytes).catch(() => undefined);
    if (!keepOpen) w.close().catch(() => undefined);
    return w.closed;
  });
  writerClosed.catch(() => undefined);
  return { client, c, writerClosed };
}

const OK = (length: number, extra: FieldLine[] = []): Uint8Array =>
  headersFrame([[':status', '200'], ['content-length', String(length)], ...extra]);

describe('the client against a hand-driven server', () => {
  it('skips unknown frames and interim responses, and reads content split over DATA frames and trailers', async () => {
    const { client } = await rawServer(
      concat(
        frame(0x21, hex('00')),
        headersFrame([[':status', '103'], ['link', '</a>; rel=preload']]),
        OK(5),
        dataFrame(hex('0102')),
        frame(0x1f * 5 + 0x21, new Uint8Array(0)),
        dataFrame(new Uint8Array(0)),
        dataFrame(hex('030405')),
        headersFrame([['x-checksum', 'abc']]),
      ),
    );
    const res = await client.request({ authority: 'a', path: '/' });
    expect(res.status).toBe(200);
    expect(await collect(res.body)).toEqual(hex('0102030405'));
    expect(res.trailers()).toEqual([['x-checksum', 'abc']]);
    client.close();
  });

  it('refuses less content than content-length: the body errors with H3_MESSAGE_ERROR', async () => {
    const { client } = await rawServer(concat(OK(5), dataFrame(hex('0102'))));
    const res = await client.request({ authority: 'a', path: '/' });
    const e = await rejection(collect(res.body));
    expect(H3Error.isInstance(e) && e.code).toBe(H3ErrorCode.H3_MESSAGE_ERROR);
    client.close();
  });

  it.each([
    ['more content than content-length', concat(OK(1), dataFrame(hex('0102')))],
    ['content after a 204', concat(headersFrame([[':status', '204']]), dataFrame(hex('01')))],
  ])('refuses %s at once: the body errors and STOP_SENDING carries H3_MESSAGE_ERROR', async (_, bytes) => {
    const { client, writerClosed } = await rawServer(bytes, true);
    const res = await client.request({ authority: 'a', path: '/' });
    const e = await rejection(collect(res.body));
    expect(H3Error.isInstance(e) && e.code).toBe(H3ErrorCode.H3_MESSAGE_ERROR);
    expect(streamErrorCode(await rejection(writerClosed))).toBe(BigInt(H3ErrorCode.H3_MESSAGE_ERROR));
    client.close();
  });

  it.each([
    ['a response without :status', headersFrame([['content-length', '0']]), H3ErrorCode.H3_MESSAGE_ERROR],
    ['a response stream ended before HEADERS', frame(0x21, new Uint8Array(0)), H3ErrorCode.H3_MESSAGE_ERROR],
    ['101 Switching Protocols', headersFrame([[':status', '101']]), H3ErrorCode.H3_MESSAGE_ERROR],
  ])('rejects the request for %s (stream error)', async (_, bytes, code) => {
    const { client, c } = await rawServer(bytes);
    const e = await rejection(client.request({ authority: 'a', path: '/' }));
    expect(H3Error.isInstance(e) && e.code).toBe(code);
    expect(client.connection.closing).toBe(false);
    c.close();
  });

  it.each([
    ['DATA before HEADERS', dataFrame(hex('01')), H3ErrorCode.H3_FRAME_UNEXPECTED],
    ['a PUSH_PROMISE (we never sent MAX_PUSH_ID)', frame(FrameType.PUSH_PROMISE, concat(varint(0), encodeFieldSection([[':path', '/']]))), H3ErrorCode.H3_ID_ERROR],
    ['a dynamic table reference', frame(FrameType.HEADERS, hex('0000 bf')), H3ErrorCode.QPACK_DECOMPRESSION_FAILED],
  ])('closes the connection for %s', async (_, bytes, code) => {
    const { client, c } = await rawServer(bytes);
    await rejection(client.request({ authority: 'a', path: '/' }));
    expect(await closeCode(c)).toBe(code);
  });

  it('closes the connection for HEADERS after trailers', async () => {
    const { client, c } = await rawServer(concat(OK(0), headersFrame([['x-t', '1']]), headersFrame([['x-t', '2']])));
    const res = await client.request({ authority: 'a', path: '/' });
    await rejection(collect(res.body));
    expect(await closeCode(c)).toBe(H3ErrorCode.H3_FRAME_UNEXPECTED);
  });
});

describe('cancellation', () => {
  it('a cancelled body sends STOP_SENDING with H3_REQUEST_CANCELLED (RFC 9114 §4.1.1)', async () => {
    const { client, writerClosed } = await rawServer(concat(OK(100), dataFrame(new Uint8Array(10))), true);
    const res = await client.request({ authority: 'a', path: '/' });
    const reader = res.body.getReader();
    await reader.read();
    await reader.cancel();
    expect(streamErrorCode(await rejection(writerClosed))).toBe(BigInt(H3ErrorCode.H3_REQUEST_CANCELLED));
    client.close();
  });
});

describe('connection-level rules on the client side', () => {
  async function clientWith(act: (server: Session) => Promise<unknown>): Promise<{ client: H3Client; c: Session }> {
    const [c, s] = createMemorySessionPair();
    const client = H3Client.open(c);
    await act(s);
    return { client, c };
  }

  it.each([
    ['a server-initiated bidirectional stream', (s: Session) => openBidi(s, hex('00')), H3ErrorCode.H3_STREAM_CREATION_ERROR],
    ['a push stream without MAX_PUSH_ID', (s: Session) => openUni(s, concat(varint(1), varint(0)), true), H3ErrorCode.H3_ID_ERROR],
    ['MAX_PUSH_ID sent to a client', (s: Session) => openControl(s, frame(FrameType.MAX_PUSH_ID, varint(1))), H3ErrorCode.H3_FRAME_UNEXPECTED],
    ['GOAWAY naming a non-request stream', (s: Session) => openControl(s, frame(FrameType.GOAWAY, varint(2))), H3ErrorCode.H3_ID_ERROR],
    ['GOAWAY whose ID increases', (s: Session) => openControl(s, concat(frame(FrameType.GOAWAY, varint(4)), frame(FrameType.GOAWAY, varint(8)))), H3ErrorCode.H3_ID_ERROR],
  ])('closes the connection for %s', async (_, act, code) => {
    const { c } = await clientWith(act);
    expect(await closeCode(c)).toBe(code);
  });

  it('sends no new request after GOAWAY', async () => {
    const [c, s] = createMemorySessionPair();
    const client = H3Client.open(c);
    await openControl(s, frame(FrameType.GOAWAY, varint(0)));
    await new Promise((r) => setTimeout(r, 10));
    expect(client.connection.goawayId).toBe(0n);
    await expect(client.request({ authority: 'a', path: '/' })).rejects.toThrow(/GOAWAY/);
    client.close();
  });

  it("honours the server's SETTINGS_MAX_FIELD_SECTION_SIZE", async () => {
    const [c, s] = createMemorySessionPair();
    const client = H3Client.open(c);
    await openControl(s, new Uint8Array(0), [[0x06, 150]]);
    await client.connection.peerSettings;
    await expect(client.request({ authority: 'a', path: `/${'x'.repeat(100)}` })).rejects.toThrow(RangeError);
    client.close();
  });
});
