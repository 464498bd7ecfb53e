/**
 * @module crypto/der
 * Just enough DER (X.690) for the keys a TLS handshake handles: a
 * SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) and a PKCS#8 PrivateKeyInfo
 * (RFC 5208) for EC P-256/P-384 (RFC 5480, RFC 5915), Ed25519 (RFC 8410)
 * and RSA (RFC 8017 Appendix A.1). Malformed input returns null, never throws
 * for peer data.
 */
import { toHex } from '../codec.js';

export interface Tlv {
  tag: number;
  start: number;
  content: number;
  end: number;
}

/** One TLV at `off`, bounded by `limit`; null when malformed. */
export function readTlv(b: Uint8Array, off: number, limit: number): Tlv | null {
  if (off + 2 > limit) return null;
  const tag = b[off]!;
  let len = b[off + 1]!;
  let content = off + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 3 || content + n > limit) return null;
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[content + i]!;
    content += n;
  }
  if (content + len > limit) return null;
  return { tag, start: off, content, end: content + len };
}

/** The children of a constructed TLV; null when any is malformed. */
export function children(b: Uint8Array, t: Tlv): Tlv[] | null {
  const out: Tlv[] = [];
  for (let p = t.content; p < t.end;) {
    const c = readTlv(b, p, t.end);
    if (!c) return null;
    out.push(c);
    p = c.end;
  }
  return out;
}

const OID = {
  ecPublicKey: '2a8648ce3d0201',
  p256: '2a8648ce3d030107',
  p384: '2b81040022',
  ed25519: '2b6570',
  rsaEncryption: '2a864886f70d010101',
  rsassaPss: '2a864886f70d01010a',
} as const;

/** The NIST curves of ECDSA keys. */
export type Curve = 'P-256' | 'P-384';
export type PublicKeyInfo = { kind: 'ec'; curve: Curve; point: Uint8Array } | { kind: 'ed25519'; key: Uint8Array } | { kind: 'rsa'; n: bigint; e: bigint; modulusBytes: number };
export type PrivateKeyInfo = { kind: 'ec'; curve: Curve; d: Uint8Array } | { kind: 'ed25519'; seed: Uint8Array } | { kind: 'rsa' };

function bigintOf(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${toHex(bytes)}`);
}

/** AlgorithmIdentifier → key kind and curve. */
function algorithm(b: Uint8Array, alg: Tlv): { kind: 'ec'; curve: Curve } | { kind: 'ed25519' } | { kind: 'rsa' } | null {
  const parts = children(b, alg);
  if (!parts || parts.length === 0 || parts[0]!.tag !== 0x06) return null;
  const oid = toHex(b.subarray(parts[0]!.content, parts[0]!.end));
  if (oid === OID.ed25519) return { kind: 'ed25519' };
  if (oid === OID.rsaEncryption || oid === OID.rsassaPss) return { kind: 'rsa' };
  if (oid !== OID.ecPublicKey || parts.length < 2 || parts[1]!.tag !== 0x06) return null;
  const curve = toHex(b.subarray(parts[1]!.content, parts[1]!.end));
  if (curve === OID.p256) return { kind: 'ec', curve: 'P-256' };
  if (curve === OID.p384) return { kind: 'ec', curve: 'P-384' };
  return null;
}

/**
 * RSA public keys we use at all: 1024 to 8192 bits (as webpki), an odd
 * exponent from 3 to 2^33 - 1 (as ring). The exponent bounds the cost of a
 * verification: OpenSSL takes any exponent below 3072-bit moduli, and a huge
 * one makes each check as slow as a private-key operation.
 */
export const RSA_KEY_BOUNDS = { minBits: 1024, maxBits: 8192, maxExponent: 2n ** 33n - 1n } as const;

/** Why an RSA key is outside RSA_KEY_BOUNDS, or null when it is inside. */
export function rsaKeyProblem(bits: number, e: bigint): string | null {
  if (bits < RSA_KEY_BOUNDS.minBits || bits > RSA_KEY_BOUNDS.maxBits) return `an RSA key of ${bits} bits (${RSA_KEY_BOUNDS.minBits} to ${RSA_KEY_BOUNDS.maxBits} accepted)`;
  if (e < 3n || e > RSA_KEY_BOUNDS.maxExponent || (e & 1n) === 0n) return 'an RSA public exponent that is even, below 3 or above 2^33';
  return null;
}

/** What a SubjectPublicKeyInfo holds, for key policy (no size checks here). */
export type KeyInfo = { kind: 'ec'; curve: Curve } | { kind: 'ed25519' } | { kind: 'rsa'; bits: number; exponent: bigint } | { kind: 'other' };

function spkiParts(spki: Uint8Array): { alg: ReturnType<typeof algorithm>; key: Uint8Array } | null {
  const top = readTlv(spki, 0, spki.length);
  if (!top || top.tag !== 0x30 || top.end !== spki.length) return null;
  const parts = children(spki, top);
  if (!parts || parts.length !== 2 || parts[0]!.tag !== 0x30 || parts[1]!.tag !== 0x03) return null;
  const bits = parts[1]!;
  if (bits.end - bits.content < 1 || spki[bits.content] !== 0) return null; // no unused bits
  return { alg: algorithm(spki, parts[0]!), key: spki.subarray(bits.content + 1, bits.end) };
}

/** RFC 8017 Appendix A.1.1: RSAPublicKey ::= SEQUENCE { modulus INTEGER, publicExponent INTEGER }. */
function rsaPublicKey(key: Uint8Array): { n: bigint; e: bigint; modulusBytes: number; bits: number } | null {
  const seq = readTlv(key, 0, key.length);
  const ints = seq && seq.tag === 0x30 ? children(key, seq) : null;
  if (!ints || ints.length !== 2 || ints[0]!.tag !== 0x02 || ints[1]!.tag !== 0x02) return null;
  let nBytes = key.subarray(ints[0]!.content, ints[0]!.end);
  while (nBytes.length > 0 && nBytes[0] === 0) nBytes = nBytes.subarray(1);
  const n = bigintOf(nBytes);
  const e = bigintOf(key.subarray(ints[1]!.content, ints[1]!.end));
  return { n, e, modulusBytes: nBytes.length, bits: n === 0n ? 0 : n.toString(2).length };
}

/** The kind of key in a SubjectPublicKeyInfo (RSA with its size and exponent); null when malformed. */
export function spkiKeyInfo(spki: Uint8Array): KeyInfo | null {
  const p = spkiParts(spki);
  if (!p) return null;
  if (!p.alg) return { kind: 'other' };
  if (p.alg.kind !== 'rsa') return p.alg;
  const k = rsaPublicKey(p.key);
  return k ? { kind: 'rsa', bits: k.bits, exponent: k.e } : null;
}

/** Parse a DER SubjectPublicKeyInfo; RSA keys outside RSA_KEY_BOUNDS are refused (null). */
export function parseSpki(spki: Uint8Array): PublicKeyInfo | null {
  const p = spkiParts(spki);
  if (!p || !p.alg) return null;
  const { alg, key } = p;
  if (alg.kind === 'ed25519') return key.length === 32 ? { kind: 'ed25519', key } : null;
  if (alg.kind === 'ec') return key.length === (alg.curve === 'P-256' ? 65 : 97) && key[0] === 4 ? { kind: 'ec', curve: alg.curve, point: key } : null;
  const k = rsaPublicKey(key);
  if (!k || rsaKeyProblem(k.bits, k.e) !== null) return null;
  return { kind: 'rsa', n: k.n, e: k.e, modulusBytes: k.modulusBytes };
}

/** Parse a DER PKCS#8 PrivateKeyInfo (EC keys as RFC 5915 ECPrivateKey, Ed25519 as RFC 8410 CurvePrivateKey). */
export function parsePkcs8(pkcs8: Uint8Array): PrivateKeyInfo | null {
  const top = readTlv(pkcs8, 0, pkcs8.length);
  if (!top || top.tag !== 0x30) return null;
  const parts = children(pkcs8, top);
  if (!parts || parts.length < 3 || parts[0]!.tag !== 0x02 || parts[1]!.tag !== 0x30 || parts[2]!.tag !== 0x04) return null;
  const alg = algorithm(pkcs8, parts[1]!);
  if (!alg) return null;
  if (alg.kind === 'rsa') return { kind: 'rsa' };
  const inner = pkcs8.subarray(parts[2]!.content, parts[2]!.end);
  const t = readTlv(inner, 0, inner.length);
  if (!t) return null;
  if (alg.kind === 'ed25519') return t.tag === 0x04 && t.end - t.content === 32 ? { kind: 'ed25519', seed: inner.subarray(t.content, t.end) } : null;
  const ec = t.tag === 0x30 ? children(inner, t) : null;
  if (!ec || ec.length < 2 || ec[1]!.tag !== 0x04) return null;
  const d = inner.subarray(ec[1]!.content, ec[1]!.end);
  return d.length === (alg.curve === 'P-256' ? 32 : 48) ? { kind: 'ec', curve: alg.curve, d } : null;
}
