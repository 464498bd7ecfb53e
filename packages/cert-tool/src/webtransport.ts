/**
 * @module webtransport
 * The WebTransport certificate profile: what a browser accepts through
 * `new WebTransport(url, { serverCertificateHashes })` instead of a CA — the
 * W3C WebTransport "custom certificate requirements" (an X.509 v3
 * certificate, an allowed public key algorithm — ECDSA P-256 is the one every
 * browser must take, RSA is forbidden — currently valid, and a validity
 * period of at most two weeks), measured against Chromium 156 in
 * packages/webtransport/CHROMIUM.md — and the hash the page passes: SHA-256
 * over the DER certificate ("compute a certificate hash").
 */
import { certificateSha256 } from './fingerprint.js';
import { generateSelfSigned, type CertificateOptions, type IssuedCertificate } from './generate.js';
import { fail } from './errors.js';
import { inspectCertificate, type CertificateInfo } from './inspect.js';
import { readPrivateKey } from './key.js';

/** W3C WebTransport: "the total length of the validity period MUST NOT exceed two weeks". */
export const WEBTRANSPORT_MAX_VALIDITY_DAYS = 14;
const MAX_VALIDITY_MS = WEBTRANSPORT_MAX_VALIDITY_DAYS * 86_400_000;

/** The options of `generateWebTransportCertificate`: the key is always ECDSA P-256, the purpose TLS server. */
export interface WebTransportCertificateOptions extends Omit<CertificateOptions, 'keyType' | 'purpose'> {
  /**
   * Total validity in days, counted from `notBefore` (default 14, the most allowed). The default
   * `notBefore` is five minutes ago, for clock skew, so the certificate expires a little under
   * `days` from now.
   */
  days?: number;
}

/** One entry of `serverCertificateHashes` (W3C WebTransport `WebTransportHash`). */
export interface WebTransportHash {
  readonly algorithm: 'sha-256';
  /** SHA-256 of the DER certificate, 32 bytes. */
  readonly value: Uint8Array;
}

export interface WebTransportCertificate extends IssuedCertificate {
  /** What a page passes as `serverCertificateHashes: [hash]`. */
  readonly hash: WebTransportHash;
  readonly notBefore: Date;
  readonly notAfter: Date;
}

/**
 * A self-signed certificate a browser accepts with `serverCertificateHashes`: ECDSA P-256, X.509 v3,
 * at most 14 days of validity (notAfter − notBefore), the SANs asked for (default `localhost`,
 * `127.0.0.1`, `::1`; browsers do not check them against the URL here, other clients may), serverAuth.
 * A `key` that is not P-256 is UNSUPPORTED_KEY; a longer or invalid validity window is a RangeError.
 */
export async function generateWebTransportCertificate(options: WebTransportCertificateOptions = {}): Promise<WebTransportCertificate> {
  const days = options.days ?? WEBTRANSPORT_MAX_VALIDITY_DAYS;
  if (!(days > 0 && days <= WEBTRANSPORT_MAX_VALIDITY_DAYS)) {
    throw new RangeError(`a WebTransport certificate is valid for at most ${WEBTRANSPORT_MAX_VALIDITY_DAYS} days, got ${String(options.days)}`);
  }
  if (options.key !== undefined) {
    const given = typeof options.key === 'string' || options.key instanceof Uint8Array ? readPrivateKey(options.key) : options.key;
    if (given.type !== 'p256') fail('UNSUPPORTED_KEY', `a WebTransport certificate needs an ECDSA P-256 key, got ${given.type}`);
  }
  const now = options.now ?? new Date();
  const notBefore = options.notBefore ?? new Date(now.getTime() - 5 * 60_000);
  const notAfter = options.notAfter ?? new Date(notBefore.getTime() + days * 86_400_000);
  if (notAfter.getTime() - notBefore.getTime() > MAX_VALIDITY_MS) {
    throw new RangeError(`notAfter − notBefore must be at most ${WEBTRANSPORT_MAX_VALIDITY_DAYS} days for WebTransport (W3C WebTransport, custom certificate requirements)`);
  }
  const made = await generateSelfSigned({ ...options, keyType: 'p256', purpose: 'server', notBefore, notAfter });
  const info = inspectCertificate(made.certificate);
  return { ...made, hash: serverCertificateHash(made.certificate), notBefore: info.notBefore, notAfter: info.notAfter };
}

/** The `serverCertificateHashes` entry for a certificate (DER, or PEM — the first certificate). */
export function serverCertificateHash(certificate: Uint8Array | string): WebTransportHash {
  const hex = certificateSha256(certificate, 'hex');
  return { algorithm: 'sha-256', value: Uint8Array.from(hex.match(/../g)!, (h) => parseInt(h, 16)) };
}

/**
 * A JavaScript expression for `serverCertificateHashes` naming these certificates, to paste into a
 * page: `[{ algorithm: 'sha-256', value: Uint8Array.from('…hex…'.match(/../g), (h) => parseInt(h, 16)) }]`.
 */
export function serverCertificateHashesSnippet(certificates: Uint8Array | string | readonly (Uint8Array | string)[]): string {
  const list = typeof certificates === 'string' || certificates instanceof Uint8Array ? [certificates] : certificates;
  const entries = list.map((c) => `{ algorithm: 'sha-256', value: Uint8Array.from('${certificateSha256(c, 'hex')}'.match(/../g), (h) => parseInt(h, 16)) }`);
  return `[${entries.join(', ')}]`;
}

/**
 * Why a browser would refuse this certificate with `serverCertificateHashes` at `now` (W3C WebTransport
 * custom certificate requirements, as Chromium 156 applies them): an empty list when it is usable.
 * Takes a certificate (DER or PEM; malformed input is a CertToolError) or what `inspectCertificate` said of one.
 */
export function webTransportCertificateProblems(certificate: Uint8Array | string | CertificateInfo, now: Date = new Date()): string[] {
  const info = typeof certificate === 'string' || certificate instanceof Uint8Array ? inspectCertificate(certificate) : certificate;
  const problems: string[] = [];
  if (info.version !== 3) problems.push(`X.509 version ${info.version}, not 3`);
  if (info.keyType !== 'p256' && info.keyType !== 'p384') problems.push(`${info.keyType} key, not ECDSA (P-256)`);
  const lifetime = info.notAfter.getTime() - info.notBefore.getTime();
  if (lifetime > MAX_VALIDITY_MS) problems.push(`valid for ${(lifetime / 86_400_000).toFixed(1)} days, more than ${WEBTRANSPORT_MAX_VALIDITY_DAYS}`);
  if (now.getTime() < info.notBefore.getTime()) problems.push('not yet valid');
  if (now.getTime() > info.notAfter.getTime()) problems.push('expired');
  return problems;
}
