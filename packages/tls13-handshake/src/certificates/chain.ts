/**
 * @module certificates/chain
 * Certificate path validation for TLS 1.3 (RFC 8446 §4.4.2.4, RFC 5280 §6
 * without policy processing or revocation): build a path from the peer's
 * end-entity certificate through the certificates it sent to a configured
 * trust anchor, verify every signature through the synchronous crypto
 * provider, check validity at `nowMs`, basicConstraints / keyUsage /
 * pathLenConstraint on CAs, extKeyUsage (serverAuth or clientAuth) on the
 * whole path, name constraints, and the server's identity (RFC 6125).
 *
 * Alerts (RFC 8446 §6.2), chosen as OpenSSL and rustls do where they agree:
 * no path to an anchor → unknown_ca(48); expired or not yet valid →
 * certificate_expired(45); name mismatch, a signature in the chain that does
 * not verify, a malformed certificate, an unhandled critical extension or a
 * CA without CA rights → bad_certificate(42) (for the signature failure
 * OpenSSL and rustls send decrypt_error; RFC 8446 §6.2 defines
 * bad_certificate as "contained signatures that did not verify correctly");
 * wrong keyUsage / extKeyUsage or a signature algorithm we do not support →
 * unsupported_certificate(43).
 */
import { AlertDescription, TlsAlertError, fail } from '../alert.js';
import type { HandshakeCrypto } from '../crypto/provider.js';
import { matchesReference, referenceName, satisfiesNameConstraints } from './name.js';
import { CertificateCache, hasKeyUsage, KeyPurpose, KeyUsage, parseCertificate, type ParsedCertificate } from './x509.js';

/** Longest path we build (end entity + intermediates), as webpki and OpenSSL bound it. */
const MAX_PATH = 8;

/**
 * Parsed trust anchors (DER certificates), indexed by subject, plus a bounded
 * cache of the peer certificates seen through it. Build one per set of
 * anchors and share it across connections.
 */
export class TrustStore {
  readonly certificates: readonly Uint8Array[];
  /** Parsed peer certificates by content (repeat connections skip the parse). */
  readonly cache = new CertificateCache();
  private readonly bySubject = new Map<string, ParsedCertificate[]>();
  private readonly exact = new Set<string>();

  /** `ignoreInvalid`: skip anchors that do not parse (e.g. a platform bundle) instead of throwing TypeError. */
  constructor(anchors: readonly Uint8Array[], options: { ignoreInvalid?: boolean } = {}) {
    const kept: Uint8Array[] = [];
    anchors.forEach((der, i) => {
      let p: ParsedCertificate;
      try {
        p = parseCertificate(der.slice());
      } catch (e) {
        if (options.ignoreInvalid) return;
        throw new TypeError(`trust anchor ${i} is not a DER X.509 certificate: ${e instanceof Error ? e.message : String(e)}`);
      }
      kept.push(p.der);
      const list = this.bySubject.get(p.subject) ?? [];
      list.push(p);
      this.bySubject.set(p.subject, list);
      this.exact.add(bytesKey(p.der));
    });
    this.certificates = kept;
  }

  /** Anchors whose subject is `cert`'s issuer. */
  issuersOf(cert: ParsedCertificate): readonly ParsedCertificate[] {
    return this.bySubject.get(cert.issuer) ?? [];
  }

  /** Is this exact certificate a trust anchor (a directly trusted, e.g. self-signed, end entity)? */
  has(der: Uint8Array): boolean {
    return this.exact.has(bytesKey(der));
  }
}

function bytesKey(der: Uint8Array): string {
  let s = '';
  for (let i = 0; i < der.length; i += 4096) s += String.fromCharCode(...der.subarray(i, i + 4096));
  return s;
}

export interface ChainOptions {
  trustAnchors: TrustStore;
  /** The validation time (ms since the epoch): the Handshake's `nowMs`, never a hidden clock. */
  nowMs: number;
  /** Checked against the end entity (RFC 6125): a DNS host name or an IP literal. */
  serverName?: string;
  /** The peer's role: serverAuth for a server's chain, clientAuth for a client's (RFC 5280 §4.2.1.12). */
  purpose: 'serverAuth' | 'clientAuth';
  crypto: HandshakeCrypto;
}

function checkValidity(c: ParsedCertificate, nowMs: number, what: string): void {
  // RFC 5280 §4.1.2.5: valid from notBefore through notAfter inclusive.
  if (nowMs < c.notBeforeMs) fail(AlertDescription.certificate_expired, `${what} is not valid yet`);
  if (nowMs > c.notAfterMs) fail(AlertDescription.certificate_expired, `${what} has expired`);
}

function checkPurpose(c: ParsedCertificate, purpose: string, what: string): void {
  // RFC 5280 §4.2.1.12; like webpki and browsers, an EKU on an intermediate also restricts the path.
  const eku = c.extKeyUsage;
  if (eku && !eku.includes(purpose) && !eku.includes(KeyPurpose.any)) fail(AlertDescription.unsupported_certificate, `${what} is not valid for ${purpose}`);
}

function checkCritical(c: ParsedCertificate, what: string): void {
  // RFC 5280 §4.2: a critical extension we do not process rejects the certificate.
  if (c.unhandledCritical.length > 0) fail(AlertDescription.bad_certificate, `${what} has an unhandled critical extension ${c.unhandledCritical[0]}`);
}

/** Does `issuer`'s key sign `subject`? */
function signs(issuer: ParsedCertificate, subject: ParsedCertificate, crypto: HandshakeCrypto): boolean {
  const alg = subject.signatureAlgorithm;
  // A signature algorithm we cannot verify (SHA-1, DSA, Ed448, …) → unsupported_certificate.
  if (!alg) fail(AlertDescription.unsupported_certificate, 'certificate signed with an unsupported algorithm');
  return crypto.verifySignature(alg, issuer.spki, subject.tbs, subject.signature);
}

/** RFC 5280 §4.2.1.9 / §4.2.1.3: may `ca` issue certificates with `below` non-self-issued intermediates under it? */
function checkCa(ca: ParsedCertificate, below: number, nowMs: number, purpose: string): void {
  checkCritical(ca, 'an intermediate certificate');
  if (ca.version !== 3 || !ca.basicConstraints?.ca) fail(AlertDescription.bad_certificate, 'an intermediate certificate is not a CA');
  if (ca.keyUsage && !hasKeyUsage(ca.keyUsage, KeyUsage.keyCertSign)) fail(AlertDescription.bad_certificate, 'an intermediate CA may not sign certificates');
  const pathLen = ca.basicConstraints.pathLen;
  if (pathLen !== undefined && below > pathLen) fail(AlertDescription.bad_certificate, 'pathLenConstraint exceeded');
  checkValidity(ca, nowMs, 'an intermediate certificate');
  checkPurpose(ca, purpose, 'an intermediate certificate');
}

/** Depth-first path search; returns the path (end entity … anchor) or throws the most telling failure. */
function buildPath(leaf: ParsedCertificate, intermediates: ParsedCertificate[], o: ChainOptions): ParsedCertificate[] {
  let best: TlsAlertError | undefined;
  const purpose = KeyPurpose[o.purpose];
  const attempt = (f: () => void): boolean => {
    try {
      f();
      return true;
    } catch (e) {
      if (!TlsAlertError.isInstance(e)) throw e;
      best ??= e;
      return false;
    }
  };
  const search = (path: ParsedCertificate[]): ParsedCertificate[] | null => {
    const cert = path[path.length - 1]!;
    for (const anchor of o.trustAnchors.issuersOf(cert)) {
      const ok = attempt(() => {
        if (!signs(anchor, cert, o.crypto)) fail(AlertDescription.bad_certificate, 'a certificate signature does not verify');
        // Anchor name constraints apply (RFC 5937); the anchor's own validity and extensions do not (RFC 5280 §6.1).
        if (anchor.nameConstraints && !satisfiesNameConstraints(anchor.nameConstraints, leaf.dnsNames, leaf.ipAddresses)) fail(AlertDescription.bad_certificate, 'name constraints violated');
      });
      if (ok) return [...path, anchor];
    }
    if (path.length >= MAX_PATH) return null;
    for (const ca of intermediates) {
      if (ca.subject !== cert.issuer || path.includes(ca)) continue;
      const below = path.slice(1).filter((c) => c.subject !== c.issuer).length;
      const ok = attempt(() => {
        checkCa(ca, below, o.nowMs, purpose);
        if (!signs(ca, cert, o.crypto)) fail(AlertDescription.bad_certificate, 'a certificate signature does not verify');
        if (ca.nameConstraints && !satisfiesNameConstraints(ca.nameConstraints, leaf.dnsNames, leaf.ipAddresses)) fail(AlertDescription.bad_certificate, 'name constraints violated');
      });
      if (!ok) continue;
      const found = search([...path, ca]);
      if (found) return found;
    }
    return null;
  };
  const path = search([leaf]);
  if (path) return path;
  throw best ?? new TlsAlertError(AlertDescription.unknown_ca, 'no path to a trust anchor');
}

/**
 * Verify a peer's certificate chain (end entity first, as in the Certificate
 * message). Returns the parsed end entity; throws a TlsAlertError with the
 * alert to send.
 */
export function verifyChain(chain: readonly Uint8Array[], o: ChainOptions): ParsedCertificate {
  if (chain.length === 0) fail(AlertDescription.bad_certificate, 'empty certificate chain');
  const parsed = chain.map((der) => o.trustAnchors.cache.get(der));
  const leaf = parsed[0]!;
  checkCritical(leaf, 'the end-entity certificate');
  // A directly trusted end entity (e.g. a self-signed server certificate given as the anchor) needs no path.
  if (!o.trustAnchors.has(leaf.der)) buildPath(leaf, parsed.slice(1), o);
  checkValidity(leaf, o.nowMs, 'the end-entity certificate');
  checkPurpose(leaf, KeyPurpose[o.purpose], 'the end-entity certificate');
  // RFC 8446 §4.4.2.2: the key signs CertificateVerify, so keyUsage (when present) must allow digitalSignature.
  if (leaf.keyUsage && !hasKeyUsage(leaf.keyUsage, KeyUsage.digitalSignature)) fail(AlertDescription.unsupported_certificate, 'the end-entity key may not sign');
  if (o.serverName !== undefined && !matchesReference(referenceName(o.serverName), leaf.dnsNames, leaf.ipAddresses)) {
    fail(AlertDescription.bad_certificate, `the certificate is not valid for ${o.serverName}`);
  }
  return leaf;
}
