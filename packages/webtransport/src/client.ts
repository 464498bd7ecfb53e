/**
 * @module client
 * The client side over @tsquic/http3: an extension that claims WebTransport's
 * streams on client connections, and `connectSession()`, which sends the
 * session request (extended CONNECT with `:protocol webtransport` and
 * `sec-webtransport-http3-draft02: 1`, draft-ietf-webtrans-http3 §3.2) once
 * the server's SETTINGS show WebTransport support (§3.1), and establishes the
 * session on a 2xx answer. Several sessions may share one connection.
 */
import type { Http3Extension, Http3ExtensionHost } from '@tsquic/http3';
import { WebTransportSession } from './session.js';
import { SessionRegistry, type WebTransportLimits } from './session-registry.js';
import { DRAFT_HEADER, missingSettings, UPGRADE_TOKEN, WEBTRANSPORT_SETTINGS } from './settings.js';

const registries = new WeakMap<Http3ExtensionHost, SessionRegistry>();

/** The WebTransport extension for client connections (`Http3Connection.client(session, { extensions: [webTransportClient()] })`). */
export function webTransportClient(limits: WebTransportLimits = {}): Http3Extension {
  return {
    name: 'webtransport',
    settings: WEBTRANSPORT_SETTINGS,
    datagrams: true,
    attach(host) {
      registries.set(host, new SessionRegistry(host, limits));
    },
  };
}

export interface SessionRequestInit {
  /** Extra request header fields. */
  readonly headers?: HeadersInit;
  /** The Origin header field, as a browser page would send it (optional outside browsers, §3.2). */
  readonly origin?: string;
}

/** Opens a WebTransport session to `url` on a client connection made with `webTransportClient()`. */
export function connectSession(host: Http3ExtensionHost, url: string | URL, init: SessionRequestInit = {}): WebTransportSession {
  const session = new WebTransportSession();
  startSession(session, host, url, init);
  return session;
}

/** @internal Sends the session request for `session` (made beforehand, e.g. by the Node `WebTransport` constructor). */
export function startSession(session: WebTransportSession, host: Http3ExtensionHost, url: string | URL, init: SessionRequestInit = {}): void {
  const registry = registries.get(host);
  if (!registry) throw new TypeError('this connection was made without webTransportClient() among its extensions');
  const target = new URL(url);
  if (target.protocol !== 'https:') throw new TypeError(`a WebTransport URL is https, got ${target.protocol}`);
  const cancel = new AbortController();
  session.pending((code) => cancel.abort(Object.assign(new Error('session request cancelled'), { code: BigInt(code) })));
  void (async () => {
    const settings = await host.peerSettings;
    const missing = missingSettings(settings, 'client');
    if (missing.length > 0) throw new Error(`the server does not support WebTransport (no ${missing.join(', ')} in its SETTINGS)`);
    const headers = new Headers(init.headers);
    headers.set(DRAFT_HEADER, '1');
    if (init.origin !== undefined) headers.set('origin', init.origin);
    const response = await host.connect({ protocol: UPGRADE_TOKEN, url: target, headers, signal: cancel.signal });
    if (!response.ok) {
      session.handle({ type: 'refused', status: response.status });
      response.tunnel.readable.cancel().catch(() => undefined);
      return;
    }
    // Bound first: add() hands the session the streams held for it (§4.6), which a session not yet usable refuses.
    session.bind({ sessionId: response.tunnel.streamId, tunnel: response.tunnel, host });
    registry.add(response.tunnel.streamId, session);
  })().catch((e: unknown) => session.handle({ type: 'connection-closed', message: e instanceof Error ? e.message : String(e) }));
}
