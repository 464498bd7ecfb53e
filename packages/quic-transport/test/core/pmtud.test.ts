import { describe, expect, it } from 'vitest';
import { PmtuDiscovery } from '../../src/core/pmtud.js';
import { transfer } from '../sim/transfer.js';

describe('DPLPMTUD (RFC 8899)', () => {
  it('the search: ceiling first, then bisection after MAX_PROBES losses per size', () => {
    const p = new PmtuDiscovery(1200, 65527);
    expect(p.probeSize(0)).toBe(65527);
    p.onProbeSent(65527);
    expect(p.probeSize(0)).toBe(0); // one probe at a time
    p.onProbeLost(65527, 0); // the optimistic try gives up at once
    expect(p.probeSize(0)).toBe(1452); // then the common Ethernet size
    p.onProbeSent(1452);
    p.onProbeAcked(1452);
    const mid = p.probeSize(0);
    expect(mid).toBe(Math.floor((1452 + 65526 + 1) / 2));
    for (let i = 0; i < 3; i++) {
      p.onProbeSent(mid);
      p.onProbeLost(mid, 0);
    }
    const next = p.probeSize(0);
    expect(next).toBeLessThan(mid);
    p.onProbeSent(next);
    expect(p.onProbeAcked(next)).toBe(next);
    expect(p.current).toBe(next);
  });

  it('on a 1500-byte path the datagram size reaches 1452 at once, then settles below 1500; the transfer completes', () => {
    const r = transfer(16 << 20, { latencyMs: 5, mtu: 1500, seed: 3 });
    expect(r.done).toBe(true);
    expect(r.got.equals(r.src)).toBe(true);
    const size = r.c.maxDatagramSize;
    expect(size).toBeGreaterThanOrEqual(1452);
    expect(size).toBeLessThanOrEqual(1500);
  });

  it('on an unlimited path the first probe succeeds: the sender’s datagrams grow to the peer limit', () => {
    const r = transfer(4 << 20, { latencyMs: 5, seed: 4 });
    expect(r.done).toBe(true);
    expect(r.c.maxDatagramSize).toBe(65527);
    expect(r.c.getStats().packetsSent).toBeLessThan(1000); // 4 MB in big datagrams, not 3500 small ones
  });

  it('large datagrams given back after sending are built in the same few buffers; the bytes stay right', () => {
    const r = transfer(4 << 20, { latencyMs: 5, seed: 5, recycle: true });
    expect(r.done).toBe(true);
    expect(r.got.equals(r.src)).toBe(true);
    const large = r.c.getStats().packetsSent;
    expect(large).toBeGreaterThan(60);
    expect(r.net.largeBuffers.size).toBeLessThan(8); // without recycling, one buffer per large datagram
    const without = transfer(4 << 20, { latencyMs: 5, seed: 5 });
    expect(without.net.largeBuffers.size).toBeGreaterThan(40);
  });

  it('PMTU discovery can be turned off', () => {
    const r = transfer(256 << 10, { latencyMs: 5 }, { transport: { pmtuDiscovery: false } });
    expect(r.done).toBe(true);
    expect(r.c.maxDatagramSize).toBe(1200);
  });
});
