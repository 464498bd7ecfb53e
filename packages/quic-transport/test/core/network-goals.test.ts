import { describe, expect, it } from 'vitest';
import { bottleneck } from '../sim/bottleneck.js';

/**
 * Issue 20's network goals, in virtual time through the relay's path model
 * (10 Mbit/s, 15 ms one way, a 25-packet drop-tail queue, a 1,500-byte MTU).
 * Before DPLPMTUD could probe past a full window and before HyStart++, this
 * model gave 1,200-byte datagrams, 91 queue drops and 9.35 Mbit/s for 10 MB,
 * and a 27 % share beside the TCP CUBIC flow.
 *
 * Each run is seeded (every random byte from one seed), so each result is the
 * same on every runtime. The share depends on the seed: the handshake's random
 * bytes shift when our flow meets the TCP flow's sawtooth. Over seeds 1–72 the
 * median is 59.2 %, the range 43.2–65.3 %: 71 of 72 within 40–60 %, one above.
 * Unseeded, twenty runs gave 46.9–59.2 %, and one CI run under Bun 66.5 %,
 * which failed this test before it was seeded.
 */
describe('network goals (issue 20) on the runner’s link', () => {
  it('goodput, 10 MB: datagrams grow to 1,452 bytes through the 1,500-byte path, the queue overflows less, ≥ 9.4 Mbit/s', () => {
    const r = bottleneck({ bytes: 10e6 });
    expect(r.stats.maxDatagramSize).toBe(1452);
    expect(r.avgSize).toBeGreaterThan(1400);
    expect(r.queueDrops).toBeLessThan(60);
    // The wire's ceiling: 1,452-byte datagrams carry ~1,417 bytes of stream data in 1,480 bytes of IPv4 + UDP, 9.57 Mbit/s.
    expect(r.mbps).toBeGreaterThanOrEqual(9.4);
  });

  it.each([1, 2, 3])('crosstraffic, seed %i: beside a TCP CUBIC bulk flow our share is 40–60 %', (seed) => {
    const r = bottleneck({ bytes: 10e6, cross: true, seed });
    expect(r.share).toBeGreaterThanOrEqual(0.4);
    expect(r.share).toBeLessThanOrEqual(0.6);
  });

  it('a seeded run is deterministic: the same seed, the same share and datagrams', () => {
    const a = bottleneck({ bytes: 2e6, cross: true, seed: 7 });
    const b = bottleneck({ bytes: 2e6, cross: true, seed: 7 });
    expect(b.share).toBe(a.share);
    expect(b.datagrams).toBe(a.datagrams);
    expect(b.queueDrops).toBe(a.queueDrops);
  });

  it('crosstraffic with no added delay (the path of the bench row beside kernel TCP CUBIC: 10 Mbit/s, 25 packets): the model gives our share within 45–55 % (49.7 % at seed 1); beside the kernel’s TCP there, ours measured 48–56 % (five runs, shared machine; issue 20)', () => {
    const r = bottleneck({ bytes: 10e6, cross: true, delayMs: 0 });
    expect(r.share).toBeGreaterThanOrEqual(0.45);
    expect(r.share).toBeLessThanOrEqual(0.55);
  });
});
