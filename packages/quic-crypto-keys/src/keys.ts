/**
 * @module keys
 * Packet protection keys from secrets: Initial secrets from the client's
 * Destination Connection ID (RFC 9001 §5.2; RFC 9369 §3.3.1 for v2), and
 * key / IV / header-protection key from any traffic secret (RFC 9001 §5.1)
 * with the version's labels ("quic key" or "quicv2 key", ...).
 */
import { headerKey, type HeaderKey } from './header-protection.js';
import { hkdfExpandLabel, hkdfExtract, hashLength } from './hkdf.js';
import { packetKey, type PacketKey } from './packet-protection.js';
import type { CryptoProvider } from './provider.js';
import { CipherSuite, suiteParams, versionConstants } from './suites.js';

/** Packet and header-protection keys for one direction at one encryption level. */
export interface DirectionalKeys {
  packet: PacketKey;
  header: HeaderKey;
}

/** The raw key, IV and header-protection key derived from a traffic secret (RFC 9001 §5.1). */
export interface KeyMaterial {
  key: Uint8Array;
  iv: Uint8Array;
  hp: Uint8Array;
}

const EMPTY = new Uint8Array(0);

/** RFC 9001 §5.2: client_initial_secret and server_initial_secret for `clientDcid`. */
export function initialSecrets(version: number, clientDcid: Uint8Array): { client: Uint8Array; server: Uint8Array } {
  const initial = hkdfExtract('sha256', versionConstants(version).initialSalt, clientDcid);
  return {
    client: hkdfExpandLabel('sha256', initial, 'client in', EMPTY, 32),
    server: hkdfExpandLabel('sha256', initial, 'server in', EMPTY, 32),
  };
}

/** RFC 9001 §5.1: key, IV and header-protection key from a traffic secret. */
export function keyMaterial(version: number, suite: number, secret: Uint8Array): KeyMaterial {
  checkSecret(suite, secret);
  return { ...packetKeyMaterial(version, suite, secret), hp: hpKeyMaterial(version, suite, secret) };
}

/** A traffic secret must be the suite's hash length. */
function checkSecret(suite: number, secret: Uint8Array): void {
  const p = suiteParams(suite);
  if (secret.length !== hashLength(p.hash)) throw new RangeError(`a ${p.hash} traffic secret is ${hashLength(p.hash)} bytes, got ${secret.length}`);
}

/** §5.1: the AEAD key and IV ("quic key", "quic iv"). */
function packetKeyMaterial(version: number, suite: number, secret: Uint8Array): { key: Uint8Array; iv: Uint8Array } {
  const v = versionConstants(version);
  const p = suiteParams(suite);
  return { key: hkdfExpandLabel(p.hash, secret, v.keyLabel, EMPTY, p.keyLength), iv: hkdfExpandLabel(p.hash, secret, v.ivLabel, EMPTY, 12) };
}

/** §5.1: the header-protection key ("quic hp"). */
function hpKeyMaterial(version: number, suite: number, secret: Uint8Array): Uint8Array {
  const p = suiteParams(suite);
  return hkdfExpandLabel(p.hash, secret, versionConstants(version).hpLabel, EMPTY, p.keyLength);
}

/**
 * The packet key (AEAD key and IV) of a traffic secret, without its header-protection key: what a
 * key update makes for each new generation (§6.1, the header key stays).
 */
export function packetKeyFromSecret(provider: CryptoProvider, version: number, suite: number, secret: Uint8Array): PacketKey {
  const m = packetKeyMaterial(version, suite, secret);
  return packetKey(provider, suite, m.key, m.iv);
}

/**
 * Packet and header keys for one direction from a TLS traffic secret, each
 * derived when first asked for: a key a connection never uses (a server's
 * Handshake read key when its client closes in an Initial, say) costs no
 * HKDF-Expand-Label and no cipher object. The result is the same keys.
 */
export function keysFromSecret(provider: CryptoProvider, version: number, suite: number, secret: Uint8Array): DirectionalKeys {
  checkSecret(suite, secret);
  versionConstants(version); // an unknown version is refused now, not at first use
  return new KeysOnUse(provider, version, suite, secret);
}

class KeysOnUse implements DirectionalKeys {
  private packetKey: PacketKey | undefined;
  private headerKey: HeaderKey | undefined;

  constructor(
    private readonly provider: CryptoProvider,
    private readonly version: number,
    private readonly suite: number,
    private readonly secret: Uint8Array,
  ) {}

  get packet(): PacketKey {
    return (this.packetKey ??= packetKeyFromSecret(this.provider, this.version, this.suite, this.secret));
  }

  get header(): HeaderKey {
    return (this.headerKey ??= headerKey(this.provider, this.suite, hpKeyMaterial(this.version, this.suite, this.secret)));
  }
}

/** Initial keys (always TLS_AES_128_GCM_SHA256, RFC 9001 §5.2) for `side`: it writes with its own secret and reads with the peer's. */
export function initialKeys(provider: CryptoProvider, version: number, clientDcid: Uint8Array, side: 'client' | 'server'): { read: DirectionalKeys; write: DirectionalKeys } {
  const s = initialSecrets(version, clientDcid);
  const suite = CipherSuite.TLS_AES_128_GCM_SHA256;
  const client = keysFromSecret(provider, version, suite, s.client);
  const server = keysFromSecret(provider, version, suite, s.server);
  return side === 'client' ? { read: server, write: client } : { read: client, write: server };
}
