/**
 * @module generate
 * Self-signed certificates for development servers and clients (the
 * trust-on-first-use case): a fresh or given key, DNS/IP Subject Alternative
 * Names (default `localhost`, `127.0.0.1`, `::1`), keyUsage and extKeyUsage
 * for TLS server and/or client authentication, a validity window and a random
 * 16-byte serial number (RFC 5280 §4.1.2.2). Also the option handling the CA
 * module shares.
 */
import { certificateDer } from './der.js';
import { generateKeyPair, KEY_TYPES, type KeyAlgorithm, type KeyPair, type KeyType, readPrivateKey } from './key.js';
import { DEFAULT_SANS, parseSans, type SubjectAltName } from './san.js';
import { basicConstraints, buildName, extKeyUsage, keyIdentifier, keyUsage, randomSerialNumber, signCertificate, subjectAltName, subjectKeyIdentifier } from './x509.js';
import { KEY_PURPOSE, type KeyUsage } from './oids.js';

/** Which TLS role a leaf certificate is for (extKeyUsage serverAuth, clientAuth, or both). */
export type Purpose = 'server' | 'client' | 'both';

/** When a certificate is valid (RFC 5280 §4.1.2.5). */
export interface ValidityOptions {
  /** Start of validity (default: now minus 5 minutes, for clock skew). */
  notBefore?: Date;
  /** End of validity (default: `days` after the given `notBefore`, else after now). */
  notAfter?: Date;
  /** Lifetime in days when `notAfter` is not given (default 365 for leaves, 3650 for CAs). */
  days?: number;
  /** The clock (default `new Date()`); only used for the default `notBefore`. */
  now?: Date;
}

/** The certificate's subject name, serial number and key. */
export interface SubjectKeyOptions {
  /** Subject common name (default: the first DNS SAN, else the first SAN; for a CA "cert-tool CA <key id>"). */
  commonName?: string;
  /** Subject organization (O), omitted by default. */
  organization?: string;
  /** Key type to generate (default 'p256'). Ignored when `key` is given. */
  keyType?: KeyType;
  /** Certify an existing key (PKCS#8 DER, PEM text, or a KeyPair) instead of generating one — e.g. to keep a pinned key. */
  key?: KeyPair | Uint8Array | string;
  /** Serial number octets (default: 16 random octets); must be a positive, minimally encoded INTEGER value. */
  serialNumber?: Uint8Array;
}

/** Everything `generateSelfSigned` and `issueCertificate` take: names, purpose, validity, subject and key. */
export interface CertificateOptions extends ValidityOptions, SubjectKeyOptions {
  /** DNS names and IP addresses (default `['localhost', '127.0.0.1', '::1']`); `DNS:`/`IP:` prefixes force a type. */
  sans?: readonly string[];
  /** TLS role (default 'server'). */
  purpose?: Purpose;
}

/** A certificate with its key. */
export interface IssuedCertificate {
  /** The certificate, DER. */
  readonly certificate: Uint8Array;
  /** Its private key, PKCS#8 DER. */
  readonly privateKey: Uint8Array;
  readonly keyType: KeyAlgorithm;
  /**
   * The certificate followed by the intermediates up to, not including, a self-signed root: the
   * `certificate_list` a TLS peer sends. A self-signed certificate's chain is itself.
   */
  readonly chain: readonly Uint8Array[];
}

const DAY_MS = 86_400_000;
const SKEW_MS = 5 * 60_000;

/** Resolve the validity window; RangeError for an empty or invalid one. */
export function validityOf(o: ValidityOptions, defaultDays: number): { notBefore: Date; notAfter: Date } {
  const days = o.days ?? defaultDays;
  if (!Number.isFinite(days) || days <= 0) throw new RangeError(`days must be a positive number, got ${String(o.days)}`);
  const now = o.now ?? new Date();
  const notBefore = o.notBefore ?? new Date(now.getTime() - SKEW_MS);
  const notAfter = o.notAfter ?? new Date((o.notBefore ?? now).getTime() + days * DAY_MS);
  if (Number.isNaN(notBefore.getTime()) || Number.isNaN(notAfter.getTime())) throw new RangeError('invalid validity date');
  if (notAfter.getTime() <= notBefore.getTime()) throw new RangeError('notAfter must be later than notBefore');
  return { notBefore, notAfter };
}

/** The key to certify: the given one (checked) or a new one of `keyType`. */
export async function subjectKeyOf(o: SubjectKeyOptions): Promise<KeyPair> {
  if (o.key === undefined) {
    const type = o.keyType ?? 'p256';
    if (!KEY_TYPES.includes(type)) throw new RangeError(`unknown key type ${JSON.stringify(type)} (expected one of ${KEY_TYPES.join(', ')})`);
    return generateKeyPair(type);
  }
  return readPrivateKey(typeof o.key === 'string' || o.key instanceof Uint8Array ? o.key : o.key.privateKey);
}

/** The serial number to use: the given one (checked) or a random one. */
export function serialOf(o: SubjectKeyOptions): Uint8Array {
  const s = o.serialNumber;
  if (s === undefined) return randomSerialNumber();
  // RFC 5280 §4.1.2.2: positive, at most 20 octets; X.690: minimal.
  if (!(s instanceof Uint8Array) || s.length === 0 || s.length > 20) throw new RangeError('serialNumber must be 1 to 20 octets');
  if (s[0]! & 0x80 || (s.length > 1 && s[0] === 0 && (s[1]! & 0x80) === 0)) throw new RangeError('serialNumber must be a positive, minimally encoded INTEGER');
  if (s.every((x) => x === 0)) throw new RangeError('serialNumber must be positive');
  return s;
}

/** CN from the option, else the first SAN (≤ 64 characters, ub-common-name); RangeError when too long. */
export function commonNameOf(o: SubjectKeyOptions, sans: readonly SubjectAltName[], fallback: string): string {
  if (o.commonName !== undefined) {
    if (typeof o.commonName !== 'string' || o.commonName.length === 0 || o.commonName.length > 64) throw new RangeError('commonName must be 1 to 64 characters');
    return o.commonName;
  }
  const fit = (s: SubjectAltName | undefined): string | undefined => (s && s.value.length <= 64 ? s.value : undefined);
  return fit(sans.find((s) => s.type === 'dns')) ?? fit(sans[0]) ?? fallback;
}

/** Leaf keyUsage (RFC 5280 §4.2.1.3) and extKeyUsage for a purpose; RSA keys also get keyEncipherment (TLS 1.2 RSA key transport). */
export function leafUsages(type: KeyAlgorithm, purpose: Purpose): { usages: KeyUsage[]; purposes: string[] } {
  if (!['server', 'client', 'both'].includes(purpose)) throw new RangeError(`purpose must be 'server', 'client' or 'both', got ${JSON.stringify(purpose)}`);
  const usages: KeyUsage[] = type.startsWith('rsa') ? ['digitalSignature', 'keyEncipherment'] : ['digitalSignature'];
  const purposes: string[] = [];
  if (purpose !== 'client') purposes.push(KEY_PURPOSE.serverAuth);
  if (purpose !== 'server') purposes.push(KEY_PURPOSE.clientAuth);
  return { usages, purposes };
}

/** True when a certificate's issuer and subject names are the same octets (RFC 5280 §6.1: self-issued). */
export function isSelfIssued(cert: Uint8Array): boolean {
  const c = certificateDer(cert);
  return c.issuer.length === c.subject.length && c.issuer.every((x, i) => x === c.subject[i]);
}

/**
 * A self-signed end-entity certificate: basicConstraints cA=FALSE, keyUsage digitalSignature, extKeyUsage
 * per `purpose`, the SANs, a subjectKeyIdentifier. Default: ECDSA P-256, 365 days, `localhost`, `127.0.0.1`, `::1`.
 */
export async function generateSelfSigned(options: CertificateOptions = {}): Promise<IssuedCertificate> {
  const sans = parseSans(options.sans ?? DEFAULT_SANS);
  const { notBefore, notAfter } = validityOf(options, 365);
  const serialNumber = serialOf(options);
  const key = await subjectKeyOf(options);
  const name = buildName(commonNameOf(options, sans, 'localhost'), options.organization);
  const { usages, purposes } = leafUsages(key.type, options.purpose ?? 'server');
  const certificate = await signCertificate(
    {
      serialNumber,
      issuer: name,
      subject: name,
      notBefore,
      notAfter,
      publicKey: key.publicKey,
      extensions: [basicConstraints(false), keyUsage(usages), extKeyUsage(purposes), subjectAltName(sans), subjectKeyIdentifier(keyIdentifier(key.publicKey))],
    },
    key,
  );
  return { certificate, privateKey: key.privateKey, keyType: key.type, chain: [certificate] };
}
