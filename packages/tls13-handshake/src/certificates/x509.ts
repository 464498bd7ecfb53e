/**
 * @module certificates/x509
 * X.509 certificates (RFC 5280 §4) parsed synchronously with pkijs/asn1js
 * into the fields TLS path validation uses: the signed tbsCertificate and its
 * signature algorithm (RFC 5758 ECDSA, RFC 8410 Ed25519, RFC 8017 / RFC 4055
 * PKCS#1 v1.5 and RSASSA-PSS), issuer and subject, validity, the
 * SubjectPublicKeyInfo, and the extensions of §4.2.1 (basicConstraints,
 * keyUsage, extKeyUsage, subjectAltName, nameConstraints). A certificate
 * that does not parse is the peer's fault: bad_certificate (RFC 8446 §6.2).
 */
import * as asn1js from 'asn1js';
import * as pkijs from 'pkijs';
import { AlertDescription, TlsAlertError, fail } from '../alert.js';
import { children, readTlv, spkiKeyInfo, type KeyInfo } from '../crypto/der.js';
import type { HashAlg, SignatureAlgorithm } from '../crypto/provider.js';
import { certificateSpki } from '../x509-spki.js';

/** RFC 5280 §4.2.1.3 KeyUsage bits, as numbered in the BIT STRING. */
export const KeyUsage = { digitalSignature: 0, keyCertSign: 5 } as const;

/** RFC 5280 §4.2.1.12 key purposes. */
export const KeyPurpose = {
  serverAuth: '1.3.6.1.5.5.7.3.1',
  clientAuth: '1.3.6.1.5.5.7.3.2',
  any: '2.5.29.37.0',
} as const;

const EXT = {
  keyUsage: '2.5.29.15',
  subjectAltName: '2.5.29.17',
  basicConstraints: '2.5.29.19',
  nameConstraints: '2.5.29.30',
  certificatePolicies: '2.5.29.32',
  policyConstraints: '2.5.29.36',
  extKeyUsage: '2.5.29.37',
  inhibitAnyPolicy: '2.5.29.54',
} as const;

/** Critical extensions path validation understands (policies are accepted without policy processing, as webpki does). */
const HANDLED_CRITICAL = new Set<string>(Object.values(EXT));

const HASH_OID: Record<string, HashAlg> = {
  '2.16.840.1.101.3.4.2.1': 'sha256',
  '2.16.840.1.101.3.4.2.2': 'sha384',
  '2.16.840.1.101.3.4.2.3': 'sha512',
};

/** RFC 5280 §4.1.1.2 signatureAlgorithm OIDs we verify (SHA-1 and DSA are refused). */
const SIGNATURE_OID: Record<string, SignatureAlgorithm> = {
  '1.2.840.10045.4.3.2': { kind: 'ecdsa', hash: 'sha256' },
  '1.2.840.10045.4.3.3': { kind: 'ecdsa', hash: 'sha384' },
  '1.2.840.10045.4.3.4': { kind: 'ecdsa', hash: 'sha512' },
  '1.3.101.112': { kind: 'ed25519' },
  '1.2.840.113549.1.1.11': { kind: 'rsa-pkcs1', hash: 'sha256' },
  '1.2.840.113549.1.1.12': { kind: 'rsa-pkcs1', hash: 'sha384' },
  '1.2.840.113549.1.1.13': { kind: 'rsa-pkcs1', hash: 'sha512' },
};
const RSASSA_PSS = '1.2.840.113549.1.1.10';
const MGF1 = '1.2.840.113549.1.1.8';

export interface Subtree {
  kind: 'dns' | 'ip';
  /** dNSName constraint (lower case), or the IP address ‖ mask bytes. */
  value: string | Uint8Array;
}

/** The fields path validation needs; everything else stays in `der`. */
export interface ParsedCertificate {
  readonly der: Uint8Array;
  readonly version: number;
  readonly tbs: Uint8Array;
  /** null: a signature algorithm we do not verify (→ unsupported_certificate when it matters). */
  readonly signatureAlgorithm: SignatureAlgorithm | null;
  readonly signature: Uint8Array;
  /** Issuer and subject as comparison keys (RFC 5280 §7.1, see `nameKey`). */
  readonly issuer: string;
  readonly subject: string;
  readonly notBeforeMs: number;
  readonly notAfterMs: number;
  readonly spki: Uint8Array;
  /** The kind of subject public key (with an RSA key's size and exponent), for key policy. */
  readonly publicKey: KeyInfo;
  /** basicConstraints (RFC 5280 §4.2.1.9): undefined when the extension is absent. */
  readonly basicConstraints?: { ca: boolean; pathLen?: number };
  /** keyUsage bits, undefined when absent. */
  readonly keyUsage?: Uint8Array;
  /** extKeyUsage purposes, undefined when absent. */
  readonly extKeyUsage?: string[];
  readonly dnsNames: string[];
  readonly ipAddresses: Uint8Array[];
  readonly nameConstraints?: { permitted: Subtree[]; excluded: Subtree[] };
  /** OIDs of critical extensions we do not process (RFC 5280 §4.2: such a certificate is rejected). */
  readonly unhandledCritical: string[];
}

const bytes = (b: ArrayBuffer | ArrayBufferView): Uint8Array =>
  b instanceof Uint8Array ? b : ArrayBuffer.isView(b) ? new Uint8Array(b.buffer, b.byteOffset, b.byteLength) : new Uint8Array(b);

/** RFC 5280 §7.1-style comparison key of a Name: attribute types and values, strings case-folded and whitespace-collapsed. */
function nameKey(name: pkijs.RelativeDistinguishedNames): string {
  return name.typesAndValues
    .map((tv) => {
      const v = tv.value as asn1js.AsnType & { valueBlock: { value?: unknown; valueHexView?: Uint8Array } };
      const s = typeof v.valueBlock.value === 'string'
        ? v.valueBlock.value.trim().replace(/\s+/g, ' ').toLowerCase()
        : `#${Array.from(bytes(v.valueBlock.valueHexView ?? new Uint8Array(0)), (x) => x.toString(16).padStart(2, '0')).join('')}`;
      return `${tv.type}=${s}`;
    })
    .join(',');
}

/** RFC 4055 §3.1 RSASSA-PSS-params: only MGF1 with the signature's own hash, trailer 1. */
function pssAlgorithm(params: unknown): SignatureAlgorithm | null {
  if (!params || !(params instanceof asn1js.Sequence)) return null;
  const p = new pkijs.RSASSAPSSParams({ schema: params });
  const hash = HASH_OID[p.hashAlgorithm.algorithmId];
  if (!hash || p.maskGenAlgorithm.algorithmId !== MGF1 || p.trailerField !== 1) return null;
  const mgfHash = new pkijs.AlgorithmIdentifier({ schema: p.maskGenAlgorithm.algorithmParams });
  if (HASH_OID[mgfHash.algorithmId] !== hash) return null;
  return { kind: 'rsa-pss', hash, saltLength: p.saltLength };
}

function signatureAlgorithm(alg: pkijs.AlgorithmIdentifier): SignatureAlgorithm | null {
  if (alg.algorithmId === RSASSA_PSS) return pssAlgorithm(alg.algorithmParams);
  return SIGNATURE_OID[alg.algorithmId] ?? null;
}

function subtrees(list: pkijs.GeneralSubtree[] | undefined): Subtree[] {
  const out: Subtree[] = [];
  for (const st of list ?? []) {
    if (st.base.type === 2) out.push({ kind: 'dns', value: String(st.base.value).toLowerCase() });
    else if (st.base.type === 7) out.push({ kind: 'ip', value: bytes((st.base.value as asn1js.OctetString).valueBlock.valueHexView) });
  }
  return out;
}

interface Extensions {
  basicConstraints?: { ca: boolean; pathLen?: number };
  keyUsage?: Uint8Array;
  extKeyUsage?: string[];
  dnsNames: string[];
  ipAddresses: Uint8Array[];
  nameConstraints?: { permitted: Subtree[]; excluded: Subtree[] };
  unhandledCritical: string[];
}

function extensions(list: pkijs.Extension[] | undefined): Extensions {
  const e: Extensions = { dnsNames: [], ipAddresses: [], unhandledCritical: [] };
  const seen = new Set<string>();
  for (const x of list ?? []) {
    // RFC 5280 §4.2: a certificate MUST NOT include more than one instance of an extension.
    if (seen.has(x.extnID)) fail(AlertDescription.bad_certificate, `duplicate certificate extension ${x.extnID}`);
    seen.add(x.extnID);
    if (x.critical && !HANDLED_CRITICAL.has(x.extnID)) e.unhandledCritical.push(x.extnID);
    const v: unknown = x.parsedValue;
    // A recognised extension pkijs could not decode is malformed.
    if (HANDLED_CRITICAL.has(x.extnID) && v === undefined) fail(AlertDescription.bad_certificate, `malformed extension ${x.extnID}`);
    switch (x.extnID) {
      case EXT.basicConstraints: {
        const bc = v as pkijs.BasicConstraints;
        const pl = bc.pathLenConstraint;
        e.basicConstraints = { ca: bc.cA === true, ...(pl !== undefined && { pathLen: typeof pl === 'number' ? pl : pl.valueBlock.valueDec }) };
        break;
      }
      case EXT.keyUsage:
        e.keyUsage = bytes((v as asn1js.BitString).valueBlock.valueHexView);
        break;
      case EXT.extKeyUsage:
        e.extKeyUsage = (v as pkijs.ExtKeyUsage).keyPurposes;
        break;
      case EXT.subjectAltName:
        for (const n of (v as pkijs.AltName).altNames) {
          if (n.type === 2) e.dnsNames.push(String(n.value));
          else if (n.type === 7) e.ipAddresses.push(bytes((n.value as asn1js.OctetString).valueBlock.valueHexView));
        }
        break;
      case EXT.nameConstraints: {
        const nc = v as pkijs.NameConstraints;
        e.nameConstraints = { permitted: subtrees(nc.permittedSubtrees), excluded: subtrees(nc.excludedSubtrees) };
        break;
      }
    }
  }
  return e;
}

/** True when bit `bit` of a keyUsage BIT STRING is set. */
export function hasKeyUsage(ku: Uint8Array, bit: number): boolean {
  const byte = ku[bit >> 3];
  return byte !== undefined && (byte & (0x80 >> (bit & 7))) !== 0;
}

/**
 * RFC 5280 §4.1 framing, strictly (asn1js tolerates children that overrun
 * their parent): Certificate ::= SEQUENCE { tbsCertificate, signatureAlgorithm,
 * signatureValue BIT STRING } filling the input exactly. Returns the signed
 * bytes and the signature as they are on the wire.
 */
function frame(der: Uint8Array): { tbs: Uint8Array; signature: Uint8Array } {
  const top = readTlv(der, 0, der.length);
  if (!top || top.tag !== 0x30 || top.end !== der.length) fail(AlertDescription.bad_certificate, 'certificate is not one DER SEQUENCE');
  const parts = children(der, top);
  if (!parts || parts.length !== 3 || parts[0]!.tag !== 0x30 || parts[1]!.tag !== 0x30 || parts[2]!.tag !== 0x03) {
    fail(AlertDescription.bad_certificate, 'certificate is not tbsCertificate, signatureAlgorithm, signatureValue');
  }
  const bits = parts[2]!;
  if (bits.end - bits.content < 1 || der[bits.content] !== 0) fail(AlertDescription.bad_certificate, 'signatureValue with unused bits');
  return { tbs: der.subarray(parts[0]!.start, parts[0]!.end), signature: der.subarray(bits.content + 1, bits.end) };
}

/** Parse a DER certificate; malformed → bad_certificate. */
export function parseCertificate(der: Uint8Array): ParsedCertificate {
  const framed = frame(der);
  let cert: pkijs.Certificate;
  try {
    const asn = asn1js.fromBER(der);
    // RFC 5280 §4.1: exactly one DER Certificate, nothing after it.
    if (asn.offset !== der.length || asn.offset === -1) fail(AlertDescription.bad_certificate, 'certificate is not one DER element');
    cert = new pkijs.Certificate({ schema: asn.result });
  } catch (e) {
    if (TlsAlertError.isInstance(e)) throw e;
    fail(AlertDescription.bad_certificate, `malformed certificate: ${e instanceof Error ? e.message : String(e)}`);
  }
  try {
    // RFC 5280 §4.1.1.2: the outer signatureAlgorithm must equal tbsCertificate.signature.
    const outer = cert.signatureAlgorithm.toSchema().toBER();
    const inner = cert.signature.toSchema().toBER();
    if (!equalBuffers(outer, inner)) fail(AlertDescription.bad_certificate, 'signatureAlgorithm differs from tbsCertificate.signature');
    const ext = extensions(cert.extensions);
    const notBeforeMs = cert.notBefore.value.getTime();
    const notAfterMs = cert.notAfter.value.getTime();
    if (!Number.isFinite(notBeforeMs) || !Number.isFinite(notAfterMs)) fail(AlertDescription.bad_certificate, 'unreadable validity');
    const spki = certificateSpki(der);
    return {
      der,
      version: cert.version + 1,
      tbs: framed.tbs,
      signatureAlgorithm: safeAlgorithm(cert.signatureAlgorithm),
      signature: framed.signature,
      issuer: nameKey(cert.issuer),
      subject: nameKey(cert.subject),
      notBeforeMs,
      notAfterMs,
      spki,
      publicKey: spkiKeyInfo(spki) ?? fail(AlertDescription.bad_certificate, 'malformed subjectPublicKeyInfo'),
      ...(ext.basicConstraints && { basicConstraints: ext.basicConstraints }),
      ...(ext.keyUsage && { keyUsage: ext.keyUsage }),
      ...(ext.extKeyUsage && { extKeyUsage: ext.extKeyUsage }),
      dnsNames: ext.dnsNames,
      ipAddresses: ext.ipAddresses,
      ...(ext.nameConstraints && { nameConstraints: ext.nameConstraints }),
      unhandledCritical: ext.unhandledCritical,
    };
  } catch (e) {
    if (TlsAlertError.isInstance(e)) throw e;
    fail(AlertDescription.bad_certificate, `malformed certificate: ${e instanceof Error ? e.message : String(e)}`);
  }
}

function safeAlgorithm(alg: pkijs.AlgorithmIdentifier): SignatureAlgorithm | null {
  try {
    return signatureAlgorithm(alg);
  } catch {
    return null;
  }
}

function equalBuffers(a: ArrayBuffer, b: ArrayBuffer): boolean {
  if (a.byteLength !== b.byteLength) return false;
  const x = new Uint8Array(a);
  const y = new Uint8Array(b);
  for (let i = 0; i < x.length; i++) if (x[i] !== y[i]) return false;
  return true;
}

/**
 * Parsed certificates by content, bounded (oldest dropped first): peers
 * present the same certificates connection after connection, and a pkijs
 * parse costs far more than the signature checks.
 */
export class CertificateCache {
  private readonly map = new Map<string, ParsedCertificate>();
  constructor(private readonly max = 256) {}
  get(der: Uint8Array): ParsedCertificate {
    const key = keyOf(der);
    const hit = this.map.get(key);
    if (hit) return hit;
    const parsed = parseCertificate(der.slice());
    if (this.map.size >= this.max) this.map.delete(this.map.keys().next().value!);
    this.map.set(key, parsed);
    return parsed;
  }
}

function keyOf(der: Uint8Array): string {
  let s = '';
  for (let i = 0; i < der.length; i += 4096) s += String.fromCharCode(...der.subarray(i, i + 4096));
  return s;
}
