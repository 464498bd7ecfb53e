/**
 * @module frames
 * HTTP/3 frames (RFC 9114 §7): the frame type table with the rules of
 * Table 1 (§7.2: on which stream and by which endpoint each type may be
 * received), the frame header (Type (i), Length (i)), and the payload codecs
 * of the frames whose payload is a single ID (CANCEL_PUSH §7.2.3, GOAWAY
 * §7.2.6, MAX_PUSH_ID §7.2.7). SETTINGS is in `settings`; DATA and HEADERS
 * payloads are opaque here (content, and a QPACK field section).
 */
import { connectionError, H3ErrorCode } from './errors.js';
import { decodeVarintBig, varintLength, writeVarint } from './varint.js';

export type Role = 'client' | 'server';

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

/** What a received frame is, once Table 1 has allowed it. */
export type FrameKind = 'data' | 'headers' | 'cancel-push' | 'settings' | 'push-promise' | 'goaway' | 'max-push-id';

interface FrameRule {
  readonly kind: FrameKind;
  /** Receivers allowed on a control stream / on a request stream (RFC 9114 §7.2 Table 1). */
  readonly control: readonly Role[];
  readonly request: readonly Role[];
}

const BOTH: readonly Role[] = ['client', 'server'];
const NONE: readonly Role[] = [];

/** RFC 9114 §7.2 Table 1: where each frame type may be received, and by whom. */
const FRAME_RULES: ReadonlyMap<number, FrameRule> = new Map<number, FrameRule>([
  [FrameType.DATA, { kind: 'data', control: NONE, request: BOTH }], // §7.2.1
  [FrameType.HEADERS, { kind: 'headers', control: NONE, request: BOTH }], // §7.2.2
  [FrameType.CANCEL_PUSH, { kind: 'cancel-push', control: BOTH, request: NONE }], // §7.2.3
  [FrameType.SETTINGS, { kind: 'settings', control: BOTH, request: NONE }], // §7.2.4 (first frame only: the control stream checks)
  [FrameType.PUSH_PROMISE, { kind: 'push-promise', control: NONE, request: ['client'] }], // §7.2.5: a server treats receipt as H3_FRAME_UNEXPECTED
  [FrameType.GOAWAY, { kind: 'goaway', control: BOTH, request: NONE }], // §7.2.6
  [FrameType.MAX_PUSH_ID, { kind: 'max-push-id', control: ['server'], request: NONE }], // §7.2.7: a client treats receipt as H3_FRAME_UNEXPECTED
]);

/** RFC 9114 §7.2.8, §11.2.1: HTTP/2 frame types with no HTTP/3 equivalent (PRIORITY, PING, WINDOW_UPDATE, CONTINUATION). */
export const HTTP2_RESERVED_FRAME_TYPES: ReadonlySet<number> = new Set([0x02, 0x06, 0x08, 0x09]);

/**
 * Classifies a frame type received on a `stream` by `receiver`, or throws
 * H3_FRAME_UNEXPECTED (a connection error, §7.2) where Table 1 forbids it,
 * including the HTTP/2-only types (§7.2.8). Unknown and reserved types
 * are `undefined`: to be skipped (§9).
 */
export function classifyFrame(type: number, stream: 'control' | 'request', receiver: Role): FrameKind | undefined {
  if (HTTP2_RESERVED_FRAME_TYPES.has(type)) {
    throw connectionError(H3ErrorCode.H3_FRAME_UNEXPECTED, `HTTP/2 frame type 0x${type.toString(16)}`);
  }
  const rule = FRAME_RULES.get(type);
  if (rule === undefined) return undefined;
  if (!rule[stream].includes(receiver)) {
    throw connectionError(H3ErrorCode.H3_FRAME_UNEXPECTED, `${rule.kind} frame on a ${stream} stream received by the ${receiver}`);
  }
  return rule.kind;
}

/** The frame header for a payload of `length` bytes. */
export function encodeFrameHeader(type: number | bigint, length: number): Uint8Array {
  const out = new Uint8Array(varintLength(type) + varintLength(length));
  writeVarint(out, writeVarint(out, 0, type), length);
  return out;
}

/** A whole frame: header and payload in one buffer. */
export function encodeFrame(type: number | bigint, payload: Uint8Array): Uint8Array {
  const typeLength = varintLength(type);
  const out = new Uint8Array(typeLength + varintLength(payload.length) + payload.length);
  const at = writeVarint(out, writeVarint(out, 0, type), payload.length);
  out.set(payload, at);
  return out;
}

/** The payload of CANCEL_PUSH, GOAWAY or MAX_PUSH_ID: one varint ID. */
export function encodeIdPayload(id: number | bigint): Uint8Array {
  const out = new Uint8Array(varintLength(id));
  writeVarint(out, 0, id);
  return out;
}

/** Decodes a payload that must be exactly one varint ID (RFC 9114 §7.1: missing or extra bytes are H3_FRAME_ERROR). */
export function decodeIdPayload(payload: Uint8Array, frame: string): bigint {
  const id = decodeVarintBig(payload, 0);
  if (!id || id.next !== payload.length) {
    throw connectionError(H3ErrorCode.H3_FRAME_ERROR, `${frame} payload is not exactly one varint`);
  }
  return id.value;
}
