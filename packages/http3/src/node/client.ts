/**
 * @module node/client
 * The fetch client over `QuicEndpoint`: one local UDP socket, one pooled
 * HTTP/3 connection per origin (`Http3Pool`), session tickets kept per origin
 * so a new connection resumes (and sends safe requests as 0-RTT unless `earlyData: false`),
 * and certificate trust as quic-transport takes it (`trustAnchors`,
 * `verifier`, `verifyPeer`) — by default the Mozilla roots Node ships
 * (`tls.rootCertificates`) with the URL's host as the server name.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { rootCertificates } from 'node:tls';
import { QuicEndpoint, type BindOptions, type ClientTlsSettings, type TransportSettings } from '@tsquic/quic-transport';
import type { Http3RequestInit, Http3Response } from '../client.js';
import type { Http3Connection } from '../connection.js';
import { Http3Pool, type PoolOptions } from '../pool.js';
import { pemBlocks } from './pem.js';

type SessionTicket = NonNullable<ClientTlsSettings['sessionTicket']>;

export interface ClientOptions extends PoolOptions {
  /** CA certificates (DER or PEM text) for RFC 5280 path validation; default: Node's Mozilla roots. */
  readonly trustAnchors?: ReadonlyArray<Uint8Array | string>;
  /** A tls13-handshake verifier (e.g. `pinSpkiSha256([...])` from quic-transport). */
  readonly verifier?: ClientTlsSettings['verifier'];
  /** `'none'` (development only) or a function of the DER chain and server name. */
  readonly verifyPeer?: ClientTlsSettings['verifyPeer'];
  /**
   * Send safe requests (GET, HEAD, OPTIONS) as 0-RTT early data when
   * resuming with a held session ticket whose server allows it (RFC 9114
   * §3.3, RFC 9001 §4.6; default true). Tickets are always used to resume;
   * `false` keeps every request until the handshake completes (early data
   * can be replayed by an attacker, RFC 8446 §8).
   */
  readonly earlyData?: boolean;
  /** QUIC transport settings for every connection. */
  readonly transport?: Partial<TransportSettings>;
  /** The local socket (address '::' for IPv6 servers; buffers; key log; qlog). */
  readonly endpoint?: Omit<BindOptions, 'transport'>;
  /** Host name → IP address (default: the system resolver). */
  readonly resolve?: (host: string) => Promise<string>;
}

/** The trust options of quic-transport, from ours: exactly one of them (RFC 5280 roots by default). */
function trustSettings(options: ClientOptions): Pick<ClientTlsSettings, 'trustAnchors' | 'verifier' | 'verifyPeer'> {
  if (options.verifyPeer !== undefined) return { verifyPeer: options.verifyPeer };
  if (options.verifier !== undefined) return { verifier: options.verifier };
  const anchors = options.trustAnchors ?? rootCertificates;
  return { trustAnchors: anchors.flatMap((a) => (typeof a === 'string' ? pemBlocks(a, /^CERTIFICATE$/) : [a])) };
}

export class Http3Client {
  readonly #options: ClientOptions;
  readonly #pool: Http3Pool;
  readonly #tickets = new Map<string, SessionTicket>();
  #endpoint: Promise<QuicEndpoint> | undefined;
  #trust: Pick<ClientTlsSettings, 'trustAnchors' | 'verifier' | 'verifyPeer'> | undefined;

  constructor(options: ClientOptions = {}) {
    this.#options = options;
    this.#pool = new Http3Pool((origin) => this.#connect(origin), options);
  }

  /** Fetch over HTTP/3 (https URLs only): a standard `Response`, plus `trailers` and `streamId`. */
  fetch(input: RequestInfo | URL, init?: Http3RequestInit): Promise<Http3Response> {
    return this.#pool.fetch(input, init);
  }

  /** The pooled connection to an origin (for extended CONNECT and extensions). */
  connection(url: string | URL): Promise<Http3Connection> {
    return this.#pool.connection(url);
  }

  /** True when a session ticket from `url`'s origin is held: the next new connection there resumes, with 0-RTT if allowed. */
  hasSessionTicket(url: string | URL): boolean {
    return this.#tickets.has(new URL(url).origin);
  }

  /** The local QUIC endpoint (bound on first use). */
  endpoint(): Promise<QuicEndpoint> {
    // unref: the pool's idle connections do not keep the process alive (requests in progress do).
    this.#endpoint ??= QuicEndpoint.bind({ address: '0.0.0.0', port: 0, ...this.#options.endpoint, ...(this.#options.transport ? { transport: this.#options.transport } : {}) }).then((ep) => ep.unref());
    return this.#endpoint;
  }

  /** Closes every connection (gracefully with `graceful`: GOAWAY, wait for requests) and the socket. */
  async close(options: { graceful?: boolean } = {}): Promise<void> {
    await this.#pool.close(options);
    const endpoint = await this.#endpoint?.catch(() => undefined);
    await endpoint?.close();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  async #connect(origin: URL) {
    const endpoint = await this.endpoint();
    const host = origin.hostname.replace(/^\[(.*)\]$/, '$1');
    const address = isIP(host) ? host : await (this.#options.resolve ?? defaultResolve)(host);
    const port = origin.port === '' ? 443 : Number(origin.port);
    const ticket = this.#tickets.get(origin.origin);
    const early = ticket !== undefined && this.#options.earlyData !== false;
    this.#trust ??= trustSettings(this.#options);
    const quic = endpoint.connect(
      { address, port },
      {
        alpn: ['h3'],
        // RFC 6066 §3: no server_name for an IP literal.
        ...(isIP(host) ? {} : { serverName: host }),
        ...this.#trust,
        ...(ticket ? { sessionTicket: ticket, earlyData: early } : {}),
        ...(this.#options.transport ? { transport: this.#options.transport } : {}),
      },
    );
    quic.onSessionTicket = (t) => this.#tickets.set(origin.origin, t);
    return { session: quic, ready: quic.ready, earlyData: early && ticket.maxEarlyData > 0 };
  }
}

async function defaultResolve(host: string): Promise<string> {
  return (await lookup(host)).address;
}

let shared: Http3Client | undefined;

/**
 * `fetch` over HTTP/3 with a shared default client (Node's Mozilla roots;
 * `createClient` for other trust). Its UDP socket keeps the process alive
 * only while requests are in progress; `closeDefaultClient()` closes it.
 */
export function fetch(input: RequestInfo | URL, init?: Http3RequestInit): Promise<Http3Response> {
  shared ??= new Http3Client();
  return shared.fetch(input, init);
}

/** Closes the shared client of `fetch` (its connections and socket); the next `fetch` opens a new one. */
export async function closeDefaultClient(): Promise<void> {
  const client = shared;
  shared = undefined;
  await client?.close();
}

/** A client with its own pool, socket, trust and ticket store. */
export function createClient(options: ClientOptions = {}): Http3Client {
  return new Http3Client(options);
}
