/**
 * @module server
 * The qpc server: the certificate (generated and kept as DER on first start,
 * trust on first use), the message store, a QUIC endpoint listening with
 * ALPN `qpc` and every connection served by one rpc-framing server. Session
 * tickets are sealed with a key kept in the data directory (resumption works
 * across restarts) and 0-RTT is accepted: calls in a returning client's
 * first flight are answered at once (0.5-RTT data, RFC 9001 §4.1.1); `Send`
 * waits for the handshake (chat-service).
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateIfMissing } from '@tsquic/cert-tool/node';
import { QuicEndpoint, type QuicConnection } from '@tsquic/quic-transport';
import { RpcServer } from '@tsquic/rpc-framing';
import { ChatService, ChatSession, type ChatHooks } from './chat-service.js';
import { formatHostPort, parseHostPort, type ServerConfig } from './config.js';
import { ALPN, FRAME_LIMIT } from './protocol.js';
import { MessageStore } from './store.js';

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
  /** Chat connections being served. */
  readonly connectionCount: number;
  close(): Promise<void>;
}

export async function startServer(config: ServerConfig, log: (line: string) => void = () => undefined, hooks: ChatHooks = {}): Promise<RunningServer> {
  const listen = parseHostPort(config.listen, '--listen');
  const cert = await generateIfMissing(config.tlsCert, config.tlsKey, { sans: SANS });
  log(
    cert.created
      ? `generated a self-signed certificate for ${SANS.join(', ')}: ${config.tlsCert} (key ${config.tlsKey})`
      : `using the certificate ${config.tlsCert} (key ${config.tlsKey})`,
  );
  log(`certificate spki sha256 ${cert.spkiSha256}, valid until ${cert.notAfter.toISOString()}`);
  const { store, truncatedBytes } = await MessageStore.open(config.dataDir);
  if (truncatedBytes > 0) log(`dropped ${truncatedBytes} bytes of an unfinished last write in ${store.path}`);
  log(`${store.messageCount} messages in ${store.roomNames.length} rooms in ${store.path}`);

  const ticketKey = await loadTicketKey(join(config.dataDir, TICKET_KEY_FILE));
  const chat = new ChatService(store, hooks);
  const rpc = new RpcServer<ChatSession>({ maxFrameSize: FRAME_LIMIT, maxConcurrentCalls: 64 });
  chat.register(rpc);
  const endpoint = await QuicEndpoint.bind({ address: listen.address, port: listen.port });
  const connections = new Set<QuicConnection>();
  endpoint.listen({
    tls: { certificateChain: [...cert.chain], privateKey: cert.privateKey, alpn: [ALPN], ticketKey, earlyData: true },
    onConnection: (conn) => {
      connections.add(conn);
      conn.closed.catch(() => undefined).finally(() => connections.delete(conn));
      // Served from the start, so calls in 0-RTT are answered before the handshake completes.
      const session = new ChatSession(conn.ready);
      const served = rpc.serve(conn, session);
      served.signal.addEventListener('abort', () => chat.disconnected(session), { once: true });
    },
  });
  const address = endpoint.address;
  log(`listening on ${formatHostPort(address)} (QUIC, ALPN ${ALPN})`);
  return {
    address,
    store,
    chat,
    get connectionCount() {
      return rpc.activeConnections;
    },
    async close() {
      await Promise.all([...connections].map((c) => c.close({ closeCode: 0n, reason: 'server shutting down' }).catch(() => undefined)));
      await endpoint.close({ timeoutMs: 200 });
      await store.close();
    },
  };
}
