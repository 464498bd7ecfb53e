import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { TransportError, TransportErrorCode as E } from '../../src/core/errors.js';
import { RecvWindow } from '../../src/core/streams/flow-control.js';
import { RecvBuffer } from '../../src/core/streams/recv-buffer.js';
import { SendBuffer } from '../../src/core/streams/send-buffer.js';
import { defaultStreamSettings, Streams, type StreamRecord } from '../../src/core/streams/streams.js';

const bytes = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * 31 + seed) & 0xff);
const codeOf = (f: () => unknown): number | undefined => {
  try {
    f();
  } catch (e) {
    if (TransportError.isInstance(e)) return e.code;
    throw e;
  }
  return undefined;
};
const PEER = { initialMaxData: 1 << 20, initialMaxStreamDataBidiLocal: 1 << 16, initialMaxStreamDataBidiRemote: 1 << 16, initialMaxStreamDataUni: 1 << 16, initialMaxStreamsBidi: 10, initialMaxStreamsUni: 3 };

describe('RecvBuffer (RFC 9000 §2.2)', () => {
  it('any delivery order, with duplicates and overlaps, yields the original bytes', () => {
    const src = bytes(3000);
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(2999), fc.integer({ min: 1, max: 400 })), { minLength: 1, maxLength: 60 }), (frags) => {
        const rb = new RecvBuffer();
        const all = [...frags, ...Array.from({ length: 10 }, (_, i) => [i * 300, 300] as [number, number])];
        let total = 0;
        const out: Uint8Array[] = [];
        for (const [off, len] of all) {
          const end = Math.min(3000, off + len);
          total += rb.insert(off, src.subarray(off, end));
          for (let d = rb.read(); d; d = rb.read()) out.push(d);
        }
        expect(total).toBe(3000);
        expect(Buffer.concat(out)).toEqual(Buffer.from(src));
        expect(rb.buffered).toBe(0);
      }),
      { numRuns: 200 },
    );
  }, 30_000);

  it('bounds pieces: a flood of tiny out-of-order fragments is refused, not stored', () => {
    const rb = new RecvBuffer(100);
    let refused = false;
    for (let i = 1; i < 1000 && !refused; i++) refused = rb.insert(i * 2, Uint8Array.of(i)) < 0;
    expect(refused).toBe(true);
    expect(rb.buffered).toBeLessThanOrEqual(100);
  });

  it('reads are capped by max and join contiguous pieces', () => {
    const rb = new RecvBuffer();
    rb.insert(5, bytes(5, 2));
    rb.insert(0, bytes(5, 1));
    expect(rb.read(3)!.length).toBe(3);
    expect(rb.read()!.length).toBe(7);
    expect(rb.read()).toBeNull();
  });
});

describe('SendBuffer', () => {
  it('random loss/ack orders: every byte acknowledged exactly once, retransmissions carry the right bytes', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.boolean(), fc.nat(5)), { maxLength: 200 }), fc.integer({ min: 1, max: 700 }), (ops, mtu) => {
        const src = bytes(5000, 7);
        const sb = new SendBuffer();
        for (let o = 0; o < 5000; o += 1000) sb.write(src.subarray(o, o + 1000));
        sb.finish();
        const inflight: Array<{ offset: number; data: Uint8Array; fin: boolean }> = [];
        const seen = new Uint8Array(5000);
        for (const [lose, pick] of ops) {
          const e = sb.emit(mtu);
          if (e) {
            expect(Buffer.from(e.data)).toEqual(Buffer.from(src.subarray(e.offset, e.offset + e.data.length)));
            inflight.push(e);
          }
          if (inflight.length === 0) continue;
          const [x] = inflight.splice(pick % inflight.length, 1);
          if (lose) sb.onLost(x!.offset, x!.data.length, x!.fin);
          else {
            sb.onAcked(x!.offset, x!.data.length, x!.fin);
            for (let i = x!.offset; i < x!.offset + x!.data.length; i++) seen[i] = 1;
          }
        }
        // Drain: ack everything still outstanding and resend what was lost.
        for (let guard = 0; guard < 10000 && !sb.allAcked; guard++) {
          const e = sb.emit(mtu);
          const x = e ?? inflight.shift();
          if (!x) break;
          sb.onAcked(x.offset, x.data.length, x.fin);
          for (let i = x.offset; i < x.offset + x.data.length; i++) seen[i] = 1;
        }
        expect(sb.allAcked).toBe(true);
        expect(seen.every((v) => v === 1)).toBe(true);
      }),
      { numRuns: 200 },
    );
  }, 30_000);

  it('many small writes leave as one frame (gathered), a large chunk as itself (no copy)', () => {
    const sb = new SendBuffer();
    const small = Array.from({ length: 100 }, (_, i) => Uint8Array.of(i, i));
    for (const c of small) sb.write(c);
    // Before: one frame per 2-byte write (a QPACK Section Acknowledgment per request).
    const e = sb.emit(1000)!;
    expect([e.offset, e.data.length]).toEqual([0, 200]);
    expect([...e.data]).toEqual(small.flatMap((c) => [...c]));
    const big = bytes(4096, 3);
    sb.write(big);
    sb.write(Uint8Array.of(9));
    expect(sb.emit(100_000)!.data).toBe(big);
    // A lost range across small chunks comes back gathered too.
    sb.onLost(10, 50, false);
    const r = sb.emit(1000)!;
    expect([r.offset, [...r.data]]).toEqual([10, small.flatMap((c) => [...c]).slice(10, 60)]);
  });

  it('random chunk sizes: every frame carries the right bytes, within its budget', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 900 }), { minLength: 1, maxLength: 60 }), fc.integer({ min: 1, max: 1400 }), (sizes, mtu) => {
        const total = sizes.reduce((a, b) => a + b, 0);
        const src = bytes(total, 5);
        const sb = new SendBuffer();
        let o = 0;
        for (const n of sizes) sb.write(src.subarray(o, (o += n)));
        for (let at = 0; at < total;) {
          const e = sb.emit(mtu)!;
          expect(e.offset).toBe(at);
          expect(e.data.length).toBeGreaterThan(0);
          expect(e.data.length).toBeLessThanOrEqual(mtu);
          expect(Buffer.from(e.data)).toEqual(Buffer.from(src.subarray(at, at + e.data.length)));
          at += e.data.length;
        }
        expect(sb.emit(mtu)).toBeNull();
      }),
      { numRuns: 200 },
    );
  });
});

describe('flow control (RFC 9000 §4)', () => {
  it('announces a new limit after half a window is consumed, and doubles a window used within 2 RTTs', () => {
    const w = new RecvWindow(1000, 8000);
    w.consume(400, 0, 100);
    expect(w.updatePending).toBe(false);
    w.consume(200, 10, 100);
    expect([w.updatePending, w.limit]).toEqual([true, 1600]);
    w.updatePending = false;
    w.consume(600, 50, 100); // within 2 RTTs of the last update: auto-tune
    expect(w.window).toBe(2000);
    expect(w.limit).toBe(1200 + 2000);
  });
});

describe('Streams: limits and state rules', () => {
  const mk = (side: 'client' | 'server' = 'client') => {
    const s = new Streams(side, { ...defaultStreamSettings, maxStreamsBidi: 2, maxStreamsUni: 1, streamWindowBidiRemote: 100, streamWindowBidiLocal: 100, streamWindowUni: 100, connWindow: 150 });
    s.setPeerLimits(PEER);
    return s;
  };

  it('opens under the peer MAX_STREAMS, then null and a STREAMS_BLOCKED; MAX_STREAMS unblocks', () => {
    const s = mk();
    for (let i = 0; i < 3; i++) expect(s.open('uni')).toBe(2 + 4 * i);
    expect(s.open('uni')).toBeNull();
    expect(s.pollControl(100)!.frame).toEqual({ type: 'streams_blocked', bidi: false, limit: 3 });
    s.onMaxStreams(false, 4);
    expect(s.open('uni')).toBe(14);
  });

  it('streams held back by connection credit alone send again when MAX_DATA raises it (RFC 9000 §4.1)', () => {
    const s = new Streams('client', defaultStreamSettings);
    s.setPeerLimits({ ...PEER, initialMaxData: 1000 });
    const ids = [s.open('bidi')!, s.open('bidi')!, s.open('bidi')!];
    for (const id of ids) {
      expect(s.write(id, bytes(600))).toBe(600);
      s.finish(id);
    }
    let sent = 0;
    for (let c = s.pollStream(1200); c; c = s.pollStream(1200)) sent += c.data.length;
    expect(sent).toBe(1000);
    expect(s.pollStream(1200)).toBeNull();
    // Nothing more is written: only MAX_DATA can wake the waiting streams.
    s.onMaxData(2000);
    const more = new Map<number, number>();
    for (let c = s.pollStream(1200); c; c = s.pollStream(1200)) more.set(c.id, (more.get(c.id) ?? 0) + c.data.length);
    expect([...more.values()].reduce((a, b) => a + b, 0)).toBe(800);
    expect(s.hasStreamData).toBe(false);
  });
  it('peer streams: implicit opening of lower ones, STREAM_LIMIT_ERROR beyond our limit', () => {
    const s = mk('client');
    s.onStreamFrame(5, 0, bytes(3), false); // server bidi index 1 opens index 0 too
    expect([s.pollEvent(), s.pollEvent()]).toEqual([
      { type: 'stream-incoming', id: 1 },
      { type: 'stream-incoming', id: 5 },
    ]);
    expect(codeOf(() => s.onStreamFrame(9, 0, bytes(1), false))).toBe(E.STREAM_LIMIT_ERROR);
  });

  it('STREAM_STATE_ERROR for frames on the wrong half or an unopened local stream', () => {
    const s = mk('client');
    expect(codeOf(() => s.onStreamFrame(0, 0, bytes(1), false))).toBe(E.STREAM_STATE_ERROR); // our bidi 0 not opened yet
    const uni = s.open('uni')!;
    expect(codeOf(() => s.onStreamFrame(uni, 0, bytes(1), false))).toBe(E.STREAM_STATE_ERROR); // our uni: send-only
    expect(codeOf(() => s.onMaxStreamData(3, 100))).toBe(E.STREAM_STATE_ERROR); // peer uni: receive-only for us
    expect(codeOf(() => s.onStopSending(3, 0n))).toBe(E.STREAM_STATE_ERROR);
  });

  it('FLOW_CONTROL_ERROR beyond the stream and the connection limits', () => {
    const s = mk('client');
    expect(codeOf(() => s.onStreamFrame(1, 0, bytes(101), false))).toBe(E.FLOW_CONTROL_ERROR);
    const t = mk('client');
    t.onStreamFrame(1, 0, bytes(100), false);
    expect(codeOf(() => t.onStreamFrame(5, 0, bytes(60), false))).toBe(E.FLOW_CONTROL_ERROR); // 160 > connection 150
  });

  it('FINAL_SIZE_ERROR when the final size changes or data lies beyond it', () => {
    const s = mk('client');
    s.onStreamFrame(1, 0, bytes(10), true);
    expect(codeOf(() => s.onStreamFrame(1, 10, bytes(1), false))).toBe(E.FINAL_SIZE_ERROR);
    expect(codeOf(() => s.onStreamFrame(1, 0, bytes(9), true))).toBe(E.FINAL_SIZE_ERROR);
    expect(codeOf(() => s.onResetStream(1, 0n, 11))).toBe(E.FINAL_SIZE_ERROR);
    const t = mk('client');
    t.onStreamFrame(1, 0, bytes(20), false);
    expect(codeOf(() => t.onStreamFrame(1, 0, bytes(10), true))).toBe(E.FINAL_SIZE_ERROR);
  });

  it('STOP_SENDING is answered with RESET_STREAM carrying the same code (§3.5); resets reach the reader', () => {
    const s = mk('client');
    const id = s.open('bidi')!;
    s.write(id, bytes(50));
    s.onStopSending(id, 77n);
    expect(s.pollEvent()).toEqual({ type: 'stop-sending', id, code: 77n });
    expect(s.pollControl(100)!.frame).toMatchObject({ type: 'reset_stream', streamId: id, errorCode: 77n });
    s.onResetStream(1, 9n, 5);
    expect([s.pollEvent(), s.pollEvent()]).toEqual([
      { type: 'stream-incoming', id: 1 },
      { type: 'stream-reset', id: 1, code: 9n },
    ]);
  });
});

/** Two Streams back to back over a lossy, reordering channel of records (no wire format). */
describe('Streams end to end through a lossy loop', () => {
  it('moves several MB on several streams byte-identical, with a reset and a STOP_SENDING mid-way', () => {
    let seed = 42;
    const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
    const settings = { ...defaultStreamSettings, connWindow: 64 * 1024, streamWindowBidiLocal: 32 * 1024, streamWindowBidiRemote: 32 * 1024, streamWindowUni: 32 * 1024 };
    const a = new Streams('client', settings);
    const b = new Streams('server', settings);
    const tp = {
      initialMaxData: settings.connWindow,
      initialMaxStreamDataBidiLocal: settings.streamWindowBidiLocal,
      initialMaxStreamDataBidiRemote: settings.streamWindowBidiRemote,
      initialMaxStreamDataUni: settings.streamWindowUni,
      initialMaxStreamsBidi: 100,
      initialMaxStreamsUni: 100,
    };
    a.setPeerLimits(tp);
    b.setPeerLimits(tp);
    const SIZE = 1_500_000;
    const ids = [a.open('bidi')!, a.open('bidi')!, a.open('uni')!, a.open('bidi')!];
    const srcs = ids.map((_, i) => bytes(SIZE, i + 3));
    const written = ids.map(() => 0);
    const got = new Map<number, Uint8Array[]>();
    const finished = new Set<number>();
    const resetSeen: bigint[] = [];
    type Pkt = { from: Streams; to: Streams; items: Array<{ f: unknown; rec: StreamRecord }> };
    let wire: Pkt[] = [];
    let now = 0;
    const send = (from: Streams, to: Streams) => {
      const items: Pkt['items'] = [];
      for (let c = from.pollControl(1200); c; c = from.pollControl(1200)) items.push({ f: c.frame, rec: c.rec });
      for (let i = 0; i < 4; i++) {
        const chunk = from.pollStream(1200);
        if (!chunk) break;
        items.push({ f: { type: 'stream', ...chunk }, rec: { k: 'stream', id: chunk.id, offset: chunk.offset, len: chunk.data.length, fin: chunk.fin } });
      }
      if (items.length) wire.push({ from, to, items });
    };
    for (let round = 0; round < 20000 && finished.size < 2; round++) {
      now += 1;
      ids.forEach((id, i) => {
        if (i === 3 && round === 50) a.reset(id, 5n); // abandon the fourth stream
        const state = a.get(id)?.send?.state;
        if (written[i]! < SIZE && (state === 'ready' || state === 'send')) {
          written[i]! += a.write(id, srcs[i]!.subarray(written[i]!, Math.min(SIZE, written[i]! + 20000)));
          if (written[i] === SIZE) a.finish(id);
        }
      });
      send(a, b);
      send(b, a);
      // Deliver in random order with 10% loss and 5% duplication.
      wire.sort(() => rnd() - 0.5);
      const next: Pkt[] = [];
      for (const p of wire) {
        const lost = rnd() < 0.1;
        for (const { f, rec } of p.items) {
          if (lost) {
            p.from.onLost(rec);
            continue;
          }
          const fr = f as Record<string, any>; // eslint-disable-line @typescript-eslint/no-explicit-any
          switch ((f as { type: string }).type) {
            case 'stream':
              p.to.onStreamFrame(fr.id, fr.offset, fr.data, fr.fin);
              break;
            case 'max_data':
              p.to.onMaxData(fr.maximum);
              break;
            case 'max_stream_data':
              p.to.onMaxStreamData(fr.streamId, fr.maximum);
              break;
            case 'max_streams':
              p.to.onMaxStreams(fr.bidi, fr.maximum);
              break;
            case 'reset_stream':
              p.to.onResetStream(fr.streamId, fr.errorCode, fr.finalSize);
              break;
            case 'stop_sending':
              p.to.onStopSending(fr.streamId, fr.errorCode);
              break;
            default:
              break;
          }
          p.from.onAcked(rec);
        }
        if (!lost && rnd() < 0.05) next.push(p); // duplicate a delivered packet later (frames are idempotent)
      }
      wire = next.map((p) => ({ ...p, items: p.items.map((x) => ({ ...x, rec: { k: 'max_data' } as StreamRecord })) }));
      for (let e = b.pollEvent(); e; e = b.pollEvent()) if (e.type === 'stream-reset') resetSeen.push(e.code);
      for (const id of ids.slice(0, 3)) {
        if (finished.has(id) || !b.get(id)) continue;
        for (let r = b.read(id, 65536, now); r; r = finished.has(id) ? null : b.read(id, 65536, now)) {
          if (r.data.length) (got.get(id) ?? got.set(id, []).get(id)!).push(r.data);
          if (r.fin) finished.add(id);
        }
      }
      if (round === 10) b.stopSending(ids[1]!, 3n);
    }
    expect(finished.has(ids[0]!)).toBe(true);
    expect(finished.has(ids[2]!)).toBe(true);
    // Buffer.equals, not toEqual: a deep compare of megabytes costs seconds.
    expect(Buffer.concat(got.get(ids[0]!)!).equals(srcs[0]!)).toBe(true);
    expect(Buffer.concat(got.get(ids[2]!)!).equals(srcs[2]!)).toBe(true);
    expect(resetSeen).toContain(5n); // the abandoned stream
    expect(resetSeen).toContain(3n); // stream 1 was reset in answer to STOP_SENDING
  }, 60_000);
});
