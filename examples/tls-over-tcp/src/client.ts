/**
 * @module client
 * An HTTPS GET over TLS 1.3 over node:net, built only on the public API of
 * @tsquic/tls13-handshake: `createClient` for the handshake, `TlsConnection`
 * from `./record` for records over the socket (RFC 8446 §5), HTTP/1.1 on top.
 */
import { rootCertificates } from 'node:tls';
import { createClient, TrustStore, type CipherSuite, type GroupName, type HandshakeCrypto, type HandshakeEvent, type SessionTicket, type VerifyMode } from '@tsquic/tls13-handshake';
import { TlsConnection, TlsRecordError, TlsTruncatedError, type HandshakeInfo } from '@tsquic/tls13-handshake/record';
import { getRequest, parseResponse, type HttpResponse } from './http.js';
import { dial, socketDuplex } from './node-stream.js';
import { observe } from './observe.js';
import { pemBlocks } from './pem.js';

export interface GetOptions {
  crypto: HandshakeCrypto;
  /** DER trust anchors; default: Node's bundled root certificates. */
  trustAnchors?: Uint8Array[];
  /** Skip certificate verification (CertificateVerify is still checked). */
  insecure?: boolean;
  /** A verifier instead of the chain check (pinning, TOFU). */
  verify?: VerifyMode;
  alpn?: string[];
  cipherSuites?: CipherSuite[];
  groups?: GroupName[];
  /** NSS key log lines (SSLKEYLOGFILE format). */
  keylog?: (line: string) => void;
  /** Client certificate chain and PKCS#8 key, sent when the server asks. */
  certificateChain?: Uint8Array[];
  privateKey?: Uint8Array;
  /** A ticket from an earlier connection to resume with. */
  resume?: SessionTicket;
  /** Overrides the URL host as the TLS server name (SNI and certificate check). */
  serverName?: string;
  timeoutMs?: number;
}

export interface GetResult {
  response: HttpResponse;
  info: HandshakeInfo;
  /** The client sent a second ClientHello (the server asked with a HelloRetryRequest). */
  helloRetry: boolean;
  tickets: SessionTicket[];
}

let nodeRoots: TrustStore | undefined;
/** Node's bundled Mozilla roots as a TrustStore (parsed once; anchors pkijs cannot read are skipped). */
export function systemTrustStore(): TrustStore {
  nodeRoots ??= new TrustStore(
    rootCertificates.flatMap((pem) => pemBlocks(pem, 'CERTIFICATE')),
    { ignoreInvalid: true },
  );
  return nodeRoots;
}

/** Host of a URL without IPv6 brackets. */
export function urlHost(url: URL): string {
  return url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
}

/** GET `url`; rejects with TlsRecordError on a TLS alert. */
export async function tlsGet(url: URL, o: GetOptions): Promise<GetResult> {
  if (url.protocol !== 'https:') throw new Error(`not an https URL: ${url.href}`);
  const host = urlHost(url);
  const port = Number(url.port || 443);
  let initialHellos = 0;
  const tickets: SessionTicket[] = [];
  const hs = observe(
    createClient({
      profile: { kind: 'tls' },
      alpn: o.alpn ?? ['http/1.1'],
      serverName: o.serverName ?? host,
      crypto: o.crypto,
      ...(o.cipherSuites && { cipherSuites: o.cipherSuites }),
      ...(o.groups && { groups: o.groups }),
      ...(o.keylog && { keylog: o.keylog }),
      ...(o.resume && { resume: o.resume }),
      ...(o.certificateChain && o.privateKey && { certificateChain: o.certificateChain, privateKey: o.privateKey }),
      ...(o.insecure ? { verify: 'none' as const } : o.verify ? { verify: o.verify } : { trustAnchors: o.trustAnchors ?? systemTrustStore() }),
    }),
    (e: HandshakeEvent) => {
      if (e.type === 'handshake-data' && e.level === 'initial') initialHellos++;
      if (e.type === 'session-ticket') tickets.push(e.ticket);
    },
  );
  const socket = await dial(host, port, o.timeoutMs ?? 10000);
  const timer = setTimeout(() => socket.destroy(new Error('timed out')), o.timeoutMs ?? 10000);
  try {
    const conn = await TlsConnection.open(socketDuplex(socket), hs, { crypto: o.crypto });
    const writer = conn.writable.getWriter();
    await writer.write(getRequest(url));
    const chunks: Uint8Array[] = [];
    const reader = conn.readable.getReader();
    try {
      for (let r = await reader.read(); !r.done; r = await reader.read()) chunks.push(r.value);
    } catch (e) {
      // A server that closes without close_notify after a complete response (RFC 8446 §6.1 truncation) is tolerated.
      if (!TlsTruncatedError.isInstance(e)) throw e;
    }
    await writer.close().catch(() => {});
    const response = parseResponse(new Uint8Array(Buffer.concat(chunks)));
    return { response, info: conn.handshakeInfo, helloRetry: initialHellos > 1, tickets };
  } finally {
    clearTimeout(timer);
    socket.destroy();
  }
}

export { TlsRecordError };
