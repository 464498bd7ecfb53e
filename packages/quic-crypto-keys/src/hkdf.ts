/**
 * @module hkdf
 * HKDF-Extract and HKDF-Expand-Label (RFC 5869, RFC 8446 §7.1) for SHA-256
 * and SHA-384 — the key derivation behind every QUIC packet key (RFC 9001
 * §5.1). Every connection derives a few dozen keys (Initial, Handshake,
 * 1-RTT, the next key phase), so on Node the HMAC comes from node:crypto
 * (reached through `process.getBuiltinModule`: nothing imported from
 * `node:*`, the module stays browser-safe); elsewhere from @noble/hashes.
 */
import { extract, expand } from '@noble/hashes/hkdf.js';
import { sha256, sha384 } from '@noble/hashes/sha2.js';

/** The hashes of the QUIC cipher suites. */
export type HashName = 'sha256' | 'sha384';
const HASH = { sha256, sha384 } as const;
const enc = new TextEncoder();

interface NodeHmac {
  createHmac(hash: string, key: Uint8Array): { update(d: Uint8Array): { update(d: Uint8Array): unknown }; digest(): Uint8Array };
}
const nodeCrypto = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule?.('node:crypto') as NodeHmac | undefined;
const ONE = Uint8Array.of(1);

function hmac(c: NodeHmac, hash: HashName, key: Uint8Array, a: Uint8Array, b?: Uint8Array): Uint8Array {
  const h = c.createHmac(hash, key);
  h.update(a);
  if (b) h.update(b);
  const d = h.digest();
  return new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
}

/** RFC 5869 §2.3 with node:crypto's HMAC: T(i) = HMAC(PRK, T(i-1) | info | i). */
function nodeExpand(c: NodeHmac, hash: HashName, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  const hashLen = HASH[hash].outputLen;
  if (length <= hashLen) return hmac(c, hash, prk, info, ONE).subarray(0, length);
  if (length > 255 * hashLen) throw new RangeError('HKDF output too long');
  const out = new Uint8Array(length);
  let t: Uint8Array = new Uint8Array(0);
  for (let i = 1, off = 0; off < length; i++, off += hashLen) {
    const block = new Uint8Array(t.length + info.length + 1);
    block.set(t);
    block.set(info, t.length);
    block[block.length - 1] = i;
    t = hmac(c, hash, prk, block);
    out.set(t.subarray(0, Math.min(hashLen, length - off)), off);
  }
  return out;
}

export function hashLength(hash: HashName): number {
  return HASH[hash].outputLen;
}

/** HKDF-Extract (RFC 5869 §2.2). */
export function hkdfExtract(hash: HashName, salt: Uint8Array, ikm: Uint8Array): Uint8Array {
  // RFC 5869 §2.2: PRK = HMAC-Hash(salt, IKM); an empty salt is HashLen zeros.
  if (nodeCrypto) return hmac(nodeCrypto, hash, salt.length ? salt : new Uint8Array(HASH[hash].outputLen), ikm);
  return extract(HASH[hash], ikm, salt);
}

/** RFC 8446 §7.1 HkdfLabel { uint16 length; opaque label<7..255> = "tls13 " + label; opaque context<0..255> }. */
function hkdfLabel(label: string, context: Uint8Array, length: number): Uint8Array {
  const full = enc.encode(`tls13 ${label}`);
  if (full.length > 255 || context.length > 255) throw new RangeError('HKDF label or context too long');
  const info = new Uint8Array(2 + 1 + full.length + 1 + context.length);
  info[0] = length >>> 8;
  info[1] = length & 0xff;
  info[2] = full.length;
  info.set(full, 3);
  info[3 + full.length] = context.length;
  info.set(context, 4 + full.length);
  return info;
}

/**
 * The HkdfLabels QUIC derives with an empty context ("quic key", "quic iv",
 * "quic hp", "quic ku", "client in"…, a few lengths each): built once, not
 * per key. Bounded by what callers ask for; a stray label is built per call.
 */
const EMPTY_CONTEXT_LABELS = new Map<string, Uint8Array>();
const EMPTY = new Uint8Array(0);

function labelFor(label: string, context: Uint8Array, length: number): Uint8Array {
  if (context.length !== 0) return hkdfLabel(label, context, length);
  const id = `${length} ${label}`;
  let info = EMPTY_CONTEXT_LABELS.get(id);
  if (!info) {
    info = hkdfLabel(label, EMPTY, length);
    if (EMPTY_CONTEXT_LABELS.size < 64) EMPTY_CONTEXT_LABELS.set(id, info);
  }
  return info;
}

/** RFC 8446 §7.1: HKDF-Expand(secret, HkdfLabel{length, "tls13 " + label, context}, length). */
export function hkdfExpandLabel(hash: HashName, secret: Uint8Array, label: string, context: Uint8Array, length: number): Uint8Array {
  const info = labelFor(label, context, length);
  return nodeCrypto ? nodeExpand(nodeCrypto, hash, secret, info, length) : expand(HASH[hash], secret, info, length);
}
