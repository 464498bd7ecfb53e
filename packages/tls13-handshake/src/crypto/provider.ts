/**
 * @module crypto/provider
 * The handshake's crypto provider: every primitive the TLS 1.3 handshake
 * needs (RFC 8446 §4.2.7 groups, §4.2.3 signature schemes, §7 hashes/HMAC,
 * AEAD for tickets and records), behind one synchronous interface so the
 * state machines stay sans-IO and synchronous. `noble` is the browser-safe
 * default; `./node` implements the same interface on node:crypto.
 */

/** RFC 8446 §4.2.7 NamedGroup code points we implement. */
export const NamedGroup = {
  secp256r1: 0x0017,
  secp384r1: 0x0018,
  x25519: 0x001d,
  /** draft-ietf-tls-ecdhe-mlkem: X25519MLKEM768 hybrid (ML-KEM-768 ‖ X25519). */
  x25519mlkem768: 0x11ec,
} as const;
export type NamedGroup = (typeof NamedGroup)[keyof typeof NamedGroup];

/** RFC 8446 §4.2.3 SignatureScheme code points we implement. */
export const SignatureScheme = {
  ecdsa_secp256r1_sha256: 0x0403,
  ecdsa_secp384r1_sha384: 0x0503,
  ed25519: 0x0807,
  rsa_pss_rsae_sha256: 0x0804,
  rsa_pss_rsae_sha384: 0x0805,
  rsa_pss_rsae_sha512: 0x0806,
  rsa_pkcs1_sha256: 0x0401, // certificate signatures only (RFC 8446 §4.2.3)
  rsa_pkcs1_sha384: 0x0501,
  rsa_pkcs1_sha512: 0x0601,
} as const;
export type SignatureScheme = (typeof SignatureScheme)[keyof typeof SignatureScheme];

/** The hashes TLS 1.3 suites and signatures use. */
export type HashAlg = 'sha256' | 'sha384' | 'sha512';

/**
 * A signature algorithm as both TLS (RFC 8446 §4.2.3 schemes) and X.509
 * (RFC 5280 §4.1.1.2 signatureAlgorithm: RFC 5758 ECDSA, RFC 8410 Ed25519,
 * RFC 8017 PKCS#1 v1.5 and RSASSA-PSS) name them: the one verification
 * primitive behind CertificateVerify and certificate signatures.
 */
export type SignatureAlgorithm =
  /** DER-encoded ECDSA-Sig-Value; `curve` pins the key's curve (TLS 1.3 schemes bind it, X.509 does not). */
  | { kind: 'ecdsa'; hash: HashAlg; curve?: 'P-256' | 'P-384' }
  | { kind: 'ed25519' }
  | { kind: 'rsa-pkcs1'; hash: HashAlg }
  /** MGF1 with the same hash; TLS 1.3 uses saltLength = hash length. */
  | { kind: 'rsa-pss'; hash: HashAlg; saltLength: number };
/** The AEADs of the TLS 1.3 cipher suites. */
export type AeadAlg = 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';

/** An AEAD prepared once per key (AES key expansion / KeyObject cached). */
export interface Aead {
  /** Returns ciphertext ‖ 16-byte tag. */
  seal(nonce: Uint8Array, aad: Uint8Array, plaintext: Uint8Array): Uint8Array;
  /** Returns the plaintext, or null when authentication fails (never throws for that). */
  open(nonce: Uint8Array, aad: Uint8Array, sealed: Uint8Array): Uint8Array | null;
}

/** Client side of a key exchange: our key share, completed by the server's share. */
export interface KeyShareClient {
  readonly group: NamedGroup;
  readonly publicKey: Uint8Array; // key_exchange bytes for the ClientHello
  /** Shared secret from the server's key_exchange; null when the peer's share is invalid (→ illegal_parameter). */
  complete(serverShare: Uint8Array): Uint8Array | null;
}

/** Server side: answer a client share (for ECDH: keygen + derive; for ML-KEM: encapsulate). Null when invalid. */
export interface KeyShareServerResult {
  readonly publicKey: Uint8Array; // key_exchange bytes for the ServerHello
  readonly sharedSecret: Uint8Array;
}

/** A private key parsed and prepared once (PKCS#8 DER in). */
export interface Signer {
  /** Schemes this key can produce in TLS 1.3 CertificateVerify, in preference order. */
  readonly schemes: readonly SignatureScheme[];
  /** Signs `data` with the private key under `scheme` (RFC 8446 §4.2.3). */
  sign(scheme: SignatureScheme, data: Uint8Array): Uint8Array;
}

/**
 * A hash fed piece by piece whose digest can be read at any point and fed
 * further (the TLS 1.3 transcript hash, RFC 8446 §4.4.1): each message is
 * hashed once, not the whole transcript again per Transcript-Hash.
 */
export interface RunningHash {
  /** Feed the next bytes of the transcript. */
  update(data: Uint8Array): void;
  /** The digest of everything fed so far, then of `extra` when given; the hash itself goes on unchanged. */
  digest(extra?: Uint8Array): Uint8Array;
}

/** All cryptography a handshake and the record layer use, synchronous: randomness, hashes, HMAC, AEAD, key exchange, signatures. */
export interface HandshakeCrypto {
  readonly name: string; // 'noble' | 'node'
  readonly groups: readonly NamedGroup[]; // groups this provider can do
  /** `n` cryptographically random bytes. */
  randomBytes(n: number): Uint8Array;
  /** The digest of `data`. */
  hash(alg: HashAlg, data: Uint8Array): Uint8Array;
  /** A running hash (optional: without it the transcript is kept and hashed whole each time). */
  runningHash?(alg: HashAlg): RunningHash;
  /** HMAC of `data` under `key` (RFC 2104). */
  hmac(alg: HashAlg, key: Uint8Array, data: Uint8Array): Uint8Array;
  /** An AEAD prepared for `key`. */
  aead(alg: AeadAlg, key: Uint8Array): Aead;
  /** Client: a fresh key share for `group` and the function that completes it with the server's share. */
  keyShare(group: NamedGroup): KeyShareClient;
  /** Server: our share and the shared secret for the client's share, or null when the share is invalid. */
  respondKeyShare(group: NamedGroup, clientShare: Uint8Array): KeyShareServerResult | null;
  /** Throws TypeError for a key it cannot parse or use (a configuration error, not a peer fault). */
  signer(pkcs8: Uint8Array): Signer;
  /**
   * Verify `signature` over `data` with the SubjectPublicKeyInfo `spki` (DER)
   * — a CertificateVerify (through `verifyScheme`) or an X.509 certificate
   * signature. ECDSA signatures are DER-encoded and accepted high-S (OpenSSL
   * produces them). False on any mismatch or malformed input; never throws for peer data.
   */
  verifySignature(alg: SignatureAlgorithm, spki: Uint8Array, data: Uint8Array, signature: Uint8Array): boolean;
}
