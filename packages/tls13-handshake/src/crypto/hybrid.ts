/**
 * @module crypto/hybrid
 * The X25519MLKEM768 hybrid key exchange (draft-ietf-tls-ecdhe-mlkem §3,
 * NamedGroup 0x11EC): ML-KEM-768 from @noble/post-quantum beside an X25519
 * exchange supplied by the provider. Client share = encapsulation key ‖
 * X25519 share; server share = ciphertext ‖ X25519 share; shared secret =
 * ML-KEM secret ‖ X25519 secret.
 */
import { ml_kem768 } from '@noble/post-quantum/ml-kem.js';
import { NamedGroup, type KeyShareClient, type KeyShareServerResult } from './provider.js';
import { safe } from './schemes.js';

/** One ECDH group: keygen, then the shared secret from the peer's share (null when invalid). */
export interface Dh {
  keygen(): { sk: Uint8Array; pk: Uint8Array };
  shared(sk: Uint8Array, peer: Uint8Array): Uint8Array | null;
}

const MLKEM_PK = 1184;
const MLKEM_CT = 1088;

/** Client side: ML-KEM-768 encapsulation key ‖ X25519 share. */
export function hybridClientShare(x: Dh): KeyShareClient {
  const kem = ml_kem768.keygen();
  const dh = x.keygen();
  const publicKey = new Uint8Array(MLKEM_PK + 32);
  publicKey.set(kem.publicKey);
  publicKey.set(dh.pk, MLKEM_PK);
  return {
    group: NamedGroup.x25519mlkem768,
    publicKey,
    complete(server) {
      if (server.length !== MLKEM_CT + 32) return null;
      const ss = safe(() => ml_kem768.decapsulate(server.subarray(0, MLKEM_CT), kem.secretKey));
      const es = x.shared(dh.sk, server.subarray(MLKEM_CT));
      return ss && es ? concat2(ss, es) : null;
    },
  };
}

/** Server side: ML-KEM ciphertext ‖ X25519 share; shared secret = ML-KEM secret ‖ X25519 secret. */
export function hybridRespond(x: Dh, client: Uint8Array): KeyShareServerResult | null {
  if (client.length !== MLKEM_PK + 32) return null;
  const enc = safe(() => ml_kem768.encapsulate(client.subarray(0, MLKEM_PK)));
  const dh = x.keygen();
  const es = x.shared(dh.sk, client.subarray(MLKEM_PK));
  if (!enc || !es) return null;
  return { publicKey: concat2(enc.cipherText, dh.pk), sharedSecret: concat2(enc.sharedSecret, es) };
}

function concat2(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
