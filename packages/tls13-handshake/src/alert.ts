/**
 * @module alert
 * TLS 1.3 alerts (RFC 8446 §6): the AlertDescription table and the typed
 * error every peer fault is turned into before it becomes an `alert` event.
 */

/** RFC 8446 §6: AlertDescription. */
export const AlertDescription = {
  close_notify: 0,
  unexpected_message: 10,
  bad_record_mac: 20,
  record_overflow: 22,
  handshake_failure: 40,
  bad_certificate: 42,
  unsupported_certificate: 43,
  certificate_revoked: 44,
  certificate_expired: 45,
  certificate_unknown: 46,
  illegal_parameter: 47,
  unknown_ca: 48,
  access_denied: 49,
  decode_error: 50,
  decrypt_error: 51,
  protocol_version: 70,
  insufficient_security: 71,
  internal_error: 80,
  inappropriate_fallback: 86,
  user_canceled: 90,
  missing_extension: 109,
  unsupported_extension: 110,
  unrecognized_name: 112,
  bad_certificate_status_response: 113,
  unknown_psk_identity: 115,
  certificate_required: 116,
  no_application_protocol: 120,
} as const;
export type AlertDescription = (typeof AlertDescription)[keyof typeof AlertDescription];

const ALERT_NAMES = new Map<number, string>(Object.entries(AlertDescription).map(([name, code]) => [code, name]));

/** The RFC 8446 §6 name of an AlertDescription (`bad_certificate` for 42), or `alert_<n>` for one it does not define. */
export function alertName(description: number): string {
  return ALERT_NAMES.get(description) ?? `alert_${description}`;
}

const MARK = Symbol.for('@tsquic/tls13-handshake/TlsAlertError');

/** RFC 9000 §20.1 PROTOCOL_VIOLATION: the QUIC-level error RFC 9001 §4.6.1 and §8.4 name for some TLS faults. */
export const QUIC_PROTOCOL_VIOLATION = 0x0a;

/**
 * A TLS failure carrying the alert to send (RFC 8446 §6.2). `quicError`,
 * when set, is the QUIC transport error RFC 9001 prescribes for the fault
 * instead of CRYPTO_ERROR (0x100 + alert).
 */
export class TlsAlertError extends Error {
  readonly [MARK] = true;
  constructor(
    readonly description: number,
    reason: string,
    readonly quicError?: number,
  ) {
    super(reason);
    this.name = 'TlsAlertError';
  }
  /** True for a TlsAlertError from any copy of this package. */
  static isInstance(x: unknown): x is TlsAlertError {
    return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[MARK] === true;
  }
}

export function fail(description: number, reason: string): never {
  throw new TlsAlertError(description, reason);
}

/** A fault RFC 9001 maps to a QUIC transport error (e.g. PROTOCOL_VIOLATION) rather than CRYPTO_ERROR. */
export function failQuic(description: number, quicError: number, reason: string): never {
  throw new TlsAlertError(description, reason, quicError);
}
