/**
 * QUIC packet protection (RFC 9001 §5, §6; RFC 9369 §3.3): Initial secrets,
 * packet and header protection keys, key update, the Retry integrity tag,
 * the AES block cipher of QUIC-LB connection IDs, and the crypto provider
 * seam (`nobleProvider` here, `nodeProvider` from `@tsquic/quic-crypto-keys/node`).
 *
 * @module @tsquic/quic-crypto-keys
 */
import type { CryptoProvider } from './provider.js';
import { makeNodeProvider } from './provider/make-node.js';
import { nobleProvider } from './provider/noble.js';

export type { Aead, CryptoProvider, HeaderMask } from './provider.js';
export { nobleProvider } from './provider/noble.js';
export { CipherSuite, QuicVersion, suiteParams, versionConstants, type AeadAlgorithm, type HeaderProtectionAlgorithm, type SuiteParams, type VersionConstants } from './suites.js';
export { hkdfExpandLabel, hkdfExtract, type HashName } from './hkdf.js';
export { packetKey, type PacketKey } from './packet-protection.js';
export { headerKey, sampleOffset, type HeaderKey } from './header-protection.js';
export { initialKeys, initialSecrets, keyMaterial, keysFromSecret, type DirectionalKeys, type KeyMaterial } from './keys.js';
export { KeyPhase, nextSecret, type ReadGeneration } from './key-update.js';
export { retryIntegrityTag, verifyRetryIntegrity } from './retry.js';
export { aesBlockCipher, type BlockCipher } from './block-cipher.js';

let best: CryptoProvider | undefined;

/**
 * The fastest provider this runtime offers: node:crypto on Node (reached
 * through `process.getBuiltinModule`, so this module imports nothing from
 * `node:*` and stays browser-safe), `@noble/ciphers` everywhere else.
 */
export function defaultProvider(): CryptoProvider {
  if (best) return best;
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const nodeCrypto = proc?.getBuiltinModule?.('node:crypto') as Parameters<typeof makeNodeProvider>[0] | undefined;
  best = nodeCrypto ? makeNodeProvider(nodeCrypto) : nobleProvider;
  return best;
}
