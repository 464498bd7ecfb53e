/** Address validation: Retry and NEW_TOKEN (RFC 9000 §8.1, §17.2.5) over the simulated network. */
import { describe, expect, it } from 'vitest';
import { Endpoint, type ConnEvent } from '../../src/core/index.js';
import { Collector } from '../sim/apps.js';
import { CLIENT_PATH, Network, SERVER_PATH, serverTls } from '../sim/network.js';

const TLS = { serverName: 'localhost', alpn: ['test'], verifyPeer: 'none' as const };

function setup(retry: 'always' | 'never' | { handshakes: number }) {
  const server = new Endpoint({ server: { tls: serverTls() }, retry });
  const client = new Endpoint();
  return { server, client, net: new Network(client, server, { latencyMs: 10 }) };
}

function confirmed(c: { pollEvent(): ConnEvent | null }, events: ConnEvent[] = []) {
  return () => {
    for (let e = c.pollEvent(); e; e = c.pollEvent()) events.push(e);
    return events.some((e) => e.type === 'handshake-confirmed');
  };
}

describe('Retry and NEW_TOKEN', () => {
  it('retry "always": one Retry, the client comes back with the token, the handshake completes (transport parameters check out)', () => {
    const env = setup('always');
    const c = env.client.connect(0, SERVER_PATH, TLS);
    expect(env.net.runUntil(confirmed(c), 5000)).toBe(true);
    expect(env.server.counters.retries).toBe(1);
    const s = [...env.server.connections][0]!;
    expect(s.remoteTransportParameters).toBeDefined();
    expect(c.remoteTransportParameters?.retrySourceConnectionId).toBeDefined();
    // Two round trips (Retry, then the handshake), not one.
    expect(env.net.now).toBeGreaterThanOrEqual(40);
  });

  it('after a Retry the packet numbers are not reset (RFC 9000 §17.2.5.3)', () => {
    const sent: number[] = [];
    const server = new Endpoint({ server: { tls: serverTls() }, retry: 'always' });
    const client = new Endpoint({
      hooks: { qlog: (_t, name, data) => void (name === 'transport:packet_sent' && (data.header as { packet_type: string }).packet_type === 'initial' && sent.push((data.header as { packet_number: number }).packet_number)) },
    });
    const net = new Network(client, server, { latencyMs: 10 });
    const c = client.connect(0, SERVER_PATH, TLS);
    expect(net.runUntil(confirmed(c), 5000)).toBe(true);
    expect(server.counters.retries).toBe(1);
    // The first Initial used packet number 0; the one carrying the token used 1, not 0 again.
    expect(sent.slice(0, 2)).toEqual([0, 1]);
  });

  it('a Retry with a bad integrity tag, or a second Retry, is ignored', () => {
    const env = setup('always');
    let retries = 0;
    env.net.filter = (from, d) => {
      if (from === 'server' && (d[0]! & 0xf0) === 0xf0 && retries++ === 0) {
        const bad = d.slice();
        bad[bad.length - 1] = bad[bad.length - 1]! ^ 1; // corrupt the tag of the first Retry
        return bad;
      }
      return d;
    };
    const c = env.client.connect(0, SERVER_PATH, TLS);
    expect(env.net.runUntil(confirmed(c), 10_000)).toBe(true);
    expect(env.server.counters.retries).toBeGreaterThanOrEqual(2); // the client's retransmitted Initial got a fresh Retry
  });

  it('a Retry token from another address is refused; an expired one too', () => {
    const env = setup('always');
    const token = env.server.tokens.seal('retry', 0, CLIENT_PATH.address, CLIENT_PATH.port, new Uint8Array(8));
    expect(env.server.tokens.open(token, 100, CLIENT_PATH.address, CLIENT_PATH.port)?.kind).toBe('retry');
    expect(env.server.tokens.open(token, 100, '10.6.6.6', CLIENT_PATH.port)).toBeNull();
    expect(env.server.tokens.open(token, 100, CLIENT_PATH.address, 4444)).toBeNull();
    expect(env.server.tokens.open(token, 60_000, CLIENT_PATH.address, CLIENT_PATH.port)).toBeNull();
    const tampered = token.slice();
    tampered[20] = tampered[20]! ^ 1;
    expect(env.server.tokens.open(tampered, 100, CLIENT_PATH.address, CLIENT_PATH.port)).toBeNull();
  });

  it('NEW_TOKEN: the next connection presents it and skips the Retry round trip', () => {
    const env = setup('always');
    const c = env.client.connect(0, SERVER_PATH, TLS);
    const col = new Collector(c);
    env.net.runUntil(() => (col.pump(env.net.now), col.events.some((e) => e.type === 'new-token')), 5000);
    const e = col.events.find((x) => x.type === 'new-token');
    expect(e?.type === 'new-token' && e.token.length).toBeGreaterThan(0);
    const token = (e as { token: Uint8Array }).token;
    c.close(env.net.now);
    env.net.runUntil(() => c.isClosed, 5000);
    const retries = env.server.counters.retries;
    const start = env.net.now;
    const c2 = env.client.connect(env.net.now, SERVER_PATH, TLS, undefined, undefined, token);
    expect(env.net.runUntil(confirmed(c2), 5000)).toBe(true);
    expect(env.server.counters.retries).toBe(retries);
    expect(env.net.now - start).toBeLessThanOrEqual(40); // the usual two round trips to confirmation; a Retry would add one
  });

  it('retry under load: only while many handshakes are in flight', () => {
    const env = setup({ handshakes: 2 });
    const conns = [0, 1, 2, 3].map(() => env.client.connect(0, SERVER_PATH, TLS));
    expect(env.net.runUntil(() => conns.every((c) => c.handshakeInfo !== undefined), 5000)).toBe(true);
    expect(env.server.counters.retries).toBeGreaterThan(0);
    expect(env.server.counters.retries).toBeLessThan(4);
  });
});
