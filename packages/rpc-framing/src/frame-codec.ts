/**
 * @module frame-codec
 * The stream framing: each frame is `varint(length) || body`, the varint a
 * QUIC variable-length integer (RFC 9000 §16) and the body a protobuf message
 * of `length` bytes. `FrameDecoder` is sans-IO: it takes chunks split at any
 * byte boundary, returns whole frame bodies, and refuses a declared length
 * above its limit before buffering any of that frame's body.
 */

import { readVarint, varintLength, varintLengthFromFirstByte, writeVarint } from './varint.js';

/** The default maximum frame body size: 4 MiB. */
export const DEFAULT_MAX_FRAME_SIZE = 4 * 1024 * 1024;

const MARK = Symbol.for('@tsquic/rpc-framing/FrameError');

/** Bad framing on a stream: a frame above the limit, or bytes cut off by the end of the stream. */
export class FrameError extends Error {
  readonly [MARK] = true;
  override readonly name = 'FrameError';
  constructor(
    readonly kind: 'too-large' | 'truncated',
    message: string,
  ) {
    super(message);
  }

  /** `instanceof` that survives duplicate installs of this package. */
  static isInstance(x: unknown): x is FrameError {
    return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[MARK] === true;
  }
}

/** `varint(body.length) || body` in one new buffer. */
export function encodeFrame(body: Uint8Array): Uint8Array {
  const n = varintLength(body.byteLength);
  const out = new Uint8Array(n + body.byteLength);
  writeVarint(out, 0, body.byteLength);
  out.set(body, n);
  return out;
}

/** Reassembles frames from stream chunks. */
export class FrameDecoder {
  private readonly chunks: Uint8Array[] = [];
  private total = 0;

  constructor(readonly maxFrameSize: number = DEFAULT_MAX_FRAME_SIZE) {
    if (!Number.isSafeInteger(maxFrameSize) || maxFrameSize < 0) throw new RangeError('maxFrameSize must be a non-negative integer');
  }

  /** Bytes received and not yet returned as a frame. */
  get buffered(): number {
    return this.total;
  }

  /** Adds received bytes; complete frames are then taken out in order. */
  push(chunk: Uint8Array): void {
    if (chunk.byteLength === 0) return;
    this.chunks.push(chunk);
    this.total += chunk.byteLength;
  }

  /**
   * The next whole frame body, or `null` when more bytes are needed. Throws
   * `FrameError('too-large')` as soon as a prefix declares more than `limit`
   * bytes (default `maxFrameSize`). A body inside one chunk is a view, not a copy.
   */
  next(limit: number = this.maxFrameSize): Uint8Array | null {
    if (this.total === 0) return null;
    const head = this.chunks[0]!;
    const n = varintLengthFromFirstByte(head[0]!);
    if (this.total < n) return null;
    const length = n <= head.byteLength ? readVarint(head, 0, n) : readVarint(this.peek(n), 0, n);
    if (length > limit) {
      throw new FrameError('too-large', `frame of ${length} bytes exceeds the limit of ${limit}`);
    }
    if (this.total < n + length) return null;
    if (n + length <= head.byteLength) {
      const body = head.subarray(n, n + length);
      this.consume(n + length);
      return body;
    }
    this.consume(n);
    const body = this.peek(length);
    this.consume(length);
    return body;
  }

  /** At the end of the stream: throws `FrameError('truncated')` if part of a frame is left. */
  end(): void {
    if (this.total > 0) throw new FrameError('truncated', `stream ended inside a frame (${this.total} bytes left over)`);
  }

  /** The first `k` buffered bytes (k ≤ total) as one array: a view if they lie in one chunk. */
  private peek(k: number): Uint8Array {
    const head = this.chunks[0]!;
    if (k <= head.byteLength) return head.subarray(0, k);
    const out = new Uint8Array(k);
    let filled = 0;
    for (const c of this.chunks) {
      const take = Math.min(c.byteLength, k - filled);
      out.set(take === c.byteLength ? c : c.subarray(0, take), filled);
      filled += take;
      if (filled === k) break;
    }
    return out;
  }

  private consume(k: number): void {
    this.total -= k;
    while (k > 0) {
      const head = this.chunks[0]!;
      if (k >= head.byteLength) {
        k -= head.byteLength;
        this.chunks.shift();
      } else {
        this.chunks[0] = head.subarray(k);
        k = 0;
      }
    }
  }
}
