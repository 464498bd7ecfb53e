/**
 * @module status
 * gRPC-style status codes (the numbers of grpc's `google.rpc.Code`) and the
 * typed `RpcError` every failed call rejects with. The same numbers are the
 * application error codes rpc-framing puts on stream resets.
 */

import { StatusCode } from './gen/tsquic/rpc/v1/frames_pb.js';

export { StatusCode };

/** Each status code's canonical name, indexed by code. */
export const STATUS_NAMES: readonly string[] = [
  'OK',
  'CANCELLED',
  'UNKNOWN',
  'INVALID_ARGUMENT',
  'DEADLINE_EXCEEDED',
  'NOT_FOUND',
  'ALREADY_EXISTS',
  'PERMISSION_DENIED',
  'RESOURCE_EXHAUSTED',
  'FAILED_PRECONDITION',
  'ABORTED',
  'OUT_OF_RANGE',
  'UNIMPLEMENTED',
  'INTERNAL',
  'UNAVAILABLE',
  'DATA_LOSS',
  'UNAUTHENTICATED',
];

/** The highest defined status code (UNAUTHENTICATED). */
const MAX_STATUS = STATUS_NAMES.length - 1;

/** Whether `n` is a defined status code. */
export function isStatusCode(n: number): n is StatusCode {
  return Number.isInteger(n) && n >= 0 && n <= MAX_STATUS;
}

/** A status received from a peer, mapped into the defined range (unknown numbers → UNKNOWN). */
export function statusFromWire(n: number): StatusCode {
  return isStatusCode(n) ? n : StatusCode.UNKNOWN;
}

/**
 * The status a stream reset code stands for: rpc-framing resets streams with
 * the status code as the application error code (1..16); 0 or any other
 * number (a reset by something other than rpc-framing) is UNKNOWN.
 */
export function statusFromResetCode(code: bigint): StatusCode {
  return code >= 1n && code <= BigInt(MAX_STATUS) ? (Number(code) as StatusCode) : StatusCode.UNKNOWN;
}

const MARK = Symbol.for('@tsquic/rpc-framing/RpcError');

/** A call that did not succeed: `code` is the status, `metadata` the response metadata (if any). */
export class RpcError extends Error {
  readonly [MARK] = true;
  override readonly name = 'RpcError';
  readonly code: StatusCode;
  /** The status message without the code name prefix. */
  readonly rawMessage: string;
  readonly metadata: Readonly<Record<string, string>>;

  constructor(code: StatusCode, message = '', metadata: Readonly<Record<string, string>> = {}, options?: { cause?: unknown }) {
    if (!isStatusCode(code) || code === StatusCode.OK) throw new RangeError(`not an error status code: ${code}`);
    super(`${STATUS_NAMES[code]}${message === '' ? '' : `: ${message}`}`, options);
    this.code = code;
    this.rawMessage = message;
    this.metadata = metadata;
  }

  /** The code's canonical name, e.g. `DEADLINE_EXCEEDED`. */
  get codeName(): string {
    return STATUS_NAMES[this.code]!;
  }

  /** `instanceof` that survives duplicate installs of this package. */
  static isInstance(x: unknown): x is RpcError {
    return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[MARK] === true;
  }
}
