/**
 * @module suites
 * The TLS 1.3 cipher suites QUIC uses (RFC 9001 §5.3, §5.4.3, §5.4.4) and
 * their AEAD limits (RFC 9001 §6.6), plus the per-version constants: initial
 * salts and HKDF labels (RFC 9001 §5.2, RFC 9369 §3.3).
 */
import type { HashName } from './hkdf.js';

/** The TLS 1.3 cipher suites QUIC uses (RFC 9001 §5.3), by their IANA names. */
export const CipherSuite = {
  TLS_AES_128_GCM_SHA256: 0x1301,
  TLS_AES_256_GCM_SHA384: 0x1302,
  TLS_CHACHA20_POLY1305_SHA256: 0x1303,
} as const;
/** One of the `CipherSuite` numbers. */
export type CipherSuite = (typeof CipherSuite)[keyof typeof CipherSuite];

/** The packet-protection AEADs of RFC 9001 §5.3. */
export type AeadAlgorithm = 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';
/** The header-protection ciphers of RFC 9001 §5.4. */
export type HeaderProtectionAlgorithm = 'aes-128' | 'aes-256' | 'chacha20';

/** What a cipher suite means for QUIC: hash, AEAD, header protection, key length and RFC 9001 §6.6 limits. */
export interface SuiteParams {
  hash: HashName;
  aead: AeadAlgorithm;
  hp: HeaderProtectionAlgorithm;
  keyLength: number;
  /** RFC 9001 §6.6: packets a key may protect / failed opens a key may see before it must be replaced. */
  confidentialityLimit: number;
  integrityLimit: number;
}

const SUITES: Record<CipherSuite, SuiteParams> = {
  0x1301: { hash: 'sha256', aead: 'aes-128-gcm', hp: 'aes-128', keyLength: 16, confidentialityLimit: 2 ** 23, integrityLimit: 2 ** 52 },
  0x1302: { hash: 'sha384', aead: 'aes-256-gcm', hp: 'aes-256', keyLength: 32, confidentialityLimit: 2 ** 23, integrityLimit: 2 ** 52 },
  // RFC 9001 §6.6: ChaCha20's confidentiality limit exceeds 2^62 packets and can be disregarded.
  0x1303: { hash: 'sha256', aead: 'chacha20-poly1305', hp: 'chacha20', keyLength: 32, confidentialityLimit: Infinity, integrityLimit: 2 ** 36 },
};

/** The parameters of `suite`; `RangeError` for a suite QUIC does not use. */
export function suiteParams(suite: number): SuiteParams {
  const p = SUITES[suite as CipherSuite];
  if (!p) throw new RangeError(`unsupported cipher suite 0x${suite.toString(16)}`);
  return p;
}

/** The QUIC versions whose keys this package derives: v1 (RFC 9001) and v2 (RFC 9369). */
export const QuicVersion = { V1: 0x00000001, V2: 0x6b3343cf } as const;
/** One of the `QuicVersion` numbers. */
export type QuicVersion = (typeof QuicVersion)[keyof typeof QuicVersion];

/** A QUIC version's key-derivation constants: initial salt, HKDF labels, Retry integrity key and nonce. */
export interface VersionConstants {
  initialSalt: Uint8Array;
  keyLabel: string;
  ivLabel: string;
  hpLabel: string;
  kuLabel: string;
  retryKey: Uint8Array;
  retryNonce: Uint8Array;
}

const hex = (s: string) => Uint8Array.from(s.match(/../g)!.map((b) => parseInt(b, 16)));

const VERSIONS: Record<QuicVersion, VersionConstants> = {
  // RFC 9001 §5.2 and §5.8
  0x00000001: {
    initialSalt: hex('38762cf7f55934b34d179ae6a4c80cadccbb7f0a'),
    keyLabel: 'quic key',
    ivLabel: 'quic iv',
    hpLabel: 'quic hp',
    kuLabel: 'quic ku',
    retryKey: hex('be0c690b9f66575a1d766b54e368c84e'),
    retryNonce: hex('461599d35d632bf2239825bb'),
  },
  // RFC 9369 §3.3.1 - §3.3.3
  0x6b3343cf: {
    initialSalt: hex('0dede3def700a6db819381be6e269dcbf9bd2ed9'),
    keyLabel: 'quicv2 key',
    ivLabel: 'quicv2 iv',
    hpLabel: 'quicv2 hp',
    kuLabel: 'quicv2 ku',
    retryKey: hex('8fb4b01b56ac48e260fbcbcead7ccc92'),
    retryNonce: hex('d86969bc2d7c6d9990efb04a'),
  },
};

/** Initial salt, HKDF labels and Retry key of `version` (RFC 9001 §5.2, §5.8; RFC 9369 §3.3); `RangeError` for another version. */
export function versionConstants(version: number): VersionConstants {
  const v = VERSIONS[version as QuicVersion];
  if (!v) throw new RangeError(`unsupported QUIC version 0x${version.toString(16)}`);
  return v;
}
