/**
 * QUIC packet protection (RFC 9001 §5, §6; RFC 9369 §3.3): Initial secrets,
 * packet and header protection keys, key update, the Retry integrity tag,
 * the AES block cipher of QUIC-LB connection IDs, and the crypto provider
 * seam (`nobleProvider` here, `nodeProvider` from `@tsquic/quic-crypto-keys/node`).
 *
 * @module @tsquic/quic-crypto-keys
 */
import { defaultProvider as best } from '#default-provider';
import type { CryptoProvider } from './provider.js';

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

/**
 * The fastest provider this runtime offers: node:crypto on Node, the noble
 * libraries everywhere else — chosen at module resolution by the package.json
 * `imports` entry `#default-provider` (the `node` condition), the same way
 * tls13-handshake picks its `#default-crypto`. Bundlers for the browser
 * therefore never see `node:crypto`.
 */
export function defaultProvider(): CryptoProvider {
  return best;
}
