/**
 * @module crypto/rsa
 * RSA signature *verification* in plain JavaScript (BigInt), so that the
 * browser-safe provider can check RSA certificates and CertificateVerify
 * synchronously (WebCrypto is asynchronous): RSASSA-PSS with MGF1 and a given
 * salt length (RFC 8017 §8.1.2, §9.1.2; RFC 8446 §4.2.3, RFC 4055) and
 * RSASSA-PKCS1-v1_5 (RFC 8017 §8.2.2, §9.2) for certificate signatures.
 * Only public-key operations: no secret ever touches this code.
 */
import type { HashAlg } from './provider.js';

type Hash = (data: Uint8Array) => Uint8Array;

function modPow(base: bigint, exp: bigint, mod: bigint): bigint {
  let result = 1n;
  let b = base % mod;
  let e = exp;
  while (e > 0n) {
    if (e & 1n) result = (result * b) % mod;
    b = (b * b) % mod;
    e >>= 1n;
  }
  return result;
}

function toBytes(x: bigint, length: number): Uint8Array | null {
  const out = new Uint8Array(length);
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(x & 0xffn);
    x >>= 8n;
  }
  return x === 0n ? out : null;
}

function fromBytes(b: Uint8Array): bigint {
  let x = 0n;
  for (const v of b) x = (x << 8n) | BigInt(v);
  return x;
}

/** RSAVP1 (RFC 8017 §5.2.2): s^e mod n as emLen-byte big-endian, or null when out of range. */
function recover(n: bigint, e: bigint, modulusBytes: number, signature: Uint8Array): Uint8Array | null {
  if (signature.length !== modulusBytes) return null;
  const s = fromBytes(signature);
  if (s >= n) return null;
  return toBytes(modPow(s, e, n), modulusBytes);
}

function mgf1(hash: Hash, seed: Uint8Array, length: number): Uint8Array {
  const out = new Uint8Array(length);
  const block = new Uint8Array(seed.length + 4);
  block.set(seed);
  for (let counter = 0, off = 0; off < length; counter++) {
    block[seed.length] = counter >>> 24;
    block[seed.length + 1] = (counter >>> 16) & 0xff;
    block[seed.length + 2] = (counter >>> 8) & 0xff;
    block[seed.length + 3] = counter & 0xff;
    const h = hash(block);
    out.set(h.subarray(0, Math.min(h.length, length - off)), off);
    off += h.length;
  }
  return out;
}

function bitLength(n: bigint): number {
  return n.toString(2).length;
}

/** RSASSA-PSS-VERIFY with MGF1 over the same hash and a salt of `sLen` bytes (RFC 8017 §8.1.2, EMSA-PSS-VERIFY §9.1.2). */
export function verifyPss(hash: Hash, n: bigint, e: bigint, modulusBytes: number, message: Uint8Array, signature: Uint8Array, sLen: number): boolean {
  const m = recover(n, e, modulusBytes, signature);
  if (!m) return false;
  const emBits = bitLength(n) - 1;
  const emLen = Math.ceil(emBits / 8);
  const em = m.subarray(m.length - emLen);
  if (m.length > emLen && m[0] !== 0) return false;
  const mHash = hash(message);
  const hLen = mHash.length;
  if (emLen < hLen + sLen + 2 || em[emLen - 1] !== 0xbc) return false;
  const dbLen = emLen - hLen - 1;
  const maskedDb = em.subarray(0, dbLen);
  const h = em.subarray(dbLen, dbLen + hLen);
  const topBits = 8 * emLen - emBits;
  if (maskedDb[0]! & ((0xff << (8 - topBits)) & 0xff)) return false;
  const db = mgf1(hash, h, dbLen);
  for (let i = 0; i < dbLen; i++) db[i] = db[i]! ^ maskedDb[i]!;
  db[0] = db[0]! & (0xff >>> topBits);
  const psLen = emLen - hLen - sLen - 2;
  for (let i = 0; i < psLen; i++) if (db[i] !== 0) return false;
  if (db[psLen] !== 0x01) return false;
  const mPrime = new Uint8Array(8 + hLen + sLen);
  mPrime.set(mHash, 8);
  mPrime.set(db.subarray(dbLen - sLen), 8 + hLen);
  const h2 = hash(mPrime);
  let d = 0;
  for (let i = 0; i < hLen; i++) d |= h2[i]! ^ h[i]!;
  return d === 0;
}

/** DER DigestInfo prefixes (RFC 8017 §9.2 note 1). */
const DIGEST_INFO: Record<HashAlg, string> = {
  sha256: '3031300d060960864801650304020105000420',
  sha384: '3041300d060960864801650304020205000430',
  sha512: '3051300d060960864801650304020305000440',
};

/** RSASSA-PKCS1-V1_5-VERIFY (RFC 8017 §8.2.2): compare against the one valid encoding. */
export function verifyPkcs1(hashName: HashAlg, hash: Hash, n: bigint, e: bigint, modulusBytes: number, message: Uint8Array, signature: Uint8Array): boolean {
  const em = recover(n, e, modulusBytes, signature);
  if (!em) return false;
  const prefix = Uint8Array.from(DIGEST_INFO[hashName].match(/../g)!.map((x) => parseInt(x, 16)));
  const digest = hash(message);
  const tLen = prefix.length + digest.length;
  if (modulusBytes < tLen + 11) return false;
  const expected = new Uint8Array(modulusBytes);
  expected[1] = 0x01;
  expected.fill(0xff, 2, modulusBytes - tLen - 1);
  expected.set(prefix, modulusBytes - tLen);
  expected.set(digest, modulusBytes - digest.length);
  let d = 0;
  for (let i = 0; i < modulusBytes; i++) d |= em[i]! ^ expected[i]!;
  return d === 0;
}
