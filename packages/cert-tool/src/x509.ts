/**
 * @module x509
 * Building and signing X.509 v3 certificates (RFC 5280 §4.1) with pkijs and
 * asn1js: names (§4.1.2.4), validity times (§4.1.2.5), serial numbers
 * (§4.1.2.2) and the extensions this package writes — basicConstraints
 * (§4.2.1.9), keyUsage (§4.2.1.3), extKeyUsage (§4.2.1.12), subjectAltName
 * (§4.2.1.6), subject and authority key identifiers (§4.2.1.2, §4.2.1.1).
 */
import { sha1 } from '@noble/hashes/legacy.js';
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { certificateDer } from './der.js';
import { type KeyPair, signatureAlgorithmOf, signWithKey, spkiKeyBits } from './key.js';
import { EXT, KEY_USAGE_BITS, type KeyUsage } from './oids.js';
import type { SubjectAltName } from './san.js';

/** §4.1.2.4 Name: an RDNSequence with one attribute per RDN (CN, then O when given), UTF8String values. */
export function buildName(commonName: string, organization?: string): Uint8Array {
  const rdn = (type: string, value: string): pkijs.AttributeTypeAndValue => new pkijs.AttributeTypeAndValue({ type, value: new asn1js.Utf8String({ value }) });
  const attrs = [rdn('2.5.4.3', commonName)];
  if (organization !== undefined) attrs.push(rdn('2.5.4.10', organization));
  const seq = new asn1js.Sequence({ value: attrs.map((a) => new asn1js.Set({ value: [a.toSchema()] })) });
  return new Uint8Array(seq.toBER(false));
}

/** §4.1.2.2: 16 random octets, positive (top bit clear) and minimally encoded (next bit set): 126 random bits. */
export function randomSerialNumber(): Uint8Array {
  const b = globalThis.crypto.getRandomValues(new Uint8Array(16));
  b[0] = (b[0]! & 0x7f) | 0x40;
  return b;
}

/** §4.1.2.5: UTCTime through 2049, GeneralizedTime from 2050; whole seconds. */
export function certificateTime(d: Date): pkijs.Time {
  const year = d.getUTCFullYear();
  if (!(year >= 1950 && year <= 9999)) throw new RangeError(`certificate time ${d.toISOString?.() ?? d} is outside 1950–9999`);
  return new pkijs.Time({ type: year < 2050 ? 0 : 1, value: new Date(Math.floor(d.getTime() / 1000) * 1000) });
}

function extension(extnID: string, critical: boolean, value: asn1js.AsnType | { toSchema(): asn1js.AsnType }): pkijs.Extension {
  const schema = 'toSchema' in value ? value.toSchema() : value;
  return new pkijs.Extension({ extnID, critical, extnValue: schema.toBER(false) });
}

/** §4.2.1.9, critical: cA and, for a CA, the optional pathLenConstraint. */
export function basicConstraints(ca: boolean, pathLength?: number): pkijs.Extension {
  return extension(EXT.basicConstraints, true, new pkijs.BasicConstraints(pathLength === undefined ? { cA: ca } : { cA: ca, pathLenConstraint: pathLength }));
}

/** §4.2.1.3, critical: a named-bit BIT STRING, trailing zero bits removed (X.690 §11.2.2). */
export function keyUsage(usages: readonly KeyUsage[]): pkijs.Extension {
  const idx = usages.map((u) => KEY_USAGE_BITS.indexOf(u));
  const last = Math.max(...idx);
  const bytes = new Uint8Array((last >> 3) + 1);
  for (const i of idx) bytes[i >> 3]! |= 0x80 >> (i & 7);
  return extension(EXT.keyUsage, true, new asn1js.BitString({ valueHex: bytes, unusedBits: 7 - (last & 7) }));
}

/** §4.2.1.12, not critical. */
export function extKeyUsage(purposes: readonly string[]): pkijs.Extension {
  return extension(EXT.extKeyUsage, false, new pkijs.ExtKeyUsage({ keyPurposes: [...purposes] }));
}

/** §4.2.1.6: dNSName [2] IA5String, iPAddress [7] OCTET STRING; not critical (the subject is never empty). */
export function subjectAltName(sans: readonly SubjectAltName[]): pkijs.Extension {
  const altNames = sans.map((s) => (s.type === 'dns' ? new pkijs.GeneralName({ type: 2, value: s.value }) : new pkijs.GeneralName({ type: 7, value: new asn1js.OctetString({ valueHex: s.bytes }) })));
  return extension(EXT.subjectAltName, false, new pkijs.AltName({ altNames }));
}

/** §4.2.1.2 method (1): SHA-1 of the subjectPublicKey BIT STRING value. */
export function keyIdentifier(spki: Uint8Array): Uint8Array {
  return sha1(spkiKeyBits(spki));
}

export function subjectKeyIdentifier(keyId: Uint8Array): pkijs.Extension {
  return extension(EXT.subjectKeyIdentifier, false, new asn1js.OctetString({ valueHex: keyId }));
}

/** §4.2.1.1: keyIdentifier [0] only. */
export function authorityKeyIdentifier(keyId: Uint8Array): pkijs.Extension {
  return extension(EXT.authorityKeyIdentifier, false, new pkijs.AuthorityKeyIdentifier({ keyIdentifier: new asn1js.OctetString({ valueHex: keyId }) }));
}

export interface TbsFields {
  readonly serialNumber: Uint8Array;
  /** DER Name of the issuer (copied verbatim from the issuer's certificate when there is one). */
  readonly issuer: Uint8Array;
  readonly subject: Uint8Array;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** DER SubjectPublicKeyInfo of the key being certified. */
  readonly publicKey: Uint8Array;
  readonly extensions: readonly pkijs.Extension[];
}

const fromDer = (b: Uint8Array): asn1js.AsnType => asn1js.fromBER(b).result;

/** Assemble the TBSCertificate, sign it with `signer` and return the certificate DER. */
export async function signCertificate(tbs: TbsFields, signer: KeyPair): Promise<Uint8Array> {
  const alg = signatureAlgorithmOf(signer.type);
  const algorithm = (): pkijs.AlgorithmIdentifier => new pkijs.AlgorithmIdentifier(alg.nullParams ? { algorithmId: alg.oid, algorithmParams: new asn1js.Null() } : { algorithmId: alg.oid });
  const cert = new pkijs.Certificate({
    version: 2, // v3
    serialNumber: new asn1js.Integer({ valueHex: tbs.serialNumber }),
    signature: algorithm(),
    issuer: new pkijs.RelativeDistinguishedNames({ schema: fromDer(tbs.issuer) }),
    subject: new pkijs.RelativeDistinguishedNames({ schema: fromDer(tbs.subject) }),
    notBefore: certificateTime(tbs.notBefore),
    notAfter: certificateTime(tbs.notAfter),
    subjectPublicKeyInfo: new pkijs.PublicKeyInfo({ schema: fromDer(tbs.publicKey) }),
    extensions: [...tbs.extensions],
  });
  const tbsDer = new Uint8Array(cert.encodeTBS().toBER(false));
  cert.tbsView = tbsDer;
  cert.signatureAlgorithm = algorithm();
  cert.signatureValue = new asn1js.BitString({ valueHex: await signWithKey(signer, tbsDer) });
  const out = new Uint8Array(cert.toSchema(false).toBER(false));
  certificateDer(out); // our own output must pass our own strict DER reader
  return out;
}
