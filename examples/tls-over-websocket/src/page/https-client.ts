/**
 * @module page/https-client
 * HTTPS from a page that cannot open TCP: a WebSocket to a blind relay is the
 * byte stream, and TLS 1.3 (RFC 8446) runs end to end over it — the
 * Handshake from `@tsquic/tls13-handshake`, records from its `./record`
 * subpath (`TlsConnection`), certificates checked against the page's own
 * trust anchors. Then one HTTP/1.1 GET (RFC 9112).
 */
import { AlertDescription, createClient, defaultCrypto, type HandshakeCrypto } from '@tsquic/tls13-handshake';
import { TlsConnection, TlsRecordError, TlsTruncatedError, type CipherSuite } from '@tsquic/tls13-handshake/record';
import { certificateSubject } from './certificate.js';
import { encodeGet, parseResponse, type HttpResponse } from './http1.js';
import { serverVerification, type ServerVerification } from './trust.js';
import { openWebSocketDuplex, WebSocketError, type WebSocketFactory } from './websocket-duplex.js';

export interface HttpsGetOptions {
  /** ws:// or wss:// URL of the relay. */
  proxyUrl: string;
  /** The server's name: sent as SNI (a host name) and checked against the certificate. */
  serverName: string;
  /** DER trust anchors (the page's configured CA). */
  trustAnchors: Uint8Array[];
  /** Request target, default `/`. */
  path?: string;
  /** Host header, default `serverName`. */
  host?: string;
  /** Default: the Handshake's `defaultCrypto()` (nobleCrypto in a browser). */
  crypto?: HandshakeCrypto;
  /** How to open the WebSocket (default: the global WebSocket). */
  webSocket?: WebSocketFactory;
  /** Clock for certificate validity (ms since the epoch), default Date.now. */
  now?: () => number;
  /** Largest response accepted, default 4 MiB. */
  maxResponseBytes?: number;
}

export interface HttpsGetResult {
  response: HttpResponse;
  /** IANA name of the negotiated suite (RFC 8446 §B.4), e.g. TLS_AES_128_GCM_SHA256. */
  cipherSuite: string;
  /** RFC 4514 subject of the server's end-entity certificate. */
  serverSubject: string;
  peerCertificates: Uint8Array[];
  /** The HandshakeCrypto that ran the handshake and the records ('noble' in a browser). */
  cryptoProvider: string;
}

/** RFC 8446 §B.4 names. */
export const CIPHER_SUITE_NAMES: Record<CipherSuite, string> = {
  0x1301: 'TLS_AES_128_GCM_SHA256',
  0x1302: 'TLS_AES_256_GCM_SHA384',
  0x1303: 'TLS_CHACHA20_POLY1305_SHA256',
};

export type FailureKind = 'certificate' | 'tls' | 'transport' | 'http';

/** Why a GET failed, in the words the page shows. */
export class HttpsGetError extends Error {
  constructor(
    readonly kind: FailureKind,
    message: string,
    readonly alert?: number,
  ) {
    super(message);
    this.name = 'HttpsGetError';
  }
}

/** RFC 8446 §6.2 alerts about the certificate, with what they mean here. */
const CERTIFICATE_ALERTS: Record<number, string> = {
  42: 'bad_certificate: the certificate was rejected',
  43: 'unsupported_certificate: the certificate is not usable for a TLS server',
  44: 'certificate_revoked: the certificate was revoked',
  45: 'certificate_expired: the certificate has expired or is not yet valid',
  46: 'certificate_unknown: the certificate was not accepted',
  48: 'unknown_ca: the certificate is not issued by the configured trust anchor',
};

/** Connect through the relay, run the TLS 1.3 handshake, GET `path`, read the response to the end. */
export async function httpsGet(options: HttpsGetOptions): Promise<HttpsGetResult> {
  // One provider for the Handshake and the record AEADs.
  const crypto = options.crypto ?? defaultCrypto();
  let verification: ServerVerification;
  try {
    verification = serverVerification({ trustAnchors: options.trustAnchors, serverName: options.serverName, crypto, ...(options.now && { now: options.now }) });
  } catch (e) {
    throw new HttpsGetError('certificate', `Cannot check certificates: ${errorMessage(e)}`);
  }
  const socket = await openWebSocketDuplex(options.proxyUrl, options.webSocket).catch((e: unknown) => {
    throw new HttpsGetError('transport', `cannot reach the relay: ${errorMessage(e)}`);
  });
  const handshake = createClient({ profile: { kind: 'tls' }, alpn: ['http/1.1'], serverName: options.serverName, crypto, ...verification.clientConfig });
  let tls: TlsConnection;
  try {
    tls = await TlsConnection.open(socket, handshake, { crypto, verifyPeer: verification.verifyPeer, ...(options.now && { now: options.now }) });
  } catch (e) {
    throw classify(e, verification.lastFailure());
  }
  try {
    const writer = tls.writable.getWriter();
    await writer.write(encodeGet(options.host ?? options.serverName, options.path ?? '/'));
    writer.releaseLock();
    const bytes = await readToEnd(tls, options.maxResponseBytes ?? 4 << 20);
    const response = parseResponse(bytes.data);
    if (bytes.truncated && !framed(response)) throw new HttpsGetError('tls', 'the connection ended without close_notify: the response may be truncated');
    return {
      response,
      cipherSuite: CIPHER_SUITE_NAMES[tls.cipherSuite],
      serverSubject: certificateSubject(tls.peerCertificates[0]!),
      peerCertificates: tls.peerCertificates,
      cryptoProvider: crypto.name,
    };
  } catch (e) {
    throw e instanceof HttpsGetError ? e : classify(e);
  } finally {
    await tls.close().catch(() => {});
  }
}

/** A response whose body length the headers fix, so a missing close_notify cannot have cut it short. */
function framed(r: HttpResponse): boolean {
  return r.headers.some(([k]) => k === 'content-length' || k === 'transfer-encoding');
}

/** Everything until the server's close_notify (or a bare EOF, flagged). */
async function readToEnd(tls: TlsConnection, limit: number): Promise<{ data: Uint8Array; truncated: boolean }> {
  const reader = tls.readable.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  let truncated = false;
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      total += value.length;
      if (total > limit) throw new HttpsGetError('http', `response larger than ${limit} bytes`);
      parts.push(value);
    }
  } catch (e) {
    if (!TlsTruncatedError.isInstance(e)) throw e;
    truncated = true;
  }
  const data = new Uint8Array(total);
  let off = 0;
  for (const p of parts) {
    data.set(p, off);
    off += p.length;
  }
  return { data, truncated };
}

function classify(e: unknown, certificateReason?: string): HttpsGetError {
  if (e instanceof HttpsGetError) return e;
  if (TlsRecordError.isInstance(e)) {
    const what = CERTIFICATE_ALERTS[e.alert];
    if (what && e.sent) return new HttpsGetError('certificate', `Certificate error — ${what}${certificateReason ? ` (${certificateReason})` : ''}`, e.alert);
    const name = Object.entries(AlertDescription).find(([, v]) => v === e.alert)?.[0] ?? 'unknown';
    return new HttpsGetError('tls', `TLS alert ${name} (${e.alert}) ${e.sent ? 'sent to' : 'received from'} the server`, e.alert);
  }
  if (e instanceof WebSocketError || TlsTruncatedError.isInstance(e)) return new HttpsGetError('transport', `the relay connection ended: ${e.message}`);
  if (e instanceof Error && e.name === 'HttpParseError') return new HttpsGetError('http', `bad HTTP response: ${e.message}`);
  return new HttpsGetError('tls', errorMessage(e));
}

function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
