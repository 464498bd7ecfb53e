/**
 * @module packet-header
 * Long and short packet headers (RFC 9000 §17.2, §17.3; RFC 9369 §3.2 for
 * v2 type bits), Version Negotiation (§17.2.1), Retry (§17.2.5), coalesced
 * packets (§12.2) and stateless resets (§10.3).
 *
 * Parsing stops where header protection starts: `pnOffset` is where the
 * protected packet number begins, and the low bits of `firstByte` are still
 * protected. Removing header protection is quic-crypto-keys' job; the
 * transport then decodes the packet number with packet-number.ts.
 *
 * A malformed packet raises `QuicWireError` (PROTOCOL_VIOLATION); for
 * packets that is a reason to drop them, not to close the connection.
 */
import { QuicWireError, TransportErrorCode } from './errors.js';
import { Reader } from './reader.js';
import { isSupportedVersion, longPacketType, longPacketTypeBits, type LongPacketType, type QuicVersion } from './version.js';
import type { Writer } from './writer.js';

/** RFC 9000 §17.2: v1 connection IDs are at most 20 bytes. */
export const MAX_CID_LENGTH = 20;
/** RFC 9001 §5.8 / RFC 9369: the Retry Integrity Tag is 16 bytes. */
export const RETRY_INTEGRITY_TAG_LENGTH = 16;
/** RFC 9000 §10.3: a stateless reset token is 16 bytes; a reset datagram is at least 21. */
export const STATELESS_RESET_TOKEN_LENGTH = 16;
/** RFC 9000 §10.3: a datagram shorter than 21 bytes cannot be a stateless reset. */
export const MIN_STATELESS_RESET_LENGTH = 21;

/** An Initial, 0-RTT or Handshake packet header (RFC 9000 §17.2), parsed up to its protected packet number. */
export interface LongHeader {
  form: 'long';
  type: 'initial' | '0rtt' | 'handshake';
  version: QuicVersion;
  /** Still header-protected in its low 4 bits. */
  firstByte: number;
  dcid: Uint8Array;
  scid: Uint8Array;
  /** Initial packets' token (empty otherwise). */
  token: Uint8Array;
  /** Offset in the datagram of this packet's first byte. */
  start: number;
  /** Offset of the (protected) packet number. */
  pnOffset: number;
  /** Offset just past this packet (pnOffset + the Length field). */
  end: number;
}

/** A 1-RTT packet header (RFC 9000 §17.3), parsed up to its protected packet number. */
export interface ShortHeader {
  form: 'short';
  firstByte: number;
  dcid: Uint8Array;
  start: number;
  pnOffset: number;
  /** Short-header packets run to the end of the datagram. */
  end: number;
}

/** A Retry packet (RFC 9000 §17.2.5): token and integrity tag, checked with quic-crypto-keys. */
export interface RetryHeader {
  form: 'retry';
  version: QuicVersion;
  firstByte: number;
  dcid: Uint8Array;
  scid: Uint8Array;
  token: Uint8Array;
  integrityTag: Uint8Array;
  start: number;
  end: number;
}

/** A Version Negotiation packet (RFC 9000 §17.2.1) and the versions it lists. */
export interface VersionNegotiationHeader {
  form: 'version-negotiation';
  dcid: Uint8Array;
  scid: Uint8Array;
  versions: number[];
  start: number;
  end: number;
}

/** A long header of a version we do not speak: only the RFC 8999 invariant fields. */
export interface UnsupportedVersionHeader {
  form: 'unsupported-version';
  version: number;
  dcid: Uint8Array;
  scid: Uint8Array;
  start: number;
  end: number;
}

/** What `parsePacketHeader` returns, told apart by `form`. */
export type PacketHeader = LongHeader | ShortHeader | RetryHeader | VersionNegotiationHeader | UnsupportedVersionHeader;

function drop(message: string): never {
  throw new QuicWireError(TransportErrorCode.PROTOCOL_VIOLATION, message);
}

/**
 * Parse the header of the packet starting at `offset` in `datagram`.
 * `shortDcidLength` is the length of our connection IDs (short headers carry
 * no length).
 */
export function parsePacketHeader(datagram: Uint8Array, offset: number, shortDcidLength: number): PacketHeader {
  const r = new Reader(datagram, offset, datagram.length, TransportErrorCode.PROTOCOL_VIOLATION);
  const firstByte = r.u8();
  if ((firstByte & 0x80) === 0) {
    // RFC 9000 §17.3.1: fixed bit must be 1.
    if ((firstByte & 0x40) === 0) drop('short header with the fixed bit clear');
    const dcid = r.bytes(shortDcidLength);
    return { form: 'short', firstByte, dcid, start: offset, pnOffset: r.pos, end: datagram.length };
  }
  const version = r.u32();
  // RFC 8999 §5.1: invariant connection ID lengths are one byte each (up to 255).
  const dcid = r.bytes(r.u8());
  const scid = r.bytes(r.u8());
  if (version === 0) {
    // RFC 9000 §17.2.1: a list of 32-bit versions fills the rest.
    const rest = r.rest();
    if (rest.length === 0 || rest.length % 4 !== 0) drop('Version Negotiation with a malformed version list');
    const versions: number[] = [];
    const vr = new Reader(rest, 0, rest.length, TransportErrorCode.PROTOCOL_VIOLATION);
    while (!vr.atEnd) versions.push(vr.u32());
    return { form: 'version-negotiation', dcid, scid, versions, start: offset, end: datagram.length };
  }
  if (!isSupportedVersion(version)) return { form: 'unsupported-version', version, dcid, scid, start: offset, end: datagram.length };
  // RFC 9000 §17.2: in this version, connection IDs longer than 20 bytes are dropped; fixed bit must be 1.
  if (dcid.length > MAX_CID_LENGTH || scid.length > MAX_CID_LENGTH) drop('connection ID longer than 20 bytes');
  if ((firstByte & 0x40) === 0) drop('long header with the fixed bit clear');
  const type: LongPacketType = longPacketType(version, (firstByte >>> 4) & 3);
  if (type === 'retry') {
    if (r.remaining < RETRY_INTEGRITY_TAG_LENGTH) drop('Retry shorter than its integrity tag');
    const token = r.bytes(r.remaining - RETRY_INTEGRITY_TAG_LENGTH);
    const integrityTag = r.bytes(RETRY_INTEGRITY_TAG_LENGTH);
    return { form: 'retry', version, firstByte, dcid, scid, token, integrityTag, start: offset, end: datagram.length };
  }
  const token = type === 'initial' ? r.lengthPrefixed() : EMPTY;
  const length = r.varint();
  const pnOffset = r.pos;
  // RFC 9000 §17.2: Length covers the packet number and payload; it must fit in the datagram.
  if (length > r.remaining) drop(`Length ${length} exceeds the ${r.remaining} byte(s) left in the datagram`);
  return { form: 'long', type, version, firstByte, dcid, scid, token, start: offset, pnOffset, end: pnOffset + length };
}

const EMPTY = new Uint8Array(0);

/**
 * The packets coalesced in one datagram (RFC 9000 §12.2), in order. Parsing
 * stops at the first malformed packet: the packets before it are returned
 * and the rest of the datagram is ignored, as §12.2 permits.
 */
export function coalescedPackets(datagram: Uint8Array, shortDcidLength: number): PacketHeader[] {
  const out: PacketHeader[] = [];
  let off = 0;
  while (off < datagram.length) {
    let h: PacketHeader;
    try {
      h = parsePacketHeader(datagram, off, shortDcidLength);
    } catch (e) {
      if (QuicWireError.isInstance(e)) break;
      throw e;
    }
    out.push(h);
    if (h.end <= off) break;
    off = h.end;
  }
  return out;
}

/** Where a long header's Length field and packet number were written, for patching and protection. */
export interface HeaderOffsets {
  /** Offset of the Length field (long headers), written with `lengthBytes` bytes. */
  lengthOffset: number;
  lengthBytes: 2 | 4;
  /** Offset of the packet number. */
  pnOffset: number;
}

/** What `writeLongHeader` writes: type, version, connection IDs, token and packet number. */
export interface LongHeaderFields {
  type: 'initial' | '0rtt' | 'handshake';
  version: QuicVersion;
  dcid: Uint8Array;
  scid: Uint8Array;
  /** Initial only. */
  token?: Uint8Array;
  pnLength: 1 | 2 | 3 | 4;
  truncatedPn: number;
  /** Size of the Length field reserved for `patchLength`: 2 (payloads < 16384) or 4. */
  lengthBytes?: 2 | 4;
}

/**
 * Write a long header with a placeholder Length, return where it and the
 * packet number are; call `patchLength` once the payload is written.
 */
export function writeLongHeader(w: Writer, h: LongHeaderFields): HeaderOffsets {
  if (h.dcid.length > MAX_CID_LENGTH || h.scid.length > MAX_CID_LENGTH) throw new RangeError('connection ID longer than 20 bytes');
  const lengthBytes = h.lengthBytes ?? 2;
  w.u8(0xc0 | (longPacketTypeBits(h.version, h.type) << 4) | (h.pnLength - 1));
  w.u32(h.version);
  w.u8(h.dcid.length);
  w.bytes(h.dcid);
  w.u8(h.scid.length);
  w.bytes(h.scid);
  if (h.type === 'initial') w.lengthPrefixed(h.token ?? EMPTY);
  else if (h.token && h.token.length > 0) throw new RangeError('only Initial packets carry a token');
  const lengthOffset = w.pos;
  w.varint(0, lengthBytes);
  const pnOffset = w.pos;
  writeTruncatedPn(w, h.truncatedPn, h.pnLength);
  return { lengthOffset, lengthBytes, pnOffset };
}

/** Fill in a long header's Length field (packet number + payload + AEAD tag). */
export function patchLength(buf: Uint8Array, offsets: HeaderOffsets, length: number): void {
  const max = offsets.lengthBytes === 2 ? 0x3fff : 0x3fffffff;
  if (length > max) throw new RangeError(`Length ${length} does not fit in ${offsets.lengthBytes} bytes`);
  if (offsets.lengthBytes === 2) {
    buf[offsets.lengthOffset] = 0x40 | (length >>> 8);
    buf[offsets.lengthOffset + 1] = length & 0xff;
  } else {
    buf[offsets.lengthOffset] = 0x80 | (length >>> 24);
    buf[offsets.lengthOffset + 1] = (length >>> 16) & 0xff;
    buf[offsets.lengthOffset + 2] = (length >>> 8) & 0xff;
    buf[offsets.lengthOffset + 3] = length & 0xff;
  }
}

/** What `writeShortHeader` writes: destination connection ID, key phase and packet number. */
export interface ShortHeaderFields {
  dcid: Uint8Array;
  pnLength: 1 | 2 | 3 | 4;
  truncatedPn: number;
  keyPhase: boolean;
  spin?: boolean;
}

/** Write a 1-RTT short header; returns the packet number offset. */
export function writeShortHeader(w: Writer, h: ShortHeaderFields): number {
  w.u8(0x40 | (h.spin ? 0x20 : 0) | (h.keyPhase ? 0x04 : 0) | (h.pnLength - 1));
  w.bytes(h.dcid);
  const pnOffset = w.pos;
  writeTruncatedPn(w, h.truncatedPn, h.pnLength);
  return pnOffset;
}

function writeTruncatedPn(w: Writer, pn: number, len: 1 | 2 | 3 | 4): void {
  for (let i = len - 1; i >= 0; i--) w.u8(Math.floor(pn / 2 ** (8 * i)) & 0xff);
}

/** RFC 9000 §17.2.1: a Version Negotiation packet listing `versions`. */
export function encodeVersionNegotiation(p: { dcid: Uint8Array; scid: Uint8Array; versions: readonly number[]; unusedBits?: number }): Uint8Array {
  const out = new Uint8Array(7 + p.dcid.length + p.scid.length + 4 * p.versions.length);
  let o = 0;
  out[o++] = 0x80 | ((p.unusedBits ?? 0) & 0x7f);
  o += 4; // version 0
  out[o++] = p.dcid.length;
  out.set(p.dcid, o);
  o += p.dcid.length;
  out[o++] = p.scid.length;
  out.set(p.scid, o);
  o += p.scid.length;
  for (const v of p.versions) {
    out[o++] = v >>> 24;
    out[o++] = (v >>> 16) & 0xff;
    out[o++] = (v >>> 8) & 0xff;
    out[o++] = v & 0xff;
  }
  return out;
}

/** RFC 9000 §17.2.5: a Retry packet (the tag comes from quic-crypto-keys over `retryPseudoPacket`). */
export function encodeRetry(p: { version: QuicVersion; dcid: Uint8Array; scid: Uint8Array; token: Uint8Array; integrityTag?: Uint8Array; unusedBits?: number }): Uint8Array {
  if (p.dcid.length > MAX_CID_LENGTH || p.scid.length > MAX_CID_LENGTH) throw new RangeError('connection ID longer than 20 bytes');
  const tag = p.integrityTag ?? new Uint8Array(0);
  if (p.integrityTag && tag.length !== RETRY_INTEGRITY_TAG_LENGTH) throw new RangeError('Retry integrity tag is 16 bytes');
  const out = new Uint8Array(7 + p.dcid.length + p.scid.length + p.token.length + tag.length);
  let o = 0;
  out[o++] = 0xc0 | (longPacketTypeBits(p.version, 'retry') << 4) | ((p.unusedBits ?? 0) & 0x0f);
  out[o++] = p.version >>> 24;
  out[o++] = (p.version >>> 16) & 0xff;
  out[o++] = (p.version >>> 8) & 0xff;
  out[o++] = p.version & 0xff;
  out[o++] = p.dcid.length;
  out.set(p.dcid, o);
  o += p.dcid.length;
  out[o++] = p.scid.length;
  out.set(p.scid, o);
  o += p.scid.length;
  out.set(p.token, o);
  o += p.token.length;
  out.set(tag, o);
  return out;
}

/** RFC 9001 §5.8: ODCID Length ‖ ODCID ‖ the Retry packet without its tag — the AEAD's associated data. */
export function retryPseudoPacket(originalDcid: Uint8Array, retryWithoutTag: Uint8Array): Uint8Array {
  const out = new Uint8Array(1 + originalDcid.length + retryWithoutTag.length);
  out[0] = originalDcid.length;
  out.set(originalDcid, 1);
  out.set(retryWithoutTag, 1 + originalDcid.length);
  return out;
}

/**
 * RFC 9000 §10.3: a stateless reset — first byte 0b01xxxxxx, unpredictable
 * bytes, the 16-byte token last. `random` supplies everything before the
 * token, so its length fixes the datagram size (21 bytes at least).
 */
export function encodeStatelessReset(token: Uint8Array, random: Uint8Array): Uint8Array {
  if (token.length !== STATELESS_RESET_TOKEN_LENGTH) throw new RangeError('stateless reset token is 16 bytes');
  if (random.length + token.length < MIN_STATELESS_RESET_LENGTH) throw new RangeError('a stateless reset is at least 21 bytes');
  const out = new Uint8Array(random.length + token.length);
  out.set(random, 0);
  out[0] = 0x40 | (random[0]! & 0x3f);
  out.set(token, random.length);
  return out;
}

/** The last 16 bytes of a datagram that could be a stateless reset (§10.3.1), or null when it is too short. */
export function statelessResetTokenOf(datagram: Uint8Array): Uint8Array | null {
  if (datagram.length < MIN_STATELESS_RESET_LENGTH || (datagram[0]! & 0x80) !== 0) return null;
  return datagram.subarray(datagram.length - STATELESS_RESET_TOKEN_LENGTH);
}
