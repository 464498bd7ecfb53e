/**
 * @module test/core/ack-frequency
 * The ACK frequency extension (draft-ietf-quic-ack-frequency): negotiated by
 * min_ack_delay, a data sender that asks for fewer ACKs, a data receiver that
 * honours ACK_FREQUENCY and IMMEDIATE_ACK, hostile values rejected with the
 * draft's error codes, and transfers that stay whole and quick.
 */
import { describe, expect, it } from 'vitest';
import { TransportErrorCode as E } from '../../src/core/index.js';
import { AckTracker } from '../../src/core/recovery/ack-tracker.js';
import { frameTypes, isAckOnly, oneRtt, toServer } from '../sim/acks.js';
import { established, expectClose, inject } from '../sim/hostile.js';
import { named } from '../sim/network.js';
import { download } from '../sim/transfer.js';

const T = { pmtuDiscovery: false, maxDatagramSize: 1452 };
const ackFrequency = (n: number, threshold: number, delayUs: number, reordering: number) => ({ type: 'ack_frequency' as const, sequence: n, ackElicitingThreshold: threshold, requestedMaxAckDelay: delayUs, reorderingThreshold: reordering });

/** A 2 MB download: the client's ACK-only packets per 1-RTT packet received, and the frames the server sent. */
function bulk(client: Record<string, unknown>, server: Record<string, unknown>, link = {}) {
  const r = download(2_000_000, { latencyMs: 10, ...link }, { qlog: true, transport: { ...T, ...client }, serverTransport: { ...T, ...server } });
  const received = named(r.env.qlog.client, 'transport:packet_received').filter(oneRtt).length;
  const ackOnly = named(r.env.qlog.client, 'transport:packet_sent').filter(isAckOnly).length;
  const serverFrames = named(r.env.qlog.server, 'transport:packet_sent').flatMap(frameTypes);
  return { ok: r.ok, ratio: ackOnly / received, serverFrames, ms: r.env.net.now, r };
}

describe('ACK frequency (draft-ietf-quic-ack-frequency)', () => {
  it('both sides advertise min_ack_delay: the data sender asks for fewer ACKs and gets them', () => {
    const on = bulk({}, {});
    const off = bulk({ ackFrequency: false }, {});
    expect(on.ok && off.ok).toBe(true);
    expect(on.serverFrames).toContain('ack_frequency');
    expect(off.serverFrames).not.toContain('ack_frequency'); // §3: only to a peer that advertised min_ack_delay
    expect(off.serverFrames).not.toContain('immediate_ack');
    expect(off.ratio).toBeGreaterThan(0.3); // RFC 9000 §13.2.2: every second packet
    expect(on.ratio).toBeLessThan(off.ratio / 2);
    expect(on.r.c.getStats().packetsReceived).toBeGreaterThan(1000);
    console.log(`ACK-only per 1-RTT packet received: extension ${on.ratio.toFixed(3)}, RFC 9000 ${off.ratio.toFixed(3)}; ms ${on.ms} vs ${off.ms}`);
  });

  it('with loss, reordering and duplication the transfer stays byte-identical, with fewer ACKs still', () => {
    const link = { lossRate: 0.03, jitterMs: 4, duplicateRate: 0.02, seed: 11 };
    const r = bulk({}, {}, link);
    const off = bulk({ ackFrequency: false }, {}, link);
    expect(r.ok && off.ok).toBe(true);
    expect(r.serverFrames).toContain('ack_frequency');
    console.log(`with loss and reordering: ACK-only per packet ${r.ratio.toFixed(3)} vs ${off.ratio.toFixed(3)}, ms ${r.ms} vs ${off.ms}`);
    expect(r.ratio).toBeLessThan(off.ratio);
  });

  it('no stall at the end of a flight: the last data carries IMMEDIATE_ACK, small answers take one round trip', () => {
    const big = bulk({}, {});
    expect(big.serverFrames).toContain('immediate_ack');
    for (const size of [1, 3000, 20_000]) {
      const r = download(size, { latencyMs: 10 }, { transport: T, serverTransport: T });
      expect(r.ok).toBe(true);
      expect(r.env.net.now).toBeLessThanOrEqual(size > 15_000 ? 80 : 60);
    }
  });

  it('the receiver honours ACK_FREQUENCY: threshold, requested delay, reordering threshold 0 (§4, §6)', () => {
    const p = established();
    p.net.runUntil(() => false, 500);
    // Threshold 4: ACK after more than 4 ack-eliciting packets; within 5 ms; no immediate ACK on reordering.
    expect(toServer(p, [ackFrequency(1, 4, 5000, 0)])).toBe(0);
    for (let i = 0; i < 3; i++) expect(toServer(p)).toBe(0);
    expect(toServer(p)).toBe(1); // the 5th
    expect(toServer(p, undefined, 3)).toBe(0); // a gap: reordering threshold 0 ignores it
    expect(p.server.pollTimeout()! - p.net.now).toBeCloseTo(5, 5);
    // An older Sequence Number is ignored (§4): still threshold 4.
    expect(toServer(p, [ackFrequency(0, 0, 1000, 1)])).toBe(0);
    expect(toServer(p)).toBe(0);
  });

  it('IMMEDIATE_ACK is acknowledged at once (§5)', () => {
    const p = established();
    p.net.runUntil(() => false, 500);
    expect(toServer(p, [ackFrequency(1, 9, 20_000, 0)])).toBe(0);
    expect(toServer(p, [{ type: 'immediate_ack' }])).toBe(1);
  });

  it("Reordering Threshold 3: the draft's example, ACK by ACK (§6.2.1)", () => {
    const a = new AckTracker(false, 2, 1000);
    a.configure(100, 1000, 3); // only reordering makes an ACK immediate
    const sent: number[] = [];
    for (const pn of [0, 1, 3, 4, 5, 8, 9, 10]) {
      a.onPacketReceived(pn, true, 0, 1000);
      if (a.ackDue(0)) {
        sent.push(pn);
        a.build(0, 3);
        a.onAckSent();
      }
    }
    expect(sent).toEqual([5, 9, 10]);
    const b = new AckTracker(false, 2, 1000);
    b.configure(100, 1000, 5);
    const sent5: number[] = [];
    for (const pn of [0, 1, 3, 5, 6, 7, 8, 9]) {
      b.onPacketReceived(pn, true, 0, 1000);
      if (b.ackDue(0)) (sent5.push(pn), b.build(0, 3), b.onAckSent());
    }
    expect(sent5).toEqual([7, 9]);
  });

  it('a Requested Max Ack Delay below our min_ack_delay is a PROTOCOL_VIOLATION (§4)', () => {
    const p = established();
    inject(p, 2, [ackFrequency(1, 2, 999, 1)]);
    expectClose(p, E.PROTOCOL_VIOLATION);
  });

  it('a Requested Max Ack Delay of 2^14 ms is a PROTOCOL_VIOLATION (§4)', () => {
    const p = established();
    inject(p, 2, [ackFrequency(1, 2, 2 ** 14 * 1000, 1)]);
    expectClose(p, E.PROTOCOL_VIOLATION);
  });

  it('ACK_FREQUENCY or IMMEDIATE_ACK to an endpoint that did not advertise min_ack_delay is a FRAME_ENCODING_ERROR (§3, RFC 9000 §12.4)', () => {
    const p = established({ ackFrequency: false });
    inject(p, 2, [{ type: 'immediate_ack' }]);
    expectClose(p, E.FRAME_ENCODING_ERROR);
    const q = established({ ackFrequency: false });
    inject(q, 2, [ackFrequency(1, 2, 5000, 1)]);
    expectClose(q, E.FRAME_ENCODING_ERROR);
  });

  it('a hostile Ack-Eliciting Threshold of 2^40 still leaves the requested delay in charge', () => {
    const p = established();
    p.net.runUntil(() => false, 500);
    expect(toServer(p, [ackFrequency(2, 2 ** 40, 1000, 0)])).toBe(0);
    for (let i = 0; i < 50; i++) expect(toServer(p)).toBe(0);
    expect(p.server.pollTimeout()! - p.net.now).toBeCloseTo(1, 5);
  });
});
