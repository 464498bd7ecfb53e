/**
 * Unit tests of the hardening pieces: the connection-wide reassembly
 * fragment budget (core/streams/recv-buffer), packet-number skipping against
 * optimistic ACKs (RFC 9000 §21.4, core/recovery/pn-skip), what loss
 * recovery keeps for a peer that never acknowledges, and the endpoint's
 * handshake counter.
 */
import { describe, expect, it } from 'vitest';
import { RecvBuffer, type FragmentBudget } from '../../src/core/streams/recv-buffer.js';
import { MAX_SKIPPED, maybeSkipPacketNumber, SKIP_PERIOD } from '../../src/core/recovery/pn-skip.js';
import { LossDetection, MAX_ACK_ONLY_TRACKED } from '../../src/core/recovery/loss-detection.js';
import { NewReno } from '../../src/core/congestion/new-reno.js';
import { PacketSpace } from '../../src/core/spaces.js';
import { TransportError, TransportErrorCode as E } from '../../src/core/errors.js';
import { Streams } from '../../src/core/streams/streams.js';
import { defaultStreamSettings } from '../../src/core/index.js';
import { prng } from '../sim/network.js';

describe('reassembly fragment budget shared by a connection', () => {
  it('counts pieces across buffers, refuses beyond the ceiling, and releases on read and discard', () => {
    const budget: FragmentBudget = { used: 0, max: 10 };
    const a = new RecvBuffer(1000, budget);
    const b = new RecvBuffer(1000, budget);
    for (let i = 0; i < 6; i++) expect(a.insert(1 + 2 * i, Uint8Array.of(i))).toBe(1);
    for (let i = 0; i < 4; i++) expect(b.insert(1 + 2 * i, Uint8Array.of(i))).toBe(1);
    expect(budget.used).toBe(10);
    // An 11th disjoint piece anywhere is refused; data filling nothing new is not a piece.
    expect(b.insert(100, Uint8Array.of(9))).toBe(-1);
    expect(a.insert(1, Uint8Array.of(0))).toBe(0);
    expect(budget.used).toBe(10);
    // Filling the hole at 0 makes a's first piece readable: reading frees its pieces.
    expect(a.insert(0, Uint8Array.of(7))).toBe(-1); // needs one more piece first: still over
    b.discard();
    expect(budget.used).toBe(6);
    expect(a.insert(0, Uint8Array.of(7))).toBe(1);
    expect(budget.used).toBe(7);
    const r = a.read();
    expect(r && Array.from(r)).toEqual([7, 0]);
    expect(budget.used).toBe(5);
  });

  it('the default ceiling follows maxConnWindow (1 per KiB, at least 1024) and can be set', () => {
    expect(new Streams('server', defaultStreamSettings).maxReassemblyFragments).toBe(24 * 1024);
    expect(new Streams('server', { ...defaultStreamSettings, maxConnWindow: 64 * 1024 }).maxReassemblyFragments).toBe(1024);
    expect(new Streams('server', { ...defaultStreamSettings, maxReassemblyFragments: 50 }).maxReassemblyFragments).toBe(50);
  });

  it('STREAM fragments beyond the connection budget close with PROTOCOL_VIOLATION even when each stream is under its own limit', () => {
    const s = new Streams('server', { ...defaultStreamSettings, maxReassemblyFragments: 100 });
    s.setPeerLimits({ initialMaxData: 1 << 20, initialMaxStreamDataBidiLocal: 1 << 20, initialMaxStreamDataBidiRemote: 1 << 20, initialMaxStreamDataUni: 1 << 20, initialMaxStreamsBidi: 10, initialMaxStreamsUni: 10 });
    let err: unknown;
    try {
      for (const id of [0, 4, 8]) for (let i = 0; i < 40; i++) s.onStreamFrame(id, 1 + 2 * i, Uint8Array.of(1), false);
    } catch (e) {
      err = e;
    }
    expect(TransportError.isInstance(err) && err.code).toBe(E.PROTOCOL_VIOLATION);
    expect(s.reassemblyFragments).toBeLessThanOrEqual(100);
  });
});

describe('packet-number skipping (RFC 9000 §21.4)', () => {
  function run(packets: number, seed: number) {
    const sp = new PacketSpace(2, 2);
    const ld = new LossDetection<unknown>({ cc: new NewReno(1200), isServer: true, maxAckDelay: 25 });
    const rnd = prng(seed);
    const random = (n: number) => Uint8Array.from({ length: n }, () => Math.floor(rnd() * 256));
    const sent: number[] = [];
    for (let i = 0; i < packets; i++) {
      const pn = sp.nextPn++;
      ld.onPacketSent(2, { pn, timeSent: i, size: 1200, ackEliciting: true, inFlight: true, data: null });
      sent.push(pn);
      maybeSkipPacketNumber(sp, ld, random);
    }
    return { sp, ld, sent };
  }

  it('leaves one number unused every SKIP_PERIOD/2 to 3·SKIP_PERIOD/2 packets, never one that was sent', () => {
    const { sp, sent } = run(20_000, 7);
    const used = new Set(sent);
    const gaps: number[] = [];
    for (let pn = 0; pn < sp.nextPn; pn++) if (!used.has(pn)) gaps.push(pn);
    expect(gaps.length).toBeGreaterThan(20_000 / (1.5 * SKIP_PERIOD) - 2);
    expect(gaps.length).toBeLessThan(20_000 / (0.5 * SKIP_PERIOD) + 2);
    for (let i = 1; i < gaps.length; i++) {
      expect(gaps[i]! - gaps[i - 1]!).toBeGreaterThanOrEqual(SKIP_PERIOD / 2);
      expect(gaps[i]! - gaps[i - 1]!).toBeLessThanOrEqual((3 * SKIP_PERIOD) / 2 + 1);
    }
  });

  it('an ACK covering a skipped number is a PROTOCOL_VIOLATION; honest ACKs around it are fine', () => {
    const { sp, ld, sent } = run(1000, 3);
    const used = new Set(sent);
    const skipped = [...Array(sp.nextPn).keys()].find((pn) => !used.has(pn))!;
    expect(skipped).toBeGreaterThan(0);
    // Honest: the ranges on both sides of the gap.
    const r = ld.onAckReceived(
      2,
      {
        largest: skipped + 1,
        ackDelay: 0,
        ranges: [
          [skipped + 1, skipped + 1],
          [0, skipped - 1],
        ],
      },
      2000,
    );
    expect(r.acked.length).toBe(skipped + 1);
    expect(() => ld.onAckReceived(2, { largest: skipped + 2, ackDelay: 0, ranges: [[0, skipped + 2]] }, 2001)).toThrow(/skipped/);
  });
});

describe('loss recovery against a peer that never acknowledges (issue 22)', () => {
  const recovery = () => new LossDetection<unknown>({ cc: new NewReno(1200), isServer: true, maxAckDelay: 25 });

  it('remembers at most MAX_SKIPPED skipped numbers; the recent ones still catch an optimistic ACK', () => {
    const ld = recovery();
    for (let i = 0; i < 5000; i++) {
      ld.onPacketSent(2, { pn: 2 * i, timeSent: i, size: 40, ackEliciting: false, inFlight: false, data: null });
      ld.skip(2, 2 * i + 1);
    }
    expect(ld.skippedCount(2)).toBe(MAX_SKIPPED);
    expect(() => ld.onAckReceived(2, { largest: 9998, ackDelay: 0, ranges: [[9990, 9998]] }, 6000)).toThrow(/skipped packet 9991/);
  });

  it('after 1,562 numbers were skipped, an ACK frame of 30,000 ranges meets at most MAX_SKIPPED of them (a binary search per range)', () => {
    const ld = recovery();
    for (let pn = 0; pn < 400_000; pn++) {
      if (pn % 256 === 255) ld.skip(2, pn);
      else ld.onPacketSent(2, { pn, timeSent: 0, size: 40, ackEliciting: false, inFlight: false, data: null });
    }
    const ranges: Array<[number, number]> = [];
    for (let hi = 59_998; ranges.length < 30_000 && hi >= 0; hi -= 2) if (hi % 256 !== 255) ranges.push([hi, hi]);
    expect(ld.skippedCount(2)).toBeLessThanOrEqual(MAX_SKIPPED);
    const r = ld.onAckReceived(2, { largest: ranges[0]![0], ackDelay: 0, ranges }, 1);
    expect(r.acked.length).toBe(0); // ACK-only records beyond the cap were forgotten long ago
  });

  it('tracks at most MAX_ACK_ONLY_TRACKED ACK-only packets per space, whatever the peer withholds; ack-eliciting ones are kept', () => {
    const ld = recovery();
    for (let pn = 0; pn < 10_000; pn++) ld.onPacketSent(2, { pn, timeSent: pn, size: 40, ackEliciting: pn % 100 === 0, inFlight: pn % 100 === 0, data: null });
    expect(ld.trackedPackets).toBe(MAX_ACK_ONLY_TRACKED + 100);
    // The newest ACK-only ones are the ones kept: an ACK of them still finds them.
    expect(ld.onAckReceived(2, { largest: 9999, ackDelay: 0, ranges: [[9990, 9999]] }, 10_000).acked.length).toBe(10);
  });
});
