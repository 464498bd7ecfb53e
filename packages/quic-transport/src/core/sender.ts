/**
 * @module core/sender
 * Building datagrams (RFC 9000 §12.2, §13, §14; RFC 9002 §7): coalesce
 * Initial, Handshake and 1-RTT packets into one datagram, fill each with
 * frames in priority order (ACK, HANDSHAKE_DONE, CRYPTO, connection-ID and
 * control frames, DATAGRAM, STREAM data, PING for probes), pad client
 * Initials to 1200 bytes, respect the anti-amplification limit, congestion
 * window and pacer, and hand each packet to loss recovery. Every packet —
 * also PMTU probes, PATH_RESPONSEs to other paths and CONNECTION_CLOSE — is
 * made by the packet builder (core/packet-builder.ts).
 */
import { encodeFrame, frameSize, varintLength, writeStreamFrameHeader, type Frame, type Writer } from '@tsquic/quic-wire';
import type { Connection } from './connection.js';
import type { CloseFrame } from './lifecycle.js';
import { PacketBuilder, type PacketHeaderSpec } from './packet-builder.js';
import type { LossDetection, SpaceId } from './recovery/loss-detection.js';
import { maybeSkipPacketNumber } from './recovery/pn-skip.js';
import { ETHERNET } from './pmtud.js';
import type { Path, SentFrame } from './types.js';
import type { WriteKeys } from './crypto-state.js';
import type { SendBuffer } from './streams/send-buffer.js';

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
const SPACES: readonly SpaceId[] = [0, 1, 2];
const QLOG_TYPE = { initial: 'initial', handshake: 'handshake', '0rtt': '0RTT', '1rtt': '1RTT' } as const;

/**
 * What a datagram may carry now: every frame; or, with the congestion window
 * full or the pacer waiting, PATH_CHALLENGE / PATH_RESPONSE owed on the
 * current path — probing frames do not wait behind data (RFC 9000 §9.4: "a
 * sender can make exceptions for probe packets") — and ACKs; or ACKs alone.
 */
type Allowed = 'all' | 'path' | 'ack';

/** The header of the next packet of `space` on the current path. */
function header(c: Connection, space: SpaceId, k: WriteKeys, largestAcked = c.recovery.largestAcked(space)): PacketHeaderSpec {
  const h: PacketHeaderSpec = { kind: k.kind, version: c.crypto.version, dcid: c.remoteCids.current.cid, scid: c.hs.initialScid, pn: c.spaces[space].nextPn, largestAcked, keyPhase: k.keyPhase };
  if (space === 0 && c.side === 'client' && c.hs.token) h.token = c.hs.token;
  return h;
}

/** The next datagram to send, or null when there is nothing (or no allowance) to send. */
export function buildDatagram(c: Connection, now: number): Uint8Array | null {
  // RFC 9000 §8.1, §9.3: before validation we send at most 3x what we received from that address.
  const max = Math.min(c.maxDatagramSize, c.paths.allowance());
  if (max < MIN_PACKET) return null;
  const r = c.recovery;
  const probing = c.spaces[0].probes > 0 || c.spaces[1].probes > 0 || c.spaces[2].probes > 0;
  let eliciting = probing || r.bytesInFlight < r.cc.window;
  c.pacingDeadline = 0;
  if (eliciting && !probing && c.settings.pacing && r.rtt.hasSample) {
    const wait = c.pacer.delay(now, max, r.cc.window, r.rtt.smoothedRtt);
    if (wait > 0) {
      c.pacingDeadline = now + wait;
      eliciting = false;
    }
  }
  // RFC 9001 §6: a periodic key update, and one before the AEAD's confidentiality limit (§6.6).
  if (c.crypto.keyUpdateDue(c.settings.keyUpdateInterval)) c.keyUpdate(now);
  // RFC 8899: a PMTU probe travels alone, once the handshake is confirmed and the connection has sent
  // PROBE_AFTER_BYTES (a short connection never probes). It takes room in the congestion
  // window (RFC 9000 §14.4). After slow start new data waits until the probe fits, or a sender that keeps
  // the window full would never find room for a probe larger than what one ACK frees. In slow start a
  // probe only takes the room pacing leaves, and one beyond Ethernet's size at most an eighth of the
  // window: a lost jumbo probe holds its bytes for a round trip, and the gap it leaves drains the
  // bottleneck's queue between rounds, hiding the RTT growth HyStart++ watches for (RFC 9406 §4.2).
  if (eliciting && c.hs.confirmed && c.crypto.oneRtt && c.paths.validated) {
    const size = c.pmtu.probeSize(now, r.cc.window, c.stats.bytesSent);
    const slowStart = r.cc.slowStartPhase !== 'done';
    if (size > 0 && r.bytesInFlight + size <= r.cc.window && (!slowStart || size <= ETHERNET || size <= r.cc.window / 8)) return buildProbe(c, now, size);
    if (size > 0 && !slowStart) eliciting = false;
  }
  const allowed: Allowed = eliciting ? 'all' : c.crypto.oneRtt && c.paths.owesOnPath() ? 'path' : 'ack';
  // The spaces with something to send, as bits (no array per datagram), and the last of them.
  let want = 0;
  let last = -1;
  for (const s of SPACES) {
    if (wantsToSend(c, s, allowed, now)) {
      want |= 1 << s;
      last = s;
    }
  }
  if (want === 0) return null;
  // Padding: a client pads every datagram with an Initial; a server those with ack-eliciting Initials.
  const initialEliciting = (want & 1) !== 0 && (c.spaces[0].cryptoSend.hasPending() || c.spaces[0].probes > 0);
  const pad = (want & 1) !== 0 && (c.side === 'client' || initialEliciting);
  if (pad && max < MIN_INITIAL_DATAGRAM && c.side === 'server' && initialEliciting) return null; // wait for more bytes from the client (§8.1)
  const buf = c.buffers.reserve(max);
  const base = c.buffers.start;
  const limit = base + max;
  let off = base;
  let sentHandshake = false;
  for (const s of SPACES) {
    if ((want & (1 << s)) === 0) continue;
    const padTo = pad && s === last ? base + Math.min(MIN_INITIAL_DATAGRAM, max) : 0;
    const end = buildPacket(c, s, buf, off, limit - off, now, allowed, padTo);
    if (end > off) {
      off = end;
      if (s === 1) sentHandshake = true;
    }
    if (limit - off < MIN_PACKET) break;
  }
  if (off === base) return null;
  // RFC 9001 §4.9.1: a client discards Initial keys when it first sends a Handshake packet.
  if (sentHandshake && c.side === 'client' && !c.spaces[0].discarded) c.discardSpace(0, now);
  return c.buffers.take(off - base);
}

function wantsToSend(c: Connection, s: SpaceId, allowed: Allowed, now: number): boolean {
  const sp = c.spaces[s];
  if (sp.discarded || !c.crypto.hasWriteKeys(s)) return false;
  // RFC 9000 §13.2.1, §13.2.2: an ACK alone goes only when one is due (Initial/Handshake, the threshold, reordering,
  // CE, max_ack_delay run out); an ACK not yet due rides on a packet that goes anyway (buildPacket puts it first).
  if (sp.ack.ackDue(now)) return true;
  if (sp.probes > 0) return true;
  if (allowed !== 'all') return allowed === 'path' && s === 2;
  if (sp.cryptoSend.hasPending()) return true;
  if (s !== 2) return false;
  if (c.pending.handshakeDone) return true;
  if (!c.hs.info && c.side === 'client' && !c.crypto.sendsZeroRtt) return false; // no 1-RTT data before the handshake completes
  return c.localCids.pending.size > 0 || c.remoteCids.toRetire.size > 0 || c.datagrams.items.length > 0 || c.paths.owesOnPath() || (c.pending.newToken !== undefined && c.hs.confirmed) || c.streams.hasControl || c.streams.hasStreamData;
}

/** Build one packet of space `s` at `start`; returns its end (== start when nothing was written). */
function buildPacket(c: Connection, s: SpaceId, buf: Uint8Array, start: number, room: number, now: number, allowed: Allowed, padTo: number): number {
  const sp = c.spaces[s];
  const k = c.crypto.writeKeys(s)!;
  const early = k.kind === '0rtt';
  const b = PacketBuilder.start(buf, start, room, header(c, s, k), k.keys);
  if (!b) return start;
  const w = b.w;
  const frames: SentFrame[] = [];
  let ackEliciting = false;

  // ACK first: it is never congestion-controlled (RFC 9002 §7). 0-RTT packets carry no ACK (RFC 9000 §12.4).
  if (!early) writeAck(c, s, w, now, 0, frames);

  // RFC 9000 §8.2.1, §8.2.2: a datagram with a PATH_CHALLENGE or PATH_RESPONSE is expanded to 1200 bytes (within the 3x limit: the room).
  const pathFrames = s === 2 && c.paths.owesOnPath();
  if (allowed === 'all' || sp.probes > 0) {
    if (s === 2 && !early && c.pending.handshakeDone && w.remaining >= 1) {
      encodeFrame(w, { type: 'handshake_done' });
      frames.push({ k: 'handshake_done' });
      c.pending.handshakeDone = false;
      ackEliciting = true;
    }
    if (writeCryptoFrames(w, s, sp.cryptoSend, 0, frames)) ackEliciting = true;
    if (s === 2 && (c.hs.info || c.side === 'server' || early)) {
      if (!early) c.ackFrequency.update(c);
      ackEliciting = writeApplicationFrames(c, w, frames, now, early, ackEliciting) || ackEliciting;
    }
    // A probe must elicit an ACK (RFC 9002 §6.2.4); so must, now and then, a run of ACK-only packets, or a peer
    // with nothing to send would never acknowledge them and we would track them forever (RFC 9000 §13.2.4).
    const elicit = sp.probes > 0 || (s === 2 && !early && frames.length > 0 && sp.ackOnlyRun >= ELICIT_AFTER_ACK_ONLY);
    if (!ackEliciting && elicit && w.remaining >= 1) {
      encodeFrame(w, { type: 'ping' });
      frames.push({ k: 'ping' });
      ackEliciting = true;
    }
  } else if (allowed === 'path' && s === 2) ackEliciting = writePathFrames(c, w, frames, now);
  if (frames.length === 0) return start;
  if (pathFrames && frames.some((f) => f.k === 'path')) padTo = Math.max(padTo, start + Math.min(MIN_INITIAL_DATAGRAM, room));

  const { end, padding } = b.finish(padTo);
  const pn = b.pn;
  sp.nextPn++;
  const size = end - start;
  const inFlight = ackEliciting || padding > 0;
  sp.ackOnlyRun = ackEliciting ? 0 : sp.ackOnlyRun + 1;
  c.recovery.onPacketSent(s, { pn, timeSent: now, size, ackEliciting, inFlight, ecn: c.sendingMarked, data: { frames, gen: k.gen, zeroRtt: early } });
  if (c.sendingMarked) c.paths.ecn.onMarkedSent(s);
  if (k.kind === '1rtt') {
    c.crypto.packetsThisKeyPhase++;
    maybeSkipPacketNumber(sp, c.recovery as LossDetection<unknown>, c.random);
  }
  c.stats.packetsSent++;
  if (ackEliciting) {
    if (sp.probes > 0) sp.probes--;
    c.idle.onAckElicitingSent(now);
    c.pacer.onSent(size);
  }
  // Per-packet qlog records are built only when someone listens (no allocation per packet otherwise).
  if (c.hooks.qlog) c.qlog(now, 'transport:packet_sent', { header: { packet_type: QLOG_TYPE[k.kind], packet_number: pn }, raw: { length: size }, frames: frames.map((f) => ({ frame_type: f.k })) });
  return end;
}

/** A 1-RTT packet of exactly `size` bytes: PING and PADDING (RFC 9000 §14.4, RFC 8899). */
function buildProbe(c: Connection, now: number, size: number): Uint8Array {
  const sp = c.spaces[2];
  const k = c.crypto.writeKeys(2)!;
  // Every byte of the probe is written (header, PING, PADDING, tag).
  const buf = c.buffers.reserve(size);
  const start = c.buffers.start;
  const b = PacketBuilder.start(buf, start, size, header(c, 2, k), k.keys)!;
  encodeFrame(b.w, { type: 'ping' });
  b.finish(start + size);
  const pn = b.pn;
  sp.nextPn++;
  c.recovery.onPacketSent(2, { pn, timeSent: now, size, ackEliciting: true, inFlight: true, probe: true, ecn: c.sendingMarked, data: { frames: [{ k: 'pmtu', size }], gen: k.gen } });
  // The probe's datagram carries the connection's ECN mark like any other: count it (RFC 9000 §13.4.2.2).
  if (c.sendingMarked) c.paths.ecn.onMarkedSent(2);
  c.pmtu.onProbeSent(size);
  c.stats.packetsSent++;
  c.idle.onAckElicitingSent(now);
  if (c.hooks.qlog) c.qlog(now, 'transport:packet_sent', { header: { packet_type: '1RTT', packet_number: pn }, raw: { length: size }, frames: [{ frame_type: 'ping' }, { frame_type: 'padding' }], is_mtu_probe_packet: true });
  return c.buffers.take(size);
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
export function buildPathResponse(c: Connection): { path: Path; data: Uint8Array } | null {
  // Asked before every datagram: nothing owed (nearly always) costs no key lookup.
  if (c.paths.responses.length === 0) return null;
  const k = c.crypto.writeKeys(2);
  if (k?.kind !== '1rtt') return null;
  for (let r = c.paths.takeOffPathResponse(); r; r = c.paths.takeOffPathResponse()) {
    const size = Math.min(MIN_INITIAL_DATAGRAM, c.paths.amplification.allowance(r.path));
    const buf = new Uint8Array(Math.max(0, size));
    const b = PacketBuilder.start(buf, 0, size, header(c, 2, k), k.keys);
    // Header, the 9-byte frame, the tag: anything less cannot go.
    if (!b || b.w.remaining < 9) continue;
    encodeFrame(b.w, { type: 'path_response', data: r.data });
    const { end } = b.finish(size);
    c.spaces[2].nextPn++;
    c.recovery.onUntrackedSent(2, b.pn);
    c.stats.packetsSent++;
    c.stats.bytesSent += end;
    c.paths.onSent(r.path, end);
    return { path: r.path, data: buf.subarray(0, end) };
  }
  return null;
}

/**
 * 1-RTT frames after ACK/CRYPTO: connection IDs, path validation, tokens, ACK_FREQUENCY, stream control, datagrams,
 * stream data, and IMMEDIATE_ACK on a probe or on the last data before we run out (draft-ietf-quic-ack-frequency §8,
 * §9.1.1: a tail never waits for a delayed ACK). Returns true when any was written.
 */
function writeApplicationFrames(c: Connection, w: Writer, frames: SentFrame[], now: number, early: boolean, eliciting: boolean): boolean {
  const before = frames.length;
  for (const seq of c.localCids.pending) {
    const issued = c.localCids.get(seq);
    if (issued && !put(w, frames, { type: 'new_connection_id', sequence: seq, retirePriorTo: 0, connectionId: issued.cid, statelessResetToken: issued.resetToken }, { k: 'new_connection_id', seq })) break;
    c.localCids.pending.delete(seq);
  }
  writePathFrames(c, w, frames, now);
  if (c.pending.newToken && c.hs.confirmed) {
    const token = c.pending.newToken === true ? (c.pending.newToken = c.newTokenFactory!()) : c.pending.newToken;
    if (put(w, frames, { type: 'new_token', token }, { k: 'new_token', token })) c.pending.newToken = undefined;
  }
  for (const seq of c.remoteCids.toRetire) {
    if (!put(w, frames, { type: 'retire_connection_id', sequence: seq }, { k: 'retire_connection_id', seq })) break;
    c.remoteCids.toRetire.delete(seq);
  }
  // ACK_FREQUENCY rides on a packet that elicits an ACK anyway: on its own it would make an ACK-only packet one the
  // peer must acknowledge, a datagram each way for nothing (after every handshake, before this rule).
  const af = early ? undefined : c.ackFrequency.pending;
  const ridesAlong = eliciting || frames.length > before || c.streams.hasControl || c.streams.hasStreamData || c.datagrams.items.length > 0;
  if (af && ridesAlong && put(w, frames, af, { k: 'ack_frequency', seq: af.sequence })) c.ackFrequency.pending = undefined;
  for (let ctl = c.streams.pollControl(w.remaining); ctl; ctl = c.streams.pollControl(w.remaining)) put(w, frames, ctl.frame, ctl.rec);
  // DATAGRAM frames (RFC 9221 §5): before stream data, never retransmitted, congestion controlled with the packet.
  while (c.datagrams.items.length > 0 && put(w, frames, { type: 'datagram', data: c.datagrams.items[0]! }, { k: 'datagram' })) c.datagrams.items.shift();
  let sentData = false;
  while (w.remaining > 24) {
    const chunk = c.streams.pollStream(w.remaining);
    if (!chunk) break;
    writeStreamFrameHeader(w, chunk.id, chunk.offset, chunk.data.length, chunk.fin);
    w.bytes(chunk.data);
    frames.push({ k: 'stream', id: chunk.id, offset: chunk.offset, len: chunk.data.length, fin: chunk.fin });
    sentData = true;
  }
  if (!early && c.ackFrequency.reduced && ((sentData && !c.streams.hasStreamData) || c.spaces[2].probes > 0)) put(w, frames, { type: 'immediate_ack' }, { k: 'immediate_ack' });
  return frames.length > before;
}

/** Write `f` and record it when it fits (a module function: no closure per packet). */
function put(w: Writer, frames: SentFrame[], f: Frame, rec: SentFrame): boolean {
  if (frameSize(f) > w.remaining) return false;
  encodeFrame(w, f);
  frames.push(rec);
  return true;
}

/** Path validation (RFC 9000 §8.2): our PATH_CHALLENGE, and PATH_RESPONSEs owed on the current path. Returns true when any was written. */
function writePathFrames(c: Connection, w: Writer, frames: SentFrame[], now: number): boolean {
  let wrote = false;
  if (w.remaining >= 9) {
    const data = c.paths.takeChallenge(now);
    if (data) {
      encodeFrame(w, { type: 'path_challenge', data });
      frames.push({ k: 'path' });
      wrote = true;
    }
  }
  while (w.remaining >= 9) {
    const data = c.paths.takeOnPathResponse();
    if (!data) break;
    encodeFrame(w, { type: 'path_response', data });
    frames.push({ k: 'path' });
    wrote = true;
  }
  return wrote;
}

/**
 * CRYPTO frames (RFC 9000 §19.6) from a space's send buffer, retransmissions
 * first (the buffer orders them), while the packet has room beyond `reserve`
 * bytes; true when any was written. A tracked packet lists each in `frames`.
 */
function writeCryptoFrames(w: Writer, s: SpaceId, send: SendBuffer, reserve: number, frames?: SentFrame[]): boolean {
  let wrote = false;
  for (let room = w.remaining - reserve; send.hasPending() && room > 8; room = w.remaining - reserve) {
    const offset = send.peekOffset();
    const maxData = room - 1 - varintLength(offset) - varintLength(room);
    if (maxData <= 0) break;
    const e = send.emit(maxData);
    if (!e) break;
    encodeFrame(w, { type: 'crypto', offset: e.offset, data: e.data });
    frames?.push({ k: 'crypto', space: s, offset: e.offset, len: e.data.length });
    wrote = true;
  }
  return wrote;
}

/**
 * The ACK frame `s` owes, if any, within `w`'s room less `reserve` (ranges
 * beyond the first dropped to fit); a tracked packet lists it in `frames`.
 */
function writeAck(c: Connection, s: SpaceId, w: Writer, now: number, reserve: number, frames?: SentFrame[]): void {
  const sp = c.spaces[s];
  if (!sp.ack.hasNewAck) return;
  const a = sp.ack.build(now, s === 2 ? c.settings.ackDelayExponent : 3);
  if (!a) return;
  const f: Frame = { type: 'ack', largest: a.largest, ackDelay: a.ackDelay, ranges: a.ranges };
  if (a.ecn) f.ecn = a.ecn;
  const room = w.remaining - reserve;
  while (f.ranges.length > 1 && frameSize(f) > room) f.ranges.pop();
  if (frameSize(f) > room) return;
  encodeFrame(w, f);
  frames?.push({ k: 'ack', largest: a.largest });
  sp.ack.onAckSent();
}

/**
 * The closing state (RFC 9000 §10.2.1): CONNECTION_CLOSE in every space we
 * have keys for (the peer may not have 1-RTT keys yet, §10.2.3) — except a
 * client's Initial once it has Handshake keys: the server has them too
 * (§10.2.3, "a client will always know whether the server has Handshake
 * keys"), and a close it read in an Initial would end its handshake before
 * the client's Finished. A Finished not sent yet (a client that closes as
 * soon as it is ready) goes out first, in the same Handshake packet, so the
 * server completes its handshake and then reads the close. Its ACK of the
 * server's Handshake flight leads that packet: the server's only RTT sample
 * (RFC 9002 §5.1), without which it would drain for three PTOs of the
 * initial 333 ms RTT (~3 s, holding the connection) rather than of the path's.
 */
export function buildClose(c: Connection, cf: CloseFrame, now: number): Uint8Array | null {
  const max = Math.min(c.maxDatagramSize, c.paths.allowance());
  if (max < MIN_PACKET) return null;
  const buf = new Uint8Array(max);
  let off = 0;
  const serverHasHandshakeKeys = c.side === 'client' && c.crypto.hasWriteKeys(1) && !c.spaces[1].discarded;
  for (const s of SPACES) {
    const k = c.crypto.writeKeys(s);
    if (!k || c.spaces[s].discarded || max - off < MIN_PACKET || (s === 0 && serverHasHandshakeKeys)) continue;
    // In Initial/Handshake an application close travels as APPLICATION_ERROR (§10.2.3).
    const frame: Frame =
      cf.application && s === 2
        ? { type: 'connection_close', application: true, errorCode: cf.code, reason: cf.reason }
        : { type: 'connection_close', application: false, errorCode: cf.application ? 0x0cn : cf.code, frameType: cf.application ? 0 : cf.frameType, reason: s === 2 ? cf.reason : '' };
    const b = PacketBuilder.start(buf, off, max - off, header(c, s, k, -1), k.keys);
    if (!b || frameSize(frame) > b.w.remaining) break;
    if (s === 1 && serverHasHandshakeKeys && c.spaces[1].cryptoSend.hasPending()) {
      writeAck(c, 1, b.w, now, frameSize(frame));
      writeCryptoFrames(b.w, 1, c.spaces[1].cryptoSend, frameSize(frame));
    }
    encodeFrame(b.w, frame);
    off = b.finish(c.side === 'client' && s === 0 ? MIN_INITIAL_DATAGRAM : 0).end;
    c.spaces[s].nextPn++;
    c.stats.packetsSent++;
  }
  return off > 0 ? buf.subarray(0, off) : null;
}
