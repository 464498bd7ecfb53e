/**
 * @module transport
 * THE SEAM between the interop endpoint and QUIC. Everything else in this
 * example is transport-independent and tested over in-memory sessions; the
 * endpoint reaches QUIC only through the `QuicTransport` returned by
 * `createQuicTransport()`. Until `@tsquic/quic-transport` is wired in, that
 * function returns `undefined` and the endpoint exits 127 ("transport not
 * available"), which the interop runner reports as "unsupported".
 */
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
 * THE SEAM: the QUIC transport the endpoint runs on. Replace the body with
 * an implementation over `@tsquic/quic-transport` (a `QuicEndpoint` whose
 * connections already fit `Session`). Returning `undefined` makes the
 * endpoint exit 127 with "transport not available".
 */
export function createQuicTransport(): QuicTransport | undefined {
  return undefined;
}
