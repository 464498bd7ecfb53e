/**
 * Paired measurements (measure/http3.ts): ABBA order, so that a drift of the
 * machine's speed through a row weighs on both sides alike, and each side's
 * figures reduced to their medians.
 */
import { describe, expect, it } from 'vitest';
import { medianRate, type RequestRate } from '../src/measure/http3.js';
import { abba } from '../src/measure/pairing.js';

describe('paired measurements', () => {
  it('run in ABBA order, the same number of times each', async () => {
    const order: string[] = [];
    await abba(
      3,
      async () => void order.push('a'),
      async () => void order.push('b'),
    );
    expect(order.join('')).toBe('abbaab');
  });

  it('reduce each figure to its own median', () => {
    const r = (rps: number, serverCpu: number): RequestRate => ({ rps, p50: rps / 10, p99: rps / 5, clientCpu: 1, serverCpu, warmupRequests: 20_000, warmupSeconds: 2 });
    const m = medianRate([r(300, 9), r(100, 7), r(200, 8)]);
    expect(m).toEqual({ rps: 200, p50: 20, p99: 40, clientCpu: 1, serverCpu: 8, warmupRequests: 20_000, warmupSeconds: 2 });
  });
});
