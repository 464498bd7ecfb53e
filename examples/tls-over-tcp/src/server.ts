/**
 * @module server
 * An HTTPS server over TLS 1.3 on node:net, built only on the public API of
 * @tsquic/tls13-handshake: one `createServer` handshake and one
 * `TlsConnection` per TCP connection; every HTTP/1.1 request gets the same
 * small response. Session tickets (RFC 8446 §4.6.1) under one per-process
 * key, optional client certificates checked against `clientCa`.
 */
import { randomBytes } from 'node:crypto';
import { createServer as netServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { createServer, type CipherSuite, type GroupName, type HandshakeCrypto, type HandshakeEvent } from '@tsquic/tls13-handshake';
import { TlsConnection, TlsRecordError, type HandshakeInfo } from '@tsquic/tls13-handshake/record';
import { okResponse, readRequestHead } from './http.js';
import { socketDuplex } from './node-stream.js';
import { observe } from './observe.js';

export const RESPONSE_BODY = 'hello from @tsquic/tls13-handshake\n';

export interface ServeOptions {
  crypto: HandshakeCrypto;
  certificateChain: Uint8Array[];
  privateKey: Uint8Array;
  host?: string;
  port?: number;
  alpn?: string[];
  cipherSuites?: CipherSuite[];
  groups?: GroupName[];
  keylog?: (line: string) => void;
  /** Anchors for client certificates: the server asks for one. */
  clientCa?: Uint8Array[];
  /** With clientCa: refuse a client without a certificate (certificate_required). */
  requireClientCertificate?: boolean;
  /** Issue session tickets (default true). */
  tickets?: boolean;
  /** One line per connection (negotiated parameters or the alert). */
  log?: (line: string) => void;
}

export interface HttpsServer {
  readonly port: number;
  close(): Promise<void>;
}

function describe(info: HandshakeInfo, helloRetry: boolean): string {
  return [`cipher 0x${info.cipherSuite.toString(16)}`, `alpn ${info.alpn ?? '-'}`, `resumed ${info.resumed}`, `hello-retry ${helloRetry}`, `client-certificates ${info.peerCertificates.length}`].join(', ');
}

export async function serveHttps(o: ServeOptions): Promise<HttpsServer> {
  const ticketKey = o.tickets === false ? undefined : new Uint8Array(randomBytes(32));
  const sockets = new Set<Socket>();
  const handle = async (socket: Socket): Promise<void> => {
    let helloRetry = false;
    const hs = observe(
      createServer({
        profile: { kind: 'tls' },
        alpn: o.alpn ?? ['http/1.1'],
        crypto: o.crypto,
        certificateChain: o.certificateChain,
        privateKey: o.privateKey,
        ...(o.cipherSuites && { cipherSuites: o.cipherSuites }),
        ...(o.groups && { groups: o.groups }),
        ...(o.keylog && { keylog: o.keylog }),
        ...(ticketKey && { ticketKey }),
        ...(o.clientCa && { trustAnchors: o.clientCa, requestClientCertificate: o.requireClientCertificate ? ('require' as const) : true }),
      }),
      (e: HandshakeEvent) => {
        if (e.type === 'handshake-data' && e.level === 'initial' && isHrr(e.bytes)) helloRetry = true;
      },
    );
    const conn = await TlsConnection.open(socketDuplex(socket), hs, { crypto: o.crypto, choose: () => ({}) });
    o.log?.(`connection: ${describe(conn.handshakeInfo, helloRetry)}`);
    const reader = conn.readable.getReader();
    const head = await readRequestHead(reader);
    const writer = conn.writable.getWriter();
    if (head !== null) await writer.write(okResponse(RESPONSE_BODY));
    await writer.close();
    reader.releaseLock();
    await conn.close();
  };
  const server: Server = netServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    handle(socket).catch((e: unknown) => {
      o.log?.(TlsRecordError.isInstance(e) ? `connection failed: ${e.sent ? 'sent' : 'received'} alert ${e.alert}` : `connection failed: ${e instanceof Error ? e.message : String(e)}`);
      socket.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port ?? 0, o.host ?? '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** RFC 8446 §4.1.3: a ServerHello whose random is SHA-256("HelloRetryRequest"). */
const HRR_RANDOM = 'cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c';
function isHrr(msg: Uint8Array): boolean {
  return msg.length >= 38 && msg[0] === 2 && Buffer.from(msg.subarray(6, 38)).toString('hex') === HRR_RANDOM;
}
