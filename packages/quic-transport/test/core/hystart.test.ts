import { describe, expect, it } from 'vitest';
import { Cubic } from '../../src/core/congestion/cubic.js';
import { CSS_GROWTH_DIVISOR, CSS_ROUNDS, HyStart, N_RTT_SAMPLE, UNPACED_GROWTH_LIMIT } from '../../src/core/congestion/hystart.js';
import type { CongestionController } from '../../src/core/congestion/controller.js';
import { NewReno } from '../../src/core/congestion/new-reno.js';

const MSS = 1200;

/**
 * Drive one round (RFC 9406 §4.2): `n` packets sent at `t`, then acknowledged
 * one per ACK with RTT sample `rtt`. Returns the window growth of the round.
 */
function round(h: HyStart, t: number, n: number, rtt: number): number {
  for (let i = 0; i < n; i++) h.onPacketSent(t + i * 0.01);
  let grown = 0;
  for (let i = 0; i < n; i++) grown += h.onAck(MSS, t + i * 0.01, rtt);
  return grown;
}

describe('HyStart++ (RFC 9406)', () => {
  it('slow start while the RTT holds; CSS when a round’s minimum rises by RttThresh; congestion avoidance after CSS_ROUNDS', () => {
    const h = new HyStart(MSS);
    expect(round(h, 0, 10, 30)).toBe(10 * MSS); // the first round: slow start, the window grows by what is acknowledged
    expect(round(h, 40, 20, 33)).toBe(20 * MSS); // +3 ms < max(4, 30 / 8): still slow start
    expect(h.phase).toBe('slow-start');
    // +5 ms ≥ RttThresh (4 ms here): after N_RTT_SAMPLE samples the round moves to CSS, growth a quarter from then on.
    const grown = round(h, 80, 40, 38);
    expect(h.phase).toBe('css');
    expect(grown).toBe(N_RTT_SAMPLE * MSS + ((40 - N_RTT_SAMPLE) * MSS) / CSS_GROWTH_DIVISOR);
    for (let r = 1; r < CSS_ROUNDS; r++) round(h, 120 + r * 40, 40, 40);
    expect(h.phase).toBe('css');
    round(h, 120 + CSS_ROUNDS * 40, 40, 40); // the round after CSS_ROUNDS rounds of CSS: slow start is over
    expect(h.phase).toBe('done');
    expect(round(h, 400, 10, 40)).toBe(0);
  });

  it('a spurious exit: CSS goes back to slow start when the RTT falls below the baseline again', () => {
    const h = new HyStart(MSS);
    round(h, 0, 10, 30);
    round(h, 40, 20, 40);
    expect(h.phase).toBe('css');
    round(h, 80, 20, 30);
    expect(h.phase).toBe('slow-start');
  });

  it('the threshold is clamped to 4–16 ms: an eighth of a 200 ms RTT is 25 ms, but 16 ms of rise is enough', () => {
    const h = new HyStart(MSS);
    round(h, 0, 10, 200);
    round(h, 300, 20, 215);
    expect(h.phase).toBe('slow-start');
    round(h, 600, 20, 231);
    expect(h.phase).toBe('css');
  });

  it('an unpaced sender grows by at most L = 8 segments per ACK; a paced one by what is acknowledged', () => {
    const unpaced = new HyStart(MSS, false);
    unpaced.onPacketSent(0);
    expect(unpaced.onAck(20 * MSS, 0, 30)).toBe(UNPACED_GROWTH_LIMIT * MSS);
    const paced = new HyStart(MSS, true);
    paced.onPacketSent(0);
    expect(paced.onAck(20 * MSS, 0, 30)).toBe(20 * MSS);
    // In CSS: min(acked, L) / CSS_GROWTH_DIVISOR.
    round(unpaced, 40, 20, 40);
    expect(unpaced.phase).toBe('css');
    unpaced.onPacketSent(80);
    expect(unpaced.onAck(20 * MSS, 80, 40)).toBe((UNPACED_GROWTH_LIMIT * MSS) / CSS_GROWTH_DIVISOR);
  });

  for (const [name, make] of [
    ['CUBIC', (): CongestionController => new Cubic(MSS)],
    ['NewReno', (): CongestionController => new NewReno(MSS)],
  ] as const) {
    it(`${name}: leaving CSS sets ssthresh to the window (no loss); a loss ends HyStart++`, () => {
      const cc = make();
      let t = 0;
      const ackRound = (n: number, rtt: number): void => {
        for (let i = 0; i < n; i++) cc.onPacketSent(t + i * 0.01, MSS);
        for (let i = 0; i < n; i++) cc.onPacketsAcked(t + rtt, [{ timeSent: t + i * 0.01, size: MSS }], rtt, false, rtt);
        t += rtt + 1;
      };
      ackRound(10, 30);
      ackRound(20, 40);
      expect(cc.slowStartPhase).toBe('css');
      expect(cc.ssthresh).toBe(Infinity);
      for (let r = 0; r < CSS_ROUNDS; r++) ackRound(20, 40);
      expect(cc.slowStartPhase).toBe('done');
      // ssthresh is the window when CSS ended (the rest of that round's ACKs grew it in congestion avoidance).
      expect(cc.ssthresh).toBeGreaterThan(40 * MSS);
      expect(cc.ssthresh).toBeLessThanOrEqual(cc.window);
      expect(cc.window - cc.ssthresh).toBeLessThan(MSS);

      const lossy = make();
      lossy.onPacketSent(0, MSS);
      lossy.onCongestionEvent(30, 0);
      expect(lossy.slowStartPhase).toBe('done');
    });
  }
});
