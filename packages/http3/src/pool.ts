/**
 * @module pool
 * A fetch client over pooled HTTP/3 connections, runtime-neutral (the QUIC
 * connections come from a `Connector`; the Node entry supplies one over
 * `QuicEndpoint`): one connection per origin carrying concurrent requests
 * (RFC 9114 §3.3: connection reuse), a new one once a connection is going
 * away (GOAWAY, §5.2) or closed; requests the server never processed
 * (§4.1.1, §5.2) sent again when their body can be replayed; redirects
 * followed as Fetch does; safe requests sent in 0-RTT when the connector
 * resumed with early data (RFC 9114 §3.3 / RFC 9001 §4.6), others held until
 * the handshake completes.
 */
import { isRetryable, setLocation, type Http3RequestInit, type Http3Response } from './client.js';
import { Http3Connection, type Http3Options } from './connection.js';
import type { Http3Session } from './session.js';

/** A new QUIC connection to an origin (ALPN h3), usable at once; `ready` settles when its handshake completes. */
export interface ConnectedSession {
  readonly session: Http3Session;
  readonly ready: Promise<unknown>;
  /** True when requests may go out before `ready` (0-RTT with a resumed session). */
  readonly earlyData: boolean;
}

export type Connector = (origin: URL) => Promise<ConnectedSession>;

export interface PoolOptions extends Http3Options {
  /** Times a request the server did not process is sent again (default 2). */
  readonly maxRetries?: number;
}

/** RFC 9110 §9.2.1: safe methods, the only ones sent as 0-RTT early data (RFC 8470 §4's caution, without a Early-Data header). */
const SAFE_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD', 'OPTIONS']);
const REDIRECTS: ReadonlySet<number> = new Set([301, 302, 303, 307, 308]);
const MAX_REDIRECTS = 20;

interface PooledConnection {
  readonly connection: Http3Connection;
  /** Settles when the handshake completed; until then only safe requests go out (early data). */
  readonly ready: Promise<unknown>;
  handshakeDone: boolean;
}

export class Http3Pool {
  readonly #connector: Connector;
  readonly #options: PoolOptions;
  readonly #pool = new Map<string, Promise<PooledConnection>>();
  /** The pool's entries whose connection is open, by origin: a request on one takes no promise turn to find it. */
  readonly #open = new Map<string, PooledConnection>();
  #closed = false;

  constructor(connector: Connector, options: PoolOptions = {}) {
    this.#connector = connector;
    this.#options = options;
  }

  /**
   * The pooled connection to `url`'s origin, opened when there is none (or
   * the one there is going away): for extended CONNECT and other uses of
   * the connection API.
   */
  async connection(url: string | URL): Promise<Http3Connection> {
    const pooled = await this.#pooled(new URL(url));
    await pooled.ready;
    return pooled.connection;
  }

  /** Fetch over HTTP/3: a standard `Response` with `trailers` and `streamId` added. */
  async fetch(input: RequestInfo | URL, init: Http3RequestInit = {}): Promise<Http3Response> {
    let request = input instanceof Request ? input : undefined;
    let url = new URL(request ? request.url : input instanceof URL ? input.href : String(input));
    let current: Http3RequestInit = init;
    const mode = init.redirect ?? request?.redirect ?? 'follow';
    for (let redirects = 0; ; redirects++) {
      const response = await this.#fetchWithRetry(request ?? url, current);
      if (!REDIRECTS.has(response.status) || mode === 'manual') return setLocation(response, url, redirects > 0);
      const location = response.headers.get('location');
      if (location === null) return setLocation(response, url, redirects > 0);
      if (mode === 'error') {
        await response.body?.cancel();
        throw new TypeError(`redirected to ${location} with redirect: 'error'`);
      }
      if (redirects >= MAX_REDIRECTS) throw new TypeError(`more than ${MAX_REDIRECTS} redirects`);
      await response.body?.cancel();
      const method = (current.method ?? request?.method ?? 'GET').toUpperCase();
      // Fetch §4.4 HTTP-redirect fetch: 303 (and 301/302 after POST) continue as GET without a body.
      const toGet = response.status === 303 ? method !== 'HEAD' : (response.status === 301 || response.status === 302) && method === 'POST';
      if (!toGet && current.body instanceof ReadableStream) throw new TypeError('cannot follow a redirect with a streamed request body');
      url = new URL(location, url);
      current = toGet ? { ...current, method: 'GET', body: null } : current;
      if (request) {
        current = {
          method: current.method ?? request.method,
          headers: current.headers ?? request.headers,
          body: toGet ? null : (current.body ?? null),
          signal: current.signal ?? request.signal,
          ...(current.trailers ? { trailers: current.trailers } : {}),
        };
        request = undefined;
      }
    }
  }

  async #fetchWithRetry(input: Request | URL, init: Http3RequestInit): Promise<Http3Response> {
    const url = input instanceof Request ? new URL(input.url) : input;
    const method = (init.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    const replayable = !(init.body instanceof ReadableStream) && !(input instanceof Request && input.body !== null && init.body === undefined);
    const maxRetries = this.#options.maxRetries ?? 2;
    for (let attempt = 0; ; attempt++) {
      const pooled = this.#usable(url.origin) ?? (await this.#pooled(url));
      if (!pooled.handshakeDone && !SAFE_METHODS.has(method)) await pooled.ready;
      try {
        return await pooled.connection.fetch(input, init);
      } catch (e) {
        if (!isRetryable(e) || !replayable || attempt >= maxRetries) throw e;
        // RFC 9114 §4.1.1, §5.2: not processed by the server; send it again, on a connection not going away.
      }
    }
  }

  /** The open pooled connection to `origin`, when there is one not going away. */
  #usable(origin: string): PooledConnection | undefined {
    const pooled = this.#open.get(origin);
    return pooled && !this.#closed && !pooled.connection.draining && !pooled.connection.isClosing ? pooled : undefined;
  }

  async #pooled(url: URL): Promise<PooledConnection> {
    if (this.#closed) throw new TypeError('the client is closed');
    const origin = url.origin;
    const existing = this.#pool.get(origin);
    if (existing) {
      const pooled = await existing.catch(() => undefined);
      if (pooled && !pooled.connection.draining && !pooled.connection.isClosing) return pooled;
      if (this.#pool.get(origin) === existing) this.#pool.delete(origin);
    }
    const fresh = this.#connect(url);
    this.#pool.set(origin, fresh);
    fresh.then(
      (pooled) => {
        if (this.#pool.get(origin) === fresh) this.#open.set(origin, pooled);
      },
      () => {
        if (this.#pool.get(origin) === fresh) this.#pool.delete(origin);
      },
    );
    return fresh;
  }

  async #connect(url: URL): Promise<PooledConnection> {
    const { session, ready, earlyData } = await this.#connector(url);
    const connection = Http3Connection.client(session, this.#options);
    const pooled: PooledConnection = { connection, ready, handshakeDone: false };
    void ready.then(
      () => (pooled.handshakeDone = true),
      () => undefined,
    );
    if (!earlyData) {
      await ready;
      pooled.handshakeDone = true;
    }
    void connection.closed.then(() => {
      const entry = this.#pool.get(url.origin);
      if (this.#open.get(url.origin) === pooled) this.#open.delete(url.origin);
      void entry?.then((p) => {
        if (p === pooled && this.#pool.get(url.origin) === entry) this.#pool.delete(url.origin);
      });
    });
    return pooled;
  }

  /** Closes every pooled connection: GOAWAY and H3_NO_ERROR once their requests are done (`graceful`), else at once. */
  async close(options: { graceful?: boolean } = {}): Promise<void> {
    this.#closed = true;
    const all = await Promise.allSettled(this.#pool.values());
    this.#pool.clear();
    this.#open.clear();
    await Promise.all(
      all.map(async (r) => {
        if (r.status !== 'fulfilled') return;
        if (options.graceful) await r.value.connection.shutdown('client closing');
        else r.value.connection.close();
        await r.value.connection.closed;
      }),
    );
  }
}
