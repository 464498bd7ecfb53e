/**
 * @module client
 * Connecting to a qpc server: QUIC with ALPN `qpc`, TLS 1.3, and the server
 * authenticated against exactly the certificate in `--ca-cert` (trust on
 * first use of the server's self-signed certificate, or a CA certificate that
 * issued it) for the name in `--server-name` (RFC 6125 against its SANs). A
 * refused server is a `QpcError` that says why. A returning client (a ticket
 * in its data directory, `client-state`) resumes and sends its first calls as
 * 0-RTT data in its first flight (RFC 9001 §4.6); only `send` waits for the
 * handshake.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { QuicEndpoint, QuicConnectionError, type HandshakeInfo, type QuicConnection } from '@tsquic/quic-transport';
import { RpcClient, createClient, type TypedClient } from '@tsquic/rpc-framing';
import { TrustStore, defaultCrypto, verifyChain } from '@tsquic/tls13-handshake';
import { ClientState, serverKey } from './client-state.js';
import { parseHostPort, type ClientConfig } from './config.js';
import type { RegisterResponse, SendResponse } from './gen/qpc/chat/v1/chat_pb.js';
import { ALPN, FRAME_LIMIT, Chat } from './protocol.js';

/** A failure the CLI prints as one line and exits 1 on. */
export class QpcError extends Error {
  override readonly name = 'QpcError';
}

export interface ChatConnection {
  readonly chat: TypedClient<typeof Chat>;
  readonly rpc: RpcClient;
  readonly conn: QuicConnection;
  /**
   * Settles when the handshake is complete (rejects with a QpcError saying why it failed). A
   * returning client's first calls go out before that, as 0-RTT data; `send` waits for it.
   */
  readonly ready: Promise<HandshakeInfo>;
  /** Register `nick` with this client's owner token (kept in the data directory, when there is one). */
  register(nick: string): Promise<RegisterResponse>;
  /** Send a message once the handshake is complete: 0-RTT data can be replayed, a message must not be. */
  send(room: string, text: string): Promise<SendResponse>;
  /** Move to a new local UDP port (active migration, RFC 9000 §9); the connection and its streams go on. */
  rebind(): Promise<number>;
  /** The handshake's failure, once it has failed (for a better message than a failed call's). */
  readonly failure: QpcError | undefined;
  close(): Promise<void>;
}

export interface ConnectOptions {
  handshakeTimeoutMs?: number;
  /** Resume with 0-RTT when the data directory holds a ticket for this server (default true). */
  earlyData?: boolean;
}

export async function connect(config: ClientConfig, options: ConnectOptions = {}): Promise<ChatConnection> {
  const server = parseHostPort(config.server, '--server');
  let caDer: Uint8Array;
  try {
    caDer = new Uint8Array(await readFile(config.caCert));
  } catch (e) {
    throw new QpcError(`cannot read the CA certificate ${config.caCert}: ${(e as Error).message} (a qpc server writes it to its data directory on first start)`);
  }
  let anchors: TrustStore;
  try {
    anchors = new TrustStore([caDer]);
  } catch (e) {
    throw new QpcError(`${config.caCert} is not a DER certificate: ${(e as Error).message}`);
  }
  let refusal: string | undefined;
  const verifyPeer = (chain: Uint8Array[]): boolean => {
    const options = { trustAnchors: anchors, nowMs: Date.now(), purpose: 'serverAuth', crypto: defaultCrypto() } as const;
    try {
      verifyChain(chain, options);
    } catch (e) {
      refusal = `its certificate is not trusted by --ca-cert ${config.caCert} (${e instanceof Error ? e.message : String(e)})`;
      return false;
    }
    try {
      verifyChain(chain, { ...options, serverName: config.serverName });
    } catch {
      refusal = `its certificate is not valid for the name '${config.serverName}' (--server-name)`;
      return false;
    }
    return true;
  };
  // Tickets and tokens are kept per server, name and trusted certificate: a ticket skips the certificate check.
  const state = config.dataDir === undefined ? undefined : await ClientState.open(config.dataDir, serverKey(config.server, config.serverName, caDer));
  const ticket = options.earlyData === false ? undefined : state?.takeTicket(Date.now());
  const addressToken = state?.addressToken;
  const endpoint = await QuicEndpoint.bind({ address: server.address.includes(':') ? '::' : '0.0.0.0', port: 0 });
  const conn = endpoint.connect(server, {
    serverName: config.serverName,
    alpn: [ALPN],
    verifyPeer,
    transport: { handshakeTimeoutMs: options.handshakeTimeoutMs ?? 5000 },
    ...(ticket ? { sessionTicket: ticket, earlyData: true } : {}),
    ...(addressToken ? { token: addressToken } : {}),
  });
  let saving: Promise<void> = Promise.resolve();
  const save = (): void => void (saving = saving.then(() => state?.save()).catch(() => undefined));
  let freshTicket: () => void = () => undefined;
  const ticketArrived = new Promise<void>((resolve) => (freshTicket = resolve));
  conn.onSessionTicket = (t) => {
    state?.setTicket(t);
    save();
    freshTicket();
  };
  conn.onNewToken = (token) => {
    state?.setAddressToken(token);
    save();
  };
  save(); // a new owner token is kept from the start; a taken ticket is used up whatever happens next
  let failure: QpcError | undefined;
  const ready = conn.ready.catch((e: unknown) => {
    const detail = QuicConnectionError.isInstance(e) ? e.message : e instanceof Error ? e.message : String(e);
    failure = new QpcError(refusal !== undefined ? `refused the server ${config.server}: ${refusal}` : `could not connect to ${config.server}: ${detail}`);
    throw failure;
  });
  ready.catch(() => undefined);
  if (!ticket) {
    // A first connection: nothing can be sent before the server is authenticated anyway.
    try {
      await ready;
    } catch (e) {
      await endpoint.close({ timeoutMs: 100 });
      throw e;
    }
  }
  const rpc = new RpcClient(conn, { maxFrameSize: FRAME_LIMIT });
  const chat = createClient(Chat, rpc);
  const owner = state?.owner ?? new Uint8Array(randomBytes(32));
  return {
    chat,
    rpc,
    conn,
    ready,
    get failure() {
      return failure;
    },
    register: (nick) => chat.register({ nick, token: owner }),
    async send(room, text) {
      await ready;
      return chat.send({ room, text });
    },
    rebind: () => endpoint.rebind(),
    async close() {
      // Stay for the server's ticket if it has not come yet (it follows the handshake), so the next run resumes.
      if (state && conn.handshakeInfo) await Promise.race([ticketArrived, new Promise((r) => setTimeout(r, Math.min(1000, Math.max(100, 4 * conn.stats.smoothedRtt))))]);
      await saving;
      // CONNECTION_CLOSE goes out at once; do not wait out the draining period (RFC 9000 §10.2).
      await endpoint.close({ closeCode: 0n, reason: 'bye', timeoutMs: 50 });
    },
  };
}
