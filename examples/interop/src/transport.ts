/**
 * @module transport
 * THE SEAM between the interop endpoint and QUIC. Everything else in this
 * example is transport-independent and tested over in-memory sessions; the
 * endpoint reaches QUIC only through the `QuicTransport` returned by
 * `createQuicTransport()`. Until `@tsquic/quic-transport` is wired in, that
 * function returns `undefined` and the endpoint exits 127 ("transport not
 * available"), which the interop runner reports as "unsupported".
 */
import { createPrivateKey, randomBytes, X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { defaultStreamSettings, QuicEndpoint, QuicVersion, type QuicConnection, type TransportSettings } from '@tsquic/quic-transport';
import type { SessionTicket } from '@tsquic/tls13-handshake';
import type { Alpn, CipherSuite, TransportFeature } from './endpoint/testcases.js';
import type { Session } from './session.js';

/** Everything a client connection needs, decided by the endpoint's plan. */
export interface ConnectOptions {
  /** ALPN to offer; exactly one today (`hq-interop` or `h3`). */
  readonly alpn: readonly Alpn[];
  /** TLS 1.3 cipher suites to offer, in order; the ClientHello must list exactly these (chacha20). */
  readonly cipherSuites: readonly CipherSuite[];
  /** The URL's host (brackets removed): SNI when it is a DNS name, and the name to verify against `ca`. */
  readonly serverName: string;
  /** Receives NSS key log lines (SSLKEYLOGFILE) for every secret of the connection. */
  readonly keylog?: (line: string) => void;
  /** PEM trust anchors from `${CERTS}/ca.pem`; verify the server against them. Absent: do not verify. */
  readonly ca?: string;
  /** Write one qlog file per connection into this directory. */
  readonly qlogDir?: string;
  /** Test-case behaviours to switch on (see `TransportFeature`). */
  readonly features: readonly TransportFeature[];
}

/** Everything a server needs, decided by the endpoint's plan. */
export interface ListenOptions {
  /** Addresses to bind, e.g. 0.0.0.0:443 and [::]:443 (IPv6-only socket). */
  readonly addresses: readonly { readonly host: string; readonly port: number }[];
  /** ALPN to accept; a ClientHello without one of these fails with no_application_protocol (alert 120). */
  readonly alpn: readonly Alpn[];
  readonly cipherSuites: readonly CipherSuite[];
  /** `${CERTS}/cert.pem`: the chain, leaf first. */
  readonly certificateChainPem: string;
  /** `${CERTS}/priv.key`. */
  readonly privateKeyPem: string;
  readonly keylog?: (line: string) => void;
  readonly qlogDir?: string;
  readonly features: readonly TransportFeature[];
  /** Offered as preferred_address, each by the listener of its address family. */
  readonly preferredAddresses?: readonly { readonly host: string; readonly port: number }[];
}

/** A listening server: every accepted connection (handshake complete) once, until closed. */
export interface Listener {
  readonly sessions: AsyncIterable<Session>;
  /** Stops accepting, closes the sockets and open connections. */
  close(): Promise<void>;
}

export interface QuicTransport {
  /** Connects and resolves once the handshake is complete (ALPN agreed). */
  connect(host: string, port: number, options: ConnectOptions): Promise<Session>;
  listen(options: ListenOptions): Promise<Listener>;
}

/**
 * THE SEAM, implemented over `@tsquic/quic-transport`: one `QuicEndpoint`
 * per client connection, one per listening address for a server.
 */
export function createQuicTransport(): QuicTransport | undefined {
  return quicTransport;
}

/** Session tickets from earlier connections of this run, by host:port (resumption, 0-RTT). */
const tickets = new Map<string, SessionTicket>();
/** One ticket key per server process: tickets survive across its connections. */
const ticketKey = new Uint8Array(randomBytes(32));

const quicTransport: QuicTransport = {
  async connect(host, port, o) {
    const peer = `${host}:${port}`;
    const resume = o.features.includes('resumption') ? tickets.get(peer) : undefined;
    const early = resume !== undefined && o.features.includes('zero-rtt');
    const ep = await QuicEndpoint.bind({ address: host.includes(':') ? '::' : '0.0.0.0', ...(o.qlogDir ? { qlogDir: o.qlogDir } : {}), ...(o.keylog ? { keylog: o.keylog } : {}) });
    const conn = ep.connect(
      { address: host, port },
      {
        alpn: [...o.alpn],
        cipherSuites: [...o.cipherSuites],
        ...(isIp(host) ? {} : { serverName: o.serverName }),
        verifyPeer: o.ca ? caVerifier(o.ca) : 'none',
        transport: transportFor(o.features),
        ...(resume ? { sessionTicket: resume } : {}),
        ...(early ? { earlyData: true } : {}),
      },
    );
    conn.onSessionTicket = (t) => tickets.set(peer, t);
    // With 0-RTT the requests go out before the handshake completes; otherwise wait for it.
    const handshake = conn.ready.catch(async (e: unknown) => {
      await ep.close({ timeoutMs: 100 });
      throw e;
    });
    if (!early) await handshake;
    // connection-migration: move to a new local socket (new CID, path validation) shortly after the handshake.
    if (o.features.includes('connection-migration')) {
      const t = setTimeout(() => void ep.rebind().catch(() => {}), 50);
      void conn.closed.catch(() => {}).finally(() => clearTimeout(t));
    }
    void conn.closed.catch(() => {}).finally(() => ep.close({ timeoutMs: 100 }));
    return asSession(conn);
  },

  async listen(o) {
    const chain = pemBlocks(o.certificateChainPem, 'CERTIFICATE');
    const key = new Uint8Array(createPrivateKey(o.privateKeyPem).export({ type: 'pkcs8', format: 'der' }));
    const endpoints: QuicEndpoint[] = [];
    const queue: Session[] = [];
    let wake: (() => void) | undefined;
    let closed = false;
    for (const a of o.addresses) {
      const offer = o.preferredAddresses?.find((p) => p.host.includes(':') === a.host.includes(':'));
      const pa = offer ? { preferredAddress: { address: offer.host, port: offer.port } } : {};
      const ep = await QuicEndpoint.bind({
        address: a.host,
        port: a.port,
        ipv6Only: a.host.includes(':'),
        ...pa,
        ...(o.features.includes('retry') ? { retry: 'always' as const } : {}),
        ...(o.qlogDir ? { qlogDir: o.qlogDir } : {}),
        ...(o.keylog ? { keylog: o.keylog } : {}),
      });
      ep.listen({
        tls: {
          certificateChain: chain,
          privateKey: key,
          alpn: [...o.alpn],
          cipherSuites: [...o.cipherSuites],
          ...(o.features.includes('resumption') ? { ticketKey } : {}),
          ...(o.features.includes('zero-rtt') ? { earlyData: true } : {}),
        },
        transport: transportFor(o.features),
        onConnection: (c) => {
          c.ready.then(
            () => {
              queue.push(asSession(c));
              wake?.();
            },
            () => {},
          );
        },
      });
      endpoints.push(ep);
    }
    return {
      sessions: {
        async *[Symbol.asyncIterator]() {
          while (!closed) {
            const s = queue.shift();
            if (s) yield s;
            else await new Promise<void>((r) => (wake = r));
          }
        },
      },
      async close() {
        closed = true;
        wake?.();
        await Promise.all(endpoints.map((e) => e.close({ timeoutMs: 300 })));
      },
    };
  },
};

function transportFor(features: readonly TransportFeature[]): Partial<TransportSettings> {
  // keyupdate: the runner wants a client key update within the first MB.
  const keys = {
    // The runner allows a test 60 s (300 s for 50 handshakes at 30% bursty loss); PTO backoff can keep one
    // handshake going for more than the transport's default 10 s, and giving up then fails the whole test.
    handshakeTimeoutMs: 60_000,
    ...(features.includes('key-update') ? { keyUpdateInterval: 10 } : {}),
    // v2: both sides list v1 and v2; the server prefers v2 and upgrades the client's v1 connection.
    ...(features.includes('v2') ? { versions: [QuicVersion.V2, QuicVersion.V1] } : {}),
  };
  // Interop transfers: larger windows, unless the test wants flow control exercised.
  if (features.includes('small-flow-control-windows')) {
    return { ...keys, streams: { ...defaultStreamSettings, connWindow: 64 * 1024, streamWindowBidiLocal: 32 * 1024, streamWindowBidiRemote: 32 * 1024, streamWindowUni: 32 * 1024 } };
  }
  return { ...keys, streams: { ...defaultStreamSettings, connWindow: 8 << 20, streamWindowBidiLocal: 4 << 20, streamWindowBidiRemote: 4 << 20, streamWindowUni: 4 << 20, maxStreamsBidi: 1000, maxStreamsUni: 100 } };
}

/** A QuicConnection as the interop Session (closed resolves with closeCode/reason). */
function asSession(c: QuicConnection): Session {
  return {
    createBidirectionalStream: () => c.createBidirectionalStream(),
    createUnidirectionalStream: () => c.createUnidirectionalStream(),
    incomingBidirectionalStreams: c.incomingBidirectionalStreams,
    incomingUnidirectionalStreams: c.incomingUnidirectionalStreams,
    closed: c.closed.then((i) => ({ closeCode: i.code, reason: i.reason })),
    close: (info) => void c.close({ closeCode: info?.closeCode ?? 0n, reason: info?.reason ?? '' }),
  };
}

/** Verify the server's chain against `${CERTS}/ca.pem` and its name (node:crypto's X509Certificate). */
function caVerifier(caPem: string): (chain: Uint8Array[], serverName: string | undefined) => boolean {
  const anchors = pemBlocks(caPem, 'CERTIFICATE').map((d) => new X509Certificate(d));
  return (chain, serverName) => {
    const certs = chain.map((d) => new X509Certificate(d));
    const now = Date.now();
    for (const c of certs) if (Date.parse(c.validFrom) > now || Date.parse(c.validTo) < now) return false;
    for (let i = 0; i + 1 < certs.length; i++) if (!certs[i]!.verify(certs[i + 1]!.publicKey)) return false;
    const top = certs[certs.length - 1];
    if (!top || !anchors.some((a) => top.verify(a.publicKey) || a.raw.equals(top.raw))) return false;
    if (!serverName) return true;
    return isIp(serverName) ? certs[0]!.checkIP(serverName) !== undefined : certs[0]!.checkHost(serverName) !== undefined;
  };
}

function pemBlocks(pem: string, label: string): Uint8Array[] {
  const re = new RegExp(`-----BEGIN ${label}-----([\\s\\S]*?)-----END ${label}-----`, 'g');
  return [...pem.matchAll(re)].map((m) => new Uint8Array(Buffer.from(m[1]!.replace(/\s+/g, ''), 'base64')));
}

function isIp(host: string): boolean {
  return isIP(host) !== 0;
}
