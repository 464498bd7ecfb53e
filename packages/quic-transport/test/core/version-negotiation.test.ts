/** Compatible version negotiation, QUIC v1 → v2 (RFC 9368, RFC 9369) over the simulated network. */
import { QuicVersion } from '@tsquic/quic-crypto-keys';
import type { SessionTicket } from '@tsquic/tls13-handshake';
import { describe, expect, it, vi } from 'vitest';
import { Connection, Endpoint } from '../../src/core/index.js';
import { BulkSender, Collector, pattern } from '../sim/apps.js';
import { Network, pair, SERVER_PATH, serverTls } from '../sim/network.js';

/** Faults injected into the version negotiation of RFC 9368 §4 (off: the real code runs). */
const faults = vi.hoisted(() => ({ brokenServer: false, tamperingClient: false }));
vi.mock('../../src/core/transport-parameters.js', async (importOriginal) => {
  const real = await importOriginal<typeof import('../../src/core/transport-parameters.js')>();
  return {
    ...real,
    // A broken server: it switches its packets to v2 but keeps advertising v1 as its Chosen Version.
    negotiateVersion: (...a: Parameters<typeof real.negotiateVersion>) => (faults.brokenServer ? (real.switchVersion(a[0], QuicVersion.V2, a[3]), false) : real.negotiateVersion(...a)),
    // A tampering client: v1 packets, but version_information says v2 was chosen.
    localParameters: (...a: Parameters<typeof real.localParameters>) => {
      const tp = real.localParameters(...a);
      return faults.tamperingClient && !a[3] ? { ...tp, versionInformation: { chosenVersion: QuicVersion.V2, availableVersions: [QuicVersion.V2, QuicVersion.V1] } } : tp;
    },
  };
});

const TLS = { serverName: 'localhost', alpn: ['test'], verifyPeer: 'none' as const };
const V1V2 = [QuicVersion.V1, QuicVersion.V2];
const V2V1 = [QuicVersion.V2, QuicVersion.V1];

/** The version field of every long-header packet that starts a datagram, per sender. */
function watchVersions(net: Network): { client: number[]; server: number[] } {
  const seen = { client: [] as number[], server: [] as number[] };
  net.filter = (from, data) => {
    if (data[0]! & 0x80) seen[from].push(new DataView(data.buffer, data.byteOffset).getUint32(1));
    return data;
  };
  return seen;
}

/** Handshake, then the client sends `size` bytes on one stream and the server checks them. */
function run(env: ReturnType<typeof pair>, c: Connection, size = 256 << 10): boolean {
  const src = pattern(size, 3);
  let sender: BulkSender | undefined;
  let got: Uint8Array | undefined;
  let col: Collector | undefined;
  return env.net.runUntil(() => {
    if (c.handshakeInfo && !sender) sender = new BulkSender(c, c.openStream('bidi')!, src);
    sender?.pump();
    const s = [...env.server.connections][0];
    if (s && !col) col = new Collector(s);
    col?.pump(env.net.now);
    if (col && col.finished.size > 0) got = col.bytes([...col.finished][0]!);
    return got !== undefined && Buffer.from(got).equals(Buffer.from(src));
  }, 20_000);
}

describe('compatible version negotiation (RFC 9368)', () => {
  it('a server that prefers v2 moves a v1 client to v2: its Initials and all later packets are v2, keys follow, data flows', () => {
    const env = pair({ latencyMs: 10 }, { serverTransport: { versions: V2V1 } });
    const seen = watchVersions(env.net);
    const c = env.client.connect(0, SERVER_PATH, TLS); // starts in v1, lists v1 and v2
    expect(c.version).toBe(QuicVersion.V1);
    expect(run(env, c)).toBe(true);
    const s = [...env.server.connections][0]!;
    expect(c.version).toBe(QuicVersion.V2);
    expect(s.version).toBe(QuicVersion.V2);
    expect(c.originalVersion).toBe(QuicVersion.V1);
    expect(c.handshakeInfo?.version).toBe(QuicVersion.V2);
    expect(seen.client[0]).toBe(QuicVersion.V1); // the first flight was v1
    expect(seen.server.every((v) => v === QuicVersion.V2)).toBe(true); // the server never answered in v1
    expect(seen.client.slice(1).every((v) => v === QuicVersion.V2)).toBe(true);
    expect(c.state === 'closed' || s.state === 'closed').toBe(false);
  });

  it('survives loss of the first server flight: the client retransmits in v1, the server still reads it', () => {
    const env = pair({ latencyMs: 10 }, { serverTransport: { versions: V2V1 } });
    let dropped = 0;
    env.net.filter = (from, data) => (from === 'server' && dropped++ < 2 ? null : data);
    const c = env.client.connect(0, SERVER_PATH, TLS);
    expect(run(env, c)).toBe(true);
    expect(dropped).toBeGreaterThan(2);
    expect(c.version).toBe(QuicVersion.V2);
  });

  it('stays on v1 when the server prefers v1 (the default) or the client does not list v2', () => {
    const a = pair({}, {});
    const c1 = a.client.connect(0, SERVER_PATH, TLS);
    expect(run(a, c1)).toBe(true);
    expect(c1.version).toBe(QuicVersion.V1);

    const b = pair({}, { serverTransport: { versions: V2V1 }, transport: { versions: [QuicVersion.V1] } });
    const c2 = b.client.connect(0, SERVER_PATH, TLS);
    expect(run(b, c2)).toBe(true);
    expect(c2.version).toBe(QuicVersion.V1);
    expect([...b.server.connections][0]!.version).toBe(QuicVersion.V1);
  });

  it('v2 → v1 works the same way (RFC 9369 §4: compatible both ways); a client that lists only v2 stays in v2', () => {
    const a = pair({}, { serverTransport: { versions: V1V2 } });
    const c1 = a.client.connect(0, SERVER_PATH, TLS, { versions: V2V1 }, QuicVersion.V2);
    expect(run(a, c1)).toBe(true);
    expect(c1.originalVersion).toBe(QuicVersion.V2);
    expect(c1.version).toBe(QuicVersion.V1);

    const b = pair({}, { serverTransport: { versions: V1V2 } });
    const c2 = b.client.connect(0, SERVER_PATH, TLS, { versions: [QuicVersion.V2] }, QuicVersion.V2);
    expect(run(b, c2)).toBe(true);
    expect(c2.version).toBe(QuicVersion.V2);
  });

  it('a client offering 0-RTT keeps its version, so its 0-RTT packets are read', () => {
    const server = new Endpoint({ server: { tls: { ...serverTls(), ticketKey: new Uint8Array(32).fill(4), earlyData: true }, transport: { versions: V2V1 } } });
    const client = new Endpoint();
    const net = new Network(client, server, { latencyMs: 20 });
    const first = client.connect(0, SERVER_PATH, TLS);
    const col = new Collector(first);
    let ticket: SessionTicket | undefined;
    net.runUntil(() => {
      col.pump(net.now);
      for (const e of col.events) if (e.type === 'session-ticket') ticket = e.ticket;
      return ticket !== undefined;
    }, 5000);
    expect(first.version).toBe(QuicVersion.V2); // the first connection was upgraded
    const c = client.connect(net.now, SERVER_PATH, { ...TLS, sessionTicket: ticket!, earlyData: true });
    const id = c.openStream('bidi')!;
    c.write(id, new TextEncoder().encode('early'), true);
    net.runUntil(() => c.handshakeInfo !== undefined, 5000);
    expect(c.version).toBe(QuicVersion.V1);
    expect(c.handshakeInfo?.earlyData).toBe('accepted');
  });

  it('a server whose transport parameters do not confirm the version it answered in is refused with VERSION_NEGOTIATION_ERROR (0x11)', () => {
    faults.brokenServer = true;
    try {
      const env = pair({}, { serverTransport: { versions: V2V1 } });
      const c = env.client.connect(0, SERVER_PATH, TLS);
      const col = new Collector(c);
      env.net.runUntil(() => {
        col.pump(env.net.now);
        return c.isClosed || c.state === 'closing' || c.state === 'draining';
      }, 5000);
      const closed = col.events.find((e) => e.type === 'closed');
      expect(closed).toMatchObject({ type: 'closed', info: { code: 0x11n, remote: false } });
    } finally {
      faults.brokenServer = false;
    }
  });

  it('a client whose Chosen Version differs from the version of its Initials is refused with VERSION_NEGOTIATION_ERROR', () => {
    faults.tamperingClient = true;
    try {
      const env = pair({}, { serverTransport: { versions: V2V1 } });
      const c = env.client.connect(0, SERVER_PATH, TLS);
      const col = new Collector(c);
      env.net.runUntil(() => {
        col.pump(env.net.now);
        return col.events.some((e) => e.type === 'closed');
      }, 5000);
      expect(col.events.find((e) => e.type === 'closed')).toMatchObject({ info: { code: 0x11n, remote: true } });
    } finally {
      faults.tamperingClient = false;
    }
  });

  it('a server limited to v1 answers a v2 Initial with Version Negotiation listing v1; the v2-only client stops', () => {
    const env = pair({}, { serverTransport: { versions: [QuicVersion.V1] } });
    const c = env.client.connect(0, SERVER_PATH, TLS, { versions: [QuicVersion.V2] }, QuicVersion.V2);
    const col = new Collector(c);
    env.net.runUntil(() => {
      col.pump(env.net.now);
      return c.isClosed;
    }, 5000);
    expect(env.server.counters.versionNegotiations).toBe(1);
    expect(env.server.connections.size).toBe(0);
    expect(col.events.find((e) => e.type === 'closed')).toMatchObject({ info: { kind: 'version-negotiation' } });
  });
});
