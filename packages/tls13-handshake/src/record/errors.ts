/**
 * @module record/errors
 * The one error type of the record layer and the connections built on it:
 * a TLS alert (RFC 8446 §6) with its description code and which side sent it.
 */

const MARK = Symbol.for('@tsquic/tls13-handshake/TlsRecordError');

/**
 * A connection ended by a TLS alert. `alert` is the RFC 8446 §6
 * AlertDescription; `sent` is true when we sent it (a fault we detected),
 * false when the peer sent it.
 */
export class TlsRecordError extends Error {
  readonly alert: number;
  readonly sent: boolean;
  declare readonly [MARK]: true;

  constructor(alert: number, sent: boolean, reason?: string) {
    super(`${sent ? 'sent' : 'received'} alert ${alert}${reason ? `: ${reason}` : ''}`);
    this.name = 'TlsRecordError';
    this.alert = alert;
    this.sent = sent;
    Object.defineProperty(this, MARK, { value: true });
  }

  /** True for a TlsRecordError from any copy of this package. */
  static isInstance(x: unknown): x is TlsRecordError {
    return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[MARK] === true;
  }
}

const TRUNC = Symbol.for('@tsquic/tls13-handshake/TlsTruncatedError');

/**
 * The transport ended without a close_notify (RFC 8446 §6.1): the data may
 * have been truncated by an attacker, so the read side errors with this.
 */
export class TlsTruncatedError extends Error {
  declare readonly [TRUNC]: true;
  constructor(message = 'transport closed without close_notify') {
    super(message);
    this.name = 'TlsTruncatedError';
    Object.defineProperty(this, TRUNC, { value: true });
  }
  static isInstance(x: unknown): x is TlsTruncatedError {
    return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[TRUNC] === true;
  }
}
