/**
 * @module test/sim/deterministic
 * Every random byte of a simulated run from one seed: the endpoints' (and so
 * the connections' and TLS handshakes') `random` hook, and a TLS crypto
 * provider whose key shares, ticket nonces and other random bytes come from
 * the seed too (X25519 from seeded private keys; ECDSA signatures are
 * deterministic already, RFC 6979). With the network's seeded loss, the same
 * seed gives the same datagrams at the same times.
 */
import { createPrivateKey, createPublicKey, diffieHellman } from 'node:crypto';
import { NamedGroup, nobleCrypto, type HandshakeCrypto } from '@tsquic/tls13-handshake';
import { seededRandom } from './network.js';

/** PKCS#8 for an X25519 private key (RFC 8410): this prefix, then the 32 key bytes. */
const X25519_PKCS8 = Buffer.from('302e020100300506032b656e04220420', 'hex');

function x25519(random: (n: number) => Uint8Array) {
  const priv = createPrivateKey({ key: Buffer.concat([X25519_PKCS8, random(32)]), format: 'der', type: 'pkcs8' });
  const pub = new Uint8Array(createPublicKey(priv).export({ format: 'der', type: 'spki' }).subarray(-32));
  const shared = (peer: Uint8Array): Uint8Array | null => {
    try {
      const key = createPublicKey({ key: Buffer.concat([Buffer.from('302a300506032b656e032100', 'hex'), peer]), format: 'der', type: 'spki' });
      return new Uint8Array(diffieHellman({ privateKey: priv, publicKey: key }));
    } catch {
      return null;
    }
  };
  return { pub, shared };
}

/** A TLS crypto provider drawing every random byte from `seed` (X25519 only). */
export function seededCrypto(seed: number): HandshakeCrypto {
  const random = seededRandom(seed);
  return {
    ...nobleCrypto,
    name: 'seeded',
    groups: [NamedGroup.x25519],
    randomBytes: random,
    keyShare(group) {
      if (group !== NamedGroup.x25519) throw new TypeError('the seeded provider does X25519 only');
      const k = x25519(random);
      return { group, publicKey: k.pub, complete: (s) => k.shared(s) };
    },
    respondKeyShare(group, share) {
      if (group !== NamedGroup.x25519) return null;
      const k = x25519(random);
      const s = k.shared(share);
      return s ? { publicKey: k.pub, sharedSecret: s } : null;
    },
  };
}
