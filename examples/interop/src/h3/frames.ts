/**
 * @module h3/frames
 * HTTP/3 frames (RFC 9114 §7): the frame type and settings tables, the
 * frame header (Type (i), Length (i)), and the payload codecs of SETTINGS
 * (§7.2.4) and of the frames whose payload is a single ID (CANCEL_PUSH
 * §7.2.3, GOAWAY §7.2.6, MAX_PUSH_ID §7.2.7). DATA and HEADERS payloads are
 * opaque here (content, and a QPACK field section).
 */
import { decodeVarint, decodeVarintBig, varintLength, writeVarint } from '../varint.js';
import { connectionError, H3ErrorCode, isReservedCodePoint } from './errors.js';

/** RFC 9114 §7.2, §11.2.1 Table 2. */
export const FrameType = {
  DATA: 0x00,
  HEADERS: 0x01,
  CANCEL_PUSH: 0x03,
  SETTINGS: 0x04,
  PUSH_PROMISE: 0x05,
  GOAWAY: 0x07,
  MAX_PUSH_ID: 0x0d,
} as const;
export type FrameType = (typeof FrameType)[keyof typeof FrameType];

/** RFC 9114 §7.2.8, §11.2.1: HTTP/2 frame types with no HTTP/3 equivalent (PRIORITY, PING, WINDOW_UPDATE, CONTINUATION). */
export const HTTP2_RESERVED_FRAME_TYPES: ReadonlySet<number> = new Set([0x02, 0x06, 0x08, 0x09]);

/** RFC 9114 §7.2.4.1, §11.2.2 Table 3, and RFC 9204 §5. */
export const SettingId = {
  QPACK_MAX_TABLE_CAPACITY: 0x01,
  MAX_FIELD_SECTION_SIZE: 0x06,
  QPACK_BLOCKED_STREAMS: 0x07,
} as const;

/** RFC 9114 §7.2.4.1, §11.2.2: HTTP/2 setting identifiers that MUST NOT appear in HTTP/3. */
export const HTTP2_RESERVED_SETTINGS: ReadonlySet<bigint> = new Set([0x00n, 0x02n, 0x03n, 0x04n, 0x05n]);

/** Settings as received: identifier → value, exact to 62 bits. */
export type Settings = ReadonlyMap<bigint, bigint>;

/** True for 0x1f * N + 0x21 frame types (RFC 9114 §7.2.8): to be ignored on receipt. */
export function isReservedFrameType(type: number): boolean {
  return Number.isSafeInteger(type) && isReservedCodePoint(type);
}

/** The frame header for a payload of `length` bytes. */
export function encodeFrameHeader(type: number, length: number): Uint8Array {
  const out = new Uint8Array(varintLength(type) + varintLength(length));
  writeVarint(out, writeVarint(out, 0, type), length);
  return out;
}

/** A whole frame: header and payload in one buffer (for small frames). */
export function encodeFrame(type: number, payload: Uint8Array): Uint8Array {
  const header = encodeFrameHeader(type, payload.length);
  const out = new Uint8Array(header.length + payload.length);
  out.set(header, 0);
  out.set(payload, header.length);
  return out;
}

/** A frame header at `offset`, or undefined when `buf` ends inside it. */
export function decodeFrameHeader(buf: Uint8Array, offset: number): { type: number; length: number; next: number } | undefined {
  const type = decodeVarint(buf, offset);
  if (type === undefined) return undefined;
  const length = decodeVarint(buf, type.next);
  if (length === undefined) return undefined;
  return { type: type.value, length: length.value, next: length.next };
}

/** A SETTINGS payload (RFC 9114 §7.2.4): a sequence of (identifier, value) varint pairs. */
export function encodeSettings(settings: Iterable<readonly [number | bigint, number | bigint]>): Uint8Array {
  let length = 0;
  const entries = [...settings];
  for (const [id, value] of entries) length += varintLength(id) + varintLength(value);
  const out = new Uint8Array(length);
  let pos = 0;
  for (const [id, value] of entries) pos = writeVarint(out, writeVarint(out, pos, id), value);
  return out;
}

/**
 * Decodes a SETTINGS payload. RFC 9114 §7.1: a payload that ends inside a
 * field is H3_FRAME_ERROR; §7.2.4: a duplicate identifier is
 * H3_SETTINGS_ERROR; §7.2.4.1: an HTTP/2-only identifier is
 * H3_SETTINGS_ERROR. Unknown and reserved identifiers are kept (and ignored
 * by the reader of the map).
 */
export function decodeSettings(payload: Uint8Array): Map<bigint, bigint> {
  const settings = new Map<bigint, bigint>();
  let pos = 0;
  while (pos < payload.length) {
    const id = decodeVarintBig(payload, pos);
    const value = id && decodeVarintBig(payload, id.next);
    if (!id || !value) throw connectionError(H3ErrorCode.H3_FRAME_ERROR, 'SETTINGS payload ends inside a setting');
    if (HTTP2_RESERVED_SETTINGS.has(id.value)) {
      throw connectionError(H3ErrorCode.H3_SETTINGS_ERROR, `HTTP/2 setting 0x${id.value.toString(16)} in SETTINGS`);
    }
    if (settings.has(id.value)) {
      throw connectionError(H3ErrorCode.H3_SETTINGS_ERROR, `duplicate setting 0x${id.value.toString(16)}`);
    }
    settings.set(id.value, value.value);
    pos = value.next;
  }
  return settings;
}

/** The payload of CANCEL_PUSH, GOAWAY or MAX_PUSH_ID: one varint ID. */
export function encodeIdPayload(id: number | bigint): Uint8Array {
  const out = new Uint8Array(varintLength(id));
  writeVarint(out, 0, id);
  return out;
}

/**
 * Decodes a payload that must be exactly one varint ID (RFC 9114 §7.1:
 * missing or extra bytes are H3_FRAME_ERROR).
 */
export function decodeIdPayload(payload: Uint8Array, frame: string): bigint {
  const id = decodeVarintBig(payload, 0);
  if (!id || id.next !== payload.length) {
    throw connectionError(H3ErrorCode.H3_FRAME_ERROR, `${frame} payload is not exactly one varint`);
  }
  return id.value;
}
