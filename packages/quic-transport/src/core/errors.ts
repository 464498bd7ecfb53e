/**
 * @module core/errors
 * Transport errors (RFC 9000 §20.1): a protocol violation found anywhere in
 * the core is thrown as a `TransportError` and converted in exactly one place
 * (the connection) into a CONNECTION_CLOSE of type 0x1c carrying `code`,
 * `frameType` and `reason`. Caller mistakes are TypeError/RangeError instead.
 */

// RFC 9000 §20.1 transport error codes (and RFC 9368's VERSION_NEGOTIATION_ERROR): the wire package's table.
import { TransportErrorCode } from '@tsquic/quic-wire';
export { TransportErrorCode };

const MARK = Symbol.for('@tsquic/quic-transport/TransportError');

/** A protocol violation by the peer, closing the connection with `code`. */
export class TransportError extends Error {
  readonly [MARK] = true;
  override readonly name = 'TransportError';
  constructor(
    /** RFC 9000 §20.1 code (or 0x0100 + alert). */
    readonly code: number,
    reason: string,
    /** The frame type that triggered it, when known (CONNECTION_CLOSE carries it). */
    readonly frameType?: number,
  ) {
    super(reason);
  }

  /** `instanceof` that survives duplicate installs of this package. */
  static isInstance(x: unknown): x is TransportError {
    return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[MARK] === true;
  }
}
