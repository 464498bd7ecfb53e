import { describe, expect, it } from 'vitest';
import { ETHERNET, IP_MAX, JUMBO, MAX_PROBES, PmtuDiscovery } from '../../src/core/pmtud.js';
import { transfer } from '../sim/transfer.js';

describe('DPLPMTUD (RFC 8899)', () => {
  /** Lose `size` MAX_PROBES times. */
  const fail = (p: PmtuDiscovery, size: number): void => {
    for (let i = 0; i < MAX_PROBES; i++) {
      expect(p.probeSize(0)).toBe(size);
      p.onProbeSent(size);
      p.onProbeLost(size, 0);
    }
  };

  it('the search climbs the common sizes, smallest first: Ethernet, jumbo, then the ceiling', () => {
    const p = new PmtuDiscovery(1200, 65527);
    expect(p.probeSize(0)).toBe(ETHERNET);
    p.onProbeSent(ETHERNET);
    expect(p.probeSize(0)).toBe(0); // one probe at a time
    expect(p.onProbeAcked(ETHERNET)).toBe(ETHERNET);
    expect(p.probeSize(0)).toBe(JUMBO);
    p.onProbeSent(JUMBO);
    p.onProbeAcked(JUMBO);
    // The top rung is what an IP packet can carry over a 64 KiB-MTU loopback, not the transport parameter's
    // 65,527, which no IPv4 or IPv6 socket can send (EMSGSIZE): probes of that size were lost every time and
    // the climb ended at 8,952 on loopback.
    expect(p.probeSize(0)).toBe(IP_MAX);
    p.onProbeSent(IP_MAX);
    p.onProbeAcked(IP_MAX);
    expect(p.current).toBe(IP_MAX);
    expect(p.settled).toBe(true);
  });

  it('a 1,500-byte path: the first size lost MAX_PROBES times ends the climb (no bisection, no larger size), and after PMTU_RAISE_TIMER it climbs again', () => {
    const p = new PmtuDiscovery(1200, 65527);
    p.onProbeSent(ETHERNET);
    p.onProbeAcked(ETHERNET);
    p.onProbeSent(JUMBO);
    p.onProbeLost(JUMBO, 0);
    for (let i = 1; i < MAX_PROBES; i++) {
      expect(p.probeSize(0)).toBe(JUMBO); // fewer than MAX_PROBES losses are not enough
      p.onProbeSent(JUMBO);
      p.onProbeLost(JUMBO, 0);
    }
    expect(p.settled).toBe(true);
    expect(p.probeSize(1000)).toBe(0);
    expect(p.current).toBe(ETHERNET);
    expect(p.probeSize(600_001)).toBe(JUMBO); // RFC 8899 §5.1.1
  });

  it('a path narrower than Ethernet (a tunnel) is bisected between the base size and 1,452', () => {
    const p = new PmtuDiscovery(1200, 65527);
    fail(p, ETHERNET);
    const mid = p.probeSize(0);
    expect(mid).toBe(Math.floor((1200 + ETHERNET - 1 + 1) / 2));
    p.onProbeSent(mid);
    expect(p.onProbeAcked(mid)).toBe(mid);
    expect(p.probeSize(0)).toBeGreaterThan(mid);
    expect(p.probeSize(0)).toBeLessThan(ETHERNET);
  });

  it('the peer’s max_udp_payload_size caps the ladder; no probe is larger than the congestion window', () => {
    const p = new PmtuDiscovery(1200, 65527);
    p.limit(1400);
    expect(p.probeSize(0)).toBe(1400);
    expect(p.probeSize(0, 1399)).toBe(0);
    const q = new PmtuDiscovery(1200, 65527);
    q.limit(4000);
    q.onProbeSent(ETHERNET);
    q.onProbeAcked(ETHERNET);
    expect(q.probeSize(0)).toBe(4000);
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
    expect(r.c.maxDatagramSize).toBe(IP_MAX); // the peer allows 65,527; an IP packet on a 64 KiB MTU carries 65,488
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
