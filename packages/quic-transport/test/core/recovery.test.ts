import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AckTracker } from '../../src/core/recovery/ack-tracker.js';
import { LossDetection, type SentPacket, type SpaceId } from '../../src/core/recovery/loss-detection.js';
import { RttEstimator } from '../../src/core/recovery/rtt.js';
import { Cubic, C, BETA } from '../../src/core/congestion/cubic.js';
import { NewReno } from '../../src/core/congestion/new-reno.js';
import { Pacer } from '../../src/core/congestion/pacer.js';
import { TransportError } from '../../src/core/errors.js';

const MSS = 1200;
const pkt = (pn: number, timeSent: number, size = MSS, ackEliciting = true): SentPacket<number> => ({ pn, timeSent, size, ackEliciting, inFlight: true, data: pn });

function ld(opts: Partial<{ isServer: boolean }> = {}) {
  const l = new LossDetection<number>({ cc: new NewReno(MSS), isServer: opts.isServer ?? true, maxAckDelay: 25 });
  l.handshakeConfirmed = true;
  return l;
}

describe('RTT estimator (RFC 9002 §5)', () => {
  it('first sample sets smoothed = latest, rttvar = latest / 2', () => {
    const r = new RttEstimator();
    expect(r.smoothedRtt).toBe(333);
    r.update(100, 0, true, 25);
    expect([r.minRtt, r.smoothedRtt, r.rttvar]).toEqual([100, 100, 50]);
  });
  it('subsequent samples: EWMA with ack delay subtracted only above min_rtt, capped by max_ack_delay once confirmed', () => {
    const r = new RttEstimator();
    r.update(100, 0, true, 25);
    r.update(140, 30, true, 25); // ack delay capped at 25 → adjusted 115
    expect(r.smoothedRtt).toBeCloseTo(0.875 * 100 + 0.125 * 115);
    expect(r.rttvar).toBeCloseTo(0.75 * 50 + 0.25 * 15);
    const r2 = new RttEstimator();
    r2.update(100, 0, false, 25);
    r2.update(110, 30, false, 25); // 110 < 100 + 30: delay not subtracted
    expect(r2.smoothedRtt).toBeCloseTo(0.875 * 100 + 0.125 * 110);
    expect(r.pto(25)).toBeCloseTo(r.smoothedRtt + 4 * r.rttvar + 25);
  });
});

describe('loss detection (RFC 9002 §6)', () => {
  it('packet threshold: 3 later packets acknowledged → lost', () => {
    const l = ld();
    for (let pn = 0; pn < 5; pn++) l.onPacketSent(2, pkt(pn, 100));
    const r = l.onAckReceived(
      2,
      {
        largest: 4,
        ackDelay: 0,
        ranges: [
          [4, 4],
          [1, 2],
        ],
      },
      150,
    ); // rtt 50: nothing is old enough for the time threshold
    expect(r.acked.map((p) => p.pn).sort()).toEqual([1, 2, 4]);
    expect(r.lost.map((p) => p.pn)).toEqual([0]); // 0: 4 >= 0 + 3; 3: not yet
    expect(l.bytesInFlight).toBe(MSS);
  });

  it('time threshold: older than 9/8 RTT → lost, otherwise the loss timer is armed', () => {
    const l = ld();
    l.onPacketSent(2, pkt(0, 95));
    l.onPacketSent(2, pkt(1, 100));
    const r = l.onAckReceived(2, { largest: 1, ackDelay: 0, ranges: [[1, 1]] }, 200); // rtt 100: pn 0 is 105 ms old < 112.5
    expect(r.lost).toEqual([]);
    const deadline = l.timerDeadline(200)!;
    expect(deadline).toBeCloseTo(95 + (9 / 8) * 100);
    const t = l.onTimeout(deadline);
    expect(t.lost.map((p) => p.pn)).toEqual([0]);
  });

  it('an ACK of a packet never sent, or of a skipped one, is a PROTOCOL_VIOLATION', () => {
    const l = ld();
    l.onPacketSent(2, pkt(0, 0));
    expect(() => l.onAckReceived(2, { largest: 5, ackDelay: 0, ranges: [[0, 5]] }, 1)).toThrow(TransportError);
    l.skip(2, 1);
    l.onPacketSent(2, pkt(2, 1));
    expect(() => l.onAckReceived(2, { largest: 2, ackDelay: 0, ranges: [[0, 2]] }, 5)).toThrow(/skipped/);
  });

  it('PTO: armed from the last ack-eliciting packet, backs off exponentially, probes the right space', () => {
    const l = ld();
    l.rtt.update(100, 0, true, 25);
    l.onPacketSent(2, pkt(0, 0));
    const pto = 100 + 4 * 50 + 25;
    expect(l.timerDeadline(0)).toBeCloseTo(pto);
    expect(l.onTimeout(pto).probe).toBe(2);
    expect(l.ptoCount).toBe(1);
    expect(l.timerDeadline(pto)).toBeCloseTo(2 * pto);
    l.onAckReceived(2, { largest: 0, ackDelay: 0, ranges: [[0, 0]] }, 2 * pto - 1);
    expect(l.ptoCount).toBe(0);
  });

  it('no application-space PTO before the handshake is confirmed; Initial/Handshake first', () => {
    const l = ld();
    l.handshakeConfirmed = false;
    l.onPacketSent(1, pkt(0, 10));
    l.onPacketSent(2, pkt(0, 0));
    expect(l.onTimeout(l.timerDeadline(10)!).probe).toBe(1);
  });

  it('client anti-deadlock: with nothing in flight and no validation, a PTO is armed from now', () => {
    const l = ld({ isServer: false });
    expect(l.timerDeadline(1000)).toBeCloseTo(1000 + 333 + 4 * 166.5);
    expect(l.onTimeout(2000).probe).toBe(0);
    l.hasHandshakeKeys = true;
    expect(l.onTimeout(3000).probe).toBe(1);
    l.peerCompletedAddressValidation = true;
    expect(l.timerDeadline(4000)).toBeNull();
  });

  it('discarding a space removes its bytes from flight and returns its packets', () => {
    const l = ld();
    l.onPacketSent(0, pkt(0, 0));
    l.onPacketSent(0, pkt(1, 0));
    expect(l.bytesInFlight).toBe(2 * MSS);
    expect(l.discardSpace(0).length).toBe(2);
    expect(l.bytesInFlight).toBe(0);
    expect(l.discardSpace(0)).toEqual([]);
  });

  it('persistent congestion collapses the window (RFC 9002 §7.6)', () => {
    const l = ld();
    l.onPacketSent(2, pkt(0, 0));
    l.onAckReceived(2, { largest: 0, ackDelay: 0, ranges: [[0, 0]] }, 100); // first RTT sample at t=100: srtt 100, rttvar 50
    const duration = (100 + 200 + 25) * 3;
    for (let pn = 1; pn <= 5; pn++) l.onPacketSent(2, pkt(pn, 100 + (pn - 1) * (duration / 4) + 1));
    l.onPacketSent(2, pkt(6, 2000));
    for (let pn = 7; pn <= 9; pn++) l.onPacketSent(2, pkt(pn, 2001));
    l.onAckReceived(2, { largest: 9, ackDelay: 0, ranges: [[6, 9]] }, 2100);
    expect(l.persistentCongestionEvents).toBe(1);
    // RFC 9002 A.7 / B.8: the window collapses to the minimum, then the same ACK's 4 packets grow it in slow start.
    expect(l.cc.window).toBe(2 * MSS + 4 * MSS);
  });

  it('invariant: bytes in flight equals the in-flight packets neither acked, lost nor discarded', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(2), fc.nat(20), fc.boolean()), { maxLength: 80 }), (ops) => {
        const l = ld();
        const outstanding = new Map<string, number>();
        let pn = [0, 0, 0];
        let now = 0;
        for (const [spaceN, k, send] of ops) {
          const space = spaceN as SpaceId;
          now += 5;
          if (send || pn[space] === 0) {
            const p = pkt(pn[space]!++, now, 1000 + k);
            l.onPacketSent(space, p);
            outstanding.set(`${space}:${p.pn}`, p.size);
          } else {
            const largest = pn[space]! - 1;
            const lo = Math.max(0, largest - k);
            const r = l.onAckReceived(space, { largest, ackDelay: 0, ranges: [[lo, largest]] }, now);
            for (const p of [...r.acked, ...r.lost]) {
              expect(outstanding.delete(`${space}:${p.pn}`)).toBe(true); // never both acked and lost, never twice
            }
          }
          const sum = [...outstanding.values()].reduce((a, b) => a + b, 0);
          expect(l.bytesInFlight).toBe(sum);
          expect(l.cc.window).toBeGreaterThanOrEqual(2 * MSS);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe('congestion control', () => {
  it('NewReno: slow start doubles per RTT, one halving per recovery period, then linear growth', () => {
    const cc = new NewReno(MSS);
    expect(cc.window).toBe(12000); // min(10 * 1200, max(14720, 2400))
    cc.onPacketsAcked(0, [{ timeSent: 0, size: 12000 }], 100, false);
    expect(cc.window).toBe(24000);
    cc.onCongestionEvent(10, 5);
    expect(cc.window).toBe(12000);
    cc.onCongestionEvent(11, 8); // sent before recovery started: same period
    expect(cc.window).toBe(12000);
    cc.onPacketsAcked(20, [{ timeSent: 9, size: 1200 }], 100, false); // sent in recovery: no growth
    expect(cc.window).toBe(12000);
    cc.onPacketsAcked(30, [{ timeSent: 15, size: 12000 }], 100, false);
    expect(cc.window).toBe(13200); // congestion avoidance: +1 MSS per window
    cc.onPacketsAcked(40, [{ timeSent: 35, size: 12000 }], 100, true); // app-limited: no growth
    expect(cc.window).toBe(13200);
    cc.onPersistentCongestion();
    expect(cc.window).toBe(2400);
  });

  it('CUBIC: reduction by β, K from W_max, growth follows W_cubic(t) toward W_max (long RTT: the cubic region)', () => {
    const cc = new Cubic(MSS);
    cc.onPacketsAcked(0, [{ timeSent: 0, size: 100 * MSS - 12000 }], 500, false); // slow start to 100 segments
    expect(cc.window).toBe(100 * MSS);
    cc.onCongestionEvent(1000, 999);
    expect(cc.window).toBeCloseTo(100 * MSS * BETA);
    // Ack one window per RTT for a while: the window must approach W_max = 100 around t = K.
    let now = 1000;
    const K = Math.cbrt((100 - 70) / C);
    for (let i = 0; i < 200 && now < 1000 + K * 1000; i++) {
      now += 500;
      cc.onPacketsAcked(now, [{ timeSent: now - 500, size: cc.window }], 500, false);
    }
    expect(cc.state.k).toBeCloseTo(K, 5);
    const w = cc.window / MSS;
    expect(w).toBeGreaterThan(90);
    expect(w).toBeLessThan(106);
    expect(cc.cubicWindow(K)).toBeCloseTo(100);
  });

  it('CUBIC Reno-friendly region (RFC 9438 §4.3): with a very short RTT the window grows like W_est', () => {
    const cc = new Cubic(MSS);
    cc.onPacketsAcked(0, [{ timeSent: 0, size: 100 * MSS - 12000 }], 5, false);
    cc.onCongestionEvent(1000, 999);
    let now = 1000;
    for (let i = 0; i <= 40; i++) {
      now += 5;
      cc.onPacketsAcked(now, [{ timeSent: now - 5, size: cc.window }], 5, false); // the first is still in recovery
    }
    // W_est = 70 + 40 windows * alpha_cubic (≈ 0.53) ≈ 91 while W_cubic(0.2 s) ≈ 74: the Reno-friendly estimate wins.
    expect(cc.cubicWindow(0.2)).toBeLessThan(75);
    expect(cc.window / MSS).toBeCloseTo(70 + 40 * ((3 * (1 - BETA)) / (1 + BETA)), 0);
  });

  it('CUBIC Reno-friendly region: α_cubic becomes 1 once W_est reaches the window of the last congestion event (RFC 9438 §4.3)', () => {
    const cc = new Cubic(MSS);
    cc.onPacketsAcked(0, [{ timeSent: 0, size: 100 * MSS - 12000 }], 5, false);
    cc.onCongestionEvent(1000, 999); // cwnd_prior 100, cwnd 70
    let now = 1001;
    const ackWindow = (): number => {
      const before = cc.window / MSS;
      now += 5;
      cc.onPacketsAcked(now, [{ timeSent: now - 5, size: cc.window }], 5, false);
      return cc.window / MSS - before;
    };
    const alpha = (3 * (1 - BETA)) / (1 + BETA);
    expect(ackWindow()).toBeCloseTo(alpha, 1); // below cwnd_prior: α_cubic ≈ 0.53 segments per window
    while (cc.window < 100 * MSS) ackWindow();
    expect(ackWindow()).toBeCloseTo(1, 1); // at cwnd_prior: Reno's one segment per window
  });

  it('CUBIC fast convergence lowers W_max when a loss comes below the previous W_max', () => {
    const cc = new Cubic(MSS);
    cc.onPacketsAcked(0, [{ timeSent: 0, size: 100 * MSS - 12000 }], 50, false);
    cc.onCongestionEvent(10, 9); // W_max 100, cwnd 70
    cc.onCongestionEvent(20, 15); // loss at 70 < 100 → W_max = 70 * (1 + β) / 2
    cc.onPacketsAcked(30, [{ timeSent: 25, size: MSS }], 50, false);
    expect(cc.state.wMax).toBeCloseTo((70 * (1 + BETA)) / 2, 5);
  });

  it('pacer: bursts up to 10 packets, then paces at 1.25 cwnd / srtt', () => {
    const p = new Pacer(MSS);
    const cwnd = 100 * MSS;
    for (let i = 0; i < 10; i++) {
      expect(p.delay(0, MSS, cwnd, 100)).toBe(0);
      p.onSent(MSS);
    }
    const wait = p.delay(0, MSS, cwnd, 100);
    expect(wait).toBeCloseTo(MSS / ((1.25 * cwnd) / 100), 5);
    expect(p.delay(wait, MSS, cwnd, 100)).toBe(0);
  });

  it('pacer: at high rates the bucket covers one timer granularity (2 ms), not just 10 packets', () => {
    const p = new Pacer(MSS);
    const cwnd = 10_000 * MSS;
    const rate = (1.25 * cwnd) / 5; // srtt 5 ms: 2,500 packets per ms
    p.delay(0, MSS, cwnd, 5);
    // After a pause, the bucket holds 2 ms of sending, far above the 10-packet burst.
    let sent = 0;
    while (p.delay(10, MSS, cwnd, 5) === 0) {
      p.onSent(MSS);
      sent++;
    }
    expect(sent).toBe(Math.floor((rate * 2) / MSS));
    // A slow path keeps the 10-packet burst.
    const slow = new Pacer(MSS);
    slow.delay(0, MSS, 100 * MSS, 100);
    let n = 0;
    while (slow.delay(1000, MSS, 100 * MSS, 100) === 0) {
      slow.onSent(MSS);
      n++;
    }
    expect(n).toBe(10);
  });
});

describe('ACK tracker (RFC 9000 §13.2)', () => {
  it('acknowledges every second ack-eliciting packet at once, otherwise within max_ack_delay', () => {
    const t = new AckTracker(false);
    t.onPacketReceived(0, true, 0, 25);
    expect(t.wantsImmediate).toBe(false);
    expect(t.ackDeadline).toBe(25);
    t.onPacketReceived(1, true, 1, 25);
    expect(t.wantsImmediate).toBe(true);
    const a = t.build(3, 3)!;
    expect(a).toEqual({ largest: 1, ackDelay: Math.floor(2000 / 8), ranges: [[0, 1]] });
    t.onAckSent();
    expect(t.hasNewAck).toBe(false);
  });

  it('reordering triggers an immediate ACK with gap ranges; duplicates are detected', () => {
    const t = new AckTracker(false);
    t.onPacketReceived(0, true, 0, 25);
    t.onAckSent();
    t.onPacketReceived(3, true, 1, 25);
    expect(t.wantsImmediate).toBe(true);
    t.onPacketReceived(5, false, 1, 25);
    expect(t.build(1, 0)!.ranges).toEqual([
      [5, 5],
      [3, 3],
      [0, 0],
    ]);
    expect(t.isDuplicate(3)).toBe(true);
    expect(t.isDuplicate(4)).toBe(false);
  });

  it('Initial/Handshake trackers ack at once; ranges are bounded; ack-of-ack prunes', () => {
    const t = new AckTracker(true);
    t.onPacketReceived(0, true, 0, 25);
    expect(t.wantsImmediate).toBe(true);
    for (let pn = 2; pn < 400; pn += 2) t.onPacketReceived(pn, true, 0, 25);
    const a = t.build(0, 3)!;
    expect(a.ranges.length).toBe(32);
    expect(a.ranges[0]).toEqual([398, 398]);
    t.onAckAcked(300);
    expect(t.build(0, 3)!.ranges.at(-1)![0]).toBeGreaterThan(300);
    expect(t.isDuplicate(250)).toBe(true);
  });

  it('ECN counts are reported and CE triggers an immediate ACK', () => {
    const t = new AckTracker(false);
    t.onPacketReceived(0, true, 0, 25, 'ect0');
    t.onPacketReceived(1, false, 0, 25, 'ce');
    expect(t.wantsImmediate).toBe(true);
    expect(t.build(0, 3)!.ecn).toEqual({ ect0: 1, ect1: 0, ce: 1 });
  });
});
