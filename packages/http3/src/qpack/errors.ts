/**
 * @module qpack/errors
 * The QPACK error codes of RFC 9204 §6 and the two errors this module
 * throws for a peer's bad input: `QpackError` (a connection error carrying
 * the §6 code and a readable reason) and `FieldSectionTooLargeError` (a
 * decoded field section above our SETTINGS_MAX_FIELD_SECTION_SIZE, RFC 9114
 * §4.2.2; a message-level error the HTTP/3 layer maps itself). A caller's
 * mistake is a `TypeError` or `RangeError`, never one of these.
 */

/** RFC 9204 §6 (registered in §8.3), by RFC name without the `QPACK_` prefix. */
export const QpackErrorCode = {
  DECOMPRESSION_FAILED: 0x200,
  ENCODER_STREAM_ERROR: 0x201,
  DECODER_STREAM_ERROR: 0x202,
} as const;
export type QpackErrorCode = (typeof QpackErrorCode)[keyof typeof QpackErrorCode];

const NAMES = new Map<number, string>(Object.entries(QpackErrorCode).map(([name, code]) => [code, `QPACK_${name}`]));

const QPACK_ERROR = Symbol.for('@tsquic/http3/QpackError');
const TOO_LARGE = Symbol.for('@tsquic/http3/FieldSectionTooLargeError');
const marked = (x: unknown, mark: symbol): boolean => typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[mark] === true;

/** A connection error of RFC 9204 §6: close the connection with `code` (the HTTP/3 layer does). */
export class QpackError extends Error {
  readonly [QPACK_ERROR] = true;
  override readonly name = 'QpackError';
  constructor(
    readonly code: QpackErrorCode,
    readonly reason: string,
  ) {
    super(`${NAMES.get(code)}: ${reason}`);
  }

  static isInstance(x: unknown): x is QpackError {
    return marked(x, QPACK_ERROR);
  }
}

/**
 * A field section whose decoded size (RFC 9114 §4.2.2: name + value + 32 per
 * line) exceeds `maxFieldSectionSize`. Decoding stopped; the dynamic table is
 * intact, so the connection can go on: reset or cancel the stream (and call
 * `QpackDecoder.cancelStream`).
 */
export class FieldSectionTooLargeError extends Error {
  readonly [TOO_LARGE] = true;
  override readonly name = 'FieldSectionTooLargeError';
  constructor(
    readonly streamId: bigint,
    readonly limit: number,
  ) {
    super(`field section on stream ${streamId} exceeds ${limit} octets`);
  }

  static isInstance(x: unknown): x is FieldSectionTooLargeError {
    return marked(x, TOO_LARGE);
  }
}

/**
 * A QpackError is a connection error: the encoder or decoder that threw one is
 * done, and every later call throws the same error.
 */
export class ConnectionErrorLatch {
  #failure: QpackError | undefined;

  /** Throws the error that ended the encoder or decoder, if one did. */
  throwIfFailed(): void {
    if (this.#failure) throw this.#failure;
  }

  /** Remembers `e` when it is a QpackError (the caller rethrows it): the try/catch form of `run`, without a closure per call. */
  record(e: unknown): void {
    if (QpackError.isInstance(e)) this.#failure = e;
  }

  /** Runs `body` unless a QpackError ended us already; one it throws ends us. */
  run<T>(body: () => T): T {
    this.throwIfFailed();
    try {
      return body();
    } catch (e) {
      this.record(e);
      throw e;
    }
  }
}

/**
 * Settings and limits are non-negative integers; anything else is the caller's
 * mistake. HTTP/3 settings are varints up to 2^62 - 1: as Numbers above 2^53
 * they are inexact but still integers, and as limits that large they mean
 * "no limit" all the same.
 */
export function checkCount(name: string, value: number | undefined): void {
  if (value !== undefined && !(Number.isInteger(value) && value >= 0)) throw new RangeError(`${name} must be a non-negative integer, not ${value}`);
}
