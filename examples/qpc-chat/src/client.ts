/**
 * @module client
 * Connecting to a qpc server: QUIC with ALPN `qpc`, TLS 1.3, and the server
 * authenticated against exactly the certificate in `--ca-cert` (trust on
 * first use of the server's self-signed certificate, or a CA certificate that
 * issued it) for the name in `--server-name` (RFC 6125 against its SANs). A
 * refused server is a `QpcError` that says why.
 */
import { readFile } from 'node:fs/promises';
import { QuicEndpoint, QuicConnectionError, type QuicConnection } from '@tsquic/quic-transport';
import { RpcClient, createClient, type TypedClient } from '@tsquic/rpc-framing';
import { TrustStore, defaultCrypto, verifyChain } from '@tsquic/tls13-handshake';
import { parseHostPort, type ClientConfig } from './config.js';
import { ALPN, FRAME_LIMIT, Chat } from './protocol.js';

/** A failure the CLI prints as one line and exits 1 on. */
export class QpcError extends Error {
  override readonly name = 'QpcError';
}

export interface ChatConnection {
  readonly chat: TypedClient<typeof Chat>;
  readonly rpc: RpcClient;
  readonly conn: QuicConnection;
  close(): Promise<void>;
}

export async function connect(config: ClientConfig, options: { handshakeTimeoutMs?: number } = {}): Promise<ChatConnection> {
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
  const endpoint = await QuicEndpoint.bind({ address: server.address.includes(':') ? '::' : '0.0.0.0', port: 0 });
  const conn = endpoint.connect(server, {
    serverName: config.serverName,
    alpn: [ALPN],
    verifyPeer,
    transport: { handshakeTimeoutMs: options.handshakeTimeoutMs ?? 5000 },
  });
  try {
    await conn.ready;
  } catch (e) {
    await endpoint.close({ timeoutMs: 100 });
    if (refusal !== undefined) {
      throw new QpcError(`refused the server ${config.server}: ${refusal}`);
    }
    const detail = QuicConnectionError.isInstance(e) ? e.message : e instanceof Error ? e.message : String(e);
    throw new QpcError(`could not connect to ${config.server}: ${detail}`);
  }
  const rpc = new RpcClient(conn, { maxFrameSize: FRAME_LIMIT });
  return {
    chat: createClient(Chat, rpc),
    rpc,
    conn,
    async close() {
      // CONNECTION_CLOSE goes out at once; do not wait out the draining period (RFC 9000 §10.2).
      await endpoint.close({ closeCode: 0n, reason: 'bye', timeoutMs: 50 });
    },
  };
}
