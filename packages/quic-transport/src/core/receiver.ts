/**
 * @module core/receiver
 * Receiving datagrams (RFC 9000 §12, §17; RFC 9001 §5): split coalesced
 * packets, remove header protection, recover the packet number, open the
 * AEAD (a failure just drops the packet), check the reserved bits, drop
 * duplicates, decode the frames (quic-wire checks §12.4's packet types) and
 * act on each through one table: a handler per frame type, with the side
 * that may send it (aioquic's frame-handler table).
 */
import { verifyRetryIntegrity, type QuicVersion, type ReadGeneration } from '@tsquic/quic-crypto-keys';
import { coalescedPackets, decodeFrames, decodePacketNumber, equalBytes, FrameType, statelessResetTokenOf, type Frame, type FrameOf, type LongHeader, type PacketSpaceType, type RetryHeader, type ShortHeader } from '@tsquic/quic-wire';
import type { Connection } from './connection.js';
import { TransportError, TransportErrorCode as E } from './errors.js';
import { followRetry, onTls, tlsTime } from './handshake.js';
import { onAckFrequencyFrame, onImmediateAck } from './ack-frequency.js';
import { onPacketWhileClosing, onPeerClose, terminate } from './lifecycle.js';
import type { SpaceId } from './recovery/loss-detection.js';
import { onAckFrame, resendHandshakeDone } from './retransmission.js';
import { MIN_INITIAL_DATAGRAM } from './sender.js';
import { switchVersion } from './transport-parameters.js';
import { LEVEL_OF } from './spaces.js';
import { samePath, type Path } from './types.js';

/** What a frame handler knows of the packet that carried the frame. */
interface Packet {
  now: number;
  space: SpaceId;
  /** The packet's bytes (header unprotected). */
  bytes: Uint8Array;
  path: Path;
}

interface FrameRule<T extends Frame['type']> {
  /** RFC 9000 §19: frames only one side may send (the other side's receipt is a PROTOCOL_VIOLATION). */
  onlyFrom?: 'client' | 'server';
  /** The frame type reported in CONNECTION_CLOSE for a violation. */
  code: number;
  handle(c: Connection, f: FrameOf<T>, p: Packet): void;
}

const nothing = (): void => {};

/** One handler per frame type (RFC 9000 §19, RFC 9221 §4, draft-ietf-quic-ack-frequency §4–§5). */
const FRAMES: { [T in Frame['type']]: FrameRule<T> } = {
  padding: { code: FrameType.PADDING, handle: nothing },
  ping: { code: FrameType.PING, handle: nothing },
  ack: { code: FrameType.ACK, handle: (c, f, p) => onAckFrame(c, p.space, f, p.now) },
  crypto: {
    code: FrameType.CRYPTO,
    handle: (c, f, p) => {
      const sp = c.spaces[p.space];
      // RFC 9000 §7.5: CRYPTO data beyond what TLS consumed is bounded.
      if (f.offset + f.data.length - sp.cryptoRecv.readOffset > c.settings.maxCryptoBuffer) throw new TransportError(E.CRYPTO_BUFFER_EXCEEDED, 'CRYPTO data beyond the buffer limit', FrameType.CRYPTO);
      if (sp.cryptoRecv.insert(f.offset, f.data) < 0) throw new TransportError(E.CRYPTO_BUFFER_EXCEEDED, 'CRYPTO data too fragmented', FrameType.CRYPTO);
      for (let d = sp.cryptoRecv.read(); d; d = sp.cryptoRecv.read()) onTls(c, c.hs.tls.receive(LEVEL_OF[p.space], d, tlsTime(c, p.now)), p.now);
    },
  },
  stream: { code: FrameType.STREAM, handle: (c, f) => c.streams.onStreamFrame(f.streamId, f.offset, f.data, f.fin) },
  reset_stream: { code: FrameType.RESET_STREAM, handle: (c, f) => c.streams.onResetStream(f.streamId, f.errorCode, f.finalSize) },
  stop_sending: { code: FrameType.STOP_SENDING, handle: (c, f) => c.streams.onStopSending(f.streamId, f.errorCode) },
  max_data: { code: FrameType.MAX_DATA, handle: (c, f) => c.streams.onMaxData(f.maximum) },
  max_stream_data: { code: FrameType.MAX_STREAM_DATA, handle: (c, f) => c.streams.onMaxStreamData(f.streamId, f.maximum) },
  max_streams: { code: FrameType.MAX_STREAMS_BIDI, handle: (c, f) => c.streams.onMaxStreams(f.bidi, f.maximum) },
  data_blocked: { code: FrameType.DATA_BLOCKED, handle: nothing },
  streams_blocked: { code: FrameType.STREAMS_BLOCKED_BIDI, handle: nothing },
  stream_data_blocked: { code: FrameType.STREAM_DATA_BLOCKED, handle: (c, f) => c.streams.onStreamDataBlocked(f.streamId) },
  new_token: { code: FrameType.NEW_TOKEN, onlyFrom: 'server', handle: (c, f) => c.emit({ type: 'new-token', token: new Uint8Array(f.token) }) },
  new_connection_id: { code: FrameType.NEW_CONNECTION_ID, handle: (c, f) => c.remoteCids.add(f.sequence, f.retirePriorTo, new Uint8Array(f.connectionId), new Uint8Array(f.statelessResetToken)) },
  retire_connection_id: { code: FrameType.RETIRE_CONNECTION_ID, handle: (c, f, p) => c.localCids.retire(f.sequence, dcidOf(c, p.bytes), p.now, 3 * c.recovery.ptoDuration()) },
  path_challenge: { code: FrameType.PATH_CHALLENGE, handle: (c, f, p) => c.paths.onChallenge(f.data, p.path) },
  path_response: { code: FrameType.PATH_RESPONSE, handle: (c, f, p) => c.paths.onResponse(f.data, p.now) },
  connection_close: { code: FrameType.CONNECTION_CLOSE, handle: (c, f, p) => onPeerClose(c, p.now, f.errorCode, f.reason, f.application) },
  handshake_done: { code: FrameType.HANDSHAKE_DONE, onlyFrom: 'server', handle: (c, _f, p) => c.confirmHandshake(p.now) },
  datagram: {
    code: FrameType.DATAGRAM,
    handle: (c, f) => {
      // RFC 9221 §3: a DATAGRAM we did not allow, or larger than we allowed, is a PROTOCOL_VIOLATION.
      if (1 + f.data.length > c.settings.maxDatagramFrameSize) throw new TransportError(E.PROTOCOL_VIOLATION, 'DATAGRAM frame not negotiated or too large', FrameType.DATAGRAM);
      c.emit({ type: 'datagram', data: new Uint8Array(f.data) });
    },
  },
  ack_frequency: { code: FrameType.ACK_FREQUENCY, handle: (c, f) => onAckFrequencyFrame(c, f) },
  immediate_ack: { code: FrameType.IMMEDIATE_ACK, handle: (c) => onImmediateAck(c) },
};

/** Frames a probing packet may carry (RFC 9000 §9.1): a packet of only these does not move the connection. */
const PROBING: ReadonlySet<Frame['type']> = new Set(['path_challenge', 'path_response', 'new_connection_id', 'padding']);

function onFrame<T extends Frame['type']>(c: Connection, f: FrameOf<T>, p: Packet): void {
  const rule = FRAMES[f.type] as FrameRule<T>;
  if (rule.onlyFrom && rule.onlyFrom === c.side) throw new TransportError(E.PROTOCOL_VIOLATION, `${f.type.toUpperCase()} from a ${c.side === 'client' ? 'server' : 'client'}`, rule.code);
  rule.handle(c, f, p);
}

export function processDatagram(c: Connection, now: number, data: Uint8Array, path: Path): void {
  const packets = coalescedPackets(data, c.settings.connectionIdLength);
  let decrypted = false;
  const first = packets[0];
  for (const h of packets) {
    if (c.state === 'closed' || c.state === 'draining') return;
    // RFC 9000 §12.2: coalesced packets share the first one's Destination Connection ID; ignore any other.
    if (h !== first && !equalBytes(h.dcid, first!.dcid)) continue;
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
    if (token && c.remoteCids.isResetToken(token)) c.onStatelessReset();
    else c.stats.packetsDropped++;
  }
}

/** RFC 9000 §6.2: a client abandons the attempt when the server does not speak its version. */
function onVersionNegotiation(c: Connection, versions: number[]): void {
  if (c.side !== 'client' || c.hs.receivedFirstPacket) return;
  if (versions.includes(c.crypto.version)) return; // must be ignored (§6.2)
  terminate(c, { code: BigInt(E.VERSION_NEGOTIATION_ERROR), reason: `server supports ${versions.map((v) => `0x${v.toString(16)}`).join(', ')}`, application: false, remote: true, kind: 'version-negotiation' });
}

/**
 * RFC 9000 §17.2.5.2: a client accepts one Retry, before any other server
 * packet, with a valid integrity tag (RFC 9001 §5.8), a non-empty token and
 * a new SCID; anything else is dropped.
 */
function onRetry(c: Connection, now: number, packet: Uint8Array, h: RetryHeader): void {
  if (c.side !== 'client' || c.hs.receivedFirstPacket || c.hs.retrySourceCid || h.version !== c.crypto.version) return;
  if (h.token.length === 0 || equalBytes(h.scid, c.hs.originalDcid)) return;
  if (!verifyRetryIntegrity(h.version, c.hs.originalDcid, packet, c.provider)) return;
  followRetry(c, h.scid, h.token, now);
}

const TYPE_OF: Record<SpaceId, PacketSpaceType> = { 0: 'initial', 1: 'handshake', 2: '1rtt' };

/** Client: try the server's Initial in the version it chose; keep that version only if the packet opens. */
function followVersion(c: Connection, now: number, data: Uint8Array, h: LongHeader, path: Path): boolean {
  const before = c.crypto.snapshot();
  switchVersion(c, h.version as QuicVersion, now);
  if (processPacket(c, now, data, h, path)) return true;
  c.crypto.restore(before);
  return false;
}

type OpenKey = { open(pn: number, header: Uint8Array, sealed: Uint8Array): Uint8Array | null; integrityLimit: number };

/** Returns true when the packet authenticated (even if then found a duplicate). */
function processPacket(c: Connection, now: number, data: Uint8Array, h: LongHeader | ShortHeader, path: Path): boolean {
  const packet = data.subarray(h.start, h.end);
  const pnOffset = h.pnOffset - h.start;
  if (h.form === 'long' && h.type === '0rtt') {
    // 0-RTT (RFC 9001 §4.6): only a server that accepted early data has the keys; otherwise drop.
    const z = c.crypto.zeroRtt;
    if (c.side !== 'server' || !z || h.version !== c.crypto.version) return false;
    const r = z.header.unprotect(packet, pnOffset);
    if (!r) return false;
    return finish(c, now, 2, packet, pnOffset, r.pnLength, decodePacketNumber(c.spaces[2].ack.largest, r.truncatedPn, r.pnLength * 8), z.packet, 'current', path, '0rtt');
  }
  const space: SpaceId = h.form === 'short' ? 2 : h.type === 'initial' ? 0 : 1;
  const sp = c.spaces[space];
  if (sp.discarded) {
    // A Handshake packet after the server confirmed: the client has not had HANDSHAKE_DONE (it keeps probing
    // with Handshake packets, and arms no 1-RTT PTO until it has it, RFC 9002 §6.2.1): send it again now.
    if (space === 1 && c.side === 'server' && samePath(path, c.paths.current)) resendHandshakeDone(c);
    return false;
  }
  if (space === 2) {
    const phase = c.crypto.oneRtt;
    if (!phase) return false;
    // RFC 9001 §5.7: the server holds 1-RTT read keys from its Finished on, but opens no 1-RTT packet before the
    // handshake completes; it keeps a few (a client's first request) to open once it has (handshake.ts).
    if (c.side === 'server' && !c.hs.info) {
      c.hs.holdEarly(packet, path);
      return false;
    }
    const r = phase.readHeader.unprotect(packet, pnOffset);
    if (!r) return false;
    const pn = decodePacketNumber(sp.ack.largest, r.truncatedPn, r.pnLength * 8);
    const k = phase.readKeyFor(((packet[0]! >> 2) & 1) as 0 | 1, pn);
    return k !== null && finish(c, now, 2, packet, pnOffset, r.pnLength, pn, k.key, k.generation, path);
  }
  const lh = h as LongHeader;
  let keys = c.crypto.readKeys(space as 0 | 1);
  if (lh.version !== c.crypto.version) {
    // RFC 9368 §2.1: the server reads Initials still in the client's original version;
    // the client follows a server whose first Initial is in another version it offered.
    if (space === 0 && c.side === 'server' && lh.version === c.crypto.originalVersion && c.crypto.originalInitialRead) keys = c.crypto.originalInitialRead;
    else if (space === 0 && c.side === 'client' && !c.hs.peerInitialScid && c.settings.versions.includes(lh.version as QuicVersion)) return followVersion(c, now, data, lh, path);
    else return false;
  }
  // Client: the first Initial from the server fixes its connection ID (§7.2); others must match.
  if (c.side === 'client' && c.hs.peerInitialScid && !equalBytes(lh.scid, c.hs.peerInitialScid)) return false;
  if (!keys) return false;
  // Server: its endpoint opened the client's first Initial before making this connection (stateless.ts).
  const opened = c.side === 'server' && space === 0 ? c.crypto.takeOpened(data, h.start) : undefined;
  const r = opened ?? keys.header.unprotect(packet, pnOffset);
  if (!r) return false;
  const pn = decodePacketNumber(sp.ack.largest, r.truncatedPn, r.pnLength * 8);
  if (!finish(c, now, space, opened?.packet ?? packet, pnOffset, r.pnLength, pn, opened ? { open: () => opened.payload, integrityLimit: keys.packet.integrityLimit } : keys.packet, 'current', path)) return false;
  if (c.side === 'client' && !c.hs.peerInitialScid) {
    c.hs.peerInitialScid = new Uint8Array(lh.scid);
    c.remoteCids.replaceInitial(c.hs.peerInitialScid);
  }
  // RFC 9001 §4.9.1: a server discards Initial keys once it processes a Handshake packet; receiving one also validates the address (§8.1).
  if (space === 1 && c.side === 'server') {
    c.paths.validate();
    c.discardSpace(0, now);
  }
  return true;
}

function finish(c: Connection, now: number, space: SpaceId, packet: Uint8Array, pnOffset: number, pnLength: number, pn: number, key: OpenKey, generation: ReadGeneration, path: Path, packetType: PacketSpaceType = TYPE_OF[space]): boolean {
  const sp = c.spaces[space];
  const headerEnd = pnOffset + pnLength;
  const payload = key.open(pn, packet.subarray(0, headerEnd), packet.subarray(headerEnd));
  if (!payload) {
    // RFC 9001 §6.6: too many forgeries under one key ends the connection.
    if (++c.crypto.authFailures > key.integrityLimit) throw new TransportError(E.AEAD_LIMIT_REACHED, 'AEAD integrity limit reached');
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
  if (packetType === '1rtt' && c.crypto.oneRtt!.onPacketOpened(generation, pn)) c.onKeysRotated(now);
  c.hs.receivedFirstPacket = true;
  c.stats.packetsReceived++;
  const l = c.lifecycle;
  if (l.state === 'closing') {
    onPacketWhileClosing(l);
    return true;
  }
  const frames = decodeFrames(payload, packetType);
  const p: Packet = { now, space, bytes: packet, path };
  let ackEliciting = false;
  let probing = true;
  for (const f of frames) {
    if (f.type !== 'ack' && f.type !== 'padding' && f.type !== 'connection_close') ackEliciting = true;
    if (!PROBING.has(f.type)) probing = false;
    onFrame(c, f, p);
    if (c.state === 'draining' || c.state === 'closed') break;
  }
  // RFC 9000 §9.3: a non-probing packet with the highest packet number from a new address moves the connection.
  if (packetType === '1rtt' && c.side === 'server' && !probing && c.hs.confirmed && pn > sp.ack.largest && !samePath(path, c.paths.current)) c.paths.peerMigrated(path, now);
  sp.ack.onPacketReceived(pn, ackEliciting, now, c.recovery.handshakeConfirmed ? sp.ack.maxAckDelay : 0, c.datagramEcn);
  c.idle.onPacketProcessed(now);
  // Per-packet qlog records are built only when someone listens (no allocation per packet otherwise).
  if (c.hooks.qlog)
    c.qlog(now, 'transport:packet_received', { header: { packet_type: space === 0 ? 'initial' : space === 1 ? 'handshake' : '1RTT', packet_number: pn }, raw: { length: packet.length }, frames: frames.map((f) => ({ frame_type: f.type })) });
  return true;
}

/** The Destination Connection ID of a packet (its header already unprotected). */
function dcidOf(c: Connection, packet: Uint8Array): Uint8Array {
  return packet[0]! & 0x80 ? packet.subarray(6, 6 + packet[5]!) : packet.subarray(1, 1 + c.settings.connectionIdLength);
}
