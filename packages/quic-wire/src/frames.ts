/**
 * @module frames
 * Every frame of RFC 9000 §19, the DATAGRAM frame of RFC 9221 §4 and the
 * ACK_FREQUENCY and IMMEDIATE_ACK frames of draft-ietf-quic-ack-frequency §4–§5: plain
 * tagged objects, `encodeFrame` / `frameSize` / `decodeFrame`, and
 * `decodeFrames` for a whole packet payload with the §12.4 checks (frame type
 * minimally encoded, known, allowed in the packet type, at least one frame).
 *
 * Byte fields of decoded frames are views into the payload (no copies).
 */
import { QuicWireError, TransportErrorCode } from './errors.js';
import { FrameType, frameAllowedIn, isKnownFrameType, type PacketSpaceType } from './frame-types.js';
import { Reader } from './reader.js';
import { VARINT_MAX, varintLength, varintLengthBig } from './varint.js';
import type { Writer } from './writer.js';

/** An inclusive packet number range [smallest, largest]; ACK frames list them largest first. */
export type AckRange = [smallest: number, largest: number];

/** The ECN counts of an ACK_ECN frame (RFC 9000 §19.3.2). */
export interface EcnCounts {
  ect0: number;
  ect1: number;
  ce: number;
}

/** Every frame of RFC 9000 §19, DATAGRAM (RFC 9221 §4), ACK_FREQUENCY and IMMEDIATE_ACK (draft-ietf-quic-ack-frequency), tagged by `type`; error codes are bigints, the other integers numbers. */
export type Frame =
  | { type: 'padding'; length: number }
  | { type: 'ping' }
  | { type: 'ack'; largest: number; ackDelay: number; ranges: AckRange[]; ecn?: EcnCounts }
  | { type: 'reset_stream'; streamId: number; errorCode: bigint; finalSize: number }
  | { type: 'stop_sending'; streamId: number; errorCode: bigint }
  | { type: 'crypto'; offset: number; data: Uint8Array }
  | { type: 'new_token'; token: Uint8Array }
  | { type: 'stream'; streamId: number; offset: number; data: Uint8Array; fin: boolean }
  | { type: 'max_data'; maximum: number }
  | { type: 'max_stream_data'; streamId: number; maximum: number }
  | { type: 'max_streams'; bidi: boolean; maximum: number }
  | { type: 'data_blocked'; limit: number }
  | { type: 'stream_data_blocked'; streamId: number; limit: number }
  | { type: 'streams_blocked'; bidi: boolean; limit: number }
  | { type: 'new_connection_id'; sequence: number; retirePriorTo: number; connectionId: Uint8Array; statelessResetToken: Uint8Array }
  | { type: 'retire_connection_id'; sequence: number }
  | { type: 'path_challenge'; data: Uint8Array }
  | { type: 'path_response'; data: Uint8Array }
  | { type: 'connection_close'; application: false; errorCode: bigint; frameType: number; reason: string }
  | { type: 'connection_close'; application: true; errorCode: bigint; reason: string }
  | { type: 'handshake_done' }
  | { type: 'datagram'; data: Uint8Array }
  /** draft-ietf-quic-ack-frequency §4; `requestedMaxAckDelay` in microseconds. */
  | { type: 'ack_frequency'; sequence: number; ackElicitingThreshold: number; requestedMaxAckDelay: number; reorderingThreshold: number }
  | { type: 'immediate_ack' };

/** The member of `Frame` with the given `type`. */
export type FrameOf<T extends Frame['type']> = Extract<Frame, { type: T }>;

/** Encoding options: the last frame of a packet may omit STREAM/DATAGRAM Length (RFC 9000 §19.8, RFC 9221 §4). */
export interface EncodeOptions {
  omitLength?: boolean;
}

const MAX_STREAMS_LIMIT = 2 ** 60; // RFC 9000 §19.11, §19.14
const MAX_CID_LENGTH = 20;
const utf8 = new TextEncoder();
const NO_REASON = new Uint8Array(0);
/** A CONNECTION_CLOSE reason phrase as UTF-8 (RFC 9000 §19.19); the usual empty one without an encode. */
const reasonBytes = (reason: string): Uint8Array => (reason === '' ? NO_REASON : utf8.encode(reason));
const utf8d = new TextDecoder('utf-8', { fatal: false });

const v = varintLength;

type TypeCode<T extends Frame['type']> = number | ((f: FrameOf<T>, omitLength: boolean) => number);

/** Each frame's type code point (RFC 9000 §19, RFC 9221 §4): fixed, or picked by the frame's fields. */
const TYPE_CODE: { [T in Frame['type']]: TypeCode<T> } = {
  padding: FrameType.PADDING,
  ping: FrameType.PING,
  ack: (f) => (f.ecn ? FrameType.ACK_ECN : FrameType.ACK),
  reset_stream: FrameType.RESET_STREAM,
  stop_sending: FrameType.STOP_SENDING,
  crypto: FrameType.CRYPTO,
  new_token: FrameType.NEW_TOKEN,
  // RFC 9000 §19.8: OFF 0x04, LEN 0x02, FIN 0x01.
  stream: (f, omitLength) => FrameType.STREAM | (f.offset > 0 ? 0x04 : 0) | (omitLength ? 0 : 0x02) | (f.fin ? 0x01 : 0),
  max_data: FrameType.MAX_DATA,
  max_stream_data: FrameType.MAX_STREAM_DATA,
  max_streams: (f) => (f.bidi ? FrameType.MAX_STREAMS_BIDI : FrameType.MAX_STREAMS_UNI),
  data_blocked: FrameType.DATA_BLOCKED,
  stream_data_blocked: FrameType.STREAM_DATA_BLOCKED,
  streams_blocked: (f) => (f.bidi ? FrameType.STREAMS_BLOCKED_BIDI : FrameType.STREAMS_BLOCKED_UNI),
  new_connection_id: FrameType.NEW_CONNECTION_ID,
  retire_connection_id: FrameType.RETIRE_CONNECTION_ID,
  path_challenge: FrameType.PATH_CHALLENGE,
  path_response: FrameType.PATH_RESPONSE,
  connection_close: (f) => (f.application ? FrameType.CONNECTION_CLOSE_APP : FrameType.CONNECTION_CLOSE),
  handshake_done: FrameType.HANDSHAKE_DONE,
  datagram: (_f, omitLength) => (omitLength ? FrameType.DATAGRAM : FrameType.DATAGRAM_LEN),
  ack_frequency: FrameType.ACK_FREQUENCY,
  immediate_ack: FrameType.IMMEDIATE_ACK,
};

/** The frame type code point `encodeFrame` writes for `f`. */
export function frameTypeCode(f: Frame, opts?: EncodeOptions): number {
  const code = TYPE_CODE[f.type] as TypeCode<typeof f.type>;
  return typeof code === 'number' ? code : code(f as never, opts?.omitLength === true);
}

/** ACK ranges as RFC 9000 §19.3.1 gap/length pairs; RangeError when they are not descending and disjoint. */
function ackRangeFields(f: FrameOf<'ack'>): number[] {
  const r = f.ranges;
  if (r.length === 0) throw new RangeError('an ACK frame needs at least one range');
  if (r[0]![1] !== f.largest) throw new RangeError('the first ACK range must end at largest');
  const out: number[] = [];
  let prevSmallest = -1;
  for (let i = 0; i < r.length; i++) {
    const [lo, hi] = r[i]!;
    if (!(lo >= 0) || hi < lo) throw new RangeError(`bad ACK range [${lo}, ${hi}]`);
    if (i === 0) out.push(hi - lo);
    else {
      // RFC 9000 §19.3.1: Gap = previous smallest - this largest - 2.
      const gap = prevSmallest - hi - 2;
      if (gap < 0) throw new RangeError('ACK ranges must be descending with gaps between them');
      out.push(gap, hi - lo);
    }
    prevSmallest = lo;
  }
  return out;
}

/** Exact encoded size of `f` in bytes. */
export function frameSize(f: Frame, opts?: EncodeOptions): number {
  switch (f.type) {
    case 'padding':
      return f.length;
    case 'ping':
    case 'handshake_done':
    case 'immediate_ack':
      return 1;
    case 'ack_frequency':
      return 2 + v(f.sequence) + v(f.ackElicitingThreshold) + v(f.requestedMaxAckDelay) + v(f.reorderingThreshold);
    case 'ack': {
      const fields = ackRangeFields(f);
      let n = 1 + v(f.largest) + v(f.ackDelay) + v(f.ranges.length - 1);
      for (const x of fields) n += v(x);
      if (f.ecn) n += v(f.ecn.ect0) + v(f.ecn.ect1) + v(f.ecn.ce);
      return n;
    }
    case 'reset_stream':
      return 1 + v(f.streamId) + varintLengthBig(f.errorCode) + v(f.finalSize);
    case 'stop_sending':
      return 1 + v(f.streamId) + varintLengthBig(f.errorCode);
    case 'crypto':
      return 1 + v(f.offset) + v(f.data.length) + f.data.length;
    case 'new_token':
      return 1 + v(f.token.length) + f.token.length;
    case 'stream':
      return streamFrameOverhead(f.streamId, f.offset, f.data.length, !opts?.omitLength) + f.data.length;
    case 'max_data':
      return 1 + v(f.maximum);
    case 'max_stream_data':
      return 1 + v(f.streamId) + v(f.maximum);
    case 'max_streams':
      return 1 + v(f.maximum);
    case 'data_blocked':
      return 1 + v(f.limit);
    case 'stream_data_blocked':
      return 1 + v(f.streamId) + v(f.limit);
    case 'streams_blocked':
      return 1 + v(f.limit);
    case 'new_connection_id':
      return 1 + v(f.sequence) + v(f.retirePriorTo) + 1 + f.connectionId.length + 16;
    case 'retire_connection_id':
      return 1 + v(f.sequence);
    case 'path_challenge':
    case 'path_response':
      return 9;
    case 'connection_close': {
      const reason = reasonBytes(f.reason).length;
      return 1 + varintLengthBig(f.errorCode) + (f.application ? 0 : v(f.frameType)) + v(reason) + reason;
    }
    case 'datagram':
      return 1 + (opts?.omitLength ? 0 : v(f.data.length)) + f.data.length;
  }
}

/** Bytes a STREAM frame spends before its data (type, id, offset when non-zero, Length when present). */
export function streamFrameOverhead(streamId: number, offset: number, dataLength: number, withLength = true): number {
  return 1 + v(streamId) + (offset > 0 ? v(offset) : 0) + (withLength ? v(dataLength) : 0);
}

/**
 * The most STREAM data that fits in a frame of at most `budget` bytes (with a
 * Length field), or -1 when not even an empty frame fits. The transport uses
 * it to fill a packet exactly.
 */
export function maxStreamDataThatFits(streamId: number, offset: number, budget: number): number {
  const room = budget - (1 + v(streamId) + (offset > 0 ? v(offset) : 0));
  // The Length varint grows with the length: take the best over each Length size (1, 2, 4, 8 bytes; once a packet).
  return Math.max(-1, Math.min(room - 1, 0x3f), Math.min(room - 2, 0x3fff), Math.min(room - 4, 0x3fffffff), room - 8);
}

/** Write `f` at the writer's position. */
export function encodeFrame(w: Writer, f: Frame, opts?: EncodeOptions): void {
  const type = frameTypeCode(f, opts);
  switch (f.type) {
    case 'padding':
      w.zeros(f.length);
      return;
    case 'ping':
    case 'handshake_done':
    case 'immediate_ack':
      w.u8(type);
      return;
    case 'ack_frequency':
      w.varint(type); // 0xaf: a two-byte varint
      w.varint(f.sequence);
      w.varint(f.ackElicitingThreshold);
      w.varint(f.requestedMaxAckDelay);
      w.varint(f.reorderingThreshold);
      return;
    case 'ack': {
      const fields = ackRangeFields(f);
      w.u8(type);
      w.varint(f.largest);
      w.varint(f.ackDelay);
      w.varint(f.ranges.length - 1);
      for (const x of fields) w.varint(x);
      if (f.ecn) {
        w.varint(f.ecn.ect0);
        w.varint(f.ecn.ect1);
        w.varint(f.ecn.ce);
      }
      return;
    }
    case 'reset_stream':
      w.u8(type);
      w.varint(f.streamId);
      w.varintBig(f.errorCode);
      w.varint(f.finalSize);
      return;
    case 'stop_sending':
      w.u8(type);
      w.varint(f.streamId);
      w.varintBig(f.errorCode);
      return;
    case 'crypto':
      w.u8(type);
      w.varint(f.offset);
      w.lengthPrefixed(f.data);
      return;
    case 'new_token':
      if (f.token.length === 0) throw new RangeError('NEW_TOKEN needs a non-empty token');
      w.u8(type);
      w.lengthPrefixed(f.token);
      return;
    case 'stream':
      writeStreamFrameHeader(w, f.streamId, f.offset, f.data.length, f.fin, !opts?.omitLength);
      w.bytes(f.data);
      return;
    case 'max_data':
      w.u8(type);
      w.varint(f.maximum);
      return;
    case 'max_stream_data':
      w.u8(type);
      w.varint(f.streamId);
      w.varint(f.maximum);
      return;
    case 'max_streams':
      w.u8(type);
      w.varint(f.maximum);
      return;
    case 'data_blocked':
      w.u8(type);
      w.varint(f.limit);
      return;
    case 'stream_data_blocked':
      w.u8(type);
      w.varint(f.streamId);
      w.varint(f.limit);
      return;
    case 'streams_blocked':
      w.u8(type);
      w.varint(f.limit);
      return;
    case 'new_connection_id':
      if (f.connectionId.length < 1 || f.connectionId.length > MAX_CID_LENGTH) throw new RangeError('connection ID length must be 1..20');
      if (f.statelessResetToken.length !== 16) throw new RangeError('stateless reset token must be 16 bytes');
      w.u8(type);
      w.varint(f.sequence);
      w.varint(f.retirePriorTo);
      w.u8(f.connectionId.length);
      w.bytes(f.connectionId);
      w.bytes(f.statelessResetToken);
      return;
    case 'retire_connection_id':
      w.u8(type);
      w.varint(f.sequence);
      return;
    case 'path_challenge':
    case 'path_response':
      if (f.data.length !== 8) throw new RangeError('PATH_CHALLENGE/PATH_RESPONSE data is 8 bytes');
      w.u8(type);
      w.bytes(f.data);
      return;
    case 'connection_close':
      w.u8(type);
      w.varintBig(f.errorCode);
      if (!f.application) w.varint(f.frameType);
      w.lengthPrefixed(reasonBytes(f.reason));
      return;
    case 'datagram':
      w.u8(type);
      if (!opts?.omitLength) w.varint(f.data.length);
      w.bytes(f.data);
      return;
  }
}

/**
 * Write only a STREAM frame's header (type, id, offset, Length), so a
 * transport can copy the data in straight after it from its send buffer.
 */
export function writeStreamFrameHeader(w: Writer, streamId: number, offset: number, length: number, fin: boolean, withLength = true): void {
  w.u8(FrameType.STREAM | (offset > 0 ? 0x04 : 0) | (withLength ? 0x02 : 0) | (fin ? 0x01 : 0));
  w.varint(streamId);
  if (offset > 0) w.varint(offset);
  if (withLength) w.varint(length);
}

/** Read a varint whose RFC bound lies above 2^53: check it exactly, then return the (saturating) number. */
function boundedVarint(r: Reader, max: bigint, what: string): number {
  const at = r.pos;
  const first = r.buf[at];
  if (first !== undefined && first >>> 6 === 3) {
    const exact = r.varintBig();
    if (exact > max) r.fail(`${what} ${exact} exceeds ${max}`);
    r.pos = at;
  }
  return r.varint();
}

/** Decode one frame; `r.pos` at its type byte. Throws QuicWireError on malformed input. */
export function decodeFrame(r: Reader): Frame {
  const typeStart = r.pos;
  r.frameType = undefined;
  const type = r.varint();
  r.frameType = type;
  // RFC 9000 §12.4: frame types use the shortest encoding.
  if (r.pos - typeStart !== varintLength(type)) r.fail(`frame type 0x${type.toString(16)} not minimally encoded`, TransportErrorCode.PROTOCOL_VIOLATION);
  if (!isKnownFrameType(type)) r.fail(`unknown frame type 0x${type.toString(16)}`);
  switch (type) {
    case 0x00: {
      let n = 1;
      while (r.pos < r.end && r.buf[r.pos] === 0) {
        r.pos++;
        n++;
      }
      return { type: 'padding', length: n };
    }
    case 0x01:
      return { type: 'ping' };
    case 0x02:
    case 0x03: {
      // Above 2^53 the numbers saturate: check the "no negative packet number" rule exactly first.
      if (peekSaturated(r)) checkAckRangesExactly(r);
      const largest = r.varint();
      const ackDelay = r.varint();
      const count = r.varint();
      // Each further range needs at least 2 bytes: refuse a count the payload cannot hold before looping.
      if (count > r.remaining / 2) r.fail(`ACK range count ${count} exceeds the frame`);
      const first = r.varint();
      let smallest = largest - first;
      if (smallest < 0) r.fail('ACK first range below packet number 0');
      const ranges: AckRange[] = [[smallest, largest]];
      for (let i = 0; i < count; i++) {
        const gap = r.varint();
        const len = r.varint();
        // RFC 9000 §19.3.1: largest of the next range = smallest - gap - 2.
        const hi = smallest - gap - 2;
        const lo = hi - len;
        if (lo < 0) r.fail('ACK range below packet number 0');
        ranges.push([lo, hi]);
        smallest = lo;
      }
      const f: FrameOf<'ack'> = { type: 'ack', largest, ackDelay, ranges };
      if (type === 0x03) f.ecn = { ect0: r.varint(), ect1: r.varint(), ce: r.varint() };
      return f;
    }
    case 0x04:
      return { type: 'reset_stream', streamId: r.varint(), errorCode: r.varintBig(), finalSize: r.varint() };
    case 0x05:
      return { type: 'stop_sending', streamId: r.varint(), errorCode: r.varintBig() };
    case 0x06: {
      const offExact = peekSaturated(r) ? peekExact(r) : undefined;
      const offset = r.varint();
      const data = r.lengthPrefixed();
      // RFC 9000 §19.6: offset + length <= 2^62 - 1.
      if (offExact !== undefined && offExact + BigInt(data.length) > VARINT_MAX) r.fail('CRYPTO data beyond 2^62 - 1');
      return { type: 'crypto', offset, data };
    }
    case 0x07: {
      const token = r.lengthPrefixed();
      // RFC 9000 §19.7: an empty token is a FRAME_ENCODING_ERROR.
      if (token.length === 0) r.fail('empty NEW_TOKEN');
      return { type: 'new_token', token };
    }
    case 0x08:
    case 0x09:
    case 0x0a:
    case 0x0b:
    case 0x0c:
    case 0x0d:
    case 0x0e:
    case 0x0f: {
      const streamId = r.varint();
      const offExact = type & 0x04 && peekSaturated(r) ? peekExact(r) : undefined;
      const offset = type & 0x04 ? r.varint() : 0;
      const data = type & 0x02 ? r.lengthPrefixed() : r.rest();
      // RFC 9000 §19.8: offset + length <= 2^62 - 1 (an offset below 2^53 is exact and cannot reach it: no bigint then).
      if (offExact !== undefined && offExact + BigInt(data.length) > VARINT_MAX) r.fail('STREAM data beyond 2^62 - 1');
      return { type: 'stream', streamId, offset, data, fin: (type & 0x01) !== 0 };
    }
    case 0x10:
      return { type: 'max_data', maximum: r.varint() };
    case 0x11:
      return { type: 'max_stream_data', streamId: r.varint(), maximum: r.varint() };
    case 0x12:
    case 0x13:
      // RFC 9000 §19.11: a count above 2^60 is a FRAME_ENCODING_ERROR.
      return { type: 'max_streams', bidi: type === 0x12, maximum: boundedVarint(r, BigInt(MAX_STREAMS_LIMIT), 'MAX_STREAMS') };
    case 0x14:
      return { type: 'data_blocked', limit: r.varint() };
    case 0x15:
      return { type: 'stream_data_blocked', streamId: r.varint(), limit: r.varint() };
    case 0x16:
    case 0x17:
      // RFC 9000 §19.14: likewise for STREAMS_BLOCKED.
      return { type: 'streams_blocked', bidi: type === 0x16, limit: boundedVarint(r, BigInt(MAX_STREAMS_LIMIT), 'STREAMS_BLOCKED') };
    case 0x18: {
      const sequence = r.varint();
      const retirePriorTo = r.varint();
      const len = r.u8();
      // RFC 9000 §19.15: length 1..20, Retire Prior To <= Sequence Number.
      if (len < 1 || len > MAX_CID_LENGTH) r.fail(`NEW_CONNECTION_ID length ${len}`);
      if (retirePriorTo > sequence) r.fail('Retire Prior To exceeds Sequence Number');
      return { type: 'new_connection_id', sequence, retirePriorTo, connectionId: r.bytes(len), statelessResetToken: r.bytes(16) };
    }
    case 0x19:
      return { type: 'retire_connection_id', sequence: r.varint() };
    case 0x1a:
      return { type: 'path_challenge', data: r.bytes(8) };
    case 0x1b:
      return { type: 'path_response', data: r.bytes(8) };
    case 0x1c: {
      const errorCode = r.varintBig();
      const frameType = r.varint();
      return { type: 'connection_close', application: false, errorCode, frameType, reason: utf8d.decode(r.lengthPrefixed()) };
    }
    case 0x1d: {
      const errorCode = r.varintBig();
      return { type: 'connection_close', application: true, errorCode, reason: utf8d.decode(r.lengthPrefixed()) };
    }
    case 0x1e:
      return { type: 'handshake_done' };
    case 0x1f:
      return { type: 'immediate_ack' };
    case 0xaf:
      return { type: 'ack_frequency', sequence: r.varint(), ackElicitingThreshold: r.varint(), requestedMaxAckDelay: r.varint(), reorderingThreshold: r.varint() };
    default: // 0x30, 0x31 (RFC 9221 §4)
      return { type: 'datagram', data: type === 0x31 ? r.lengthPrefixed() : r.rest() };
  }
}

/** RFC 9000 §19.3.1 on exact values: no range may reach below packet number 0 (FRAME_ENCODING_ERROR). */
function checkAckRangesExactly(r: Reader): void {
  const at = r.pos;
  const largest = r.varintBig();
  r.varintBig(); // ACK Delay
  const count = r.varintBig();
  if (count > BigInt(r.remaining) / 2n) r.fail('ACK range count exceeds the frame');
  let smallest = largest - r.varintBig();
  if (smallest < 0n) r.fail('ACK first range below packet number 0');
  for (let i = 0n; i < count; i++) {
    smallest = smallest - r.varintBig() - 2n - r.varintBig();
    if (smallest < 0n) r.fail('ACK range below packet number 0');
  }
  r.pos = at;
}

/** Whether the varint at the reader's position is 2^53 or more (its number saturates), without consuming it; false when truncated. */
function peekSaturated(r: Reader): boolean {
  const at = r.pos;
  const first = r.buf[at];
  if (first === undefined || first >>> 6 !== 3 || r.remaining < 8) return false;
  // 8-byte form: 2^53 or more when the top 30 bits hold anything from bit 21 up (2^53 = 2^32 * 2^21).
  return (((first & 0x3f) << 24) | (r.buf[at + 1]! << 16) | (r.buf[at + 2]! << 8) | r.buf[at + 3]!) >>> 0 >= 0x200000;
}

/** The exact value of the varint at the reader's position, without consuming it (0n when truncated; the read that follows fails). */
function peekExact(r: Reader): bigint {
  const at = r.pos;
  if (r.remaining < 1 || r.remaining < 1 << (r.buf[at]! >>> 6)) return 0n;
  const x = r.varintBig();
  r.pos = at;
  return x;
}

/**
 * Decode every frame of a packet payload, enforcing RFC 9000 §12.4: at least
 * one frame (PROTOCOL_VIOLATION), known types (FRAME_ENCODING_ERROR) and the
 * Table 3 packet-type permissions (PROTOCOL_VIOLATION).
 */
export function decodeFrames(payload: Uint8Array, packetType: PacketSpaceType): Frame[] {
  if (payload.length === 0) throw new QuicWireError(TransportErrorCode.PROTOCOL_VIOLATION, 'packet without frames');
  const r = new Reader(payload);
  const frames: Frame[] = [];
  while (!r.atEnd) {
    const f = decodeFrame(r);
    const t = r.frameType!;
    if (!frameAllowedIn(t, packetType)) throw new QuicWireError(TransportErrorCode.PROTOCOL_VIOLATION, `frame type 0x${t.toString(16)} not allowed in ${packetType} packets`, t);
    frames.push(f);
  }
  return frames;
}
