/**
 * @module node/serve
 * `serve(options, handler)`: an HTTP/3 server on a `QuicEndpoint` (ALPN h3),
 * the fetch-handler shape of Deno.serve and Bun.serve — `handler(request,
 * info)` returns a `Response`; `info` carries the remote address, the TLS
 * handshake and the HTTP/3 connection. Limits against a hostile client come
 * from QUIC (concurrent requests are MAX_STREAMS, RFC 9114 §5.1 / RFC 9000
 * §4.6) and from the HTTP/3 layer (field section size, control-stream rate).
 * `shutdown()` is the graceful close of RFC 9114 §5.2 on every connection:
 * GOAWAY, then drain, then H3_NO_ERROR.
 */
import { QuicEndpoint, type BindOptions, type QuicConnection, type QuicSocketEndpoint, type TransportSettings } from '@tsquic/quic-transport';
import { Http3Connection, type Http3Options, type Http3RequestInfo } from '../connection.js';
import type { Http3Handler } from '../server.js';
import { toCertificateChain, toPrivateKey } from './pem.js';

export interface ServeOptions extends Http3Options {
  /** UDP port (default 443; 0 for one the OS picks). */
  readonly port?: number;
  /** Local address (default '0.0.0.0'; '::' for IPv6 and IPv4). */
  readonly hostname?: string;
  /** Certificate chain: DER bytes, DER chain (leaf first) or PEM text. */
  readonly cert: string | Uint8Array | readonly Uint8Array[];
  /** PKCS #8 private key: DER bytes or PEM text. */
  readonly key: string | Uint8Array;
  /** 32 bytes: session tickets for resumption (and 0-RTT with `earlyData`). */
  readonly ticketKey?: Uint8Array;
  /** Accept 0-RTT requests from resuming clients (replay-protected by quic-transport; serve only what is safe to replay). */
  readonly earlyData?: boolean;
  /** Requests a client may have in flight on one connection (QUIC MAX_STREAMS for bidirectional streams, default 100). */
  readonly maxConcurrentRequests?: number;
  /** QUIC transport settings (idle timeout, windows, …). */
  readonly transport?: Partial<TransportSettings>;
  /** Socket and endpoint settings (buffers, key log, qlog, Retry, connection limits). */
  readonly endpoint?: Omit<BindOptions, 'address' | 'port' | 'transport'>;
  /**
   * Serve on an endpoint made elsewhere instead of binding one: e.g.
   * `QuicCluster.endpoint()` in each worker of a `QuicCluster` (an HTTP/3
   * server on every core). `port`, `hostname` and `endpoint` are then not
   * used, and `transport` applies to the connections accepted here.
   */
  readonly listenOn?: QuicSocketEndpoint;
  /** Stops the server (graceful shutdown) when aborted. */
  readonly signal?: AbortSignal;
  /** Called once listening. */
  readonly onListen?: (addr: { hostname: string; port: number }) => void;
  /** Called with what a handler threw (the client got a 500). */
  readonly onError?: (error: unknown) => void;
}

/** `info` as the Node server fills it. */
export interface ServeInfo extends Http3RequestInfo {
  /** The client's address and port (the connection's current path). */
  readonly remoteAddress: { readonly address: string; readonly port: number };
  /** The QUIC connection (handshake information, stats). */
  readonly quic: QuicConnection;
}

export interface Http3Server {
  readonly addr: { readonly hostname: string; readonly port: number };
  /** `https://host:port/` (IPv6 in brackets). */
  readonly url: string;
  /** The QUIC endpoint it serves on (a `QuicEndpoint` unless `listenOn` gave another). */
  readonly endpoint: QuicSocketEndpoint;
  /** The HTTP/3 connections open now. */
  readonly connections: ReadonlySet<Http3Connection>;
  /** Resolves when the server has stopped. */
  readonly finished: Promise<void>;
  /**
   * Graceful stop (RFC 9114 §5.2): no new connections, GOAWAY on every
   * connection, their requests finish (up to `timeoutMs`, default 10 s),
   * then H3_NO_ERROR and the socket closes.
   */
  shutdown(options?: { timeoutMs?: number }): Promise<void>;
  /** Immediate stop: every connection closes with H3_NO_ERROR. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Starts an HTTP/3 server; resolves once it listens. */
export async function serve(options: ServeOptions, handler: (request: Request, info: ServeInfo) => Response | Promise<Response>): Promise<Http3Server> {
  const hostname = options.hostname ?? '0.0.0.0';
  const wantsDatagrams = options.datagrams ?? (options.extensions ?? []).some((e) => e.datagrams);
  const transport: Partial<TransportSettings> = {
    ...(wantsDatagrams ? { maxDatagramFrameSize: 65535 } : {}),
    ...options.transport,
    streams: {
      // RFC 9114 §6.2: a peer needs at least 3 unidirectional streams; extensions may want more.
      maxStreamsUni: 100,
      ...options.transport?.streams,
      ...(options.maxConcurrentRequests === undefined ? {} : { maxStreamsBidi: options.maxConcurrentRequests }),
    } as TransportSettings['streams'],
  };
  const endpoint = options.listenOn ?? (await QuicEndpoint.bind({ ...options.endpoint, address: hostname, port: options.port ?? 443, transport }));
  const connections = new Set<Http3Connection>();
  let stopping = false;
  let resolveFinished!: () => void;
  const finished = new Promise<void>((resolve) => (resolveFinished = resolve));
  endpoint.listen({
    transport,
    tls: {
      certificateChain: toCertificateChain(options.cert),
      privateKey: toPrivateKey(options.key),
      alpn: ['h3'],
      ...(options.ticketKey ? { ticketKey: options.ticketKey } : {}),
      ...(options.earlyData ? { earlyData: true } : {}),
    },
    onConnection: (quic) => {
      if (stopping) {
        void quic.close({ closeCode: 0x100n, reason: 'server shutting down' });
        return;
      }
      const info = {
        quic,
        get remoteAddress() {
          return quic.remoteAddress;
        },
      };
      const conn = Http3Connection.server(quic, handler as Http3Handler, { ...options, info });
      connections.add(conn);
      void conn.closed.then(() => connections.delete(conn));
    },
  });
  const bound = endpoint.address;
  const addr = { hostname: bound.address, port: bound.port };
  const host = bound.address.includes(':') ? `[${bound.address}]` : bound.address;
  const close = async (): Promise<void> => {
    stopping = true;
    for (const c of connections) c.close();
    await endpoint.close({ closeCode: 0x100n });
    resolveFinished();
  };
  const shutdown = async (opts: { timeoutMs?: number } = {}): Promise<void> => {
    stopping = true;
    const drained = Promise.all([...connections].map((c) => c.shutdown()));
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<void>((resolve) => (timer = setTimeout(resolve, opts.timeoutMs ?? 10_000)));
    await Promise.race([drained, timeout]);
    clearTimeout(timer);
    await close();
  };
  options.signal?.addEventListener('abort', () => void shutdown(), { once: true });
  options.onListen?.(addr);
  return {
    addr,
    url: `https://${host}:${bound.port}/`,
    endpoint,
    connections,
    finished,
    shutdown,
    close,
    [Symbol.asyncDispose]: close,
  };
}
