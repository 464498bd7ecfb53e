/**
 * @module retry
 * The Retry Integrity Tag (RFC 9001 §5.8; RFC 9369 §3.3.3 for v2): AES-128-GCM
 * with a fixed per-version key and nonce over the Retry pseudo-packet
 * (ODCID Length ‖ ODCID ‖ the Retry packet without its tag), empty plaintext.
 */
import type { Aead, CryptoProvider } from './provider.js';
import { nobleProvider } from './provider/noble.js';
import { versionConstants } from './suites.js';

const TAG = 16;
const EMPTY = new Uint8Array(0);

function pseudoPacket(odcid: Uint8Array, retryWithoutTag: Uint8Array): Uint8Array {
  if (odcid.length > 255) throw new RangeError('ODCID too long');
  const out = new Uint8Array(1 + odcid.length + retryWithoutTag.length);
  out[0] = odcid.length;
  out.set(odcid, 1);
  out.set(retryWithoutTag, 1 + odcid.length);
  return out;
}

const cache = new WeakMap<CryptoProvider, Map<number, Aead>>();
function retryAead(provider: CryptoProvider, version: number): Aead {
  let m = cache.get(provider);
  if (!m) cache.set(provider, (m = new Map()));
  let a = m.get(version);
  if (!a) m.set(version, (a = provider.aead('aes-128-gcm', versionConstants(version).retryKey)));
  return a;
}

/** The 16-byte tag to append to a Retry packet. */
export function retryIntegrityTag(version: number, odcid: Uint8Array, retryWithoutTag: Uint8Array, provider: CryptoProvider = nobleProvider): Uint8Array {
  return retryAead(provider, version).seal(versionConstants(version).retryNonce, pseudoPacket(odcid, retryWithoutTag), EMPTY);
}

/** True when the last 16 bytes of `retryPacket` are its valid integrity tag for `odcid`. */
export function verifyRetryIntegrity(version: number, odcid: Uint8Array, retryPacket: Uint8Array, provider: CryptoProvider = nobleProvider): boolean {
  if (retryPacket.length < TAG) return false;
  const body = retryPacket.subarray(0, retryPacket.length - TAG);
  return retryAead(provider, version).open(versionConstants(version).retryNonce, pseudoPacket(odcid, body), retryPacket.subarray(retryPacket.length - TAG)) !== null;
}
