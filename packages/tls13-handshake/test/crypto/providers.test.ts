/**
 * Both HandshakeCrypto providers against each other and against node:crypto
 * itself: key shares of every group complete across providers, signatures
 * made by one verify with the other for every scheme, OpenSSL-style high-S
 * ECDSA signatures verify, tampering fails, malformed peer input is refused
 * without an exception.
 */
import * as nodeCryptoModule from 'node:crypto';
import { generateKeyPairSync, sign as nodeSign, type KeyObject } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { nobleCrypto, NamedGroup, SignatureScheme, defaultCrypto, type HandshakeCrypto } from '../../src/index.js';
import { makeNodeCrypto } from '../../src/crypto/make-node.js';
import { nodeCrypto } from '../../src/crypto/node.js';
import { verifyScheme } from '../../src/crypto/schemes.js';

/** node:crypto as Node 24 behaves: a private OKP JWK whose `x` does not match `d` is refused. */
const strictJwk = makeNodeCrypto({
  ...nodeCryptoModule,
  createPrivateKey: ((key: { key?: { kty?: string; x?: string }; format?: string }) => {
    if (key.format === 'jwk' && key.key?.kty === 'OKP' && key.key.x === '') throw new TypeError('Invalid JWK OKP key');
    return nodeCryptoModule.createPrivateKey(key as never);
  }) as typeof nodeCryptoModule.createPrivateKey,
});
Object.defineProperty(strictJwk, 'name', { value: 'node (strict JWK, as Node 24)' });

const P: HandshakeCrypto[] = [nobleCrypto, nodeCrypto, strictJwk];
const der = (k: KeyObject, type: 'spki' | 'pkcs8') => new Uint8Array(k.export({ format: 'der', type } as never) as Buffer);

const KEYS = {
  p256: generateKeyPairSync('ec', { namedCurve: 'prime256v1' }),
  p384: generateKeyPairSync('ec', { namedCurve: 'secp384r1' }),
  ed25519: generateKeyPairSync('ed25519'),
  rsa: generateKeyPairSync('rsa', { modulusLength: 2048 }),
};

describe('HandshakeCrypto providers', () => {
  it('the default on Node is the node provider', () => {
    expect(defaultCrypto().name).toBe('node');
  });

  for (const group of [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1, NamedGroup.x25519mlkem768]) {
    for (const a of P) {
      for (const b of P) {
        it(`group 0x${group.toString(16)}: client ${a.name}, server ${b.name} agree`, () => {
          const share = a.keyShare(group);
          const resp = b.respondKeyShare(group, share.publicKey)!;
          expect(resp).not.toBeNull();
          expect(Buffer.from(share.complete(resp.publicKey)!)).toEqual(Buffer.from(resp.sharedSecret));
          // A malformed or truncated peer share is refused, never thrown.
          expect(b.respondKeyShare(group, share.publicKey.subarray(1))).toBeNull();
          expect(share.complete(resp.publicKey.subarray(0, resp.publicKey.length - 1))).toBeNull();
        });
      }
    }
  }

  for (const p of P) {
    it(`${p.name}: an all-zero (small-order) X25519 share is refused (RFC 8446 §7.4.2)`, () => {
      expect(p.respondKeyShare(NamedGroup.x25519, new Uint8Array(32))).toBeNull();
      expect(p.respondKeyShare(NamedGroup.secp256r1, Uint8Array.of(4, ...new Uint8Array(64)))).toBeNull();
    });
  }

  const SIGNERS: Array<[string, keyof typeof KEYS, number]> = [
    ['ecdsa_secp256r1_sha256', 'p256', SignatureScheme.ecdsa_secp256r1_sha256],
    ['ecdsa_secp384r1_sha384', 'p384', SignatureScheme.ecdsa_secp384r1_sha384],
    ['ed25519', 'ed25519', SignatureScheme.ed25519],
    ['rsa_pss_rsae_sha256', 'rsa', SignatureScheme.rsa_pss_rsae_sha256],
    ['rsa_pss_rsae_sha512', 'rsa', SignatureScheme.rsa_pss_rsae_sha512],
  ];
  for (const [name, key, scheme] of SIGNERS) {
    for (const signerP of P) {
      if (key === 'rsa' && signerP === nobleCrypto) continue; // the noble provider verifies RSA but does not sign with it
      for (const verifierP of P) {
        it(`${name}: signed by ${signerP.name}, verified by ${verifierP.name}`, () => {
          const signer = signerP.signer(der(KEYS[key].privateKey, 'pkcs8'));
          expect(signer.schemes).toContain(scheme);
          const data = new TextEncoder().encode(`TLS 1.3, server CertificateVerify ${name}`);
          const sig = signer.sign(scheme as never, data);
          const spki = der(KEYS[key].publicKey, 'spki');
          expect(verifyScheme(verifierP, scheme as never, spki, data, sig)).toBe(true);
          const bad = data.slice();
          bad[0] = bad[0]! ^ 1;
          expect(verifyScheme(verifierP, scheme as never, spki, bad, sig)).toBe(false);
          expect(verifyScheme(verifierP, scheme as never, spki.subarray(0, 20), data, sig)).toBe(false);
          expect(verifyScheme(verifierP, scheme as never, spki, data, sig.subarray(1))).toBe(false);
        });
      }
    }
  }

  for (const p of P) {
    it(`${p.name}: verifies node:crypto's own signatures (high-S ECDSA included) and RSA PKCS#1 v1.5 for certificates`, () => {
      const data = new Uint8Array(100).fill(7);
      const spki256 = der(KEYS.p256.publicKey, 'spki');
      for (let i = 0; i < 40; i++) {
        data[0] = i;
        const sig = new Uint8Array(nodeSign('sha256', data, { key: KEYS.p256.privateKey, dsaEncoding: 'der' }));
        expect(verifyScheme(p, SignatureScheme.ecdsa_secp256r1_sha256, spki256, data, sig)).toBe(true);
      }
      const pkcs1 = new Uint8Array(nodeSign('sha256', data, KEYS.rsa.privateKey));
      expect(verifyScheme(p, SignatureScheme.rsa_pkcs1_sha256, der(KEYS.rsa.publicKey, 'spki'), data, pkcs1)).toBe(true);
      expect(verifyScheme(p, SignatureScheme.rsa_pkcs1_sha384, der(KEYS.rsa.publicKey, 'spki'), data, pkcs1)).toBe(false);
      // A scheme naming P-256 with a P-384 key is refused (TLS 1.3 binds the curve).
      const sig384 = new Uint8Array(nodeSign('sha256', data, { key: KEYS.p384.privateKey, dsaEncoding: 'der' }));
      expect(verifyScheme(p, SignatureScheme.ecdsa_secp256r1_sha256, der(KEYS.p384.publicKey, 'spki'), data, sig384)).toBe(false);
    });

    it(`${p.name}: an RSA signature shorter than the modulus is refused, even one that only lost a leading zero (RFC 8017 §8.1.2)`, () => {
      const spki = der(KEYS.rsa.publicKey, 'spki');
      const data = new TextEncoder().encode('TLS 1.3, server CertificateVerify');
      // PSS signatures are randomised: about one in 200 starts with 0x00. Sign until one does.
      let sig: Uint8Array | undefined;
      for (let i = 0; i < 5000 && sig?.[0] !== 0; i++) {
        sig = new Uint8Array(nodeSign('sha256', data, { key: KEYS.rsa.privateKey, padding: 6 /* RSA_PKCS1_PSS_PADDING */, saltLength: 32 }));
      }
      expect(sig![0]).toBe(0);
      expect(verifyScheme(p, SignatureScheme.rsa_pss_rsae_sha256, spki, data, sig!)).toBe(true);
      expect(verifyScheme(p, SignatureScheme.rsa_pss_rsae_sha256, spki, data, sig!.subarray(1))).toBe(false);
      const pkcs1 = new Uint8Array(nodeSign('sha256', data, KEYS.rsa.privateKey));
      const padded = new Uint8Array(pkcs1.length + 1);
      padded.set(pkcs1, 1);
      expect(verifyScheme(p, SignatureScheme.rsa_pkcs1_sha256, spki, data, padded)).toBe(false);
    });

    it(`${p.name}: a key it cannot parse is a TypeError (configuration), garbage verifies false`, () => {
      expect(() => p.signer(new Uint8Array(40))).toThrow(TypeError);
      expect(verifyScheme(p, SignatureScheme.ed25519, new Uint8Array(44), new Uint8Array(1), new Uint8Array(64))).toBe(false);
    });
  }

  it('noble refuses RSA signing with a clear TypeError', () => {
    expect(() => nobleCrypto.signer(der(KEYS.rsa.privateKey, 'pkcs8'))).toThrow(/node crypto provider/);
  });
});
