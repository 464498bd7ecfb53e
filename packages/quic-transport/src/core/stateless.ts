/**
 * @module core/stateless
 * What an endpoint sends and recognises without a connection (RFC 9000
 * §5.2.2): Retry packets (§17.2.5, RFC 9001 §5.8), a CONNECTION_CLOSE in an
 * Initial packet for a Retry token that does not check out (§8.1.2
 * INVALID_TOKEN), stateless resets (§10.3) and their tokens (§10.3.2), and
 * the token bucket that rate
 * limits what anyone can ask for without keys. Recognising an incoming
 * stateless reset is one table lookup whatever the number of connections:
 * the table is keyed by a keyed pseudorandom permutation of each token
 * (AES), so neither the lookup nor the comparison leaks a token's value
 * through timing (§10.3.1).
 */
import { aesBlockCipher, initialKeys, retryIntegrityTag, type CryptoProvider, type HeaderMask, type QuicVersion } from '@tsquic/quic-crypto-keys';
import type { InitialKeys } from './crypto-state.js';
import { decodeFrames, encodeFrame, encodeRetry, QuicWireError, type LongHeader, type TransportErrorCode } from '@tsquic/quic-wire';
import { defaultCrypto } from '@tsquic/tls13-handshake';
import { cidKey } from './cid.js';
import { PacketBuilder } from './packet-builder.js';

/**
 * A token bucket: `perSecond` responses, in bursts of at most as many
 * (RFC 9000 §10.3: an endpoint MAY rate-limit stateless resets; §10.2.1 for
 * what a closing connection sends is counted by the connection itself).
 */
export class RateLimit {
  private tokens: number;
  private last: number | undefined;

  constructor(private readonly perSecond: number) {
    this.tokens = perSecond;
  }

  /** May one more go out at `now` (ms)? Takes it when so. */
  take(now: number): boolean {
    if (this.last !== undefined) this.tokens = Math.min(this.perSecond, this.tokens + (Math.max(0, now - this.last) * this.perSecond) / 1000);
    this.last = now;
    if (this.tokens < 1) return false;
    this.tokens--;
    return true;
  }
}

/** Stateless reset tokens the peers gave our connections, each mapped to its connection (§10.3.1). */
export class ResetTokenTable<C> {
  private readonly owners = new Map<string, C>();

  /** `prp`: AES under a secret key, so the table's keys say nothing about the tokens. */
  constructor(private readonly prp: HeaderMask) {}

  private key(token: Uint8Array): string {
    return cidKey(this.prp(token).subarray(0, 16));
  }

  add(token: Uint8Array, owner: C): void {
    this.owners.set(this.key(token), owner);
  }

  remove(token: Uint8Array, owner: C): void {
    const k = this.key(token);
    if (this.owners.get(k) === owner) this.owners.delete(k);
  }

  /** The connection whose peer issued `token`, if any. */
  ownerOf(token: Uint8Array): C | undefined {
    return this.owners.get(this.key(token));
  }
}

const RESET_KEY_LABEL = new TextEncoder().encode('tsquic stateless reset token');

/**
 * RFC 9000 §10.3.2: the stateless reset token of a connection ID, a keyed
 * pseudorandom function of it that only the holder of `key` (any length) can
 * compute. CBC-MAC under AES-256 of the connection ID prefixed with its
 * length (a prefix-free encoding, for which CBC-MAC is a PRF): one AES block
 * for IDs of up to 15 bytes, two up to 20, under a key schedule expanded
 * once (~1.3 µs a token here, where an HMAC through node:crypto, a context
 * set-up each, took ~5.5). The AES key is an HMAC of `key`, made once.
 */
export function resetTokenFunction(key: Uint8Array): (cid: Uint8Array) => Uint8Array {
  const aes = aesBlockCipher(defaultCrypto().hmac('sha256', key, RESET_KEY_LABEL));
  return (cid) => {
    const block = new Uint8Array(16);
    block[0] = cid.length;
    block.set(cid.subarray(0, 15), 1);
    let out = aes.encryptBlock(block);
    for (let at = 15; at < cid.length; at += 16) {
      for (let i = 0; i < 16 && at + i < cid.length; i++) out[i]! ^= cid[at + i]!;
      out = aes.encryptBlock(out);
    }
    return out;
  };
}

/** RFC 9000 §17.2.5: a Retry packet with its integrity tag (RFC 9001 §5.8). */
export function retryPacket(provider: CryptoProvider, p: { version: QuicVersion; clientScid: Uint8Array; scid: Uint8Array; originalDcid: Uint8Array; token: Uint8Array; unusedBits: number }): Uint8Array {
  const body = encodeRetry({ version: p.version, dcid: p.clientScid, scid: p.scid, token: p.token, unusedBits: p.unusedBits });
  const tag = retryIntegrityTag(p.version, p.originalDcid, body, provider);
  const packet = new Uint8Array(body.length + tag.length);
  packet.set(body);
  packet.set(tag, body.length);
  return packet;
}

/**
 * RFC 9000 §8.1.2, §10.2.3: an Initial packet carrying only CONNECTION_CLOSE
 * (`code`), protected with the Initial keys of the client's Destination
 * Connection ID, sent without creating a connection. Small (well under the
 * 3× of the 1200-byte datagram it answers).
 */
export function initialClose(provider: CryptoProvider, p: { version: QuicVersion; clientDcid: Uint8Array; clientScid: Uint8Array; scid: Uint8Array; code: TransportErrorCode; reason: string }): Uint8Array {
  const keys = initialKeys(provider, p.version, p.clientDcid, 'server').write;
  const buf = new Uint8Array(128 + p.clientScid.length + p.scid.length);
  const b = PacketBuilder.start(buf, 0, buf.length, { kind: 'initial', version: p.version, dcid: p.clientScid, scid: p.scid, pn: 0, largestAcked: -1, pnLength: 1 }, keys)!;
  encodeFrame(b.w, { type: 'connection_close', application: false, errorCode: BigInt(p.code), frameType: 0, reason: p.reason.slice(0, 64) });
  return buf.slice(0, b.finish().end);
}

/**
 * Server, before any state is committed to a new connection: does the first
 * Initial packet of `datagram` open with the Initial keys of its DCID
 * (RFC 9001 §5.2) and carry CRYPTO data (the ClientHello, RFC 9000 §17.2.2)?
 * Anyone can make Initial keys, but random bytes do not authenticate; this
 * costs a key derivation and one AEAD open, not a connection. The datagram
 * is left untouched. Returns the server's Initial keys and the opened
 * packet when it does, so the connection made for it derives the keys and
 * opens the packet no second time; null when it does not.
 */
export function initialCarriesCrypto(provider: CryptoProvider, datagram: Uint8Array, h: LongHeader): InitialKeys | null {
  const both = initialKeys(provider, h.version, h.dcid, 'server');
  const keys = both.read;
  const packet = datagram.slice(h.start, h.end);
  const pnOffset = h.pnOffset - h.start;
  const r = keys.header.unprotect(packet, pnOffset);
  if (!r) return null;
  const headerEnd = pnOffset + r.pnLength;
  const payload = keys.packet.open(r.truncatedPn, packet.subarray(0, headerEnd), packet.subarray(headerEnd));
  if (!payload || packet[0]! & 0x0c) return null;
  try {
    if (!decodeFrames(payload, 'initial').some((f) => f.type === 'crypto')) return null;
  } catch (e) {
    if (QuicWireError.isInstance(e)) return null;
    throw e;
  }
  return { ...both, opened: { datagram, start: h.start, packet, pnLength: r.pnLength, truncatedPn: r.truncatedPn, payload } };
}
