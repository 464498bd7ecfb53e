/**
 * @module test/core/test-crypto
 * The provider the core tests run with: vitest.config.ts runs the core suite
 * once per provider (TSQUIC_HANDSHAKE_PROVIDER = node | noble), so every
 * handshake test is a conformance test of both. `makeTestCrypto({ fixedX25519 })`
 * pins the X25519 private key for the RFC 8448 traces.
 */
import { x25519 } from '@noble/curves/ed25519.js';
import { nobleCrypto, type HandshakeCrypto, type NamedGroup } from '../../src/index.js';
import { nodeCrypto } from '../../src/crypto/node.js';

export const providerName = process.env.TSQUIC_HANDSHAKE_PROVIDER === 'noble' ? 'noble' : 'node';
export const testProvider: HandshakeCrypto = providerName === 'noble' ? nobleCrypto : nodeCrypto;
/** Hashing and HMAC only (the key-schedule vector tests). */
export const hashOnlyCrypto: HandshakeCrypto = testProvider;

export function makeTestCrypto(opts: { fixedX25519?: Uint8Array } = {}): HandshakeCrypto {
  const sk = opts.fixedX25519;
  if (!sk) return testProvider;
  const pk = x25519.getPublicKey(sk);
  const X25519 = 0x001d as NamedGroup;
  return {
    ...testProvider,
    keyShare: (group) => (group === X25519 ? { group, publicKey: pk, complete: (s) => x25519.getSharedSecret(sk, s) } : testProvider.keyShare(group)),
    respondKeyShare: (group, share) => (group === X25519 ? { publicKey: pk, sharedSecret: x25519.getSharedSecret(sk, share) } : testProvider.respondKeyShare(group, share)),
  };
}
