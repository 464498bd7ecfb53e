/**
 * The request-rate rows' warm-up (peers/requests.ts): counted in requests as
 * well as time, and bounded, so both HTTP peers are measured past V8's
 * warm-up by the same rule.
 */
import { describe, expect, it } from 'vitest';
import { describeWarmup, measureRequests, warmupFor } from '../src/peers/requests.js';

const oneMs = (): Promise<void> => new Promise((r) => setTimeout(r, 1));

describe('the request-rate warm-up', () => {
  it('lasts until enough requests have completed, not only until its minimum time', async () => {
    const r = await measureRequests(oneMs, 2, 0.05, { minMs: 10, requests: 1_500, maxMs: 20_000 });
    expect(r.warmupRequests).toBeGreaterThanOrEqual(1_500);
    expect(r.requests).toBeGreaterThan(0);
  });

  it('ends at its maximum time when the requests do not come', async () => {
    const r = await measureRequests(oneMs, 1, 0.05, { minMs: 10, requests: 1e9, maxMs: 300 });
    expect(r.warmupRequests).toBeLessThan(1e9);
    expect(r.warmupSeconds).toBeGreaterThanOrEqual(0.3);
    expect(r.warmupSeconds).toBeLessThan(5);
  });

  it('is 0.3 s for the smoke run and 1.5 s and 20,000 requests (at most 15 s) otherwise, and says so', () => {
    expect(warmupFor(0.3)).toEqual({ minMs: 300, requests: 0, maxMs: 300 });
    expect(warmupFor(3)).toEqual({ minMs: 1500, requests: 20_000, maxMs: 15_000 });
    expect(describeWarmup(3)).toBe('a warm-up of at least 1.5 s and 20,000 requests (at most 15 s)');
  });
});
