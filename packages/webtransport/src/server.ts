/**
 * @module server
 * The server side: an @tsquic/http3 extension that enables WebTransport on
 * every connection it is given to (SETTINGS_ENABLE_WEBTRANSPORT, HTTP
 * datagrams, extended CONNECT; draft-ietf-webtrans-http3 §3.1) and hands
 * each session request — an extended CONNECT with `:protocol webtransport`
 * (§3.2) — to the application, which accepts it (a `WebTransportSession`) or
 * refuses it with a status (§3.2: 404 for a path it does not serve, 403 for
 * an origin it does not allow, 429 when busy). Requests are held until the
 * client's SETTINGS have arrived (the draft's rule for draft versions) and
 * refused with 400 when those lack what WebTransport needs.
 */
import type { ConnectRequest, Http3Extension } from '@tsquic/http3';
import { WebTransportSession } from './session.js';
import { SessionRegistry, type WebTransportLimits } from './session-registry.js';
import { DRAFT_RESPONSE_HEADER, missingSettings, UPGRADE_TOKEN, WEBTRANSPORT_SETTINGS } from './settings.js';

/** A session request, as the application sees it. */
export interface WebTransportRequest {
  /** `https://authority/path?query` */
  readonly url: string;
  /** `:path`, with the query. */
  readonly path: string;
  readonly authority: string;
  /** The Origin header (browsers always send it, §3.2), if any. */
  readonly origin: string | undefined;
  readonly headers: Headers;
  /** The session ID: the CONNECT stream's ID. */
  readonly sessionId: bigint;
  /** Accepts: answers 200 and returns the session (its `ready` resolves once the answer is out). */
  accept(init?: { headers?: HeadersInit }): WebTransportSession;
  /** Refuses with a status other than 2xx (default 404) and an optional body. */
  reject(status?: number, init?: { headers?: HeadersInit; body?: string }): Promise<void>;
}

export interface WebTransportServerOptions extends WebTransportLimits {
  /** Called for every session request; answer it with `accept()` or `reject()`, at once or later. Throwing refuses with 500. */
  onSession(request: WebTransportRequest): void | Promise<void>;
}

/**
 * The WebTransport extension for `serve()` / `Http3Connection.server()` of
 * @tsquic/http3: `serve({ …, extensions: [webTransportServer({ onSession })] }, handler)`.
 */
export function webTransportServer(options: WebTransportServerOptions): Http3Extension {
  if (typeof options?.onSession !== 'function') throw new TypeError('webTransportServer() needs an onSession function');
  return {
    name: 'webtransport',
    settings: WEBTRANSPORT_SETTINGS,
    datagrams: true,
    connectProtocols: [UPGRADE_TOKEN],
    attach(host) {
      const registry = new SessionRegistry(host, options);
      host.onConnect(UPGRADE_TOKEN, (request) => sessionRequest(registry, request, options));
    },
  };
}

async function sessionRequest(registry: SessionRegistry, request: ConnectRequest, options: WebTransportServerOptions): Promise<void> {
  const id = request.streamId;
  let settings;
  try {
    settings = await registry.host.peerSettings;
  } catch {
    return registry.end(id); // the connection ended first
  }
  const missing = missingSettings(settings, 'server');
  if (missing.length > 0) {
    registry.end(id);
    return request.reject({ status: 400, body: `WebTransport needs ${missing.join(' and ')} in the client's SETTINGS` });
  }
  // §5.1 (later drafts' rate limiting): 429 beyond the sessions we allow on one connection.
  if (!registry.reserve(id)) {
    registry.end(id);
    return request.reject({ status: 429, body: 'too many WebTransport sessions on this connection' });
  }
  let answered = false;
  const answer = (): void => {
    if (answered) throw new TypeError('this session request was already answered');
    answered = true;
  };
  const wt: WebTransportRequest = {
    url: request.url,
    path: request.path,
    authority: request.authority,
    origin: request.headers.get('origin') ?? undefined,
    headers: request.headers,
    sessionId: id,
    accept(init = {}) {
      answer();
      const session = new WebTransportSession();
      const headers = new Headers(init.headers);
      if (!headers.has(DRAFT_RESPONSE_HEADER)) headers.set(DRAFT_RESPONSE_HEADER, 'draft02');
      request.accept({ headers }).then(
        (tunnel) => {
          // Bound first: add() hands the session the streams held for it (§4.6), which a session not yet usable refuses.
          session.bind({ sessionId: id, tunnel, host: registry.host });
          registry.add(id, session);
        },
        (e: unknown) => session.handle({ type: 'connection-closed', message: `the session could not be accepted: ${e instanceof Error ? e.message : String(e)}` }),
      );
      return session;
    },
    async reject(status = 404, init = {}) {
      answer();
      registry.end(id);
      await request.reject({ status, ...(init.headers ? { headers: init.headers } : {}), ...(init.body === undefined ? {} : { body: init.body }) });
    },
  };
  try {
    await options.onSession(wt);
  } catch (e) {
    if (answered) return;
    answered = true;
    registry.end(id);
    await request.reject({ status: 500 });
    throw e; // @tsquic/http3 reports it (onError)
  }
}

/**
 * The origin check every WebTransport server must make for browsers (§3.2):
 * true when the request's Origin is in `allowed` (exact `scheme://host:port`
 * strings) or `allowed(origin)` says yes. A request without Origin (not from
 * a browser) passes unless `requireOrigin` is set. Refuse the others with 403.
 */
export function isOriginAllowed(request: Pick<WebTransportRequest, 'origin'>, allowed: Iterable<string> | ((origin: string) => boolean), options: { requireOrigin?: boolean } = {}): boolean {
  const origin = request.origin;
  if (origin === undefined) return options.requireOrigin !== true;
  if (typeof allowed === 'function') return allowed(origin);
  for (const a of allowed) if (a === origin) return true;
  return false;
}
