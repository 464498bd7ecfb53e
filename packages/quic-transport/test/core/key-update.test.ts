import { describe, expect, it } from 'vitest';
import { transfer } from '../sim/transfer.js';

describe('1-RTT key update (RFC 9001 §6) end to end', () => {
  it('a key update every 1000 packets over a 50 MB transfer with loss: byte-identical, both sides rotate', () => {
    const transport = { keyUpdateInterval: 1000 };
    const r = transfer(50 << 20, { latencyMs: 2, jitterMs: 1, lossRate: 0.01, mtu: 1500, seed: 11 }, { transport });
    expect(r.done).toBe(true);
    expect(r.got.equals(r.src)).toBe(true);
    const c = r.c.getStats();
    const s = r.s.getStats();
    // ~36k 1452-byte packets: some 30 updates started by the sender, each answered by the receiver.
    expect(c.keyUpdates).toBeGreaterThan(25);
    expect(s.keyUpdates).toBeGreaterThan(25);
  }, 120_000);
});
