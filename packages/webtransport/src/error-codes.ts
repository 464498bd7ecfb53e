/**
 * @module error-codes
 * The error code space of WebTransport over HTTP/3 (draft-ietf-webtrans-http3
 * §4.3 "Resetting Data Streams", §9.5): WebTransport application errors are
 * 32-bit numbers that travel in RESET_STREAM and STOP_SENDING as HTTP/3 error
 * codes in the range 0x52e4a40fa8db..0x52e5ac983162, skipping the reserved
 * code points of form 0x1f * N + 0x21 (RFC 9114 §8.1); and the HTTP/3 codes
 * WebTransport itself adds. Chromium 156 (draft-02) maps codes exactly so
 * (CHROMIUM.md). The RFC 9114 codes are @tsquic/http3's `H3ErrorCode`.
 */

/** draft-ietf-webtrans-http3 §4.3: the HTTP/3 code of WebTransport application error 0. */
export const WT_APPLICATION_ERROR_FIRST = 0x52e4a40fa8dbn;
/** draft-ietf-webtrans-http3 §4.3: the HTTP/3 code of WebTransport application error 0xffffffff. */
export const WT_APPLICATION_ERROR_LAST = 0x52e5ac983162n;

/** HTTP/3 error codes registered by draft-ietf-webtrans-http3 (§9.5). */
export const WebTransportErrorCode = {
  /** A data stream for a session that never came, beyond the buffering limit (§4.6). */
  WT_BUFFERED_STREAM_REJECTED: 0x3994bd84n,
  /** Later drafts reset a closed session's streams with this; draft-02 (Chromium) uses H3_CONNECT_ERROR. */
  WT_SESSION_GONE: 0x170d7b68n,
  WT_FLOW_CONTROL_ERROR: 0x045d4487n,
  WT_ALPN_ERROR: 0x0817b3ddn,
  /** The peer lacks a setting or transport parameter WebTransport needs (§3.1). */
  WT_REQUIREMENTS_NOT_MET: 0x212c0d48n,
} as const;

/**
 * The HTTP/3 error code carrying WebTransport application error `n`
 * (draft-ietf-webtrans-http3 §4.3: first + n + floor(n / 0x1e)).
 * RangeError unless 0 ≤ n ≤ 0xffffffff (a caller's mistake).
 */
export function webTransportCodeToHttp3(n: number): bigint {
  if (!Number.isInteger(n) || n < 0 || n > 0xffffffff) throw new RangeError(`a WebTransport error code is a 32-bit unsigned integer, got ${n}`);
  return WT_APPLICATION_ERROR_FIRST + BigInt(n) + BigInt(Math.floor(n / 0x1e));
}

/**
 * The WebTransport application error an HTTP/3 code carries, or undefined
 * when the code is outside the WT_APPLICATION_ERROR range or one of its
 * reserved code points (draft-ietf-webtrans-http3 §4.3: such a reset is
 * delivered as a reset without an application error code).
 */
export function http3CodeToWebTransport(h: bigint): number | undefined {
  if (h < WT_APPLICATION_ERROR_FIRST || h > WT_APPLICATION_ERROR_LAST) return undefined;
  if ((h - 0x21n) % 0x1fn === 0n) return undefined;
  const shifted = h - WT_APPLICATION_ERROR_FIRST;
  return Number(shifted - shifted / 0x1fn);
}
