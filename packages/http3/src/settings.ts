/**
 * @module settings
 * The SETTINGS frame (RFC 9114 §7.2.4): the identifiers this package knows
 * (RFC 9114 §7.2.4.1, RFC 9204 §5, RFC 9220 §3, RFC 9297 §2.1.1) with the
 * values each may take, the payload codec, our own settings (extensions'
 * entries merged, a reserved "grease" identifier added as §7.2.4.1 asks),
 * and the checks on the peer's frame.
 */
import { connectionError, H3ErrorCode } from './errors.js';
import type { SettingEntry } from './extension.js';
import { decodeVarintBig, varintLength, writeVarint } from './varint.js';

/** RFC 9114 §7.2.4.1, §11.2.2; RFC 9204 §5; RFC 9220 §3; RFC 9297 §2.1.1. */
export const SettingId = {
  QPACK_MAX_TABLE_CAPACITY: 0x01n,
  MAX_FIELD_SECTION_SIZE: 0x06n,
  QPACK_BLOCKED_STREAMS: 0x07n,
  ENABLE_CONNECT_PROTOCOL: 0x08n,
  H3_DATAGRAM: 0x33n,
} as const;

/** Settings whose value is a flag: anything but 0 or 1 is H3_SETTINGS_ERROR (RFC 9220 §3, RFC 9297 §2.1.1). */
const BOOLEAN_SETTINGS: ReadonlySet<bigint> = new Set([SettingId.ENABLE_CONNECT_PROTOCOL, SettingId.H3_DATAGRAM]);

/** RFC 9114 §7.2.4.1, §11.2.2: HTTP/2 setting identifiers that MUST NOT appear in HTTP/3. */
export const HTTP2_RESERVED_SETTINGS: ReadonlySet<bigint> = new Set([0x00n, 0x02n, 0x03n, 0x04n, 0x05n]);

/** A SETTINGS payload: (identifier, value) varint pairs. */
export function encodeSettings(settings: Iterable<readonly [bigint, bigint]>): Uint8Array {
  const entries = [...settings];
  let length = 0;
  for (const [id, value] of entries) length += varintLength(id) + varintLength(value);
  const out = new Uint8Array(length);
  let pos = 0;
  for (const [id, value] of entries) pos = writeVarint(out, writeVarint(out, pos, id), value);
  return out;
}

/**
 * Decodes and checks the peer's SETTINGS payload. RFC 9114 §7.1: a payload
 * ending inside a field is H3_FRAME_ERROR; §7.2.4: a duplicate identifier is
 * H3_SETTINGS_ERROR; §7.2.4.1: an HTTP/2-only identifier is
 * H3_SETTINGS_ERROR; RFC 9220 §3 / RFC 9297 §2.1.1: a flag other than 0 or 1
 * is H3_SETTINGS_ERROR. Unknown and reserved identifiers are kept (ignored
 * by the readers of the map, handed to extensions).
 */
export function decodeSettings(payload: Uint8Array): Map<bigint, bigint> {
  const settings = new Map<bigint, bigint>();
  let pos = 0;
  while (pos < payload.length) {
    const id = decodeVarintBig(payload, pos);
    const value = id && decodeVarintBig(payload, id.next);
    if (!id || !value) throw connectionError(H3ErrorCode.H3_FRAME_ERROR, 'SETTINGS payload ends inside a setting');
    const hex = `0x${id.value.toString(16)}`;
    if (HTTP2_RESERVED_SETTINGS.has(id.value)) throw connectionError(H3ErrorCode.H3_SETTINGS_ERROR, `HTTP/2 setting ${hex} in SETTINGS`);
    if (settings.has(id.value)) throw connectionError(H3ErrorCode.H3_SETTINGS_ERROR, `duplicate setting ${hex}`);
    if (BOOLEAN_SETTINGS.has(id.value) && value.value > 1n) {
      throw connectionError(H3ErrorCode.H3_SETTINGS_ERROR, `setting ${hex} must be 0 or 1, got ${value.value}`);
    }
    settings.set(id.value, value.value);
    pos = value.next;
  }
  return settings;
}

/**
 * Our SETTINGS: `base` in order, then each extension's entries. An
 * identifier given twice with different values is the caller's mistake (a
 * TypeError); reserved HTTP/2 identifiers are refused the same way.
 */
export function mergeSettings(base: readonly SettingEntry[], extensions: readonly (readonly SettingEntry[])[]): Map<bigint, bigint> {
  const out = new Map<bigint, bigint>();
  for (const [rawId, rawValue] of [...base, ...extensions.flat()]) {
    const id = BigInt(rawId);
    const value = BigInt(rawValue);
    if (HTTP2_RESERVED_SETTINGS.has(id)) throw new TypeError(`setting 0x${id.toString(16)} is reserved by RFC 9114 §7.2.4.1`);
    const before = out.get(id);
    if (before !== undefined && before !== value) throw new TypeError(`setting 0x${id.toString(16)} given twice (${before} and ${value})`);
    out.set(id, value);
  }
  return out;
}
