/** ECN (RFC 9000 §13.4, RFC 9002 §7.1): the validator's rules, and whole connections over simulated paths. */
import { describe, expect, it } from 'vitest';
import { EcnValidator } from '../../src/core/index.js';
import { download as transferDownload } from '../sim/transfer.js';
import { pair, SERVER_PATH, type LinkOptions } from '../sim/network.js';

const TLS = { serverName: 'localhost', alpn: ['test'], verifyPeer: 'none' as const };

function sent(v: EcnValidator, n: number): void {
  for (let i = 0; i < n; i++) v.onMarkedSent(2);
}

describe('ECN validation (RFC 9000 §13.4.2)', () => {
  it('marks the first ten packets, then waits; valid counts make the path capable and marking resumes', () => {
    const v = new EcnValidator(true);
    expect(v.state).toBe('testing');
    sent(v, 9);
    expect(v.marking).toBe(true);
    sent(v, 1);
    expect(v.state).toBe('unknown');
    expect(v.marking).toBe(false);
    expect(v.onAck(2, { ect0: 4, ect1: 0, ce: 0 }, 4, true)).toBe(false);
    expect(v.state).toBe('capable');
    expect(v.marking).toBe(true);
  });

  it('a CE increase is a congestion signal, reported once', () => {
    const v = new EcnValidator(true);
    sent(v, 10);
    expect(v.onAck(2, { ect0: 3, ect1: 0, ce: 1 }, 4, true)).toBe(true);
    expect(v.onAck(2, { ect0: 6, ect1: 0, ce: 1 }, 3, true)).toBe(false);
    expect(v.state).toBe('capable');
  });

  it('fails: newly acknowledged marked packets without counts (stripped by the peer or the path)', () => {
    const v = new EcnValidator(true);
    sent(v, 3);
    v.onAck(2, undefined, 2, true);
    expect(v.state).toBe('failed');
    expect(v.marking).toBe(false);
  });

  it('fails: marks bleached on the way (counts rise less than the newly acknowledged marked packets)', () => {
    const v = new EcnValidator(true);
    sent(v, 5);
    v.onAck(2, { ect0: 1, ect1: 0, ce: 0 }, 3, true);
    expect(v.state).toBe('failed');
  });

  it('fails: impossible counts — ECT(1) we never sent, or more reports than packets sent', () => {
    const a = new EcnValidator(true);
    sent(a, 5);
    a.onAck(2, { ect0: 2, ect1: 1, ce: 0 }, 2, true);
    expect(a.state).toBe('failed');
    const b = new EcnValidator(true);
    sent(b, 5);
    b.onAck(2, { ect0: 6, ect1: 0, ce: 0 }, 5, true);
    expect(b.state).toBe('failed');
  });

  it('an ACK reordered behind a newer one (it does not raise the largest acknowledged) is ignored, not a failure; counts going backwards on one that does are a failure', () => {
    const v = new EcnValidator(true);
    sent(v, 10);
    v.onAck(2, { ect0: 8, ect1: 0, ce: 0 }, 8, true);
    expect(v.onAck(2, { ect0: 5, ect1: 0, ce: 0 }, 1, false)).toBe(false);
    expect(v.state).toBe('capable');
    expect(v.onAck(2, { ect0: 7, ect1: 0, ce: 0 }, 0, true)).toBe(false);
    expect(v.state).toBe('failed');
  });

  it('fails when every test packet is lost; counts are kept per packet number space', () => {
    const v = new EcnValidator(true);
    sent(v, 10);
    v.onMarkedLost(10);
    expect(v.state).toBe('failed');
    const w = new EcnValidator(true);
    w.onMarkedSent(0);
    w.onMarkedSent(2);
    w.onAck(0, { ect0: 1, ect1: 0, ce: 0 }, 1, true);
    expect(w.onAck(2, { ect0: 1, ect1: 0, ce: 0 }, 1, true)).toBe(false);
    expect(w.state).toBe('capable');
  });

  it('disabled: never marks', () => {
    expect(new EcnValidator(false).marking).toBe(false);
  });
});

/** A 2 MB download over an Ethernet path (~1,452-byte datagrams) with the given ECN behaviour; both sides have ECN on. */
const download = (link: LinkOptions) => transferDownload(2 << 20, { latencyMs: 10, seed: 7, mtu: 1500, ...link }, { transport: { ecn: true }, serverTransport: { ecn: true } });

describe('ECN over simulated paths', () => {
  it('a path that passes marks: both sides validate it, datagrams arrive ECT(0), ACKs carry counts', () => {
    const r = download({});
    expect(r.ok).toBe(true);
    expect(r.s.getStats().ecn).toBe('capable');
    expect(r.c.getStats().ecn).toBe('capable');
    expect(r.env.net.ecnDelivered.client.ect0).toBeGreaterThan(100);
    expect(r.s.getStats().packetsLost).toBe(0);
  });

  it('CE marks from a congested router slow the sender without any loss, and the data arrives whole', () => {
    const clean = download({});
    const marked = download({ ecn: { ceRate: 0.02 } });
    expect(marked.ok).toBe(true);
    expect(marked.s.getStats().ecn).toBe('capable');
    expect(marked.env.net.ecnDelivered.client.ce).toBeGreaterThan(0);
    expect(marked.s.getStats().packetsLost).toBe(0);
    expect(marked.s.getStats().congestionEvents).toBeGreaterThan(0);
    expect(clean.s.getStats().congestionEvents).toBe(0);
  });

  it('a path that bleaches the marks: validation fails and marking stops; the transfer is unaffected', () => {
    const r = download({ ecn: { bleach: true } });
    expect(r.ok).toBe(true);
    expect(r.s.getStats().ecn).toBe('failed');
    expect(r.env.net.ecnMarked.server).toBeLessThanOrEqual(12); // the ten test packets (with the client's Handshake-era none), then no more
    expect(r.env.net.sent.server).toBeGreaterThan(500);
  });

  it('a middlebox that drops marked datagrams: after the test packets the connection goes on unmarked', () => {
    const r = download({ ecn: { dropMarked: true } });
    expect(r.ok).toBe(true);
    expect(r.s.getStats().ecn).not.toBe('capable');
    expect(r.c.getStats().ecn).toBe('failed');
    expect(r.env.net.ecnDelivered.server.ect0).toBe(0);
  });

  it('off by default (node:dgram cannot mark): no datagram is marked', () => {
    const env = pair();
    const c = env.client.connect(0, SERVER_PATH, TLS);
    env.net.runUntil(() => c.handshakeInfo !== undefined, 5000);
    expect(env.net.ecnDelivered.server.ect0 + env.net.ecnDelivered.client.ect0).toBe(0);
    expect(c.getStats().ecn).toBe('failed');
  });
});
