/**
 * @module webtransport
 * The chat for web pages: WebTransport sessions (draft-ietf-webtrans-http3,
 * @tsquic/webtransport) at `/qpc` on HTTP/3 connections (ALPN h3) of the same
 * UDP port as qpc, each served by the same rpc-framing chat service as a
 * QUIC connection is — the page is a qpc client like any other. Sessions are
 * accepted from the configured page origins only (403 otherwise, draft §3.2);
 * any other path is 404, plain HTTP/3 requests get 404 too.
 */
import { Http3Connection } from '@tsquic/http3';
import type { RpcServer } from '@tsquic/rpc-framing';
import { isOriginAllowed, webTransportServer } from '@tsquic/webtransport';
import { ChatSession, type ChatService } from './chat-service.js';
import type { SessionView } from './protocol-dispatch.js';

/** Where pages open their session: `https://host:port/qpc`. */
export const WEBTRANSPORT_PATH = '/qpc';

export interface WebTransportServing {
  /** Origins of the pages allowed in (`http://localhost:5173`, …). */
  readonly origins: readonly string[];
  readonly log: (line: string) => void;
}

/** Serves HTTP/3 with WebTransport on one connection; its sessions become chat sessions. */
export function serveWebTransport(view: SessionView, rpc: RpcServer<ChatSession>, chat: ChatService, options: WebTransportServing): Http3Connection {
  const extension = webTransportServer({
    onSession(request) {
      if (!isOriginAllowed(request, options.origins, { requireOrigin: true })) {
        options.log(`refused a WebTransport session from origin ${request.origin ?? '(none)'}`);
        return void request.reject(403);
      }
      if (request.path !== WEBTRANSPORT_PATH) return void request.reject(404);
      const session = request.accept();
      // A session is never 0-RTT (a CONNECT is not safe, draft §3.2): its handshake is done once it is ready.
      const chatSession = new ChatSession(session.ready);
      const served = rpc.serve(session, chatSession);
      served.signal.addEventListener('abort', () => chat.disconnected(chatSession), { once: true });
    },
  });
  return Http3Connection.server(view, () => new Response('qpc: WebTransport sessions are at /qpc', { status: 404 }), { extensions: [extension] });
}
