/**
 * A sans-IO TLS 1.3 client and server (RFC 8446) for QUIC (RFC 9001) and any
 * other transport: bytes in per level, events out. The README shows it between a client and a server
 * in one process, over QUIC and over TCP (`@tsquic/tls13-handshake/record`).
 *
 * @module @tsquic/tls13-handshake
 */
import { ClientHandshake } from './client.js';
import { defaultCrypto } from './crypto/default.js';
import type { ClientConfig, Handshake, ServerConfig } from './events.js';
import { ServerHandshake } from './server.js';

/**
 * A TLS 1.3 client. Throws TypeError for a config that cannot work, e.g. one
 * that gives no way to verify the server (no `trustAnchors`, no `verify`).
 */
export function createClient(cfg: ClientConfig): Handshake {
  return new ClientHandshake(cfg, cfg.crypto ?? defaultCrypto());
}

/** A TLS 1.3 server; it emits `client-hello` and waits for `accept(choice)`. */
export function createServer(cfg: ServerConfig): Handshake {
  return new ServerHandshake(cfg, cfg.crypto ?? defaultCrypto());
}

export type { ClientConfig, CommonConfig, Direction, GroupName, Handshake, HandshakeEvent, Level, ServerChoice, ServerConfig, SessionTicket, VerifyMode } from './events.js';
export { keylogLine, KeylogLabel } from './events.js';
export { AlertDescription, QUIC_PROTOCOL_VIOLATION, TlsAlertError, alertName } from './alert.js';
export { CipherSuite, cipherSuiteName, hkdfExpandLabel, hkdfExtract, nextTrafficSecret, suiteParams, trafficKeys, type SuiteParams } from './key-schedule.js';
export { NamedGroup, SignatureScheme } from './crypto/provider.js';
export type { HandshakeCrypto, Aead, AeadAlg, HashAlg, KeyShareClient, KeyShareServerResult, RunningHash, SignatureAlgorithm, Signer } from './crypto/provider.js';
export { verifyScheme } from './crypto/schemes.js';
export { aeadTicketer, type Ticketer } from './ticket.js';
export { EARLY_DATA_AGE_WINDOW_MS, MemoryReplayStore, SharedReplayStore, StrikeRegister, type AntiReplay, type ReplayStore, type StrikeRegisterOptions } from './anti-replay.js';
export { nobleCrypto } from './crypto/noble.js';
export { defaultCrypto } from './crypto/default.js';
export { checkChainSize, DEFAULT_CHAIN_LIMITS, TrustStore, verifyChain, type ChainLimits, type ChainOptions } from './certificates/chain.js';
export { RSA_KEY_BOUNDS, type Curve, type KeyInfo } from './crypto/der.js';
export { allOf, chainVerifier, pinSpkiSha256, spkiSha256, trustExactly, trustOnFirstUse, type PeerVerifier, type VerifyContext, type VerifyVerdict } from './certificates/verifiers.js';
export { certificateChainFrom, isPem, pemBlocks, privateKeyFrom, type PemBlock } from './pem.js';
export { CertificateCache, parseCertificate, type ParsedCertificate, type Subtree } from './certificates/x509.js';
