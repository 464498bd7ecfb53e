/**
 * @module capsules
 * The WebTransport capsules on a session's CONNECT stream (draft-ietf-webtrans-http3
 * §5 "Session Termination", §4.6; RFC 9297 §3 frames them, inside DATA frames):
 * CLOSE_WEBTRANSPORT_SESSION (0x2843: a 32-bit application error code and a
 * UTF-8 message of at most 1024 bytes) and DRAIN_WEBTRANSPORT_SESSION (0x78ae,
 * empty) — the code points Chromium 156 uses (CHROMIUM.md). Draft-02 has no
 * flow-control capsules, and Chromium sends none.
 */
import { H3ErrorCode, Http3Error } from '@tsquic/http3';

export const CapsuleType = {
  CLOSE_WEBTRANSPORT_SESSION: 0x2843n,
  DRAIN_WEBTRANSPORT_SESSION: 0x78aen,
} as const;

/** §5: "its length MUST NOT exceed 1024 bytes". */
export const MAX_CLOSE_MESSAGE_BYTES = 1024;

/** Closing information (W3C `WebTransportCloseInfo`). */
export interface WebTransportCloseInfo {
  /** 0..0xffffffff */
  readonly closeCode: number;
  readonly reason: string;
}

const encoder = new TextEncoder();
const strictDecoder = new TextDecoder('utf-8', { fatal: true });

/**
 * `reason` as UTF-8 of at most `max` bytes, cut at a character boundary
 * (§5: "Senders that truncate an application-supplied message MUST do so at a
 * UTF-8 character boundary").
 */
export function truncateUtf8(reason: string, max = MAX_CLOSE_MESSAGE_BYTES): Uint8Array {
  const bytes = encoder.encode(reason);
  if (bytes.length <= max) return bytes;
  let end = max;
  // Back off continuation bytes (10xxxxxx) to the start of the character that did not fit.
  while (end > 0 && (bytes[end]! & 0xc0) === 0x80) end--;
  return bytes.subarray(0, end);
}

/** The value of a CLOSE_WEBTRANSPORT_SESSION capsule. RangeError for a code outside 32 bits (a caller's mistake). */
export function encodeCloseSession(info: WebTransportCloseInfo): Uint8Array {
  const { closeCode } = info;
  if (!Number.isInteger(closeCode) || closeCode < 0 || closeCode > 0xffffffff) throw new RangeError(`closeCode must be a 32-bit unsigned integer, got ${closeCode}`);
  const message = truncateUtf8(info.reason);
  const out = new Uint8Array(4 + message.length);
  new DataView(out.buffer).setUint32(0, closeCode);
  out.set(message, 4);
  return out;
}

/**
 * A received CLOSE_WEBTRANSPORT_SESSION value. §5: a message above 1024 bytes
 * or not valid UTF-8 — and a value too short for the code — resets the CONNECT
 * stream with H3_MESSAGE_ERROR: an `Http3Error` of that code (stream scope).
 */
export function decodeCloseSession(value: Uint8Array): WebTransportCloseInfo {
  if (value.length < 4) throw new Http3Error(H3ErrorCode.H3_MESSAGE_ERROR, 'stream', `CLOSE_WEBTRANSPORT_SESSION of ${value.length} bytes, shorter than its error code`);
  if (value.length - 4 > MAX_CLOSE_MESSAGE_BYTES) {
    throw new Http3Error(H3ErrorCode.H3_MESSAGE_ERROR, 'stream', `CLOSE_WEBTRANSPORT_SESSION message of ${value.length - 4} bytes, above ${MAX_CLOSE_MESSAGE_BYTES}`);
  }
  let reason: string;
  try {
    reason = strictDecoder.decode(value.subarray(4));
  } catch {
    throw new Http3Error(H3ErrorCode.H3_MESSAGE_ERROR, 'stream', 'CLOSE_WEBTRANSPORT_SESSION message is not valid UTF-8');
  }
  return { closeCode: new DataView(value.buffer, value.byteOffset, 4).getUint32(0), reason };
}
