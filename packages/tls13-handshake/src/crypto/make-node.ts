/**
 * @module crypto/make-node
 * The node:crypto HandshakeCrypto, built from an injected `node:crypto`
 * module so that this file imports nothing from `node:*` (`./node` passes the
 * real module; `defaultCrypto()` passes `process.getBuiltinModule`'s). The
 * levers measured on this machine: X25519 keys imported and exported through
 * JWK (~14× faster than SPKI DER; see `keygen` for the Node deadlock this
 * avoids) and optionally made ahead of time (`x25519Pool`), randomness from
 * a pool, P-256/P-384 through `createECDH`, signing
 * KeyObjects cached per private key, verifying KeyObjects cached per SPKI.
 * ML-KEM-768 (not in Node 20) comes from @noble/post-quantum.
 */
import type * as NodeCrypto from 'node:crypto';
import { rsaKeyProblem } from './der.js';
import { hybridClientShare, hybridRespond, type Dh } from './hybrid.js';
import { NamedGroup, SignatureScheme, type Aead, type AeadAlg, type HandshakeCrypto, type HashAlg, type SignatureAlgorithm, type Signer } from './provider.js';
import { isAllZero, safe } from './schemes.js';

type Crypto = typeof NodeCrypto;

const CURVE_NAME: Record<string, 'P-256' | 'P-384'> = { prime256v1: 'P-256', secp384r1: 'P-384' };

/** RFC 8410 §7: the PKCS#8 PrivateKeyInfo of an X25519 key, up to its 32 private bytes. */
const X25519_PKCS8_PREFIX = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20]);

/**
 * Random bytes from a 4 KB pool that one `randomFillSync` refills: a
 * handshake asks for a few dozen bytes in several calls (randoms, key
 * shares, ticket nonces), and the call is what costs, not the bytes. Each
 * byte is handed out once, as a copy.
 */
function pooledRandom(c: Crypto): (n: number) => Uint8Array {
  const pool = new Uint8Array(4096);
  let off = pool.length;
  return (n) => {
    if (n > 256) return new Uint8Array(c.randomBytes(n));
    if (off + n > pool.length) {
      c.randomFillSync(pool);
      off = 0;
    }
    off += n;
    const out = pool.slice(off - n, off);
    pool.fill(0, off - n, off); // no copy of a private key stays behind
    return out;
  };
}

type KeyPair = { sk: Uint8Array; pk: Uint8Array };

/**
 * X25519 key pairs made ahead of time on libuv's thread pool (issue 19):
 * `generateKeyPair` does the scalar multiplication off the event loop, and
 * its job encodes the public key itself (JWK) before it is freed, so no
 * JavaScript ever exports a generated key — the call that deadlocks Node 20
 * (see `keygen`); the private key is only ever used by `diffieHellman`,
 * which takes no key lock. Taking a pair starts the refill, which completes
 * on later turns of the event loop; an empty pool (the first handshake, a
 * burst, a synchronous loop) falls back to `inline`. At most `size` unused
 * ephemeral private keys wait in memory; each is used once.
 */
function x25519Pool(c: Crypto, size: number, inline: () => KeyPair): () => KeyPair {
  const ready: KeyPair[] = [];
  let pending = 0;
  const refill = (): void => {
    for (; ready.length + pending < size; pending++) {
      // @types/node has no overload for a JWK public key encoding; Node has had it since 15.9.
      const generate = c.generateKeyPair as unknown as (type: 'x25519', o: object, cb: (err: Error | null, pub: { x?: string }, sk: NodeCrypto.KeyObject) => void) => void;
      generate('x25519', { publicKeyEncoding: { format: 'jwk' } }, (err, pub, sk) => {
        pending--;
        if (!err && pub.x) ready.push({ sk: sk as unknown as Uint8Array, pk: new Uint8Array(Buffer.from(pub.x, 'base64url')) });
      });
    }
  };
  return () => {
    const kp = ready.pop() ?? inline();
    refill();
    return kp;
  };
}

/** A Buffer as a plain Uint8Array over the same memory. */
const view = (b: Buffer): Uint8Array => new Uint8Array(b.buffer, b.byteOffset, b.length);

/** `x25519Pool`: X25519 key pairs to keep ready (0: make each one when asked). */
export function makeNodeCrypto(c: Crypto, o: { x25519Pool?: number } = {}): HandshakeCrypto {
  const random = pooledRandom(c);
  const PSS = { padding: c.constants.RSA_PKCS1_PSS_PADDING, saltLength: c.constants.RSA_PSS_SALTLEN_DIGEST };

  // A private X25519 key from 32 random bytes. Node 20 and 22 take a JWK with only `d` (`x` must
  // merely be a string), 5-9× faster than PKCS#8 DER there; Node 24 checks `x` against `d` and refuses
  // it ("Invalid JWK OKP key"), so the first refusal switches this provider to DER for good.
  let jwkWithoutX = true;
  const x25519PrivateKey = (d: Uint8Array): NodeCrypto.KeyObject => {
    if (jwkWithoutX) {
      try {
        return c.createPrivateKey({ key: { kty: 'OKP', crv: 'X25519', d: Buffer.from(d).toString('base64url'), x: '' }, format: 'jwk' });
      } catch {
        jwkWithoutX = false;
      }
    }
    const der = new Uint8Array(X25519_PKCS8_PREFIX.length + 32);
    der.set(X25519_PKCS8_PREFIX);
    der.set(d, X25519_PKCS8_PREFIX.length);
    return c.createPrivateKey({ key: Buffer.from(der.buffer), format: 'der', type: 'pkcs8' });
  };

  const x25519: Dh = {
    // Not generateKeyPairSync + export({ format: 'jwk' }): in Node 20 that pair deadlocks the process
    // (futex wait, no CPU) when a garbage collection runs inside the JWK export: the export holds the
    // new key's mutex while it allocates the result string, and the collection destroys the finished
    // key-generation job, whose destructor takes the same mutex. A key imported from random bytes has
    // no such job.
    keygen() {
      const privateKey = x25519PrivateKey(random(32));
      const x = c.createPublicKey(privateKey).export({ format: 'jwk' }).x!;
      return { sk: privateKey as unknown as Uint8Array, pk: new Uint8Array(Buffer.from(x, 'base64url')) };
    },
    shared(sk, peer) {
      if (peer.length !== 32) return null;
      const s = safe(() => {
        const publicKey = c.createPublicKey({ key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(peer).toString('base64url') }, format: 'jwk' });
        return c.diffieHellman({ privateKey: sk as unknown as NodeCrypto.KeyObject, publicKey });
      });
      // RFC 8446 §7.4.2: refuse an all-zero X25519 result.
      return s && !isAllZero(s) ? new Uint8Array(s) : null;
    },
  };
  if (o.x25519Pool) x25519.keygen = x25519Pool(c, o.x25519Pool, x25519.keygen);

  const ecdh = (name: 'prime256v1' | 'secp384r1', len: number): Dh => ({
    keygen() {
      const e = c.createECDH(name);
      e.generateKeys();
      return { sk: e as unknown as Uint8Array, pk: new Uint8Array(e.getPublicKey()) };
    },
    // RFC 8446 §4.2.8.2: uncompressed points only.
    shared: (sk, peer) => (peer.length === len && peer[0] === 4 ? safe(() => new Uint8Array((sk as unknown as NodeCrypto.ECDH).computeSecret(peer))) : null),
  });

  const GROUPS: Partial<Record<number, Dh>> = {
    [NamedGroup.x25519]: x25519,
    [NamedGroup.secp256r1]: ecdh('prime256v1', 65),
    [NamedGroup.secp384r1]: ecdh('secp384r1', 97),
  };

  const signers = new WeakMap<Uint8Array, Signer>();
  function signer(pkcs8: Uint8Array): Signer {
    const cached = signers.get(pkcs8);
    if (cached) return cached;
    const key = safe(() => c.createPrivateKey({ key: Buffer.from(pkcs8), format: 'der', type: 'pkcs8' }));
    if (!key) throw new TypeError('privateKey is not a PKCS#8 DER key');
    let s: Signer;
    if (key.asymmetricKeyType === 'ed25519') s = { schemes: [SignatureScheme.ed25519], sign: (_x, data) => new Uint8Array(c.sign(null, data, key)) };
    else if (key.asymmetricKeyType === 'ec') {
      const curve = CURVE_NAME[key.asymmetricKeyDetails?.namedCurve ?? ''];
      if (!curve) throw new TypeError(`unsupported EC curve ${key.asymmetricKeyDetails?.namedCurve}`);
      const [scheme, hash] = curve === 'P-256' ? [SignatureScheme.ecdsa_secp256r1_sha256, 'sha256'] : [SignatureScheme.ecdsa_secp384r1_sha384, 'sha384'];
      s = { schemes: [scheme], sign: (_x, data) => new Uint8Array(c.sign(hash, data, { key, dsaEncoding: 'der' })) };
    } else if (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss') {
      const HASH: Record<number, string> = { 0x0804: 'sha256', 0x0805: 'sha384', 0x0806: 'sha512' };
      s = {
        schemes: [SignatureScheme.rsa_pss_rsae_sha256, SignatureScheme.rsa_pss_rsae_sha384, SignatureScheme.rsa_pss_rsae_sha512],
        sign: (scheme, data) => new Uint8Array(c.sign(HASH[scheme]!, data, { key, ...PSS })),
      };
    } else throw new TypeError(`unsupported private key type ${key.asymmetricKeyType}`);
    signers.set(pkcs8, s);
    return s;
  }

  // Peers present the same certificate over and over: keep a few parsed public keys.
  const publicKeys = new Map<string, NodeCrypto.KeyObject | null>();
  function publicKey(spki: Uint8Array): NodeCrypto.KeyObject | null {
    const id = Buffer.from(spki).toString('base64');
    let k = publicKeys.get(id);
    if (k === undefined) {
      if (publicKeys.size >= 256) publicKeys.clear();
      k = safe(() => c.createPublicKey({ key: Buffer.from(spki), format: 'der', type: 'spki' }));
      publicKeys.set(id, k);
    }
    return k;
  }

  function aead(alg: AeadAlg, key: Uint8Array): Aead {
    const k = c.createSecretKey(key);
    const opts = { authTagLength: 16 } as const;
    return {
      seal(nonce, aad, plaintext) {
        const ci = c.createCipheriv(alg as 'aes-128-gcm', k, nonce, opts);
        ci.setAAD(aad);
        const out = new Uint8Array(plaintext.length + 16);
        out.set(ci.update(plaintext));
        ci.final();
        out.set(ci.getAuthTag(), plaintext.length);
        return out;
      },
      open(nonce, aad, sealed) {
        if (sealed.length < 16) return null;
        const d = c.createDecipheriv(alg as 'aes-128-gcm', k, nonce, opts);
        d.setAAD(aad);
        d.setAuthTag(sealed.subarray(sealed.length - 16));
        const pt = d.update(sealed.subarray(0, sealed.length - 16));
        return safe(() => (d.final(), new Uint8Array(pt.buffer, pt.byteOffset, pt.length)));
      },
    };
  }

  return {
    name: 'node',
    groups: [NamedGroup.x25519, NamedGroup.secp256r1, NamedGroup.secp384r1, NamedGroup.x25519mlkem768],
    randomBytes: random,
    // Views of the digests' own (unpooled) Buffers, not copies of them.
    hash: (alg: HashAlg, data) => view(c.createHash(alg).update(data).digest()),
    runningHash(alg) {
      const h = c.createHash(alg);
      return {
        update: (data) => void h.update(data),
        // Hash#copy() (Node ≥ 13): the state so far, finished apart.
        digest: (extra) => {
          return view(extra ? h.copy().update(extra).digest() : h.copy().digest());
        },
      };
    },
    hmac: (alg: HashAlg, key, data) => view(c.createHmac(alg, key).update(data).digest()),
    aead,
    keyShare(group) {
      if (group === NamedGroup.x25519mlkem768) return hybridClientShare(x25519);
      const g = GROUPS[group];
      if (!g) throw new TypeError(`group 0x${group.toString(16)} is not supported`);
      const kp = g.keygen();
      return { group, publicKey: kp.pk, complete: (s) => g.shared(kp.sk, s) };
    },
    respondKeyShare(group, share) {
      if (group === NamedGroup.x25519mlkem768) return hybridRespond(x25519, share);
      const g = GROUPS[group];
      if (!g) return null;
      const kp = g.keygen();
      const s = g.shared(kp.sk, share);
      return s ? { publicKey: kp.pk, sharedSecret: s } : null;
    },
    signer,
    verifySignature(alg: SignatureAlgorithm, spki, data, signature) {
      const key = publicKey(spki);
      if (!key) return false;
      return (
        safe(() => {
          switch (alg.kind) {
            case 'ed25519':
              return key.asymmetricKeyType === 'ed25519' && c.verify(null, data, key, signature);
            case 'ecdsa':
              if (key.asymmetricKeyType !== 'ec') return false;
              if (alg.curve && CURVE_NAME[key.asymmetricKeyDetails?.namedCurve ?? ''] !== alg.curve) return false;
              return c.verify(alg.hash, data, { key, dsaEncoding: 'der' }, signature);
            case 'rsa-pss':
              return (
                (key.asymmetricKeyType === 'rsa' || key.asymmetricKeyType === 'rsa-pss') && rsaLengthOk(key, signature) && c.verify(alg.hash, data, { key, padding: c.constants.RSA_PKCS1_PSS_PADDING, saltLength: alg.saltLength }, signature)
              );
            case 'rsa-pkcs1':
              return key.asymmetricKeyType === 'rsa' && rsaLengthOk(key, signature) && c.verify(alg.hash, data, key, signature);
          }
        }) ?? false
      );
    },
  };
}

/**
 * RFC 8017 §8.1.2 / §8.2.2 step 1: a signature is exactly k octets, k the
 * modulus length (OpenSSL left-pads a shorter one, which would accept a
 * signature with its leading zero octet dropped), under a key within RSA_KEY_BOUNDS.
 */
function rsaLengthOk(key: NodeCrypto.KeyObject, signature: Uint8Array): boolean {
  const d = key.asymmetricKeyDetails;
  const bits = d?.modulusLength;
  // The same key bounds as the noble provider (RSA_KEY_BOUNDS): they bound the cost of one check.
  if (bits === undefined || d?.publicExponent === undefined || rsaKeyProblem(bits, d.publicExponent) !== null) return false;
  return signature.length === Math.ceil(bits / 8);
}
