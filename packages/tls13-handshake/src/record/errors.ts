/**
 * @module record/errors
 * The one error type of the record layer and the connections built on it:
 * a TLS alert (RFC 8446 §6) with its description code, its name, which side
 * sent it and, for ours, why.
 */
import { alertName } from '../alert.js';

const MARK = Symbol.for('@tsquic/tls13-handshake/TlsRecordError');

/**
 * A connection ended by a TLS alert. `alert` is the RFC 8446 §6
 * AlertDescription and `alertName` its name; `sent` is true when we sent it (a
 * fault we detected, `reason` says which), false when the peer sent it. The
 * message reads `sent bad_certificate (42): the certificate is not valid for
 * example.com` or `received unknown_ca (48) from the peer`.
 */
export class TlsRecordError extends Error {
  readonly alert: number;
  readonly alertName: string;
  readonly sent: boolean;
  /** Why we sent the alert (never on the wire); absent for the peer's alerts. */
  readonly reason: string | undefined;
  declare readonly [MARK]: true;

  constructor(alert: number, sent: boolean, reason?: string) {
    const name = `${alertName(alert)} (${alert})`;
    super(sent ? `sent ${name}${reason ? `: ${reason}` : ''}` : `received ${name} from the peer${reason ? `: ${reason}` : ''}`);
    this.name = 'TlsRecordError';
    this.alert = alert;
    this.alertName = alertName(alert);
    this.sent = sent;
    this.reason = reason;
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
  /** True for a TlsTruncatedError from any copy of this package. */
  static isInstance(x: unknown): x is TlsTruncatedError {
    return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[TRUNC] === true;
  }
}
