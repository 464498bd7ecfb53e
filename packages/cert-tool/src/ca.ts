/**
 * @module ca
 * A tiny certificate authority (RFC 5280): a CA certificate with
 * basicConstraints cA=TRUE (§4.2.1.9), keyUsage keyCertSign and cRLSign
 * (§4.2.1.3) and a subjectKeyIdentifier (§4.2.1.2); end-entity certificates and
 * intermediate CAs issued by it, each with an authorityKeyIdentifier (§4.2.1.1)
 * naming the issuer's key, and their chains.
 */
import { readCertificates } from './certificate.js';
import { bytesEqual, certificateDer, toHex } from './der.js';
import { fail } from './errors.js';
import { type CertificateOptions, commonNameOf, type IssuedCertificate, isSelfIssued, leafUsages, serialOf, type SubjectKeyOptions, subjectKeyOf, validityOf, type ValidityOptions } from './generate.js';
import { inspectCertificate } from './inspect.js';
import { type KeyPair, readPrivateKey } from './key.js';
import { DEFAULT_SANS, parseSans } from './san.js';
import { authorityKeyIdentifier, basicConstraints, buildName, extKeyUsage, keyIdentifier, keyUsage, signCertificate, subjectAltName, subjectKeyIdentifier, type TbsFields } from './x509.js';

/** A CA that can issue: its certificate and key, and optionally the chain it belongs to. */
export interface CertificateAuthority {
  /** The CA certificate: DER, or PEM (text or bytes; a PEM bundle is the CA followed by its intermediates). */
  readonly certificate: Uint8Array | string;
  /** Its private key: PKCS#8 DER (or PEM text). */
  readonly privateKey: Uint8Array | string;
  /**
   * The CA certificate followed by its intermediates (default: every certificate in `certificate`). Self-issued (root)
   * certificates in it are left out of issued chains: a peer holds the root as its trust anchor.
   */
  readonly chain?: readonly Uint8Array[];
}

/** What `createCa` takes: a root by default, an intermediate when `issuer` is given. */
export interface CaOptions extends ValidityOptions, SubjectKeyOptions {
  /** basicConstraints pathLenConstraint: how many intermediates may follow (default: no limit). */
  pathLength?: number;
  /** Make an intermediate CA signed by this CA (default: a self-signed root). */
  issuer?: CertificateAuthority;
}

interface Issuer {
  key: KeyPair;
  name: Uint8Array;
  keyId: Uint8Array;
  pathLength?: number;
  chainTail: Uint8Array[];
}

/** Check that `ca` can issue (a CA certificate whose key is `ca.privateKey`) and collect what issuing needs. */
function issuerOf(ca: CertificateAuthority): Issuer {
  if (typeof ca !== 'object' || ca === null || (typeof ca.certificate !== 'string' && !(ca.certificate instanceof Uint8Array))) {
    throw new TypeError('ca must be { certificate, privateKey, chain? }');
  }
  const given = readCertificates(ca.certificate);
  const certificate = given[0]!;
  const info = inspectCertificate(certificate);
  // RFC 5280 §4.2.1.9: only cA certificates may sign certificates; §4.2.1.3: and only with keyCertSign.
  if (!info.isCa) fail('NOT_CA', `"${info.subject}" is not a CA certificate (basicConstraints cA is not set)`);
  if (info.keyUsage.length > 0 && !info.keyUsage.includes('keyCertSign')) fail('NOT_CA', `"${info.subject}" lacks the keyCertSign key usage`);
  const key = readPrivateKey(ca.privateKey);
  if (!bytesEqual(key.publicKey, info.publicKey)) fail('KEY_MISMATCH', `the private key does not belong to the CA certificate "${info.subject}"`);
  const hex = info.subjectKeyIdentifier;
  const keyId = hex ? Uint8Array.from(hex.match(/../g) ?? [], (h) => parseInt(h, 16)) : keyIdentifier(info.publicKey);
  const chainTail = (ca.chain ?? given).filter((c) => !isSelfIssued(c));
  return { key, name: certificateDer(certificate).subject, keyId, chainTail, ...(info.pathLength === undefined ? {} : { pathLength: info.pathLength }) };
}

function checkPathLength(p: number | undefined): void {
  if (p !== undefined && !(Number.isInteger(p) && p >= 0 && p <= 255)) throw new RangeError('pathLength must be an integer from 0 to 255');
}

/**
 * Create a CA certificate: a self-signed root by default, or an intermediate when `issuer` is given.
 * Default: ECDSA P-256, 3650 days, CN "cert-tool CA <first 8 hex digits of the key id>".
 */
export async function createCa(options: CaOptions = {}): Promise<IssuedCertificate> {
  checkPathLength(options.pathLength);
  const parent = options.issuer ? issuerOf(options.issuer) : undefined;
  if (parent?.pathLength === 0) fail('NOT_CA', 'the issuing CA has pathLenConstraint 0 and may not issue intermediate CAs');
  const { notBefore, notAfter } = validityOf(options, 3650);
  const serialNumber = serialOf(options);
  const key = await subjectKeyOf(options);
  const keyId = keyIdentifier(key.publicKey);
  const subject = buildName(commonNameOf(options, [], `cert-tool CA ${toHex(keyId).slice(0, 8)}`), options.organization);
  const extensions = [basicConstraints(true, options.pathLength), keyUsage(['keyCertSign', 'cRLSign']), subjectKeyIdentifier(keyId)];
  if (parent) extensions.push(authorityKeyIdentifier(parent.keyId));
  const tbs: TbsFields = { serialNumber, issuer: parent?.name ?? subject, subject, notBefore, notAfter, publicKey: key.publicKey, extensions };
  const certificate = await signCertificate(tbs, parent?.key ?? key);
  return { certificate, privateKey: key.privateKey, keyType: key.type, chain: [certificate, ...(parent?.chainTail ?? [])] };
}

/**
 * Issue an end-entity certificate signed by `ca`: basicConstraints cA=FALSE, keyUsage, extKeyUsage for
 * `purpose`, the SANs (default `localhost`, `127.0.0.1`, `::1`), subject and authority key identifiers.
 * NOT_CA when `ca` is not a CA; KEY_MISMATCH when its key is not the certificate's.
 */
export async function issueCertificate(ca: CertificateAuthority, options: CertificateOptions = {}): Promise<IssuedCertificate> {
  const issuer = issuerOf(ca);
  const sans = parseSans(options.sans ?? DEFAULT_SANS);
  const { notBefore, notAfter } = validityOf(options, 365);
  const serialNumber = serialOf(options);
  const key = await subjectKeyOf(options);
  const { usages, purposes } = leafUsages(key.type, options.purpose ?? 'server');
  const certificate = await signCertificate(
    {
      serialNumber,
      issuer: issuer.name,
      subject: buildName(commonNameOf(options, sans, 'localhost'), options.organization),
      notBefore,
      notAfter,
      publicKey: key.publicKey,
      extensions: [basicConstraints(false), keyUsage(usages), extKeyUsage(purposes), subjectAltName(sans), subjectKeyIdentifier(keyIdentifier(key.publicKey)), authorityKeyIdentifier(issuer.keyId)],
    },
    issuer.key,
  );
  return { certificate, privateKey: key.privateKey, keyType: key.type, chain: [certificate, ...issuer.chainTail] };
}
