/**
 * @module record/traffic-keys
 * RFC 8446 §7.3 traffic key calculation for the record layer: the write key
 * and iv from a traffic secret, through the key schedule's HKDF-Expand-Label
 * (§7.1) on the provider's HMAC, and the §5.5 AEAD for the suite — the
 * handshake's own suite table and key derivation, not a second copy.
 */
import type { HandshakeCrypto } from '../crypto/provider.js';
import { isCipherSuite, suiteParams, trafficKeys, type CipherSuite } from '../key-schedule.js';

/** RFC 8446 Appendix B.4: hash, AEAD and key length per cipher suite (iv length 12 for all). */
export const RecordSuites = {
  0x1301: suiteParams(0x1301),
  0x1302: suiteParams(0x1302),
  0x1303: suiteParams(0x1303),
} as const satisfies Record<CipherSuite, ReturnType<typeof suiteParams>>;

/** RFC 8446 §7.3: [sender]_write_key and [sender]_write_iv from a traffic secret. */
export function recordTrafficKeys(c: HandshakeCrypto, suite: CipherSuite, secret: Uint8Array): { key: Uint8Array; iv: Uint8Array } {
  if (!isCipherSuite(suite)) throw new RangeError(`unknown cipher suite 0x${Number(suite).toString(16)}`);
  return trafficKeys(c, suite, secret);
}
