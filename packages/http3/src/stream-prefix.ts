/**
 * @module stream-prefix
 * The varint that opens a stream: a unidirectional stream's type (RFC 9114
 * §6.2) or, on a bidirectional stream, a frame type or an extension's signal
 * value (RFC 9114 §9). Reads it off a stream reader (any fragmentation) and
 * gives back the rest of the stream, the bytes already read first.
 */
import { varintLengthFromFirstByte } from './varint.js';

export interface Prefix {
  readonly value: bigint;
  /** Every byte read so far, the varint included (its encoding may be longer than the shortest). */
  readonly bytes: Uint8Array;
  /** Bytes read past the varint. */
  readonly rest: Uint8Array;
}

/**
 * The first varint of a stream, or undefined when the stream ends before
 * it is complete (RFC 9114 §6.2: a stream closed before its type is
 * tolerated). Rejects as the stream does (a reset).
 */
export async function readPrefix(reader: ReadableStreamDefaultReader<Uint8Array>): Promise<Prefix | undefined> {
  let have: Uint8Array = new Uint8Array(0);
  for (;;) {
    if (have.length > 0) {
      const n = varintLengthFromFirstByte(have[0]!);
      if (have.length >= n) {
        let value = BigInt(have[0]! & 0x3f);
        for (let i = 1; i < n; i++) value = (value << 8n) | BigInt(have[i]!);
        return { value, bytes: have, rest: have.subarray(n) };
      }
    }
    const { value, done } = await reader.read();
    if (done) return undefined;
    if (have.length === 0) have = value;
    else {
      const joined = new Uint8Array(have.length + value.length);
      joined.set(have, 0);
      joined.set(value, have.length);
      have = joined;
    }
  }
}

/** A readable yielding `head` (when not empty), then what `reader` yields; cancelling it cancels `reader`. */
export function withHead(head: Uint8Array, reader: ReadableStreamDefaultReader<Uint8Array>): ReadableStream<Uint8Array> {
  let first: Uint8Array | undefined = head.length > 0 ? head : undefined;
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        if (first) {
          controller.enqueue(first);
          first = undefined;
          return;
        }
        const { value, done } = await reader.read();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      cancel(reason) {
        return reader.cancel(reason);
      },
    },
    { highWaterMark: 0 },
  );
}
