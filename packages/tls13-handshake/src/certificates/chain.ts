/**
 * @module certificates/chain
 * Certificate path validation for TLS 1.3 (RFC 8446 §4.4.2.4, RFC 5280 §6
 * without policy processing or revocation): build a path from the peer's
 * end-entity certificate through the certificates it sent to a configured
 * trust anchor, verify every signature through the synchronous crypto
 * provider, check validity at `nowMs`, basicConstraints / keyUsage /
 * pathLenConstraint on CAs, extKeyUsage (serverAuth or clientAuth) on the
 * whole path, name constraints, key sizes, and the server's identity (RFC 6125).
 *
 * Path building is bounded, as webpki and Go's crypto/x509 bound it: the
 * peer's chain is limited in count and size and deduplicated, a certificate
 * with the subject and key of one already on the path is not tried again
 * (RFC 4158 §5.2), signatures are only checked on a path that reaches an
 * anchor (from the anchor down, once per issuer key and subject), and each
 * verification has a budget of signature checks, path-building steps and
 * name-constraint comparisons (`ChainLimits`). A chain that exhausts the
 * budget fails with bad_certificate, whatever it contains.
 *
 * Alerts (RFC 8446 §6.2), chosen as OpenSSL and rustls do where they agree:
 * no path to an anchor → unknown_ca(48); expired or not yet valid →
 * certificate_expired(45); name mismatch, a signature in the chain that does
 * not verify, a malformed certificate, an unhandled critical extension, a
 * CA without CA rights, a key below the minimum size, too many certificates
 * or an exhausted budget → bad_certificate(42) (for the signature failure
 * OpenSSL and rustls send decrypt_error; RFC 8446 §6.2 defines
 * bad_certificate as "contained signatures that did not verify correctly");
 * wrong keyUsage / extKeyUsage or a signature algorithm we do not support →
 * unsupported_certificate(43).
 */
import { AlertDescription, TlsAlertError, fail } from '../alert.js';
import { rsaKeyProblem } from '../crypto/der.js';
import type { HandshakeCrypto } from '../crypto/provider.js';
import { matchesReference, referenceName, satisfiesNameConstraints } from './name.js';
import { binaryString, CertificateCache, hasKeyUsage, KeyPurpose, KeyUsage, parseCertificate, type ParsedCertificate } from './x509.js';

/** Bounds on what one chain verification may cost (a peer chooses the chain). */
export interface ChainLimits {
  /** Certificates a peer may send in one chain (RFC 8446 §4.4.2 allows more; real chains have 2 to 4). */
  maxCertificates: number;
  /** Total DER bytes of those certificates. */
  maxChainBytes: number;
  /** Longest path built: the end entity plus intermediates, the anchor not counted (webpki, OpenSSL: about 8). */
  maxPathLength: number;
  /** Signature verifications per chain (webpki and Go: 100, from Go's CVE-2018-16875 fix). */
  maxSignatureChecks: number;
  /** Candidate issuers considered per chain. */
  maxPathSteps: number;
  /** Name-constraint comparisons (name × subtree) per chain. */
  maxNameComparisons: number;
  /** Smallest RSA modulus accepted anywhere on the path, the anchor included (OpenSSL security level 2: 2048). */
  minRsaBits: number;
}

/** The defaults of `ChainLimits`. */
export const DEFAULT_CHAIN_LIMITS: Readonly<ChainLimits> = Object.freeze({
  maxCertificates: 10,
  maxChainBytes: 32 * 1024,
  maxPathLength: 8,
  maxSignatureChecks: 100,
  maxPathSteps: 1000,
  maxNameComparisons: 100_000,
  minRsaBits: 2048,
});

/** Limits this module resolved (frozen): resolving them again is the identity — a verifier resolves once, each verification again. */
const resolvedLimits = new WeakSet<object>([DEFAULT_CHAIN_LIMITS]);

/** Resolve partial limits against the defaults (TypeError for a value that is not a positive integer). */
export function chainLimits(limits?: Partial<ChainLimits>): Readonly<ChainLimits> {
  if (limits === undefined) return DEFAULT_CHAIN_LIMITS;
  if (resolvedLimits.has(limits)) return limits as Readonly<ChainLimits>;
  const out = { ...DEFAULT_CHAIN_LIMITS, ...limits };
  for (const [k, v] of Object.entries(out)) {
    if (!Number.isSafeInteger(v) || v < 1) throw new TypeError(`chainLimits.${k} must be a positive integer`);
  }
  resolvedLimits.add(Object.freeze(out));
  return out;
}

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
      this.exact.add(binaryString(p.der));
    });
    this.certificates = kept;
  }

  /** Anchors whose subject is `cert`'s issuer. */
  issuersOf(cert: ParsedCertificate): readonly ParsedCertificate[] {
    return this.bySubject.get(cert.issuer) ?? [];
  }

  /** Is this exact certificate a trust anchor (a directly trusted, e.g. self-signed, end entity)? */
  has(der: Uint8Array): boolean {
    return this.exact.has(binaryString(der));
  }
}

/** What `verifyChain` checks against: anchors, time, the expected name and purpose, limits and crypto. */
export interface ChainOptions {
  trustAnchors: TrustStore;
  /** The validation time (ms since the epoch): the Handshake's `nowMs`, never a hidden clock. */
  nowMs: number;
  /** Checked against the end entity (RFC 6125) and the name constraints on the path: a DNS host name or an IP literal. */
  serverName?: string;
  /** The peer's role: serverAuth for a server's chain, clientAuth for a client's (RFC 5280 §4.2.1.12). */
  purpose: 'serverAuth' | 'clientAuth';
  crypto: HandshakeCrypto;
  /** Work and size bounds; default `DEFAULT_CHAIN_LIMITS`. */
  limits?: Partial<ChainLimits>;
}

/** A budget ran out: fatal for the whole verification (no other path is tried). */
class BudgetExhausted extends TlsAlertError {}

/** The work one verification may still do (webpki's `Budget`). */
class Budget {
  private signatures: number;
  private steps: number;
  private names: number;
  constructor(private readonly limits: ChainLimits) {
    this.signatures = limits.maxSignatureChecks;
    this.steps = limits.maxPathSteps;
    this.names = limits.maxNameComparisons;
  }
  signature(): void {
    if (--this.signatures < 0) this.exhausted(`${this.limits.maxSignatureChecks} signature checks`);
  }
  step(): void {
    if (--this.steps < 0) this.exhausted(`${this.limits.maxPathSteps} path-building steps`);
  }
  readonly compareName = (): void => {
    if (--this.names < 0) this.exhausted(`${this.limits.maxNameComparisons} name-constraint comparisons`);
  };
  private exhausted(what: string): never {
    throw new BudgetExhausted(AlertDescription.bad_certificate, `certificate path building gave up after ${what} (ChainLimits)`);
  }
}

/** The peer's chain within `maxCertificates` and `maxChainBytes`, else bad_certificate. */
export function checkChainSize(chain: readonly Uint8Array[], limits: Pick<ChainLimits, 'maxCertificates' | 'maxChainBytes'> = DEFAULT_CHAIN_LIMITS): void {
  if (chain.length > limits.maxCertificates) fail(AlertDescription.bad_certificate, `the peer sent ${chain.length} certificates; at most ${limits.maxCertificates} are accepted`);
  const bytes = chain.reduce((n, c) => n + c.length, 0);
  if (bytes > limits.maxChainBytes) fail(AlertDescription.bad_certificate, `the peer sent ${bytes} bytes of certificates; at most ${limits.maxChainBytes} are accepted`);
}

function checkValidity(c: ParsedCertificate, nowMs: number, what: string): void {
  // RFC 5280 §4.1.2.5: valid from notBefore through notAfter inclusive.
  if (nowMs < c.notBeforeMs) fail(AlertDescription.certificate_expired, `${what} is not valid yet`);
  if (nowMs > c.notAfterMs) fail(AlertDescription.certificate_expired, `${what} has expired`);
}

function checkPurpose(c: ParsedCertificate, purpose: string, what: string): void {
  // RFC 5280 §4.2.1.12; like webpki and browsers, an EKU on an intermediate also restricts the path. As
  // OpenSSL and webpki do (§4.2.1.12 allows it), anyExtendedKeyUsage alone does not stand for serverAuth.
  const eku = c.extKeyUsage;
  if (eku && !eku.includes(purpose)) fail(AlertDescription.unsupported_certificate, `${what} is not valid for ${purpose}`);
}

/** RFC 5280 §4.2.1.3: a certificate whose key validates certificates (cA asserted) carries keyUsage. */
function checkCaKeyUsage(c: ParsedCertificate, what: string): void {
  if (c.basicConstraints?.ca && !c.keyUsage) fail(AlertDescription.bad_certificate, `${what} asserts cA without keyUsage`);
}

function checkCritical(c: ParsedCertificate, what: string): void {
  // RFC 5280 §4.2: a critical extension we do not process rejects the certificate.
  if (c.unhandledCritical.length > 0) fail(AlertDescription.bad_certificate, `${what} has an unhandled critical extension ${c.unhandledCritical[0]}`);
}

/** Key policy (as OpenSSL's security level 2): an RSA key of at least `minRsaBits`, within RSA_KEY_BOUNDS. */
function checkKey(c: ParsedCertificate, limits: ChainLimits, what: string): void {
  const k = c.publicKey;
  if (k.kind !== 'rsa') return;
  if (k.bits < limits.minRsaBits) fail(AlertDescription.bad_certificate, `${what} has an RSA key of ${k.bits} bits (at least ${limits.minRsaBits} required)`);
  const problem = rsaKeyProblem(k.bits, k.exponent);
  if (problem) fail(AlertDescription.bad_certificate, `${what} has ${problem}`);
}

/** RFC 5280 §4.2.1.9 / §4.2.1.3: may `ca` issue certificates with `below` non-self-issued intermediates under it? */
function checkCa(ca: ParsedCertificate, below: number, o: Search): void {
  checkCritical(ca, 'an intermediate certificate');
  if (ca.version !== 3 || !ca.basicConstraints?.ca) fail(AlertDescription.bad_certificate, 'an intermediate certificate is not a CA');
  checkCaKeyUsage(ca, 'an intermediate certificate');
  if (ca.keyUsage && !hasKeyUsage(ca.keyUsage, KeyUsage.keyCertSign)) fail(AlertDescription.bad_certificate, 'an intermediate CA may not sign certificates');
  const pathLen = ca.basicConstraints.pathLen;
  if (pathLen !== undefined && below > pathLen) fail(AlertDescription.bad_certificate, 'pathLenConstraint exceeded');
  checkValidity(ca, o.nowMs, 'an intermediate certificate');
  checkPurpose(ca, o.purpose, 'an intermediate certificate');
  checkKey(ca, o.limits, 'an intermediate certificate');
}

/** What one path search carries. */
interface Search {
  readonly leaf: ParsedCertificate;
  readonly nowMs: number;
  readonly purpose: string;
  readonly limits: ChainLimits;
  readonly anchors: TrustStore;
  readonly crypto: HandshakeCrypto;
  /** The sent CA candidates by subject. */
  readonly bySubject: Map<string, ParsedCertificate[]>;
  /** The names the name constraints apply to: the end entity's SANs and the reference name. */
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly Uint8Array[];
  readonly budget: Budget;
  /** Signature verdicts by issuer key and subject certificate (each pair checked once). */
  readonly verdicts: Map<ParsedCertificate, Map<string, boolean>>;
}

/** A certificate's key as a comparable string (computed once per parsed certificate). */
const keyIds = new WeakMap<ParsedCertificate, string>();
function keyId(c: ParsedCertificate): string {
  let id = keyIds.get(c);
  if (id === undefined) keyIds.set(c, (id = binaryString(c.spki)));
  return id;
}

/** Does `issuer`'s key sign `subject`? Checked once per (issuer key, subject), within the budget. */
function signs(issuer: ParsedCertificate, subject: ParsedCertificate, s: Search): boolean {
  const alg = subject.signatureAlgorithm;
  // A signature algorithm we cannot verify (SHA-1, DSA, Ed448, …) → unsupported_certificate.
  if (!alg) fail(AlertDescription.unsupported_certificate, 'certificate signed with an unsupported algorithm');
  let byKey = s.verdicts.get(subject);
  if (!byKey) s.verdicts.set(subject, (byKey = new Map()));
  const key = keyId(issuer);
  let ok = byKey.get(key);
  if (ok === undefined) {
    s.budget.signature();
    ok = s.crypto.verifySignature(alg, issuer.spki, subject.tbs, subject.signature);
    byKey.set(key, ok);
  }
  return ok;
}

/** A path that reaches an anchor by name but whose signatures do not verify. */
class NotSigned extends TlsAlertError {}

/**
 * The signatures and name constraints of a complete candidate path, from the
 * anchor down (RFC 5280 §6.1.3): a forged link near the anchor costs one
 * check, however long the path under it.
 */
function verifyPath(path: readonly ParsedCertificate[], anchor: ParsedCertificate, s: Search): void {
  let issuer = anchor;
  for (let i = path.length - 1; i >= 0; i--) {
    const subject = path[i]!;
    if (!signs(issuer, subject, s)) throw new NotSigned(AlertDescription.bad_certificate, 'a certificate signature does not verify');
    // RFC 5280 §4.2.1.10 (and RFC 5937 for an anchor's): the constraints cover the end entity's names.
    const nc = issuer.nameConstraints;
    if (nc && !satisfiesNameConstraints(nc, s.dnsNames, s.ipAddresses, s.budget.compareName)) fail(AlertDescription.bad_certificate, 'name constraints violated');
    issuer = subject;
  }
}

/** RFC 4158 §5.2: the same subject and key already on the path is a loop, however the certificate differs. */
function onPath(path: readonly ParsedCertificate[], c: ParsedCertificate): boolean {
  return path.some((p) => p.subject === c.subject && keyId(p) === keyId(c));
}

/**
 * Depth-first path search, as webpki builds paths: candidate issuers are
 * matched by name and checked for CA rules only; signatures are verified
 * when a path reaches a trust anchor. Returns the path (end entity …
 * anchor) or throws the most telling failure: the first rule a candidate
 * broke, else a signature that did not verify, else unknown_ca.
 */
function buildPath(s: Search): ParsedCertificate[] {
  let best: TlsAlertError | undefined;
  let notSigned: TlsAlertError | undefined;
  const attempt = (f: () => void): boolean => {
    try {
      f();
      return true;
    } catch (e) {
      if (!TlsAlertError.isInstance(e) || e instanceof BudgetExhausted) throw e;
      if (e instanceof NotSigned) notSigned ??= e;
      else best ??= e;
      return false;
    }
  };
  const search = (path: ParsedCertificate[]): ParsedCertificate[] | null => {
    const cert = path[path.length - 1]!;
    for (const anchor of s.anchors.issuersOf(cert)) {
      s.budget.step();
      // The anchor's own validity and extensions do not apply (RFC 5280 §6.1); its key size does (as in OpenSSL).
      if (attempt(() => (checkKey(anchor, s.limits, 'the trust anchor'), verifyPath(path, anchor, s)))) return [...path, anchor];
    }
    if (path.length >= s.limits.maxPathLength) return null;
    for (const ca of s.bySubject.get(cert.issuer) ?? []) {
      if (onPath(path, ca)) continue;
      s.budget.step();
      const below = path.slice(1).filter((c) => c.subject !== c.issuer).length;
      if (!attempt(() => checkCa(ca, below, s))) continue;
      const found = search([...path, ca]);
      if (found) return found;
    }
    return null;
  };
  const path = search([s.leaf]);
  if (path) return path;
  throw best ?? notSigned ?? new TlsAlertError(AlertDescription.unknown_ca, 'no path to a trust anchor');
}

/**
 * Verify a peer's certificate chain (end entity first, as in the Certificate
 * message). Returns the parsed end entity; throws a TlsAlertError with the
 * alert to send.
 */
export function verifyChain(chain: readonly Uint8Array[], o: ChainOptions): ParsedCertificate {
  const limits = chainLimits(o.limits);
  if (chain.length === 0) fail(AlertDescription.bad_certificate, 'empty certificate chain');
  checkChainSize(chain, limits);
  // Identical certificates are parsed and tried once.
  const seen = new Set<string>();
  const unique = chain.filter((der) => {
    const k = binaryString(der);
    return !seen.has(k) && (seen.add(k), true);
  });
  const parsed = unique.map((der) => o.trustAnchors.cache.get(der));
  const leaf = parsed[0]!;
  checkCritical(leaf, 'the end-entity certificate');
  checkKey(leaf, limits, 'the end-entity certificate');
  const ref = o.serverName !== undefined ? referenceName(o.serverName) : undefined;
  // A directly trusted end entity (e.g. a self-signed server certificate given as the anchor) needs no path.
  if (!o.trustAnchors.has(leaf.der)) {
    checkCaKeyUsage(leaf, 'the end-entity certificate');
    const bySubject = new Map<string, ParsedCertificate[]>();
    for (const c of parsed.slice(1)) bySubject.set(c.subject, [...(bySubject.get(c.subject) ?? []), c]);
    buildPath({
      leaf,
      nowMs: o.nowMs,
      purpose: KeyPurpose[o.purpose],
      limits,
      anchors: o.trustAnchors,
      crypto: o.crypto,
      bySubject,
      // The reference name too: a name the client asks for must itself be allowed by every CA on the path.
      dnsNames: ref?.kind === 'dns' ? [...leaf.dnsNames, ref.name] : leaf.dnsNames,
      ipAddresses: ref?.kind === 'ip' ? [...leaf.ipAddresses, ref.address] : leaf.ipAddresses,
      budget: new Budget(limits),
      verdicts: new Map(),
    });
  }
  checkValidity(leaf, o.nowMs, 'the end-entity certificate');
  checkPurpose(leaf, KeyPurpose[o.purpose], 'the end-entity certificate');
  // RFC 8446 §4.4.2.2: the key signs CertificateVerify, so keyUsage (when present) must allow digitalSignature.
  if (leaf.keyUsage && !hasKeyUsage(leaf.keyUsage, KeyUsage.digitalSignature)) fail(AlertDescription.unsupported_certificate, 'the end-entity key may not sign');
  if (ref !== undefined && !matchesReference(ref, leaf.dnsNames, leaf.ipAddresses)) {
    fail(AlertDescription.bad_certificate, `the certificate is not valid for ${o.serverName}`);
  }
  return leaf;
}
