/**
 * RFC 9002 §6.2.2.1 anti-deadlock: a client whose address the server has not
 * validated arms its PTO even with nothing ack-eliciting in flight, and on
 * expiry sends a probe — the datagram that gives a server stuck at its 3×
 * amplification limit (RFC 9000 §8.1) more to send. Found by the interop
 * runner's `amplificationlimit` case against gtlsserver: with the client's
 * datagrams 2–7 dropped, our client sent 3 datagrams and then nothing.
 */
import { describe, expect, it } from 'vitest';
import { Endpoint } from '../../src/core/index.js';
import { Collector } from '../sim/apps.js';
import { Network, pair, SERVER_PATH, serverTls } from '../sim/network.js';

const TLS = { serverName: 'localhost', alpn: ['test'], verifyPeer: 'none' as const };

describe('anti-deadlock PTO (RFC 9002 §6.2.2.1)', () => {
  it('the client’s datagrams 2–7 dropped in the handshake: its PTO fires, it probes, and the handshake completes', () => {
    const p = pair({ latencyMs: 10 });
    // The server's first flight is larger than 3× the client's first datagram: it stops at its amplification limit.
    p.server.opts.server!.tls = { ...p.server.opts.server!.tls, certificateChain: [...p.server.opts.server!.tls.certificateChain, new Uint8Array(3000).fill(0x30)] };
    const c = p.client.connect(0, SERVER_PATH, { ...TLS, verifyPeer: () => true });
    const cc = new Collector(c);
    p.net.filter = (from, d, i) => (from === 'client' && i >= 1 && i <= 6 ? null : d);
    const done = p.net.runUntil(() => (cc.pump(p.net.now), c.handshakeInfo !== undefined), 20_000);
    expect(done).toBe(true);
    expect(p.net.sent.client).toBeGreaterThan(7); // probes went after the six lost datagrams
    // Well before the handshake timeout: a few PTOs (333 ms initial RTT, doubling) suffice.
    expect(p.net.now).toBeLessThan(8_000);
  });
});

describe('a server’s PTO probes carry its first flight (RFC 9002 §6.2.4)', () => {
  it('its first flight lost: the probe datagrams coalesce the Initial with the unacknowledged Handshake data, and the handshake completes one round trip after them — 3 server datagrams, not 5', () => {
    const server = new Endpoint({ server: { tls: serverTls() } });
    const client = new Endpoint({});
    const net = new Network(client, server, { latencyMs: 5 });
    net.filter = (from, data, index) => (from === 'server' && index === 0 ? null : data);
    const c = client.connect(0, SERVER_PATH, TLS);
    expect(net.runUntil(() => c.state === 'established', 10_000)).toBe(true);
    // The PTOs fire at ~1 s (333 ms initial RTT); the server's two probes reach the client 5 ms later with
    // ServerHello and the Handshake flight, whose Finished the client answers. Before: the probes held the
    // Initial alone (padded), the Handshake flight followed the client's next datagram: 5 datagrams, 1,019 ms.
    expect(net.sent.server).toBe(3);
    expect(net.now).toBeLessThanOrEqual(1_010);
  });
});
