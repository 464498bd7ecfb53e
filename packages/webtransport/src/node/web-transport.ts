/**
 * @module node/web-transport
 * `new WebTransport(url, options)` for Node, with the browser's constructor
 * and options (W3C WebTransport): `serverCertificateHashes` (the certificate
 * rules of `certificate-hashes`), `allowPooling` (sessions to one origin
 * share a connection, as several sessions per connection are allowed) and
 * `headers`; plus Node's own: `origin`, `trustAnchors` (CA certificates
 * instead of hashes; Node's Mozilla roots by default) and `transport`.
 * Without pooling each instance has its own QUIC connection, closed with it.
 */
import { createClient, type ClientOptions, type Http3Client } from '@tsquic/http3/node';
import type { TransportSettings } from '@tsquic/quic-transport';
import { startSession, webTransportClient } from '../client.js';
import { WebTransportSession } from '../session.js';
import { certificateHashRefusal, type WebTransportHash } from './certificate-hashes.js';

export interface WebTransportOptions {
  /** W3C: trust the server's certificate by its SHA-256 instead of a CA (ECDSA, at most 14 days). */
  readonly serverCertificateHashes?: readonly WebTransportHash[];
  /** W3C: share a connection with other sessions to the same origin (not with serverCertificateHashes). */
  readonly allowPooling?: boolean;
  /** W3C: extra request header fields. */
  readonly headers?: HeadersInit;
  /** Node: the Origin header to send (a browser sends its page's). */
  readonly origin?: string;
  /** Node: CA certificates (DER or PEM) to verify the server with; default Node's Mozilla roots. */
  readonly trustAnchors?: ReadonlyArray<Uint8Array | string>;
  /** Node: QUIC settings (idle timeout, windows, …). */
  readonly transport?: Partial<TransportSettings>;
}

/** Datagrams must be on for WebTransport (RFC 9297 needs QUIC DATAGRAM frames). */
const DATAGRAM_FRAME_SIZE = 65535;

/** How long a closed session's own connection waits for the peer to end the CONNECT stream. */
const CLOSE_LINGER_MS = 1000;

let pooled: Http3Client | undefined;

function ownClient(options: WebTransportOptions): Http3Client {
  const hashes = options.serverCertificateHashes ?? [];
  const client: ClientOptions = {
    extensions: [webTransportClient()],
    earlyData: false, // W3C/draft §3.2: a session request is never sent in 0-RTT
    transport: { ...options.transport, maxDatagramFrameSize: options.transport?.maxDatagramFrameSize ?? DATAGRAM_FRAME_SIZE },
    ...(hashes.length > 0 ? { verifyPeer: (chain: Uint8Array[]) => chain.length > 0 && certificateHashRefusal(chain[0]!, hashes, Date.now()) === undefined } : options.trustAnchors ? { trustAnchors: options.trustAnchors } : {}),
  };
  return createClient(client);
}

export class WebTransport extends WebTransportSession {
  constructor(url: string | URL, options: WebTransportOptions = {}) {
    super();
    const hashes = options.serverCertificateHashes ?? [];
    // W3C: serverCertificateHashes "cannot be used with allowPooling".
    if (options.allowPooling && hashes.length > 0) throw new TypeError('serverCertificateHashes cannot be used with allowPooling');
    const client = options.allowPooling && !options.trustAnchors && !options.transport ? (pooled ??= ownClient({})) : ownClient(options);
    const target = new URL(url);
    const init = { ...(options.headers ? { headers: options.headers } : {}), ...(options.origin ? { origin: options.origin } : {}) };
    void client.connection(target).then(
      (conn) => startSession(this, conn, target, init),
      (e: unknown) => this.handle({ type: 'connection-closed', message: `could not connect to ${target.host}: ${e instanceof Error ? e.message : String(e)}` }),
    );
    if (client !== pooled) {
      // draft §5: close the connection only once the peer has closed the CONNECT stream, so that a
      // CLOSE_WEBTRANSPORT_SESSION is not overtaken by CONNECTION_CLOSE (bounded wait).
      const done = (): void =>
        void Promise.race([this.finished, new Promise((r) => setTimeout(r, CLOSE_LINGER_MS))])
          .then(() => client.close())
          .catch(() => undefined);
      this.closed.then(done, done);
    }
  }
}

/** Closes the connections shared by `allowPooling` sessions. */
export async function closePooledConnections(): Promise<void> {
  const p = pooled;
  pooled = undefined;
  await p?.close();
}
