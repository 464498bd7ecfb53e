import { describe, expect, it } from 'vitest';
import { transfer } from '../sim/transfer.js';

describe('stream transfer over the simulated network', () => {
  it('1 MB on a clean link arrives byte-identical', () => {
    const r = transfer(1 << 20, { latencyMs: 10 });
    expect(r.done).toBe(true);
    expect(r.got.equals(r.src)).toBe(true);
    expect(r.c.getStats().packetsLost).toBe(0);
  });

  it('50 MB under 10% random loss, reordering and 5% duplication arrives byte-identical', () => {
    const r = transfer(50 << 20, { latencyMs: 2, jitterMs: 3, lossRate: 0.1, duplicateRate: 0.05, seed: 99 }, { transport: { maxDatagramSize: 1452, pmtuDiscovery: false } }); // 1,452-byte datagrams: ~36,000 of them
    expect(r.done).toBe(true);
    expect(r.got.length).toBe(r.src.length);
    expect(r.got.equals(r.src)).toBe(true);
    const st = r.c.getStats();
    expect(st.packetsLost).toBeGreaterThan(1000);
    expect(r.s.getStats().packetsDropped).toBeGreaterThan(100); // the duplicates
  }, 120_000);
});
