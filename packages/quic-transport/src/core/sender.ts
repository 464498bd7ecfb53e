/**
 * @module core/sender
 * Building datagrams (RFC 9000 §12.2, §13, §14; RFC 9001 §5; RFC 9002 §7):
 * coalesce Initial, Handshake and 1-RTT packets into one datagram, fill
 * each with frames in priority order (ACK, HANDSHAKE_DONE, CRYPTO,
 * connection-ID and control frames, STREAM data, PING for probes), pad
 * client Initials to 1200 bytes, respect the anti-amplification limit,
 * congestion window and pacer, seal in place and apply header protection,
 * and hand each packet to loss recovery.
 */
import type { DirectionalKeys, KeyPhase } from '@tsquic/quic-crypto-keys';
import {
  encodeFrame,
  frameSize,
  packetNumberLength,
  patchLength,
  truncatePacketNumber,
  varintLength,
  writeLongHeader,
  writeShortHeader,
  writeStreamFrameHeader,
  Writer,
  type Frame,
} from '@tsquic/quic-wire';
import type { Connection, SentFrame } from './connection.js';
import type { LossDetection, SpaceId } from './recovery/loss-detection.js';
import { maybeSkipPacketNumber } from './recovery/pn-skip.js';
import { samePath } from './path.js';
import { HAND_OFF } from './datagram-buffers.js';

const TAG = 16;
/** RFC 9000 §14.1: datagrams carrying Initial packets (client; server ack-eliciting) are padded to 1200 bytes; smaller ones are discarded. */
export const MIN_INITIAL_DATAGRAM = 1200;
/**
 * Consecutive ACK-only packets after which the next one carries a PING
 * (RFC 9000 §13.2.4 suggests about once per round trip; never all of them,
 * §13.2.1). 24 is what quiche uses.
 */
export const ELICIT_AFTER_ACK_ONLY = 24;
/** Smallest room worth starting a packet in. */
const MIN_PACKET = 64;

interface Budget {
  /** Ack-eliciting frames may go (congestion window, pacing, probes). */
  eliciting: boolean;
}

/** The next datagram to send, or null when there is nothing (or no allowance) to send. */
export function buildDatagram(c: Connection, now: number): Uint8Array | null {
  if (c.state === 'closing') return c.closeSendPending ? buildClose(c, now) : null;
  let max = c.maxDatagramSize;
  if (!c.peerAddressValidated) {
    // RFC 9000 §8.1, §9.3: before validation we send at most 3x what we received from that address.
    const allowance = c.amplification.allowance(c.path);
    if (allowance < MIN_PACKET) return null;
    max = Math.min(max, allowance);
  }
  const r = c.recovery;
  const probing = c.spaces.some((s) => s.probes > 0);
  let eliciting = probing || r.bytesInFlight < r.cc.window;
  c.pacingDeadline = 0;
  if (eliciting && !probing && c.settings.pacing && r.rtt.hasSample) {
    const wait = c.pacer.delay(now, max, r.cc.window, r.rtt.smoothedRtt);
    if (wait > 0) {
      c.pacingDeadline = now + wait;
      eliciting = false;
    }
  }
  const budget: Budget = { eliciting };
  maybeUpdateKeys(c, now);
  // RFC 8899: a PMTU probe travels alone, once the handshake is confirmed and the window allows it.
  if (eliciting && c.handshakeConfirmed && c.oneRtt && c.peerAddressValidated) {
    const size = c.pmtu.probeSize(now);
    if (size > c.maxDatagramSize && r.bytesInFlight + size <= r.cc.window) return buildProbe(c, now, size);
  }
  const want = ([0, 1, 2] as SpaceId[]).filter((s) => wantsToSend(c, s, budget, now));
  if (want.length === 0) return null;
  // Padding: a client pads every datagram with an Initial; a server those with ack-eliciting Initials.
  const initialEliciting = want.includes(0) && (c.spaces[0].cryptoSend.hasPending() || c.spaces[0].probes > 0);
  const pad = want.includes(0) && (c.side === 'client' || initialEliciting);
  if (pad && max < MIN_INITIAL_DATAGRAM) {
    if (c.side === 'server' && initialEliciting) return null; // wait for more bytes from the client (§8.1)
  }
  const buf = c.buffers.get(max);
  let off = 0;
  let sentHandshake = false;
  for (let i = 0; i < want.length; i++) {
    const s = want[i]!;
    const isLast = i === want.length - 1;
    const padTo = pad && isLast ? Math.min(MIN_INITIAL_DATAGRAM, max) : 0;
    const end = buildPacket(c, s, buf, off, max - off, now, budget, padTo);
    if (end > off) {
      off = end;
      if (s === 1) sentHandshake = true;
    }
    if (max - off < MIN_PACKET) break;
  }
  if (off === 0) return null;
  // RFC 9001 §4.9.1: a client discards Initial keys when it first sends a Handshake packet.
  if (sentHandshake && c.side === 'client' && !c.spaces[0].discarded) c.discardSpace(0, now);
  if (off < HAND_OFF) return buf.slice(0, off);
  c.buffers.release(buf);
  return buf.subarray(0, off);
}

function writeKeysFor(c: Connection, s: SpaceId): DirectionalKeys | KeyPhase | undefined {
  if (c.spaces[s].discarded) return undefined;
  if (s === 2) return c.oneRtt ?? (c.side === 'client' ? c.zeroRtt : undefined);
  return c.spaces[s].write;
}

/** The client sends application data in 0-RTT packets until it has 1-RTT keys (RFC 9001 §4.6.1). */
function zeroRttMode(c: Connection, s: SpaceId): boolean {
  return s === 2 && !c.oneRtt && c.side === 'client' && c.zeroRtt !== undefined;
}

function wantsToSend(c: Connection, s: SpaceId, b: Budget, now: number): boolean {
  if (!writeKeysFor(c, s)) return false;
  const sp = c.spaces[s];
  if (sp.ack.ackDue(now) || (sp.ack.hasNewAck && b.eliciting)) return true;
  if (sp.probes > 0) return true;
  if (!b.eliciting) return false;
  if (sp.cryptoSend.hasPending()) return true;
  if (s !== 2) return false;
  if (c.handshakeDonePending) return true;
  if (!c.handshakeInfo && c.side === 'client' && !zeroRttMode(c, s)) return false; // no 1-RTT data before the handshake completes
  return c.localCids.pending.size > 0 || c.remoteCids.toRetire.size > 0 || c.datagramQueue.length > 0 || c.pathChallenge?.pending === true || c.pathResponses.length > 0 || (c.newTokenPending !== undefined && c.handshakeConfirmed) || c.streams.hasControl || c.streams.hasStreamData;
}

/** Build one packet of space `s` at `start`; returns its end (== start when nothing was written). */
function buildPacket(c: Connection, s: SpaceId, buf: Uint8Array, start: number, room: number, now: number, b: Budget, padTo: number): number {
  const sp = c.spaces[s];
  const keys = writeKeysFor(c, s)!;
  const pn = sp.nextPn;
  const largestAcked = c.recovery.largestAcked(s);
  const pnLength = packetNumberLength(pn, largestAcked < 0 ? undefined : largestAcked);
  const w = new Writer(buf, start, start + room - TAG);
  let pnOffset: number;
  let lengthInfo: ReturnType<typeof writeLongHeader> | undefined;
  const dcid = c.remoteCids.current.cid;
  const early = zeroRttMode(c, s);
  if (s < 2 || early) {
    lengthInfo = writeLongHeader(w, { type: s === 0 ? 'initial' : s === 1 ? 'handshake' : '0rtt', version: c.version, dcid, scid: c.initialScid, ...(s === 0 && c.side === 'client' && c.token ? { token: c.token } : {}), pnLength, truncatedPn: truncatePacketNumber(pn, pnLength) });
    pnOffset = lengthInfo.pnOffset;
  } else {
    pnOffset = writeShortHeader(w, { dcid, pnLength, truncatedPn: truncatePacketNumber(pn, pnLength), keyPhase: (keys as KeyPhase).keyPhaseBit === 1 });
  }
  const payloadStart = w.pos;
  const frames: SentFrame[] = [];
  let ackEliciting = false;

  // ACK first: it is never congestion-controlled (RFC 9002 §7). 0-RTT packets carry no ACK (RFC 9000 §12.4).
  if (sp.ack.hasNewAck && !early) {
    const a = sp.ack.build(now, s === 2 ? c.settings.ackDelayExponent : 3);
    if (a) {
      const f: Frame = { type: 'ack', largest: a.largest, ackDelay: a.ackDelay, ranges: a.ranges };
      if (a.ecn) f.ecn = a.ecn;
      while (f.ranges.length > 1 && frameSize(f) > w.remaining) f.ranges.pop();
      if (frameSize(f) <= w.remaining) {
        encodeFrame(w, f);
        frames.push({ k: 'ack', largest: a.largest });
        sp.ack.onAckSent();
      }
    }
  }

  if (b.eliciting || sp.probes > 0) {
    if (s === 2 && !early && c.handshakeDonePending && w.remaining >= 1) {
      encodeFrame(w, { type: 'handshake_done' });
      frames.push({ k: 'handshake_done' });
      c.handshakeDonePending = false;
      ackEliciting = true;
    }
    // CRYPTO, retransmissions first (the send buffer orders them).
    while (sp.cryptoSend.hasPending() && w.remaining > 8) {
      const offset = sp.cryptoSend.peekOffset();
      const maxData = w.remaining - 1 - varintLength(offset) - varintLength(w.remaining);
      if (maxData <= 0) break;
      const e = sp.cryptoSend.emit(maxData);
      if (!e) break;
      encodeFrame(w, { type: 'crypto', offset: e.offset, data: e.data });
      frames.push({ k: 'crypto', space: s, offset: e.offset, len: e.data.length });
      ackEliciting = true;
    }
    if (s === 2 && (c.handshakeInfo || c.side === 'server' || early)) {
      ackEliciting = writeApplicationFrames(c, w, frames, now) || ackEliciting;
    }
    // A probe must elicit an ACK (RFC 9002 §6.2.4); so must, now and then, a run of ACK-only packets, or a peer
    // with nothing to send would never acknowledge them and we would track them forever (RFC 9000 §13.2.4).
    const elicit = sp.probes > 0 || (s === 2 && !early && frames.length > 0 && sp.ackOnlyRun >= ELICIT_AFTER_ACK_ONLY);
    if (!ackEliciting && elicit && w.remaining >= 1) {
      encodeFrame(w, { type: 'ping' });
      frames.push({ k: 'ping' });
      ackEliciting = true;
    }
  }
  if (frames.length === 0) return start;

  // Padding: the header-protection sample needs pn + payload >= 4 bytes (RFC 9001 §5.4.2), Initials need 1200-byte datagrams.
  let padding = Math.max(0, 4 - pnLength - (w.pos - payloadStart));
  if (padTo > 0) padding = Math.max(padding, padTo - TAG - w.pos);
  padding = Math.min(padding, w.remaining);
  if (padding > 0) w.zeros(padding);
  const payloadEnd = w.pos;
  if (lengthInfo) patchLength(buf, lengthInfo, payloadEnd - pnOffset + TAG);
  const end = protect(keys, s === 2 && !early, pn, buf, start, pnOffset, payloadStart, payloadEnd);
  sp.nextPn++;
  const size = end - start;
  const inFlight = ackEliciting || padding > 0;
  sp.ackOnlyRun = ackEliciting ? 0 : sp.ackOnlyRun + 1;
  c.recovery.onPacketSent(s, { pn, timeSent: now, size, ackEliciting, inFlight, ecn: c.sendingMarked, data: { frames, gen: s === 2 && !early ? (keys as KeyPhase).writeGeneration : 0, zeroRtt: early } });
  if (c.sendingMarked) c.ecn.onMarkedSent(s);
  if (s === 2 && !early) {
    c.packetsThisKeyPhase++;
    maybeSkipPacketNumber(sp, c.recovery as LossDetection<unknown>, c.random);
  }
  c.stats.packetsSent++;
  if (ackEliciting) {
    if (sp.probes > 0) sp.probes--;
    c.onAckElicitingSent(now);
    c.pacer.onSent(size);
  }
  // Per-packet qlog records are built only when someone listens (no allocation per packet otherwise).
  if (c.hooks.qlog) c.qlog(now, 'transport:packet_sent', { header: { packet_type: s === 0 ? 'initial' : s === 1 ? 'handshake' : early ? '0RTT' : '1RTT', packet_number: pn }, raw: { length: size }, frames: frames.map((f) => ({ frame_type: f.k })) });
  return end;
}

/** Seal the payload in place, then apply header protection (RFC 9001 §5.3, §5.4); returns the packet's end. */
function protect(keys: DirectionalKeys | KeyPhase, oneRtt: boolean, pn: number, buf: Uint8Array, start: number, pnOffset: number, payloadStart: number, payloadEnd: number): number {
  const packetKey = oneRtt ? (keys as KeyPhase).writeKey : (keys as DirectionalKeys).packet;
  packetKey.sealInPlace(pn, buf, start, payloadStart, payloadEnd);
  const end = payloadEnd + TAG;
  (oneRtt ? (keys as KeyPhase).writeHeader : (keys as DirectionalKeys).header).protect(buf.subarray(start, end), pnOffset - start);
  return end;
}

/**
 * RFC 9001 §6: a periodic key update once the handshake is confirmed, and in
 * any case before the confidentiality limit of the AEAD (§6.6) is reached.
 */
function maybeUpdateKeys(c: Connection, now: number): void {
  const k = c.oneRtt;
  if (!k || !c.handshakeConfirmed || !k.canInitiate) return;
  const interval = c.settings.keyUpdateInterval;
  const limit = k.writeKey.confidentialityLimit * 0.75;
  if ((interval > 0 && c.packetsThisKeyPhase >= interval) || c.packetsThisKeyPhase >= limit) c.keyUpdate(now);
}

/**
 * RFC 9000 §8.2.2: a PATH_RESPONSE owed on a path other than the current one
 * (the peer probing a new path, or anyone spoofing a source address) goes
 * alone, to that path, padded to 1200 bytes only as far as that address's
 * amplification allowance goes (§8.1, §9.3) — and not at all when the
 * allowance cannot hold the packet. It is not congestion-controlled or
 * retransmitted on the current path: it is counted against the allowance
 * of the address it goes to, not in the current path's bytes in flight.
 * Null when none can be sent.
 */
export function buildPathResponse(c: Connection): { path: Connection['path']; data: Uint8Array } | null {
  const keys = c.oneRtt;
  if (!keys) return null;
  for (let i = c.pathResponses.findIndex((x) => !samePath(x.path, c.path)); i >= 0; i = c.pathResponses.findIndex((x) => !samePath(x.path, c.path))) {
    const r = c.pathResponses.splice(i, 1)[0]!;
    const sp = c.spaces[2];
    const dcid = c.remoteCids.current.cid;
    const pn = sp.nextPn;
    const largestAcked = c.recovery.largestAcked(2);
    const pnLength = packetNumberLength(pn, largestAcked < 0 ? undefined : largestAcked);
    const size = Math.min(MIN_INITIAL_DATAGRAM, c.amplification.allowance(r.path));
    // Header, the 9-byte frame, the tag: anything less cannot go (the header-protection sample fits then too).
    if (size < 1 + dcid.length + pnLength + 9 + TAG) continue;
    const buf = new Uint8Array(size);
    const w = new Writer(buf, 0, size - TAG);
    const pnOffset = writeShortHeader(w, { dcid, pnLength, truncatedPn: truncatePacketNumber(pn, pnLength), keyPhase: keys.keyPhaseBit === 1 });
    const payloadStart = w.pos;
    encodeFrame(w, { type: 'path_response', data: r.data });
    w.zeros(w.remaining);
    const end = protect(keys, true, pn, buf, 0, pnOffset, payloadStart, w.pos);
    sp.nextPn++;
    c.recovery.onUntrackedSent(2, pn);
    c.stats.packetsSent++;
    return { path: r.path, data: buf.subarray(0, end) };
  }
  return null;
}

/** A 1-RTT packet of exactly `size` bytes: PING and PADDING (RFC 9000 §14.4). */
function buildProbe(c: Connection, now: number, size: number): Uint8Array {
  const sp = c.spaces[2];
  const keys = c.oneRtt!;
  // Every byte of the probe is written (header, PING, PADDING, tag): a large one takes the work area with it.
  const buf = size < HAND_OFF ? new Uint8Array(size) : c.buffers.get(size);
  c.buffers.release(buf);
  const pn = sp.nextPn;
  const largestAcked = c.recovery.largestAcked(2);
  const pnLength = packetNumberLength(pn, largestAcked < 0 ? undefined : largestAcked);
  const w = new Writer(buf, 0, size - TAG);
  const pnOffset = writeShortHeader(w, { dcid: c.remoteCids.current.cid, pnLength, truncatedPn: truncatePacketNumber(pn, pnLength), keyPhase: keys.keyPhaseBit === 1 });
  const payloadStart = w.pos;
  encodeFrame(w, { type: 'ping' });
  w.zeros(w.remaining);
  protect(keys, true, pn, buf, 0, pnOffset, payloadStart, w.pos);
  sp.nextPn++;
  c.recovery.onPacketSent(2, { pn, timeSent: now, size, ackEliciting: true, inFlight: true, probe: true, ecn: c.sendingMarked, data: { frames: [{ k: 'pmtu', size }], gen: keys.writeGeneration } });
  // The probe's datagram carries the connection's ECN mark like any other: count it (RFC 9000 §13.4.2.2).
  if (c.sendingMarked) c.ecn.onMarkedSent(2);
  c.pmtu.onProbeSent(size);
  c.stats.packetsSent++;
  c.onAckElicitingSent(now);
  // Per-packet qlog records are built only when someone listens (no allocation per packet otherwise).
  if (c.hooks.qlog) c.qlog(now, 'transport:packet_sent', { header: { packet_type: '1RTT', packet_number: pn }, raw: { length: size }, frames: [{ frame_type: 'ping' }, { frame_type: 'padding' }], is_mtu_probe_packet: true });
  return buf.subarray(0, size);
}

/** 1-RTT frames after ACK/CRYPTO: connection IDs, stream control, stream data. Returns true when any was written. */
function writeApplicationFrames(c: Connection, w: Writer, frames: SentFrame[], now: number): boolean {
  let wrote = false;
  for (const seq of c.localCids.pending) {
    const issued = c.localCids.get(seq);
    c.localCids.pending.delete(seq);
    if (!issued) continue;
    const f: Frame = { type: 'new_connection_id', sequence: seq, retirePriorTo: 0, connectionId: issued.cid, statelessResetToken: issued.resetToken };
    if (frameSize(f) > w.remaining) {
      c.localCids.pending.add(seq);
      break;
    }
    encodeFrame(w, f);
    frames.push({ k: 'new_connection_id', seq });
    wrote = true;
  }
  // Path validation (RFC 9000 §8.2): our challenge, and responses owed on the current path.
  const ch = c.pathChallenge;
  if (ch?.pending && ch.path === c.path && w.remaining >= 9) {
    encodeFrame(w, { type: 'path_challenge', data: ch.data });
    frames.push({ k: 'path' });
    ch.pending = false;
    ch.sentAt = now;
    wrote = true;
  }
  for (let i = 0; i < c.pathResponses.length && w.remaining >= 9; ) {
    // Responses for other paths go in their own datagram (buildPathResponse).
    const r = c.pathResponses[i]!;
    if (!samePath(r.path, c.path)) {
      i++;
      continue;
    }
    encodeFrame(w, { type: 'path_response', data: r.data });
    frames.push({ k: 'path' });
    c.pathResponses.splice(i, 1);
    wrote = true;
  }
  if (c.newTokenPending && c.handshakeConfirmed) {
    const f: Frame = { type: 'new_token', token: c.newTokenPending };
    if (frameSize(f) <= w.remaining) {
      encodeFrame(w, f);
      frames.push({ k: 'new_token', token: c.newTokenPending });
      c.newTokenPending = undefined;
      wrote = true;
    }
  }
  for (const seq of c.remoteCids.toRetire) {
    if (w.remaining < 9) break;
    c.remoteCids.toRetire.delete(seq);
    encodeFrame(w, { type: 'retire_connection_id', sequence: seq });
    frames.push({ k: 'retire_connection_id', seq });
    wrote = true;
  }
  for (let ctl = c.streams.pollControl(w.remaining); ctl; ctl = c.streams.pollControl(w.remaining)) {
    encodeFrame(w, ctl.frame);
    frames.push(ctl.rec);
    wrote = true;
  }
  // DATAGRAM frames (RFC 9221 §5): before stream data, never retransmitted, congestion controlled with the packet.
  while (c.datagramQueue.length > 0) {
    const f: Frame = { type: 'datagram', data: c.datagramQueue[0]! };
    if (frameSize(f) > w.remaining) break;
    c.datagramQueue.shift();
    encodeFrame(w, f);
    frames.push({ k: 'datagram' });
    wrote = true;
  }
  while (w.remaining > 24) {
    const chunk = c.streams.pollStream(w.remaining);
    if (!chunk) break;
    writeStreamFrameHeader(w, chunk.id, chunk.offset, chunk.data.length, chunk.fin);
    w.bytes(chunk.data);
    frames.push({ k: 'stream', id: chunk.id, offset: chunk.offset, len: chunk.data.length, fin: chunk.fin });
    wrote = true;
  }
  return wrote;
}

/**
 * The closing state (RFC 9000 §10.2.1): CONNECTION_CLOSE in every space we
 * have keys for (the peer may not have 1-RTT keys yet, §10.2.3).
 */
function buildClose(c: Connection, now: number): Uint8Array | null {
  c.closeSendPending = false;
  const cf = c.closeFrame!;
  let max = c.maxDatagramSize;
  if (!c.peerAddressValidated) max = Math.min(max, c.amplification.allowance(c.path));
  if (max < MIN_PACKET) return null;
  const buf = new Uint8Array(max);
  let off = 0;
  for (const s of [0, 1, 2] as SpaceId[]) {
    const keys = writeKeysFor(c, s);
    if (!keys || max - off < MIN_PACKET) continue;
    // In Initial/Handshake an application close travels as APPLICATION_ERROR (§10.2.3).
    const frame: Frame =
      cf.application && s === 2
        ? { type: 'connection_close', application: true, errorCode: cf.code, reason: cf.reason }
        : { type: 'connection_close', application: false, errorCode: cf.application ? 0x0cn : cf.code, frameType: cf.application ? 0 : cf.frameType, reason: s === 2 ? cf.reason : '' };
    const sp = c.spaces[s];
    const pn = sp.nextPn;
    const pnLength = packetNumberLength(pn, undefined);
    const w = new Writer(buf, off, max - TAG);
    let pnOffset: number;
    let lengthInfo: ReturnType<typeof writeLongHeader> | undefined;
    if (s < 2) {
      lengthInfo = writeLongHeader(w, { type: s === 0 ? 'initial' : 'handshake', version: c.version, dcid: c.remoteCids.current.cid, scid: c.initialScid, pnLength, truncatedPn: truncatePacketNumber(pn, pnLength) });
      pnOffset = lengthInfo.pnOffset;
    } else pnOffset = writeShortHeader(w, { dcid: c.remoteCids.current.cid, pnLength, truncatedPn: truncatePacketNumber(pn, pnLength), keyPhase: (keys as KeyPhase).keyPhaseBit === 1 });
    const payloadStart = w.pos;
    if (frameSize(frame) > w.remaining) break;
    encodeFrame(w, frame);
    const minPad = Math.max(0, 4 - pnLength - (w.pos - payloadStart));
    if (c.side === 'client' && s === 0) w.zeros(Math.max(minPad, Math.min(w.remaining, MIN_INITIAL_DATAGRAM - TAG - w.pos)));
    else if (minPad > 0) w.zeros(minPad);
    if (lengthInfo) patchLength(buf, lengthInfo, w.pos - pnOffset + TAG);
    const end = protect(keys, s === 2, pn, buf, off, pnOffset, payloadStart, w.pos);
    sp.nextPn++;
    off = end;
    c.stats.packetsSent++;
  }
  void now;
  return off > 0 ? buf.subarray(0, off) : null;
}
