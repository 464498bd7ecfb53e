/**
 * @module record/traffic-keys
 * RFC 8446 §7.3 traffic key calculation for the record layer: the write key
 * and iv from a traffic secret, via HKDF-Expand-Label (§7.1) on the
 * provider's HMAC, and the §5.5 AEAD for the suite.
 */
import type { AeadAlg, HandshakeCrypto, HashAlg } from '../crypto/provider.js';
import type { CipherSuite } from './handshake-port.js';

/** RFC 8446 Appendix B.4: hash, AEAD and key length per cipher suite (iv length 12 for all). */
export const RecordSuites = {
  0x1301: { hash: 'sha256', aead: 'aes-128-gcm', keyLen: 16 },
  0x1302: { hash: 'sha384', aead: 'aes-256-gcm', keyLen: 32 },
  0x1303: { hash: 'sha256', aead: 'chacha20-poly1305', keyLen: 32 },
} as const satisfies Record<CipherSuite, { hash: HashAlg; aead: AeadAlg; keyLen: number }>;

const HASH_LEN: Record<HashAlg, number> = { sha256: 32, sha384: 48, sha512: 64 };

/** RFC 8446 §7.1 HKDF-Expand-Label(secret, label, "", length) (RFC 5869 HKDF-Expand). */
function expandLabel(c: HandshakeCrypto, hash: HashAlg, secret: Uint8Array, label: string, length: number): Uint8Array {
  const full = new TextEncoder().encode(`tls13 ${label}`);
  const info = new Uint8Array(2 + 1 + full.length + 1);
  info[0] = length >> 8;
  info[1] = length & 0xff;
  info[2] = full.length;
  info.set(full, 3);
  info[3 + full.length] = 0; // empty context
  const out = new Uint8Array(length);
  let t: Uint8Array = new Uint8Array(0);
  for (let i = 1, off = 0; off < length; i++) {
    const input = new Uint8Array(t.length + info.length + 1);
    input.set(t);
    input.set(info, t.length);
    input[input.length - 1] = i;
    t = c.hmac(hash, secret, input);
    out.set(t.subarray(0, Math.min(HASH_LEN[hash], length - off)), off);
    off += t.length;
  }
  return out;
}

/** RFC 8446 §7.3: [sender]_write_key and [sender]_write_iv from a traffic secret. */
export function recordTrafficKeys(c: HandshakeCrypto, suite: CipherSuite, secret: Uint8Array): { key: Uint8Array; iv: Uint8Array } {
  const p = RecordSuites[suite];
  if (!p) throw new RangeError(`unknown cipher suite 0x${Number(suite).toString(16)}`);
  return { key: expandLabel(c, p.hash, secret, 'key', p.keyLen), iv: expandLabel(c, p.hash, secret, 'iv', 12) };
}
