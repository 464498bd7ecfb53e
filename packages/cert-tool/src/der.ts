/**
 * @module der
 * A strict X.690 DER reader: tag–length–value walking with definite,
 * minimally encoded lengths, no trailing bytes and a depth limit. Every
 * certificate and key is checked here before pkijs/asn1js (which accept BER)
 * see it, so malformed input ends in `CertToolError('MALFORMED_DER')`, never a
 * RangeError or an out-of-bounds read. Also pulls the raw
 * SubjectPublicKeyInfo out of a certificate (RFC 5280 §4.1).
 */
import { fail } from './errors.js';

/** One DER element: `tag` is the identifier octet (class, constructed bit, number ≤ 30). */
export interface Tlv {
  readonly tag: number;
  readonly start: number;
  readonly content: number;
  readonly end: number;
}

export const TAG = {
  INTEGER: 0x02,
  BIT_STRING: 0x03,
  OCTET_STRING: 0x04,
  NULL: 0x05,
  OID: 0x06,
  SEQUENCE: 0x30,
  SET: 0x31,
} as const;

const MAX_DEPTH = 32;

/** The element at `off`, which must end at or before `limit`. */
export function readTlv(b: Uint8Array, off: number, limit: number, what = 'DER'): Tlv {
  if (off + 2 > limit) fail('MALFORMED_DER', `${what}: truncated at byte ${off}`);
  const tag = b[off]!;
  // X.690 §8.1.2.4: high tag numbers (0x1f) never occur in the structures read here.
  if ((tag & 0x1f) === 0x1f) fail('MALFORMED_DER', `${what}: unsupported multi-byte tag at byte ${off}`);
  const first = b[off + 1]!;
  let content = off + 2;
  let len = first;
  if (first & 0x80) {
    const n = first & 0x7f;
    // X.690 §10.1: definite form only; §8.1.3.5 + DER: minimal number of length octets.
    if (n === 0) fail('MALFORMED_DER', `${what}: indefinite length at byte ${off}`);
    if (n > 4) fail('MALFORMED_DER', `${what}: length of ${n} octets at byte ${off}`);
    if (content + n > limit) fail('MALFORMED_DER', `${what}: truncated length at byte ${off}`);
    if (b[content] === 0) fail('MALFORMED_DER', `${what}: non-minimal length at byte ${off}`);
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[content + i]!;
    if (len < 0x80) fail('MALFORMED_DER', `${what}: non-minimal length at byte ${off}`);
    content += n;
  }
  if (len > limit - content) fail('MALFORMED_DER', `${what}: element at byte ${off} overruns its container`);
  return { tag, start: off, content, end: content + len };
}

/** The children of a constructed element. */
export function childrenOf(b: Uint8Array, t: Tlv, what = 'DER'): Tlv[] {
  const out: Tlv[] = [];
  for (let p = t.content; p < t.end;) {
    const c = readTlv(b, p, t.end, what);
    out.push(c);
    p = c.end;
  }
  return out;
}

function walk(b: Uint8Array, t: Tlv, depth: number, what: string): void {
  if ((t.tag & 0x20) === 0) return;
  if (depth >= MAX_DEPTH) fail('MALFORMED_DER', `${what}: nested deeper than ${MAX_DEPTH}`);
  for (const c of childrenOf(b, t, what)) walk(b, c, depth + 1, what);
}

/** Check that `b` is exactly one well-formed DER element (recursively) and return it. */
export function checkDer(b: Uint8Array, what = 'DER'): Tlv {
  if (b.length === 0) fail('MALFORMED_DER', `${what}: empty input`);
  const top = readTlv(b, 0, b.length, what);
  if (top.end !== b.length) fail('MALFORMED_DER', `${what}: ${b.length - top.end} trailing bytes after the DER element`);
  walk(b, top, 0, what);
  return top;
}

/** Check `b` and that its outer element is a SEQUENCE whose children have the given tags (a prefix). */
export function expectSequence(b: Uint8Array, tags: readonly number[], what: string): Tlv[] {
  const top = checkDer(b, what);
  if (top.tag !== TAG.SEQUENCE) fail('MALFORMED_DER', `${what}: not a SEQUENCE`);
  const parts = childrenOf(b, top, what);
  if (parts.length < tags.length) fail('MALFORMED_DER', `${what}: ${parts.length} elements, expected at least ${tags.length}`);
  tags.forEach((tag, i) => {
    if (parts[i]!.tag !== tag) fail('MALFORMED_DER', `${what}: element ${i} has tag 0x${parts[i]!.tag.toString(16)}, expected 0x${tag.toString(16)}`);
  });
  return parts;
}

/** The content octets of an element. */
export function contentOf(b: Uint8Array, t: Tlv): Uint8Array {
  return b.subarray(t.content, t.end);
}

/** The whole element (identifier, length and content). */
export function bytesOf(b: Uint8Array, t: Tlv): Uint8Array {
  return b.subarray(t.start, t.end);
}

/** What a DER blob looks like from its outer structure. */
export type DerKind = 'certificate' | 'spki' | 'pkcs8' | 'sec1' | 'pkcs1' | 'unknown';

/**
 * Classify a checked DER element: Certificate = SEQUENCE { SEQUENCE tbs, SEQUENCE alg, BIT STRING } (RFC 5280 §4.1),
 * SubjectPublicKeyInfo = SEQUENCE { SEQUENCE alg, BIT STRING } (§4.1.2.7),
 * PrivateKeyInfo = SEQUENCE { INTEGER, SEQUENCE alg, OCTET STRING, ... } (RFC 5208 §5),
 * ECPrivateKey = SEQUENCE { INTEGER 1, OCTET STRING, [0] parameters, ... } (RFC 5915 §3),
 * RSAPrivateKey = SEQUENCE { INTEGER 0, eight INTEGERs } (RFC 8017 A.1.2).
 */
export function classifyDer(b: Uint8Array): DerKind {
  const top = checkDer(b);
  if (top.tag !== TAG.SEQUENCE) return 'unknown';
  const t = childrenOf(b, top).map((c) => c.tag);
  if (t.length === 3 && t[0] === TAG.SEQUENCE && t[1] === TAG.SEQUENCE && t[2] === TAG.BIT_STRING) return 'certificate';
  if (t.length === 2 && t[0] === TAG.SEQUENCE && t[1] === TAG.BIT_STRING) return 'spki';
  if (t.length >= 3 && t[0] === TAG.INTEGER && t[1] === TAG.SEQUENCE && t[2] === TAG.OCTET_STRING) return 'pkcs8';
  if (t.length >= 3 && t[0] === TAG.INTEGER && t[1] === TAG.OCTET_STRING && t.includes(0xa0)) return 'sec1';
  if (t.length === 9 && t.every((x) => x === TAG.INTEGER)) return 'pkcs1';
  return 'unknown';
}

/** The parts of a certificate's outer structure (RFC 5280 §4.1.1), and the raw fields of its TBSCertificate (§4.1.2). */
export interface CertificateDer {
  readonly tbs: Uint8Array;
  readonly serial: Uint8Array;
  readonly issuer: Uint8Array;
  readonly subject: Uint8Array;
  readonly spki: Uint8Array;
}

/** Split a DER certificate into the byte ranges other modules need (checks DER first). */
export function certificateDer(cert: Uint8Array): CertificateDer {
  const what = 'certificate';
  const [tbsT] = expectSequence(cert, [TAG.SEQUENCE, TAG.SEQUENCE, TAG.BIT_STRING], what);
  const fields = childrenOf(cert, tbsT!, what);
  let i = fields[0]?.tag === 0xa0 ? 1 : 0; // [0] EXPLICIT Version
  // serialNumber, signature, issuer, validity, subject, subjectPublicKeyInfo
  const want = [TAG.INTEGER, TAG.SEQUENCE, TAG.SEQUENCE, TAG.SEQUENCE, TAG.SEQUENCE, TAG.SEQUENCE];
  if (fields.length < i + want.length) fail('MALFORMED_DER', `${what}: TBSCertificate has too few fields`);
  want.forEach((tag, k) => {
    if (fields[i + k]!.tag !== tag) fail('MALFORMED_DER', `${what}: TBSCertificate field ${i + k} has tag 0x${fields[i + k]!.tag.toString(16)}`);
  });
  const f = (k: number): Uint8Array => bytesOf(cert, fields[i + k]!);
  const serial = contentOf(cert, fields[i]!);
  return { tbs: bytesOf(cert, tbsT!), serial, issuer: f(2), subject: f(4), spki: f(5) };
}

/** Byte-wise equality. */
export function bytesEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}

/** Lowercase hex of bytes. */
export function toHex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += x.toString(16).padStart(2, '0');
  return s;
}

/** A dotted OID from its DER content octets (X.690 §8.19); throws MALFORMED_DER when malformed. */
export function oidToString(c: Uint8Array): string {
  if (c.length === 0 || (c[c.length - 1]! & 0x80) !== 0) fail('MALFORMED_DER', 'malformed OBJECT IDENTIFIER');
  const arcs: number[] = [];
  let v = 0;
  for (let i = 0; i < c.length; i++) {
    if (v === 0 && c[i] === 0x80) fail('MALFORMED_DER', 'non-minimal OBJECT IDENTIFIER arc');
    v = v * 128 + (c[i]! & 0x7f);
    if (v > Number.MAX_SAFE_INTEGER / 128) fail('MALFORMED_DER', 'OBJECT IDENTIFIER arc too large');
    if ((c[i]! & 0x80) === 0) {
      if (arcs.length === 0) arcs.push(v < 80 ? Math.floor(v / 40) : 2, v < 80 ? v % 40 : v - 80);
      else arcs.push(v);
      v = 0;
    }
  }
  return arcs.join('.');
}
