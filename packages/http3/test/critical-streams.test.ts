/**
 * Our critical streams (RFC 9114 §6.2.1, RFC 9204 §4.2) when they open
 * late: the peer's SETTINGS can arrive before them (a 1-RTT packet coalesced
 * with the server's handshake flight, as through the interop matrix's relay),
 * so sections may reference the dynamic table while our encoder stream does
 * not exist yet, and an application may shut down before our control stream
 * exists. Nothing written in that window may be lost. And several blocked
 * sections on one stream (a header section and trailers, RFC 9204 §2.2.1)
 * each get their own fields once the peer's encoder stream arrives.
 */
import { describe, expect, it } from 'vitest';
import { Http3Connection } from '../src/connection.js';
import type { Http3Session } from '../src/session.js';
import { StreamType } from '../src/stream-types.js';
import { QpackEncoder } from '../src/qpack/index.js';
import { memorySessionPair, type MemorySession } from './support/memory-session.js';
import { concat, openUni, varint } from './support/raw-peer.js';

/** `session` whose unidirectional streams after the first `immediate` open only after `open()`, with every byte written on them recorded. */
function lateUnidirectional(session: MemorySession, immediate = 0) {
  let open!: () => void;
  const gate = new Promise<void>((resolve) => (open = resolve));
  const written: Uint8Array[][] = [];
  const wrapped: Http3Session = {
    createBidirectionalStream: () => session.createBidirectionalStream(),
    async createUnidirectionalStream() {
      if (immediate-- <= 0) await gate;
      const writer = (await session.createUnidirectionalStream()).getWriter();
      const chunks: Uint8Array[] = [];
      written.push(chunks);
      return new WritableStream<Uint8Array>({
        write: (chunk) => (chunks.push(chunk.slice()), writer.write(chunk)),
        close: () => writer.close(),
        abort: (reason) => writer.abort(reason),
      });
    },
    incomingBidirectionalStreams: session.incomingBidirectionalStreams,
    incomingUnidirectionalStreams: session.incomingUnidirectionalStreams,
    datagrams: session.datagrams,
    closed: session.closed,
    close: (info) => session.close(info),
  };
  /** Everything written so far on our stream of `type` (its type byte first). */
  const stream = (type: bigint): Uint8Array => written.map((c) => concat(...c)).find((b) => b[0] === Number(type)) ?? new Uint8Array(0);
  return { session: wrapped, open, stream };
}

async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: nothing after ${ms} ms`)), ms)));
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function until(f: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 5));
  }
}

describe('our critical streams opened after the peer’s SETTINGS', () => {
  const handler = () => new Response('ok', { headers: { 'x-served-by': 'the same server, every time' } });

  it('encoder instructions made before our encoder stream exists are sent on it, and the blocked request completes', async () => {
    const [c, s] = memorySessionPair();
    Http3Connection.server(s, handler);
    const late = lateUnidirectional(c);
    const client = Http3Connection.client(late.session);
    await client.peerSettings; // the server's table capacity (4,096) is known: our encoder may insert
    const init = { headers: { 'x-request-tag': 'a value sent on every request' } };
    expect(await (await client.fetch('https://a.test/1', init)).text()).toBe('ok');
    const second = client.fetch('https://a.test/2', init); // second sighting: inserted and referenced
    await until(() => client.qpackStats.encoder.dynamicReferences > 0);
    late.open();
    const response = await within(second, 3000, 'the request referencing the dynamic table');
    expect(await response.text()).toBe('ok');
    // The insertions went out on the encoder stream after its type.
    const encoderStream = late.stream(StreamType.QPACK_ENCODER);
    expect(encoderStream[0]).toBe(0x02);
    expect(encoderStream.length).toBeGreaterThan(1);
  });

  it('decoder instructions made before our decoder stream exists are sent on it (the peer learns its sections were read)', async () => {
    const [c, s] = memorySessionPair();
    const server = Http3Connection.server(s, handler);
    const late = lateUnidirectional(c, 1); // our control stream (SETTINGS) opens; the QPACK streams wait
    // Our encoder uses no dynamic table: the requests need no encoder stream and complete while it is not open.
    const client = Http3Connection.client(late.session, { qpackEncoderCapacity: 0 });
    for (const path of ['/1', '/2']) expect(await (await client.fetch(`https://a.test${path}`)).text()).toBe('ok');
    expect(client.qpackStats.decoder.dynamicReferences).toBeGreaterThan(0); // the second response used the server's table
    expect(server.qpackStats.encoder.dynamicReferences).toBeGreaterThan(0);
    late.open();
    // RFC 9204 §4.4.1: the Section Acknowledgment for stream 4 (0x80 | 4) follows the stream type.
    await until(() => late.stream(StreamType.QPACK_DECODER).length > 1);
    expect([...late.stream(StreamType.QPACK_DECODER)]).toEqual([0x03, 0x84]);
  });

  it('a GOAWAY sent before our control stream exists goes out on it, after SETTINGS (RFC 9114 §5.2, §6.2.1)', async () => {
    const [c, s] = memorySessionPair();
    const late = lateUnidirectional(s);
    const server = Http3Connection.server(late.session, handler);
    const client = Http3Connection.client(c);
    const goaway = new Promise<bigint>((resolve) => client.onGoaway(resolve));
    const shutdown = server.shutdown('going away early', { lingerMs: 100 });
    late.open();
    expect(await within(goaway, 3000, 'the GOAWAY')).toBe(0n);
    expect(client.receivedSettings?.get(0x01n)).toBe(4096n); // SETTINGS came first, as §6.2.1 requires
    await shutdown;
  });
});

describe('blocked sections on one stream (RFC 9204 §2.2.1)', () => {
  it('a header section and trailers both blocked on stream 0 each resolve with their own fields, in order', async () => {
    const [c, s] = memorySessionPair();
    const client = Http3Connection.client(c);
    // The peer's encoder inserts what both sections reference; its encoder stream comes after the sections.
    const peer = new QpackEncoder({ maxTableCapacity: 4096, maxBlockedStreams: 16, indexing: 'eager' });
    const head = peer.encodeFieldSection(0n, [
      { name: ':status', value: '200' },
      { name: 'x-head', value: 'first section' },
    ]);
    const trailers = peer.encodeFieldSection(0n, [{ name: 'x-trailer', value: 'second section' }]);
    const first = client.decodeSection(0n, head);
    const second = client.decodeSection(0n, trailers);
    expect(first).toBeInstanceOf(Promise);
    expect(second).toBeInstanceOf(Promise);
    await openUni(s, concat(varint(0x02), peer.takeEncoderStreamData()), true);
    const got = await within(Promise.all([first, second]), 3000, 'the two blocked sections');
    expect(got.map((fields) => fields.map((f) => `${f.name}: ${f.value}`))).toEqual([[':status: 200', 'x-head: first section'], ['x-trailer: second section']]);
  });
});
