/**
 * @module record/content-type
 * RFC 8446 §5.1 ContentType and §6 AlertLevel / the alert descriptions the
 * record layer itself raises, as `as const` tables.
 */

/** RFC 8446 §5.1 ContentType. */
export const ContentType = {
  invalid: 0,
  change_cipher_spec: 20,
  alert: 21,
  handshake: 22,
  application_data: 23,
} as const;
export type ContentType = (typeof ContentType)[keyof typeof ContentType];

/** RFC 8446 §6 AlertLevel (ignored on receipt in TLS 1.3, still sent). */
export const AlertLevel = { warning: 1, fatal: 2 } as const;
export type AlertLevel = (typeof AlertLevel)[keyof typeof AlertLevel];

/** RFC 8446 §6 AlertDescription values the record layer produces or interprets. */
export const RecordAlert = {
  close_notify: 0,
  unexpected_message: 10,
  bad_record_mac: 20,
  record_overflow: 22,
  decode_error: 50,
  internal_error: 80,
  user_canceled: 90,
} as const;
export type RecordAlert = (typeof RecordAlert)[keyof typeof RecordAlert];

/** RFC 8446 §6: the two closure alerts; every other alert is an error alert (sent at level fatal). */
export function alertLevelFor(description: number): AlertLevel {
  return description === RecordAlert.close_notify || description === RecordAlert.user_canceled ? AlertLevel.warning : AlertLevel.fatal;
}

/** RFC 8446 §5.1 / §5.2 size limits. */
export const RecordLimits = {
  /** Header: type(1) ‖ legacy_record_version(2) ‖ length(2). */
  headerLength: 5,
  /** TLSPlaintext.length and TLSInnerPlaintext.content MUST NOT exceed 2^14. */
  maxPlaintext: 16384,
  /** The whole TLSInnerPlaintext (content ‖ type ‖ padding) MUST NOT exceed 2^14 + 1 (§5.4). */
  maxInnerPlaintext: 16385,
  /** TLSCiphertext.length MUST NOT exceed 2^14 + 256 (§5.2). */
  maxCiphertext: 16640,
  /** AEAD tag length of every TLS 1.3 cipher suite. */
  tagLength: 16,
} as const;
