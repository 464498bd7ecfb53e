/**
 * @module tls13-handshake
 * A sans-IO TLS 1.3 client and server (RFC 8446) for QUIC (RFC 9001) and any
 * other transport: bytes in per level, events out (DESIGN.md "The handshake boundary").
 */
import { ClientHandshake } from './client.js';
import type { ClientConfig, Handshake, ServerConfig } from './events.js';
import { ServerHandshake } from './server.js';
import type { HandshakeCrypto } from './crypto/provider.js';
import { defaultCrypto } from './crypto/default.js';

function providerOf(cfg: { crypto?: HandshakeCrypto }): HandshakeCrypto {
  return cfg.crypto ?? defaultCrypto();
}

export function createClient(cfg: ClientConfig): Handshake {
  // Chain verification ('chain') is not in this build: refuse rather than silently skip it.
  if (cfg.verify !== 'none' && cfg.verify !== 'event') throw new TypeError("ClientConfig.verify must be 'none' or 'event' (chain verification is not available in this build)");
  return new ClientHandshake(cfg, providerOf(cfg));
}

export function createServer(cfg: ServerConfig): Handshake {
  return new ServerHandshake(cfg, providerOf(cfg));
}

export type {
  ClientConfig,
  CommonConfig,
  Direction,
  GroupName,
  Handshake,
  HandshakeEvent,
  Level,
  ServerChoice,
  ServerConfig,
  SessionTicket,
} from './events.js';
export { keylogLine, KeylogLabel } from './events.js';
export { AlertDescription, TlsAlertError } from './alert.js';
export { CipherSuite, hkdfExpandLabel, hkdfExtract, nextTrafficSecret, suiteParams, trafficKeys } from './key-schedule.js';
export { NamedGroup, SignatureScheme } from './crypto/provider.js';
export type { HandshakeCrypto, Aead, AeadAlg, HashAlg, KeyShareClient, Signer } from './crypto/provider.js';
export { aeadTicketer, StrikeRegister, type Ticketer } from './ticket.js';
export { nobleCrypto } from './crypto/noble.js';
export { defaultCrypto } from './crypto/default.js';
