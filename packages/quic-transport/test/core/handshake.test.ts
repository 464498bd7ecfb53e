import { encodeVersionNegotiation, QuicVersion } from '@tsquic/quic-wire';
import { describe, expect, it } from 'vitest';
import { Endpoint, TransportErrorCode as E, type Connection, type ConnEvent } from '../../src/core/index.js';
import { Collector } from '../sim/apps.js';
import { CLIENT_PATH, pair, SERVER_PATH, serverTls } from '../sim/network.js';

const TLS = { serverName: 'localhost', alpn: ['test'], verifyPeer: 'none' as const };

function confirmed(c: Connection, events: ConnEvent[]) {
  return () => {
    for (let e = c.pollEvent(); e; e = c.pollEvent()) events.push(e);
    return events.some((e) => e.type === 'handshake-confirmed');
  };
}

describe('QUIC handshake over the simulated network', () => {
  it('completes and confirms; ALPN, cipher suite and transport parameters agree', () => {
    const { net, client, server } = pair();
    const c = client.connect(0, SERVER_PATH, TLS);
    const events: ConnEvent[] = [];
    expect(net.runUntil(confirmed(c, events), 5000)).toBe(true);
    expect(c.state).toBe('established');
    expect(c.handshakeInfo).toMatchObject({ alpn: 'test', cipherSuite: 0x1301, resumed: false });
    const s = [...server.connections][0]!;
    expect(s.handshakeInfo?.alpn).toBe('test');
    expect(c.remoteTransportParameters?.initialMaxStreamsBidi).toBe(100);
    expect(s.remoteTransportParameters?.initialSourceConnectionId).toEqual(c.localConnectionIds[0]);
    // One round trip for the handshake (plus the HANDSHAKE_DONE trip to confirm) at 10 ms each way.
    expect(net.now).toBeLessThan(100);
  });

  for (const suite of [0x1301, 0x1302, 0x1303] as const) {
    it(`negotiates cipher suite 0x${suite.toString(16)}`, () => {
      const { net, client } = pair();
      const c = client.connect(0, SERVER_PATH, { ...TLS, cipherSuites: [suite] });
      expect(net.runUntil(confirmed(c, []), 5000)).toBe(true);
      expect(c.handshakeInfo?.cipherSuite).toBe(suite);
    });
  }

  it('client Initial datagrams are padded to at least 1200 bytes (RFC 9000 §14.1)', () => {
    const { net, client } = pair();
    const sizes: number[] = [];
    net.filter = (from, d) => {
      if (from === 'client' && (d[0]! & 0xb0) === 0x80) sizes.push(d.length); // long header, Initial type
      return d;
    };
    const c = client.connect(0, SERVER_PATH, TLS);
    net.runUntil(confirmed(c, []), 5000);
    expect(sizes.length).toBeGreaterThan(0);
    for (const n of sizes) expect(n).toBeGreaterThanOrEqual(1200);
  });

  // Drop the i-th datagram of one side: every single loss must be recovered by retransmission.
  for (const from of ['client', 'server'] as const) {
    for (let i = 0; i < 4; i++) {
      it(`survives the loss of ${from} datagram #${i}`, () => {
        const { net, client } = pair({ latencyMs: 20 });
        net.filter = (f, d, index) => (f === from && index === i ? null : d);
        const c = client.connect(0, SERVER_PATH, TLS);
        expect(net.runUntil(confirmed(c, []), 10_000)).toBe(true);
      });
    }
  }

  it('survives 30% random loss in both directions', () => {
    const slow = { handshakeTimeoutMs: 120_000 };
    for (let seed = 1; seed <= 8; seed++) {
      const { net, client } = pair({ latencyMs: 15, lossRate: 0.3, seed }, { transport: slow, serverTransport: slow });
      const c = client.connect(0, SERVER_PATH, TLS);
      expect(net.runUntil(confirmed(c, []), 120_000)).toBe(true);
    }
  });

  it('anti-amplification: before validation the server never sends more than 3x what it received (RFC 9000 §8.1)', () => {
    const { net, client, server } = pair({ latencyMs: 10 });
    // The client's second and later datagrams never arrive, so the server cannot validate the address.
    net.filter = (from, d, index) => (from === 'client' && index > 0 ? null : d);
    client.connect(0, SERVER_PATH, TLS);
    net.runUntil(() => false, 3000);
    const s = [...server.connections][0]!;
    expect(net.bytes.server).toBeGreaterThan(0);
    expect(net.bytes.server).toBeLessThanOrEqual(3 * 1200);
    expect(s.state).toBe('handshake');
  });

  it('an ALPN mismatch fails with CRYPTO_ERROR no_application_protocol (0x178)', () => {
    const { net, client } = pair();
    const c = client.connect(0, SERVER_PATH, { ...TLS, alpn: ['other'] });
    const col = new Collector(c);
    net.runUntil(() => (col.pump(net.now), col.closed() !== undefined), 5000);
    const closed = col.closed();
    expect(closed?.type === 'closed' && closed.info).toMatchObject({ code: BigInt(E.CRYPTO_ERROR_BASE + 120), remote: true });
  });

  it('a rejected certificate closes with CRYPTO_ERROR bad_certificate (0x12a)', () => {
    const { net, client } = pair();
    const c = client.connect(0, SERVER_PATH, { ...TLS, verifyPeer: () => false });
    const col = new Collector(c);
    net.runUntil(() => (col.pump(net.now), col.closed() !== undefined), 5000);
    const closed = col.closed();
    expect(closed?.type === 'closed' && closed.info).toMatchObject({ code: BigInt(E.CRYPTO_ERROR_BASE + 42), remote: false });
  });

  it('an unsupported version gets Version Negotiation listing ours; a client ignores a VN naming its own version (RFC 9000 §6)', () => {
    const { net, client, server } = pair();
    // Rewrite the client's version on the wire: the server must answer with Version Negotiation.
    net.filter = (from, d) => {
      if (from === 'client' && d[0]! & 0x80) d.set([0x1a, 0x2a, 0x3a, 0x4a], 1);
      return d;
    };
    const c = client.connect(0, SERVER_PATH, TLS);
    net.runUntil(() => server.counters.versionNegotiations > 0, 2000);
    expect(server.counters.versionNegotiations).toBeGreaterThan(0);
    expect(server.connections.size).toBe(0);
    net.runUntil(() => false, 100);
    expect(c.state).toBe('handshake'); // the VN listed v1, the client's own version: ignored
  });

  it('a client gives up when Version Negotiation does not list its version', () => {
    const client = new Endpoint();
    const c = client.connect(0, SERVER_PATH, TLS);
    const first = client.pollTransmit(0)!.data;
    const dcid = first.subarray(6, 6 + first[5]!);
    const scid = first.subarray(7 + first[5]!, 7 + first[5]! + first[6 + first[5]!]!);
    const vn = encodeVersionNegotiation({ dcid: scid, scid: dcid, versions: [0xff000020] });
    client.handleDatagram(1, vn, SERVER_PATH);
    const col = new Collector(c);
    col.pump(1);
    expect((col.closed() as { info: { kind: string; code: bigint } }).info).toMatchObject({ kind: 'version-negotiation', code: BigInt(E.VERSION_NEGOTIATION_ERROR) });
  });

  it('QUIC v2 (RFC 9369) handshakes end to end', () => {
    const { net, client } = pair();
    const c = client.connect(0, SERVER_PATH, TLS, undefined, QuicVersion.V2);
    expect(net.runUntil(confirmed(c, []), 5000)).toBe(true);
  });

  it('idle timeout closes both sides silently', () => {
    const { net, client, server } = pair({}, { transport: { idleTimeoutMs: 2000 }, serverTransport: { idleTimeoutMs: 5000 } });
    const c = client.connect(0, SERVER_PATH, TLS);
    net.runUntil(confirmed(c, []), 5000);
    const s = [...server.connections][0]!;
    const cc = new Collector(c);
    const sc = new Collector(s);
    net.runUntil(() => (cc.pump(net.now), sc.pump(net.now), c.isClosed && s.isClosed), 30_000);
    expect(c.isClosed && s.isClosed).toBe(true);
    for (const col of [cc, sc]) expect(col.closed()?.type === 'closed' && (col.closed() as { info: { kind: string } }).info.kind).toBe('idle');
    expect(net.now).toBeLessThan(5000); // the smaller of the two (2 s) applies
  });

  it('close() sends CONNECTION_CLOSE: the peer sees the application code and reason', () => {
    const { net, client, server } = pair();
    const c = client.connect(0, SERVER_PATH, TLS);
    net.runUntil(confirmed(c, []), 5000);
    const s = [...server.connections][0]!;
    const sc = new Collector(s);
    c.close(net.now, 42n, 'bye');
    net.runUntil(() => (sc.pump(net.now), sc.closed() !== undefined), 5000);
    expect((sc.closed() as { info: unknown }).info).toMatchObject({ code: 42n, reason: 'bye', application: true, remote: true });
    net.runUntil(() => c.isClosed && s.isClosed, 10_000);
    expect(c.isClosed && s.isClosed).toBe(true);
    expect(server.connections.size).toBe(0);
  });

  it('a stateless reset from a server that lost its state ends the client connection', () => {
    const { net, client, server } = pair();
    const c = client.connect(0, SERVER_PATH, TLS);
    net.runUntil(confirmed(c, []), 5000);
    // The server forgets everything (a restart with the same reset key keeps tokens valid).
    const s = [...server.connections][0]!;
    server.connections.delete(s);
    (server as unknown as { routes: Map<string, unknown> }).routes.clear();
    const col = new Collector(c);
    const id = c.openStream('bidi')!;
    c.write(id, new Uint8Array(100));
    net.runUntil(() => (col.pump(net.now), c.isClosed), 5000);
    expect(server.counters.statelessResets).toBeGreaterThan(0);
    expect((col.closed() as { info: { kind: string } }).info.kind).toBe('stateless-reset');
  });

  it('the endpoint drops Initials in datagrams under 1200 bytes and garbage', () => {
    const server = new Endpoint({ server: { tls: serverTls() } });
    const small = new Uint8Array(600);
    small.set([0xc0, 0, 0, 0, 1, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0]);
    expect(server.handleDatagram(0, small, CLIENT_PATH)).toMatchObject({ kind: 'drop' });
    expect(server.handleDatagram(0, new Uint8Array(0), CLIENT_PATH)).toMatchObject({ kind: 'drop' });
    expect(server.handleDatagram(0, Uint8Array.of(0x80, 1), CLIENT_PATH)).toMatchObject({ kind: 'drop' });
    expect(server.connections.size).toBe(0);
  });
});
