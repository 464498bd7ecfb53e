/**
 * @module server
 * The qpc server: the certificate (generated and kept as DER on first start,
 * trust on first use), the message store, a QUIC endpoint listening with
 * ALPN `qpc` and every connection served by one rpc-framing server. Session
 * tickets are sealed with a key kept in the data directory (resumption works
 * across restarts) and 0-RTT is accepted: calls in a returning client's
 * first flight are answered at once (0.5-RTT data, RFC 9001 §4.1.1); `Send`
 * waits for the handshake (chat-service). Pages reach the same service over
 * WebTransport on the same UDP port (ALPN h3 beside qpc, `webtransport`,
 * `protocol-dispatch`).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { QuicEndpoint, type QuicConnection } from '@tsquic/quic-transport';
import { RpcServer } from '@tsquic/rpc-framing';
import { ChatService, ChatSession, type ChatHooks } from './chat-service.js';
import { formatHostPort, parseHostPort, type ServerConfig } from './config.js';
import { ALPN, FRAME_LIMIT } from './protocol.js';
import { MessageStore } from './store.js';
import { loadCertificate, writeWebTransportInfo, type ServerCertificate, type WebTransportInfo } from './certificate.js';
import { dispatch, type SessionView } from './protocol-dispatch.js';
import { serveWebTransport, WEBTRANSPORT_PATH } from './webtransport.js';

/** What pages need for WebTransport (URL, certificate hash), in the data directory. */
export const WEBTRANSPORT_INFO_FILE = 'webtransport.json';

/** The session ticket key's file in the data directory (32 bytes, mode 0600). */
export const TICKET_KEY_FILE = 'ticket-key.bin';

/** The ticket key, made on first start: tickets stay valid across restarts. */
async function loadTicketKey(path: string): Promise<Uint8Array> {
  try {
    const key = new Uint8Array(await readFile(path));
    if (key.length !== 32) throw new RangeError(`${path} must hold 32 bytes, found ${key.length}`);
    return key;
  } catch (e) {
    if ((e as { code?: string }).code !== 'ENOENT') throw e;
    const key = new Uint8Array(randomBytes(32));
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, key, { mode: 0o600, flag: 'wx' });
    return key;
  }
}

/** The SANs of a generated certificate. */
export const SANS = ['localhost', '127.0.0.1', '::1'];

export interface RunningServer {
  /** The bound address (the real port when the config asked for port 0). */
  readonly address: { address: string; port: number };
  readonly store: MessageStore;
  readonly chat: ChatService;
  /** Chat connections and WebTransport sessions being served. */
  readonly connectionCount: number;
  /** What a page needs to open a WebTransport session (also in `<data-dir>/webtransport.json`); undefined with WebTransport off. */
  readonly webTransport: WebTransportInfo | undefined;
  close(): Promise<void>;
}

/** How often a running server checks whether its certificate needs re-issuing (WebTransport: 14-day certificates). */
const RENEW_CHECK_MS = 3_600_000;

export async function startServer(config: ServerConfig, log: (line: string) => void = () => undefined, hooks: ChatHooks = {}): Promise<RunningServer> {
  const listen = parseHostPort(config.listen, '--listen');
  const web = config.webTransport;
  let cert = await loadCertificate(config.tlsCert, config.tlsKey, SANS, web);
  const certLog = (c: ServerCertificate): void => {
    if (c.origin === 'created') log(`generated a self-signed certificate for ${SANS.join(', ')}: ${config.tlsCert} (key ${config.tlsKey})`);
    else if (c.origin === 'renewed') log(`re-issued ${config.tlsCert} for the same key (WebTransport takes certificates of at most 14 days)`);
    else log(`using the certificate ${config.tlsCert} (key ${config.tlsKey})`);
    log(`certificate spki sha256 ${c.spkiSha256}, valid until ${c.notAfter.toISOString()}`);
  };
  certLog(cert);
  const { store, truncatedBytes } = await MessageStore.open(config.dataDir);
  if (truncatedBytes > 0) log(`dropped ${truncatedBytes} bytes of an unfinished last write in ${store.path}`);
  log(`${store.messageCount} messages in ${store.roomNames.length} rooms in ${store.path}`);

  const ticketKey = await loadTicketKey(join(config.dataDir, TICKET_KEY_FILE));
  const chat = new ChatService(store, hooks);
  const rpc = new RpcServer<ChatSession>({ maxFrameSize: FRAME_LIMIT, maxConcurrentCalls: 64 });
  chat.register(rpc);
  const endpoint = await QuicEndpoint.bind({ address: listen.address, port: listen.port });
  const connections = new Set<QuicConnection>();
  const serveQpc = (session: SessionView): void => {
    // Served from the start, so calls in 0-RTT are answered before the handshake completes.
    const chatSession = new ChatSession(session.ready);
    const served = rpc.serve(session, chatSession);
    served.signal.addEventListener('abort', () => chat.disconnected(chatSession), { once: true });
  };
  const webOptions = { origins: config.webOrigins, log };
  const listenWith = (c: ServerCertificate): void =>
    endpoint.listen({
      tls: { certificateChain: [...c.chain], privateKey: c.privateKey, alpn: web ? [ALPN, 'h3'] : [ALPN], ticketKey, earlyData: true },
      // WebTransport datagrams ride on QUIC DATAGRAM frames (RFC 9297 §2.1.1).
      ...(web ? { transport: { maxDatagramFrameSize: 65535 } } : {}),
      onConnection: (conn) => {
        connections.add(conn);
        conn.closed.catch(() => undefined).finally(() => connections.delete(conn));
        if (!web) return serveQpc(conn);
        void dispatch(conn, { qpc: serveQpc, h3: (view) => void serveWebTransport(view, rpc, chat, webOptions) });
      },
    });
  listenWith(cert);
  const address = endpoint.address;
  const infoPath = join(config.dataDir, WEBTRANSPORT_INFO_FILE);
  const infoOf = (c: ServerCertificate): WebTransportInfo => {
    const host = listen.address === '0.0.0.0' ? '127.0.0.1' : listen.address === '::' ? '[::1]' : formatHostPort({ address: listen.address, port: 0 }).replace(/:0$/, '');
    return { url: `https://${host}:${address.port}${WEBTRANSPORT_PATH}`, certificateHash: c.sha256, notAfter: c.notAfter.toISOString() };
  };
  let webInfo = web ? infoOf(cert) : undefined;
  if (webInfo) await writeWebTransportInfo(infoPath, webInfo);
  log(`listening on ${formatHostPort(address)} (QUIC, ALPN ${ALPN})`);
  if (webInfo) log(`WebTransport for pages from ${config.webOrigins.join(', ')} at ${webInfo.url} (ALPN h3; URL and certificate hash in ${infoPath})`);
  // A long-running server re-issues its 14-day certificate in time, and pages learn the new hash.
  const renewal = web
    ? setInterval(() => {
        void loadCertificate(config.tlsCert, config.tlsKey, SANS, true).then(
          async (next) => {
            if (next.origin !== 'renewed') return;
            cert = next;
            certLog(cert);
            listenWith(cert);
            webInfo = infoOf(cert);
            await writeWebTransportInfo(infoPath, webInfo);
          },
          (e: unknown) => log(`could not renew the certificate: ${(e as Error).message}`),
        );
      }, RENEW_CHECK_MS)
    : undefined;
  renewal?.unref();
  return {
    address,
    store,
    chat,
    get connectionCount() {
      return rpc.activeConnections;
    },
    get webTransport() {
      return webInfo;
    },
    async close() {
      clearInterval(renewal);
      await Promise.all([...connections].map((c) => c.close({ closeCode: 0n, reason: 'server shutting down' }).catch(() => undefined)));
      await endpoint.close({ timeoutMs: 200 });
      await store.close();
    },
  };
}
