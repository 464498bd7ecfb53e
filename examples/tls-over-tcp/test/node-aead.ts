/**
 * @module test/node-aead
 * A record-layer crypto on node:crypto (AEAD and HMAC only), independent of
 * the package's providers, for replaying captured connections.
 */
import { createCipheriv, createDecipheriv, createHash, createHmac } from 'node:crypto';
import type { Aead, AeadAlg, HandshakeCrypto, HashAlg } from '@tsquic/tls13-handshake/record';

function aead(alg: AeadAlg, key: Uint8Array): Aead {
  const opts = { authTagLength: 16 } as const;
  return {
    seal(nonce, aad, pt) {
      const c = createCipheriv(alg as 'aes-128-gcm', key, nonce, opts);
      c.setAAD(aad, { plaintextLength: pt.length });
      return new Uint8Array(Buffer.concat([c.update(pt), c.final(), c.getAuthTag()]));
    },
    open(nonce, aad, sealed) {
      if (sealed.length < 16) return null;
      try {
        const d = createDecipheriv(alg as 'aes-128-gcm', key, nonce, opts);
        d.setAAD(aad, { plaintextLength: sealed.length - 16 });
        d.setAuthTag(sealed.subarray(sealed.length - 16));
        return new Uint8Array(Buffer.concat([d.update(sealed.subarray(0, sealed.length - 16)), d.final()]));
      } catch {
        return null;
      }
    },
  };
}

const unused = (): never => {
  throw new Error('not used by the record layer');
};

export const nodeAeadCrypto: HandshakeCrypto = {
  name: 'test-node-aead',
  groups: [],
  randomBytes: unused,
  hash: (alg: HashAlg, data: Uint8Array) => new Uint8Array(createHash(alg).update(data).digest()),
  hmac: (alg: HashAlg, key: Uint8Array, data: Uint8Array) => new Uint8Array(createHmac(alg, key).update(data).digest()),
  aead,
  keyShare: unused,
  respondKeyShare: unused,
  signer: unused,
  verifySignature: unused,
};
