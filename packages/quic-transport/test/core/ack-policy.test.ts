/**
 * @module test/core/ack-policy
 * When a receiver sends ACK-only packets (RFC 9000 §13.2.1, §13.2.2): after
 * every second ack-eliciting packet, when its ACK delay runs out, at once on
 * reordering; otherwise the ACK rides on a packet that goes anyway. These
 * run with the ACK frequency extension off (ack-frequency.test.ts has it on).
 */
import { describe, expect, it } from 'vitest';
import { forge } from '../sim/forge.js';
import { established } from '../sim/hostile.js';
import { named } from '../sim/network.js';
import { download } from '../sim/transfer.js';
import { isAckOnly, oneRtt, toServer } from '../sim/acks.js';

const RFC9000 = { ackFrequency: false };

describe('ACK policy (RFC 9000 §13.2)', () => {
  it('a bulk receiver sends an ACK-only packet for every second ack-eliciting packet, not one per datagram', () => {
    const t = { pmtuDiscovery: false, maxDatagramSize: 1452, ...RFC9000 };
    const r = download(1_000_000, { latencyMs: 10 }, { qlog: true, transport: t, serverTransport: t });
    expect(r.ok).toBe(true);
    const received = named(r.env.qlog.client, 'transport:packet_received').filter(oneRtt).length;
    const ackOnly = named(r.env.qlog.client, 'transport:packet_sent').filter(isAckOnly).length;
    // §13.2.2: one ACK per two ack-eliciting packets at most (plus the odd one at a flight's end, §13.2.1's delay).
    expect(ackOnly).toBeLessThanOrEqual(Math.ceil(received * 0.55));
    expect(ackOnly).toBeGreaterThanOrEqual(Math.floor(received * 0.3)); // and ACKs are not starved either
  });

  it('one ack-eliciting packet is acknowledged when its delay runs out, not at once (§13.2.1)', () => {
    const p = established(RFC9000, RFC9000);
    p.net.runUntil(() => false, 500); // let the handshake's last packets settle
    expect(toServer(p)).toBe(0);
    const deadline = p.server.pollTimeout()!;
    // We wait min_ack_delay (1 ms, what Node's timers honour), well within the max_ack_delay we advertise (25 ms).
    expect(deadline - p.net.now).toBeCloseTo(1, 5);
    p.net.now = deadline - 1;
    p.server.handleTimeout(p.net.now);
    expect(p.server.pollTransmit(p.net.now)).toBeNull();
    p.net.now = deadline;
    p.server.handleTimeout(p.net.now);
    expect(p.server.pollTransmit(p.net.now)).not.toBeNull();
  });

  it('the second ack-eliciting packet is acknowledged at once (§13.2.2)', () => {
    const p = established(RFC9000, RFC9000);
    p.net.runUntil(() => false, 500);
    expect(toServer(p)).toBe(0);
    expect(toServer(p)).toBe(1);
    expect(toServer(p)).toBe(0);
  });

  it('a packet after a gap, and one older than the largest, are acknowledged at once (§13.2.1)', () => {
    const p = established(RFC9000, RFC9000);
    p.net.runUntil(() => false, 500);
    expect(toServer(p)).toBe(0);
    expect(toServer(p, undefined, 1)).toBe(1); // a gap before it
    const held = forge(p.c, 2, [{ type: 'ping' }]);
    expect(toServer(p)).toBe(1); // a gap again (held is missing)
    expect(toServer(p)).toBe(0); // in order again: delayed
    p.server.handleDatagram(p.net.now, held, p.net.clientPath); // older than the largest received
    expect(p.server.pollTransmit(p.net.now)).not.toBeNull();
  });

  it('no stall at the end of a flight: small transfers finish in about one round trip after the request', () => {
    for (const size of [1, 1452, 3000, 20_000]) {
      const t = { pmtuDiscovery: false, maxDatagramSize: 1452, ...RFC9000 };
      const r = download(size, { latencyMs: 10 }, { transport: t, serverTransport: t });
      expect(r.ok).toBe(true);
      // Handshake (2 RTTs) and confirmation, then the request and the answer: no 25 ms ACK delay in the way.
      expect(r.env.net.now).toBeLessThanOrEqual(size > 15_000 ? 80 : 60);
    }
  });
});
