/**
 * Hostile peers against our HTTP/3 server over real QUIC (127.0.0.1): a raw
 * client speaks bytes on quic-transport streams; each row checks the close
 * (or reset) code our server sends — the RFC 9114 §8.1 / RFC 9204 §6 code —
 * that what the attacker could make us hold stayed bounded, and that the
 * server still serves a well-behaved client afterwards.
 */
import { QuicEndpoint, type QuicConnection } from '@tsquic/quic-transport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Http3Connection } from '../src/connection.js';
import { H3ErrorCode } from '../src/errors.js';
import { FrameType } from '../src/frames.js';
import { decodePrefixedInteger } from '../src/qpack/index.js';
import { createClient, serve, type Http3Server } from '../src/node/index.js';
import { hex } from '@tsquic/test-support/hex';
import { codeOf, collect, concat, dataFrame, frame, GET, headersFrame, rejection, settingsFrame, varint } from './support/raw-peer.js';
import { testCertificate } from './support/quic.js';

let server: Http3Server;
let attacker: QuicEndpoint;
const conns: Http3Connection[] = [];

beforeAll(async () => {
  const { certificate, privateKey } = await testCertificate();
  server = await serve({ hostname: '127.0.0.1', port: 0, cert: certificate, key: privateKey, maxFieldSectionSize: 8192, controlStream: { frameBurst: 200, framesPerSecond: 20 }, maxConcurrentRequests: 20 }, async (req, info) => {
    if (!conns.includes(info.connection)) conns.push(info.connection);
    return new Response(req.body ? await req.arrayBuffer() : 'fine');
  });
  attacker = await QuicEndpoint.bind({ address: '127.0.0.1', port: 0 });
});

afterAll(async () => {
  await attacker.close();
  await server.close();
});

async function raw(): Promise<QuicConnection> {
  const c = attacker.connect(server.endpoint.address, { alpn: ['h3'], verifyPeer: 'none' });
  await c.ready;
  return c;
}

/** The code the connection ended with (an application close resolves `closed`, a transport error rejects it). */
async function closeCode(c: QuicConnection): Promise<number> {
  const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('no close within 10 s')), 10_000));
  const info = await Promise.race([
    c.closed.then(
      (i) => i.code,
      (e: unknown) => (e as { code: bigint }).code,
    ),
    timeout,
  ]);
  return Number(info);
}

async function uni(c: QuicConnection, bytes: Uint8Array, fin = false): Promise<WritableStreamDefaultWriter<Uint8Array>> {
  const w = (await c.createUnidirectionalStream()).getWriter();
  w.closed.catch(() => undefined);
  await w.write(bytes);
  if (fin) await w.close();
  return w;
}

async function bidi(c: QuicConnection, bytes: Uint8Array, fin = true) {
  const s = await c.createBidirectionalStream();
  const w = s.writable.getWriter();
  w.closed.catch(() => undefined);
  await w.write(bytes);
  if (fin) await w.close();
  return s;
}

/** A well-behaved client still gets an answer. */
async function serverStillServes(): Promise<void> {
  const { certificate } = await testCertificate();
  const { trustCertificate } = await import('@tsquic/quic-transport');
  const client = createClient({ verifyPeer: trustCertificate(certificate) });
  try {
    expect(await (await client.fetch(`https://127.0.0.1:${server.addr.port}/`)).text()).toBe('fine');
  } finally {
    await client.close();
  }
}

/**
 * Our server's QPACK decoder stream (type 0x03) as the raw client sees it:
 * `acknowledged(n)` resolves once Insert Count Increments for `n`
 * insertions in all have arrived (RFC 9204 §4.4.3).
 */
function ourDecoderStream(c: QuicConnection): { acknowledged(n: number): Promise<void> } {
  let total = 0;
  const waiters: Array<{ n: number; resolve: () => void }> = [];
  void (async () => {
    for await (const stream of c.incomingUnidirectionalStreams) {
      const reader = stream.getReader();
      const first = await reader.read();
      if (first.done || first.value[0] !== 0x03) {
        reader.releaseLock();
        continue;
      }
      let buf = first.value.subarray(1);
      for (;;) {
        // Insert Count Increment: 00, a 6-bit prefix integer (only these are sent: nothing of ours was referenced).
        while (buf.length > 0) {
          const r = decodePrefixedInteger(buf, 0, 6);
          if (typeof r === 'string') break;
          total += r.value;
          buf = buf.subarray(r.next);
        }
        for (const w of waiters.splice(0)) (total >= w.n ? w.resolve : () => waiters.push(w))();
        const next = await reader.read();
        if (next.done) return;
        buf = buf.length ? concat(buf, next.value) : next.value;
      }
    }
  })().catch(() => undefined);
  return {
    acknowledged: (n) => (total >= n ? Promise.resolve() : new Promise((resolve) => waiters.push({ n, resolve }))),
  };
}

type Row = [name: string, attack: (c: QuicConnection) => Promise<unknown>, code: number];

/** One test per row: the attack, the close code our server sends, and a well-behaved client still served. */
function closesEach(rows: Row[]): void {
  it.each(rows)(
    '%s closes that connection with its code; the server serves on',
    async (_, attack, code) => {
      const c = await raw();
      await attack(c).catch(() => undefined);
      expect((await closeCode(c)).toString(16)).toBe(code.toString(16));
      await serverStillServes();
    },
    30_000,
  );
}

const control = (more: Uint8Array = new Uint8Array(0), settings: Array<[number, number]> = []) => concat(varint(0), settingsFrame(settings), more);

describe('hostile HTTP/3 peers (RFC 9114)', () => {
  const rows: Row[] = [
    ['a control-stream flood of reserved frames (§10.5, rate limit)', (c) => uni(c, control(new Uint8Array(Array.from({ length: 400 }, () => [...frame(0x21)]).flat()))), H3ErrorCode.H3_EXCESSIVE_LOAD],
    ['a SETTINGS frame claiming 1 GB (refused before reading it)', (c) => uni(c, concat(varint(0), varint(FrameType.SETTINGS), varint(1 << 30))), H3ErrorCode.H3_EXCESSIVE_LOAD],
    ['a control stream that does not start with SETTINGS (§6.2.1)', (c) => uni(c, concat(varint(0), frame(FrameType.GOAWAY, varint(0)))), H3ErrorCode.H3_MISSING_SETTINGS],
    ['a second control stream (§6.2.1)', async (c) => (await uni(c, control()), uni(c, control())), H3ErrorCode.H3_STREAM_CREATION_ERROR],
    ['a push stream from a client (§6.2.2)', (c) => uni(c, concat(varint(1), varint(0))), H3ErrorCode.H3_STREAM_CREATION_ERROR],
    ['closing the control stream (§6.2.1)', (c) => uni(c, control(), true), H3ErrorCode.H3_CLOSED_CRITICAL_STREAM],
    ['an HTTP/2 frame type on the control stream (§7.2.8)', (c) => uni(c, control(frame(0x06, new Uint8Array(8)))), H3ErrorCode.H3_FRAME_UNEXPECTED],
    ['DATA before HEADERS (§4.1)', (c) => bidi(c, dataFrame(hex('00'))), H3ErrorCode.H3_FRAME_UNEXPECTED],
    ['a frame cut short by FIN (§7.1)', (c) => bidi(c, headersFrame(GET('/')).subarray(0, 5)), H3ErrorCode.H3_FRAME_ERROR],
    ['an HTTP/2 setting (§7.2.4.1)', (c) => uni(c, control(new Uint8Array(0), [[0x04, 1]])), H3ErrorCode.H3_SETTINGS_ERROR],
  ];
  closesEach(rows);

  it('a HEADERS frame claiming 1 GB is refused at its header (stream reset H3_EXCESSIVE_LOAD, nothing buffered); the connection lives', async () => {
    const c = await raw();
    const s = await bidi(c, concat(varint(FrameType.HEADERS), varint(1 << 30), new Uint8Array(1000)), false);
    expect(codeOf(await rejection(collect(s.readable)))).toBe(H3ErrorCode.H3_EXCESSIVE_LOAD);
    const ok = await bidi(c, headersFrame(GET('/', `127.0.0.1:${server.addr.port}`)));
    expect((await collect(ok.readable)).length).toBeGreaterThan(0);
    void c.close({ closeCode: 0x100n });
  }, 30_000);

  it('a header section above our SETTINGS_MAX_FIELD_SECTION_SIZE gets 431 (§4.2.2), not a decoded section', async () => {
    const c = await raw();
    const s = await bidi(c, headersFrame([...GET('/'), ['x-padding', 'p'.repeat(9000)]]));
    const bytes = await collect(s.readable);
    expect(new TextDecoder('latin1').decode(bytes)).toContain('431');
    void c.close({ closeCode: 0x100n });
  }, 30_000);

  it('concurrent requests are bounded by MAX_STREAMS: the 21st waits for credit, and the server serves on', async () => {
    const c = await raw();
    // quic-transport's client waits for credit rather than exceeding the limit; 20 open requests are all it gets.
    const open = await Promise.all(Array.from({ length: 20 }, () => bidi(c, headersFrame(GET('/')), false)));
    let extra = false;
    c.createBidirectionalStream().then(
      () => (extra = true),
      () => undefined,
    );
    await new Promise((r) => setTimeout(r, 200));
    expect(extra).toBe(false); // the 21st waits: MAX_STREAMS bounds the requests a client can have in flight
    expect(open).toHaveLength(20);
    void c.close({ closeCode: 0x100n });
    await serverStillServes();
  }, 30_000);
});

describe('hostile QPACK peers (RFC 9204)', () => {
  const encoder = (bytes: Uint8Array) => (c: QuicConnection) => uni(c, concat(varint(2), bytes));
  const setCapacity4096 = hex('3fe11f');
  /** Insert With Literal Name: name "n", a value of `size` bytes (RFC 9204 §4.3.3). */
  const insertLiteral = (size: number, fill = 0x61) => concat(hex('41 6e'), valueLength(size), new Uint8Array(size).fill(fill));
  function valueLength(n: number): Uint8Array {
    if (n < 127) return new Uint8Array([n]);
    const out = [0x7f];
    let rest = n - 127;
    while (rest >= 128) {
      out.push((rest % 128) | 0x80);
      rest = Math.floor(rest / 128);
    }
    out.push(rest);
    return Uint8Array.from(out);
  }
  const rows: Row[] = [
    ['an insertion larger than the table capacity (§3.2.2)', encoder(concat(setCapacity4096, insertLiteral(5000))), H3ErrorCode.QPACK_ENCODER_STREAM_ERROR],
    ['a string length of 2^40 (refused before buffering, §7.4)', encoder(concat(setCapacity4096, hex('41 6e 7f ffffffffff1f'))), H3ErrorCode.QPACK_ENCODER_STREAM_ERROR],
    ['a capacity above our SETTINGS_QPACK_MAX_TABLE_CAPACITY (§4.3.1)', encoder(hex('3fe13f')), H3ErrorCode.QPACK_ENCODER_STREAM_ERROR],
    ['a Duplicate of an entry that does not exist (§4.3.4)', encoder(concat(setCapacity4096, hex('05'))), H3ErrorCode.QPACK_ENCODER_STREAM_ERROR],
    // Entries of 43 bytes, 95 fit: the 96th Duplicate would evict an entry we never acknowledged (§2.1.1).
    ['a flood of Duplicates evicting unacknowledged entries (§2.1.1)', encoder(concat(setCapacity4096, insertLiteral(10), new Uint8Array(20_000))), H3ErrorCode.QPACK_ENCODER_STREAM_ERROR],
    [
      'a reference to an evicted entry (§2.2.3)',
      async (c) => {
        // Capacity 100: entry 0 (value of 50 bytes, size 83), acknowledged, is evicted by entry 1; a section referencing entry 0 follows.
        const decoderStream = ourDecoderStream(c);
        const encoderStream = await uni(c, concat(varint(2), hex('3f45'), insertLiteral(50, 0x61)));
        await decoderStream.acknowledged(1); // our Insert Count Increment acknowledges entry 0
        await encoderStream.write(insertLiteral(50, 0x62));
        await decoderStream.acknowledged(2);
        // Required Insert Count 1 (encoded 2 with MaxEntries 3), Base 1; Indexed Field Line, dynamic, relative index 0 = absolute 0.
        await bidi(c, frame(FrameType.HEADERS, hex('02 00 80')));
      },
      H3ErrorCode.QPACK_DECOMPRESSION_FAILED,
    ],
    [
      'more blocked sections than SETTINGS_QPACK_BLOCKED_STREAMS (§2.1.2)',
      async (c) => {
        for (let i = 0; i < 17; i++) await bidi(c, frame(FrameType.HEADERS, hex('0200 80')), false);
      },
      H3ErrorCode.QPACK_DECOMPRESSION_FAILED,
    ],
    ['an Insert Count Increment of 0 (§4.4.3)', (c) => uni(c, concat(varint(3), hex('00'))), H3ErrorCode.QPACK_DECODER_STREAM_ERROR],
    ['an Insert Count Increment beyond our insertions (§4.4.3)', (c) => uni(c, concat(varint(3), hex('3f 10'))), H3ErrorCode.QPACK_DECODER_STREAM_ERROR],
    ['a Section Acknowledgment for a stream with nothing outstanding (§4.4.1)', (c) => uni(c, concat(varint(3), hex('84'))), H3ErrorCode.QPACK_DECODER_STREAM_ERROR],
    ['closing the encoder stream (§4.2)', (c) => uni(c, concat(varint(2), setCapacity4096), true), H3ErrorCode.H3_CLOSED_CRITICAL_STREAM],
  ];
  closesEach(rows);

  it('Duplicates paced by our acknowledgments cycle the table within its capacity, and the connection serves', async () => {
    const c = await raw();
    const decoderStream = ourDecoderStream(c);
    // Entries of 43 bytes: 95 fit in 4,096. Each round of 80 Duplicates evicts only entries we acknowledged before it.
    const encoderStream = await uni(c, concat(varint(2), setCapacity4096, insertLiteral(10)));
    for (let round = 0; round < 20; round++) {
      await decoderStream.acknowledged(1 + round * 80);
      await encoderStream.write(new Uint8Array(80).fill(0x00)); // Duplicate of relative index 0 (the newest entry)
    }
    await decoderStream.acknowledged(1 + 20 * 80);
    await uni(c, control());
    const s = await bidi(c, headersFrame(GET('/', `127.0.0.1:${server.addr.port}`)));
    expect(new TextDecoder().decode(await collect(s.readable))).toContain('fine');
    expect(conns.at(-1)!.qpackStats.decoder.inserts).toBe(1 + 20 * 80);
    void c.close({ closeCode: 0x100n });
  }, 30_000);
});
