import { describe, expect, it } from 'vitest';
import { pooledRandom } from '../../src/core/config.js';

describe('pooledRandom (connection IDs, reset data)', () => {
  it('hands out fresh bytes of the asked length, across pool refills, never the same bytes twice', () => {
    const random = pooledRandom();
    const seen = new Set<string>();
    let total = 0;
    for (let i = 0; i < 2000; i++) {
      const n = 1 + (i % 20);
      const b = random(n);
      expect(b.length).toBe(n);
      total += n;
      if (n >= 8) {
        const k = Buffer.from(b).toString('hex');
        expect(seen.has(k)).toBe(false);
        seen.add(k);
      }
    }
    expect(total).toBeGreaterThan(4096 * 4); // several refills
    expect(random(1000).length).toBe(1000); // large requests bypass the pool
  });

  it('returns copies: changing one result does not change the next', () => {
    const random = pooledRandom();
    const a = random(16);
    a.fill(0);
    const b = random(16);
    expect(b.buffer).not.toBe(a.buffer);
    expect(b.some((x) => x !== 0)).toBe(true);
  });
});
