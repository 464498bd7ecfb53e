/**
 * @module core/receiver
 * Receiving datagrams (RFC 9000 §12, §17; RFC 9001 §5): split coalesced
 * packets, remove header protection, recover the packet number, open the
 * AEAD (a failure just drops the packet), check the reserved bits, drop
 * duplicates, decode the frames (§12.4 permissions are checked by
 * quic-wire) and act on each one — one handler per frame type.
 */
import { initialKeys, verifyRetryIntegrity, type CryptoProvider, type QuicVersion, type ReadGeneration } from '@tsquic/quic-crypto-keys';
import {
  coalescedPackets,
  decodePacketNumber,
  decodeFrames,
  QuicWireError,
  statelessResetTokenOf,
  type Frame,
  type LongHeader,
  type PacketHeader,
  type PacketSpaceType,
  type RetryHeader,
  type ShortHeader,
} from '@tsquic/quic-wire';
import type { Connection, Path } from './connection.js';
import { equal } from './connection.js';
import { TransportError, TransportErrorCode as E } from './errors.js';
import { LEVEL_OF } from './spaces.js';
import { onPathChallenge, onPathResponse, onPeerMigrated, samePath } from './path.js';
import type { SpaceId } from './recovery/loss-detection.js';
import { MIN_INITIAL_DATAGRAM } from './sender.js';

export function processDatagram(c: Connection, now: number, data: Uint8Array, path: Path): void {
  const packets = coalescedPackets(data, c.settings.connectionIdLength);
  let decrypted = false;
  const first = packets[0];
  for (const h of packets) {
    if (c.state === 'closed' || c.state === 'draining') return;
    // RFC 9000 §12.2: coalesced packets share the first one's Destination Connection ID; ignore any other.
    if (h !== first && !equal(h.dcid, first!.dcid)) continue;
    // RFC 9000 §14.1: a server discards Initial packets in datagrams under 1200 bytes (not only a connection's first).
    if (c.side === 'server' && h.form === 'long' && h.type === 'initial' && data.length < MIN_INITIAL_DATAGRAM) continue;
    if (h.form === 'version-negotiation') {
      onVersionNegotiation(c, h.versions);
      return;
    }
    if (h.form === 'retry') {
      onRetry(c, now, data.subarray(h.start, h.end), h);
      return;
    }
    if (h.form !== 'long' && h.form !== 'short') continue; // unknown versions
    if (processPacket(c, now, data, h, path)) decrypted = true;
  }
  // RFC 9000 §10.3.1: a datagram nothing could be decrypted from may be a stateless reset.
  if (!decrypted) {
    const token = statelessResetTokenOf(data);
    if (token && c.isStatelessReset(token)) c.onStatelessReset();
    else c.stats.packetsDropped++;
  }
}

/**
 * Server, before any state is committed to a new connection: does the first
 * Initial packet of `datagram` open with the Initial keys of its DCID
 * (RFC 9001 §5.2) and carry CRYPTO data (the ClientHello, RFC 9000 §17.2.2)?
 * Anyone can make Initial keys, but random bytes do not authenticate; this
 * costs a key derivation and one AEAD open, not a connection. The datagram
 * is left untouched (the connection opens it again).
 */
export function initialCarriesCrypto(provider: CryptoProvider, datagram: Uint8Array, h: LongHeader): boolean {
  const keys = initialKeys(provider, h.version, h.dcid, 'server').read;
  const packet = datagram.slice(h.start, h.end);
  const pnOffset = h.pnOffset - h.start;
  const r = keys.header.unprotect(packet, pnOffset);
  if (!r) return false;
  const headerEnd = pnOffset + r.pnLength;
  const payload = keys.packet.open(r.truncatedPn, packet.subarray(0, headerEnd), packet.subarray(headerEnd));
  if (!payload || packet[0]! & 0x0c) return false;
  try {
    return decodeFrames(payload, 'initial').some((f) => f.type === 'crypto');
  } catch (e) {
    if (QuicWireError.isInstance(e)) return false;
    throw e;
  }
}

/** RFC 9000 §6.2: a client abandons the attempt when the server does not speak its version. */
function onVersionNegotiation(c: Connection, versions: number[]): void {
  if (c.side !== 'client' || c.receivedFirstPacket) return;
  if (versions.includes(c.version)) return; // must be ignored (§6.2)
  c.terminate({ code: BigInt(E.VERSION_NEGOTIATION_ERROR), reason: `server supports ${versions.map((v) => `0x${v.toString(16)}`).join(', ')}`, application: false, remote: true, kind: 'version-negotiation' });
}

/**
 * RFC 9000 §17.2.5.2: a client accepts one Retry, before any other server
 * packet, with a valid integrity tag (RFC 9001 §5.8), a non-empty token and
 * a new SCID; anything else is dropped.
 */
function onRetry(c: Connection, now: number, packet: Uint8Array, h: RetryHeader): void {
  if (c.side !== 'client' || c.receivedFirstPacket || c.retrySourceCid || h.version !== c.version) return;
  if (h.token.length === 0 || equal(h.scid, c.originalDcid)) return;
  if (!verifyRetryIntegrity(h.version, c.originalDcid, packet, c.provider)) return;
  c.onRetry(h.scid, h.token, now);
}

const TYPE_OF: Record<SpaceId, PacketSpaceType> = { 0: 'initial', 1: 'handshake', 2: '1rtt' };

/** Returns true when the packet authenticated (even if then found a duplicate). */
/** Client: try the server's Initial in the version it chose; keep that version only if the packet opens. */
function followVersion(c: Connection, now: number, data: Uint8Array, h: LongHeader, path: Path): boolean {
  const before = { version: c.version, read: c.spaces[0].read, write: c.spaces[0].write };
  c.switchVersion(h.version as QuicVersion, now);
  if (processPacket(c, now, data, h, path)) return true;
  c.version = before.version;
  c.spaces[0].read = before.read;
  c.spaces[0].write = before.write;
  return false;
}

function processPacket(c: Connection, now: number, data: Uint8Array, h: LongHeader | ShortHeader, path: Path): boolean {
  let space: SpaceId;
  if (h.form === 'short') space = 2;
  else if (h.type === 'initial') space = 0;
  else if (h.type === 'handshake') space = 1;
  else {
    // 0-RTT (RFC 9001 §4.6): only a server that accepted early data has the keys; otherwise drop.
    if (c.side !== 'server' || !c.zeroRtt || h.version !== c.version) return false;
    const sp2 = c.spaces[2];
    const packet = data.subarray(h.start, h.end);
    const r = c.zeroRtt.header.unprotect(packet, h.pnOffset - h.start);
    if (!r) return false;
    const pn = decodePacketNumber(sp2.ack.largest, r.truncatedPn, r.pnLength * 8);
    return finish(c, now, sp2, 2, packet, h.pnOffset - h.start, r.pnLength, pn, c.zeroRtt.packet, 'current', path, '0rtt');
  }
  const sp = c.spaces[space];
  if (sp.discarded) return false;
  let keys = sp.read;
  if (h.form === 'long' && h.version !== c.version) {
    // RFC 9368 §2.1: the server reads Initials still in the client's original version;
    // the client follows a server whose first Initial is in another version it offered.
    if (space === 0 && c.side === 'server' && h.version === c.originalVersion && c.originalInitialRead) keys = c.originalInitialRead;
    else if (space === 0 && c.side === 'client' && !c.peerInitialScid && c.settings.versions.includes(h.version as QuicVersion)) return followVersion(c, now, data, h, path);
    else return false;
  }
  // Client: the first Initial from the server fixes its connection ID (§7.2); others must match.
  if (h.form === 'long' && c.side === 'client') {
    if (c.peerInitialScid && !equal(h.scid, c.peerInitialScid)) return false;
  }
  const packet = data.subarray(h.start, h.end);
  const pnOffset = h.pnOffset - h.start;
  let key;
  let generation: ReadGeneration = 'current';
  if (space === 2) {
    const phase = c.oneRtt;
    if (!phase) return false;
    // RFC 9001 §5.7: the server holds 1-RTT read keys from its Finished on, but opens no 1-RTT packet before the handshake completes.
    if (c.side === 'server' && !c.handshakeInfo) return false;
    const r = phase.readHeader.unprotect(packet, pnOffset);
    if (!r) return false;
    const pn = decodePacketNumber(sp.ack.largest, r.truncatedPn, r.pnLength * 8);
    const k = phase.readKeyFor(((packet[0]! >> 2) & 1) as 0 | 1, pn);
    if (!k) return false;
    key = k.key;
    generation = k.generation;
    return finish(c, now, sp, space, packet, pnOffset, r.pnLength, pn, key, generation, path);
  }
  if (!keys) return false;
  const r = keys.header.unprotect(packet, pnOffset);
  if (!r) return false;
  const pn = decodePacketNumber(sp.ack.largest, r.truncatedPn, r.pnLength * 8);
  const ok = finish(c, now, sp, space, packet, pnOffset, r.pnLength, pn, keys.packet, generation, path);
  if (ok && h.form === 'long') {
    if (c.side === 'client' && !c.peerInitialScid) {
      c.peerInitialScid = h.scid.slice();
      c.remoteCids.replaceInitial(c.peerInitialScid);
    }
    // RFC 9001 §4.9.1: a server discards Initial keys once it processes a Handshake packet; receiving one also validates the address (§8.1).
    if (space === 1 && c.side === 'server') {
      c.peerAddressValidated = true;
      c.amplification.forget(c.path);
      c.discardSpace(0, now);
    }
  }
  return ok;
}

function finish(
  c: Connection,
  now: number,
  sp: Connection['spaces'][number],
  space: SpaceId,
  packet: Uint8Array,
  pnOffset: number,
  pnLength: number,
  pn: number,
  key: { open(pn: number, header: Uint8Array, sealed: Uint8Array): Uint8Array | null; integrityLimit: number },
  generation: ReadGeneration,
  path: Path,
  packetType: PacketSpaceType = TYPE_OF[space],
): boolean {
  const headerEnd = pnOffset + pnLength;
  const payload = key.open(pn, packet.subarray(0, headerEnd), packet.subarray(headerEnd));
  if (!payload) {
    // RFC 9001 §6.6: too many forgeries under one key ends the connection.
    if (++c.authFailures > key.integrityLimit) throw new TransportError(E.AEAD_LIMIT_REACHED, 'AEAD integrity limit reached');
    c.stats.packetsDropped++;
    return false;
  }
  // RFC 9000 §17.2, §17.3.1: reserved bits must be zero once protection is removed.
  const reserved = packet[0]! & 0x80 ? 0x0c : 0x18;
  if (packet[0]! & reserved) throw new TransportError(E.PROTOCOL_VIOLATION, 'reserved header bits set');
  if (sp.ack.isDuplicate(pn)) {
    c.stats.packetsDropped++;
    return true;
  }
  if (packetType === '1rtt' && c.oneRtt!.onPacketOpened(generation, pn)) c.onKeysRotated(now);
  c.receivedFirstPacket = true;
  c.stats.packetsReceived++;
  if (c.state === 'closing') {
    // RFC 9000 §10.2.1: answer packets in the closing state with CONNECTION_CLOSE, at a progressively
    // lower rate: on the 1st, 2nd, 4th, 8th… packet received (and within 3x of an unvalidated address).
    c.closingPacketsReceived++;
    if ((c.closingPacketsReceived & (c.closingPacketsReceived - 1)) === 0) c.closeSendPending = true;
    return true;
  }
  const frames = decodeFrames(payload, packetType);
  let ackEliciting = false;
  for (const f of frames) {
    if (f.type !== 'ack' && f.type !== 'padding' && f.type !== 'connection_close') ackEliciting = true;
    onFrame(c, now, space, f, packet, path);
    if (c.state === 'draining' || c.state === 'closed') break;
  }
  // RFC 9000 §9.3: a non-probing packet with the highest packet number from a new address moves the connection.
  if (space === 2 && packetType === '1rtt' && c.handshakeConfirmed && pn > sp.ack.largest && !samePath(path, c.path)) {
    const probing = frames.every((f) => f.type === 'path_challenge' || f.type === 'path_response' || f.type === 'new_connection_id' || f.type === 'padding');
    if (!probing && c.side === 'server') onPeerMigrated(c, path, now);
  }
  sp.ack.onPacketReceived(pn, ackEliciting, now, c.recovery.handshakeConfirmed ? c.settings.maxAckDelayMs : 0, c.datagramEcn);
  c.onPacketProcessed(now);
  // Per-packet qlog records are built only when someone listens (no allocation per packet otherwise).
  if (c.hooks.qlog) c.qlog(now, 'transport:packet_received', { header: { packet_type: space === 0 ? 'initial' : space === 1 ? 'handshake' : '1RTT', packet_number: pn }, raw: { length: packet.length }, frames: frames.map((f) => ({ frame_type: f.type })) });
  return true;
}

/** One handler per frame type (RFC 9000 §19). */
function onFrame(c: Connection, now: number, space: SpaceId, f: Frame, packet: Uint8Array, path: Path): void {
  switch (f.type) {
    case 'padding':
    case 'ping':
      return;
    case 'ack': {
      const exp = space === 2 ? (c.peerParams?.ackDelayExponent ?? 3) : 3;
      const ackDelay = (f.ackDelay * 2 ** exp) / 1000;
      const largestBefore = c.recovery.largestAcked(space);
      const r = c.recovery.onAckReceived(space, { largest: f.largest, ackDelay, ranges: f.ranges }, now, !c.streams.hasStreamData);
      // RFC 9000 §13.4.2, RFC 9002 §7.1: validate the ECN counts; a CE increase is a congestion event.
      let marked = 0;
      let newest = -Infinity;
      for (const p of r.acked) if (p.ecn) marked++, (newest = Math.max(newest, p.timeSent));
      if (c.ecn.onAck(space, f.ecn, marked, f.largest > largestBefore)) c.recovery.onEcnCongestion(now, newest);
      c.onAcked(space, r.acked);
      c.onLost(r.lost, now);
      // RFC 9002 §6.2.2.1: an acknowledged Handshake packet proves the server validated our address.
      if (space === 1 && c.side === 'client') c.recovery.peerCompletedAddressValidation = true;
      // RFC 9001 §4.1.2: a client may treat an acknowledged 1-RTT packet as handshake confirmation —
      // not an acknowledged 0-RTT one (same space): that would drop the Handshake keys before our Finished went.
      if (space === 2 && c.side === 'client' && c.handshakeInfo && r.acked.some((p) => !p.data.zeroRtt)) c.confirmHandshake(now);
      c.streams.rtt = c.recovery.rtt.smoothedRtt;
      return;
    }
    case 'crypto': {
      const sp = c.spaces[space];
      if (f.offset + f.data.length - sp.cryptoRecv.readOffset > c.settings.maxCryptoBuffer) {
        throw new TransportError(E.CRYPTO_BUFFER_EXCEEDED, 'CRYPTO data beyond the buffer limit', 0x06);
      }
      if (sp.cryptoRecv.insert(f.offset, f.data) < 0) throw new TransportError(E.CRYPTO_BUFFER_EXCEEDED, 'CRYPTO data too fragmented', 0x06);
      for (let d = sp.cryptoRecv.read(); d; d = sp.cryptoRecv.read()) c.tlsReceive(LEVEL_OF[space], d, now);
      return;
    }
    case 'stream':
      c.streams.onStreamFrame(f.streamId, f.offset, f.data, f.fin);
      return;
    case 'reset_stream':
      c.streams.onResetStream(f.streamId, f.errorCode, f.finalSize);
      return;
    case 'stop_sending':
      c.streams.onStopSending(f.streamId, f.errorCode);
      return;
    case 'max_data':
      c.streams.onMaxData(f.maximum);
      return;
    case 'max_stream_data':
      c.streams.onMaxStreamData(f.streamId, f.maximum);
      return;
    case 'max_streams':
      c.streams.onMaxStreams(f.bidi, f.maximum);
      return;
    case 'data_blocked':
    case 'streams_blocked':
      return;
    case 'stream_data_blocked':
      c.streams.onStreamDataBlocked(f.streamId);
      return;
    case 'new_token':
      // RFC 9000 §19.7: a server receiving NEW_TOKEN is a PROTOCOL_VIOLATION.
      if (c.side === 'server') throw new TransportError(E.PROTOCOL_VIOLATION, 'NEW_TOKEN from a client', 0x07);
      c.emit({ type: 'new-token', token: f.token.slice() });
      return;
    case 'new_connection_id':
      c.remoteCids.add(f.sequence, f.retirePriorTo, f.connectionId.slice(), f.statelessResetToken.slice());
      return;
    case 'retire_connection_id':
      c.localCids.retire(f.sequence, dcidOf(c, packet));
      return;
    case 'path_challenge':
      onPathChallenge(c, f.data, path);
      return;
    case 'path_response':
      onPathResponse(c, f.data, now);
      return;
    case 'connection_close':
      c.onPeerClose(now, f.errorCode, f.reason, f.application);
      return;
    case 'handshake_done':
      // RFC 9000 §19.20: a server receiving HANDSHAKE_DONE is a PROTOCOL_VIOLATION.
      if (c.side === 'server') throw new TransportError(E.PROTOCOL_VIOLATION, 'HANDSHAKE_DONE from a client', 0x1e);
      c.confirmHandshake(now);
      return;
    case 'datagram':
      // RFC 9221 §3: a DATAGRAM we did not allow, or larger than we allowed, is a PROTOCOL_VIOLATION.
      if (1 + f.data.length > c.settings.maxDatagramFrameSize) throw new TransportError(E.PROTOCOL_VIOLATION, 'DATAGRAM frame not negotiated or too large', 0x30);
      c.emit({ type: 'datagram', data: f.data.slice() });
      return;
  }
}

function dcidOf(c: Connection, packet: Uint8Array): Uint8Array {
  return packet[0]! & 0x80 ? packet.subarray(6, 6 + packet[5]!) : packet.subarray(1, 1 + c.settings.connectionIdLength);
}

export type { PacketHeader };
