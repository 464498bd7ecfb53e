/**
 * @module inspect
 * What a certificate says (RFC 5280 §4.1): subject and issuer (as RFC 4514
 * strings), serial number, validity, key type, signature algorithm, and the
 * extensions this package cares about — basicConstraints, keyUsage,
 * extKeyUsage, subjectAltName, key identifiers — plus SHA-256 fingerprints.
 * Parsed with pkijs after the strict DER check; anything malformed, including
 * a duplicated extension (§4.2), is MALFORMED_DER.
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { readCertificate } from './certificate.js';
import { certificateDer, checkDer, contentOf, TAG, toHex } from './der.js';
import { CertToolError, fail } from './errors.js';
import { certificateSha256, spkiSha256 } from './fingerprint.js';
import { type KeyAlgorithm, OID, spkiKeyType } from './key.js';
import { formatIp } from './san.js';
import { EXT, KEY_PURPOSE, KEY_USAGE_BITS, type KeyUsage, NAME_ATTRIBUTES } from './oids.js';

/** What `inspectCertificate` reads from a certificate: names, validity, key, usages and fingerprints. */
export interface CertificateInfo {
  /** X.509 version: 1, 2 or 3 (RFC 5280 §4.1.2.1). */
  readonly version: number;
  /** RFC 4514 string, e.g. `CN=localhost,O=Example`. */
  readonly subject: string;
  readonly issuer: string;
  /** Serial number, lowercase hex of the INTEGER content octets. */
  readonly serialNumber: string;
  readonly notBefore: Date;
  readonly notAfter: Date;
  /** 'p256', 'p384', 'ed25519', 'rsa<bits>', or 'unknown'. */
  readonly keyType: KeyAlgorithm | 'unknown';
  /** e.g. 'ecdsa-with-SHA256', 'Ed25519', 'sha256WithRSAEncryption', or the OID. */
  readonly signatureAlgorithm: string;
  /** basicConstraints cA. */
  readonly isCa: boolean;
  readonly pathLength?: number;
  /** keyUsage bit names; empty when the extension is absent. */
  readonly keyUsage: readonly KeyUsage[];
  /** extKeyUsage: 'serverAuth', 'clientAuth', or OIDs; empty when absent. */
  readonly extendedKeyUsage: readonly string[];
  readonly dnsNames: readonly string[];
  readonly ipAddresses: readonly string[];
  /** Issuer and subject are the same name (a root or a self-signed leaf). */
  readonly selfIssued: boolean;
  readonly subjectKeyIdentifier?: string;
  readonly authorityKeyIdentifier?: string;
  /** SHA-256 of the SubjectPublicKeyInfo, base64 (the pinning form) and hex. */
  readonly spkiSha256: string;
  readonly spkiSha256Hex: string;
  /** SHA-256 of the whole DER certificate, hex. */
  readonly sha256: string;
  /** The DER SubjectPublicKeyInfo. */
  readonly publicKey: Uint8Array;
}

const SIGNATURE_NAMES: Readonly<Record<string, string>> = {
  [OID.ecdsaWithSha256]: 'ecdsa-with-SHA256',
  [OID.ecdsaWithSha384]: 'ecdsa-with-SHA384',
  '1.2.840.10045.4.3.4': 'ecdsa-with-SHA512',
  [OID.ed25519]: 'Ed25519',
  '1.3.101.113': 'Ed448',
  [OID.sha256WithRsa]: 'sha256WithRSAEncryption',
  '1.2.840.113549.1.1.12': 'sha384WithRSAEncryption',
  '1.2.840.113549.1.1.13': 'sha512WithRSAEncryption',
  '1.2.840.113549.1.1.10': 'RSASSA-PSS',
  '1.2.840.113549.1.1.5': 'sha1WithRSAEncryption',
};

const PURPOSE_NAMES: Readonly<Record<string, string>> = Object.fromEntries(Object.entries(KEY_PURPOSE).map(([k, v]) => [v, k]));

/** RFC 4514 §2.4 value escaping. */
function escapeValue(v: string): string {
  let s = v.replace(/[\\",+;<>]/g, (c) => `\\${c}`).replace(/[\x00-\x1f]/g, (c) => `\\${c.charCodeAt(0).toString(16).padStart(2, '0')}`);
  if (s.startsWith('#') || s.startsWith(' ')) s = `\\${s}`;
  if (s.endsWith(' ') && s.length > 1) s = `${s.slice(0, -1)}\\ `;
  return s;
}

/** RFC 4514 §2.1: the RDNs in reverse order, comma-separated; unknown types as dotted OIDs, non-string values as #hex. */
function formatName(name: pkijs.RelativeDistinguishedNames): string {
  return name.typesAndValues
    .map((tv) => {
      const type = NAME_ATTRIBUTES[tv.type] ?? tv.type;
      const v = tv.value as asn1js.AsnType & { valueBlock: { value?: unknown } };
      const text = typeof v.valueBlock?.value === 'string' ? escapeValue(v.valueBlock.value) : `#${toHex(new Uint8Array(v.toBER(false)))}`;
      return `${type}=${text}`;
    })
    .reverse()
    .join(',');
}

function parsed<T>(ext: pkijs.Extension, type: abstract new (...args: never[]) => T, name: string): T {
  const v = ext.parsedValue as unknown;
  if (!(v instanceof type) || (v as { parsingError?: unknown }).parsingError) fail('MALFORMED_DER', `certificate: malformed ${name} extension`);
  return v;
}

/** The OCTET STRING / BIT STRING payload of an extension whose value pkijs leaves raw. */
function extnDer(ext: pkijs.Extension, tag: number, name: string): Uint8Array {
  const v = ext.extnValue.valueBlock.valueHexView;
  const t = checkDer(v, `${name} extension`);
  if (t.tag !== tag) fail('MALFORMED_DER', `certificate: malformed ${name} extension`);
  return contentOf(v, t);
}

function keyUsageBits(b: Uint8Array): KeyUsage[] {
  // RFC 5280 §4.2.1.3 KeyUsage ::= BIT STRING: first octet = unused bits.
  if (b.length === 0 || b[0]! > 7 || (b.length === 1 && b[0] !== 0)) fail('MALFORMED_DER', 'certificate: malformed keyUsage extension');
  return KEY_USAGE_BITS.filter((_, i) => i < (b.length - 1) * 8 && (b[1 + (i >> 3)]! & (0x80 >> (i & 7))) !== 0);
}

interface Extensions {
  isCa: boolean;
  pathLength?: number;
  keyUsage: KeyUsage[];
  extendedKeyUsage: string[];
  dnsNames: string[];
  ipAddresses: string[];
  subjectKeyIdentifier?: string;
  authorityKeyIdentifier?: string;
}

function readExtensions(list: readonly pkijs.Extension[]): Extensions {
  const out: Extensions = { isCa: false, keyUsage: [], extendedKeyUsage: [], dnsNames: [], ipAddresses: [] };
  const seen = new Set<string>();
  for (const ext of list) {
    // RFC 5280 §4.2: "A certificate MUST NOT include more than one instance of a particular extension."
    if (seen.has(ext.extnID)) fail('MALFORMED_DER', `certificate: extension ${ext.extnID} appears twice`);
    seen.add(ext.extnID);
    switch (ext.extnID) {
      case EXT.basicConstraints: {
        const bc = parsed(ext, pkijs.BasicConstraints, 'basicConstraints');
        out.isCa = bc.cA === true;
        const pl = bc.pathLenConstraint;
        if (pl !== undefined) out.pathLength = typeof pl === 'number' ? pl : pl.valueBlock.valueDec;
        break;
      }
      case EXT.keyUsage:
        out.keyUsage = keyUsageBits(extnDer(ext, TAG.BIT_STRING, 'keyUsage'));
        break;
      case EXT.extKeyUsage:
        out.extendedKeyUsage = parsed(ext, pkijs.ExtKeyUsage, 'extKeyUsage').keyPurposes.map((p) => PURPOSE_NAMES[p] ?? p);
        break;
      case EXT.subjectAltName:
        for (const n of parsed(ext, pkijs.AltName, 'subjectAltName').altNames) {
          if (n.type === 2 && typeof n.value === 'string') out.dnsNames.push(n.value);
          if (n.type === 7) {
            const ip = n.value instanceof asn1js.OctetString ? formatIp(n.value.valueBlock.valueHexView) : null;
            if (ip === null) fail('MALFORMED_DER', 'certificate: iPAddress SAN of neither 4 nor 16 octets');
            out.ipAddresses.push(ip);
          }
        }
        break;
      case EXT.subjectKeyIdentifier:
        out.subjectKeyIdentifier = toHex(extnDer(ext, TAG.OCTET_STRING, 'subjectKeyIdentifier'));
        break;
      case EXT.authorityKeyIdentifier: {
        const id = parsed(ext, pkijs.AuthorityKeyIdentifier, 'authorityKeyIdentifier').keyIdentifier;
        if (id) out.authorityKeyIdentifier = toHex(id.valueBlock.valueHexView);
        break;
      }
    }
  }
  return out;
}

function parseCertificate(der: Uint8Array): pkijs.Certificate {
  try {
    return pkijs.Certificate.fromBER(new Uint8Array(der));
  } catch (e) {
    return fail('MALFORMED_DER', `certificate: ${e instanceof Error ? e.message : 'does not match the RFC 5280 structure'}`, e);
  }
}

/** Inspect a certificate (DER, or PEM — the first certificate). MALFORMED_DER / MALFORMED_PEM when malformed. */
export function inspectCertificate(input: Uint8Array | string): CertificateInfo {
  const der = readCertificate(input);
  const raw = certificateDer(der);
  const cert = parseCertificate(der);
  try {
    const ext = readExtensions(cert.extensions ?? []);
    return {
      version: cert.version + 1,
      subject: formatName(cert.subject),
      issuer: formatName(cert.issuer),
      serialNumber: toHex(raw.serial),
      notBefore: cert.notBefore.value,
      notAfter: cert.notAfter.value,
      keyType: spkiKeyType(raw.spki) ?? 'unknown',
      signatureAlgorithm: SIGNATURE_NAMES[cert.signatureAlgorithm.algorithmId] ?? cert.signatureAlgorithm.algorithmId,
      ...ext,
      selfIssued: raw.issuer.length === raw.subject.length && raw.issuer.every((x, i) => x === raw.subject[i]),
      spkiSha256: spkiSha256(der),
      spkiSha256Hex: spkiSha256(der, 'hex'),
      sha256: certificateSha256(der),
      publicKey: raw.spki,
    };
  } catch (e) {
    if (CertToolError.isInstance(e)) throw e;
    return fail('MALFORMED_DER', `certificate: ${e instanceof Error ? e.message : 'malformed'}`, e);
  }
}
