/**
 * @module capsule
 * The Capsule Protocol (RFC 9297 §3.2) and the DATAGRAM capsule (§3.5),
 * sans-IO: `encodeCapsule`, and a push decoder over a stream's data in any
 * fragmentation. Capsules the reader does not want are skipped without being
 * buffered (§3.2: unknown types are silently dropped; §3.2 also warns
 * against accumulating a capsule's value); a wanted capsule above the size
 * limit, or a stream ending inside a capsule (§3.3), is a malformed message:
 * H3_MESSAGE_ERROR on the stream.
 */
import { malformed } from './errors.js';
import type { Capsule } from './extension.js';
import { varintLength, varintLengthFromFirstByte, writeVarint } from './varint.js';

/** RFC 9297 §3.5, §5.4. */
export const CapsuleType = { DATAGRAM: 0x00n } as const;

/** One capsule: Type (i), Length (i), Value. */
export function encodeCapsule(type: bigint | number, value: Uint8Array): Uint8Array {
  const out = new Uint8Array(varintLength(type) + varintLength(value.length) + value.length);
  out.set(value, writeVarint(out, writeVarint(out, 0, type), value.length));
  return out;
}

export interface CapsuleDecoderOptions {
  /** Types delivered; others are skipped. Default: everything. */
  readonly wanted?: (type: bigint) => boolean;
  /** Largest value delivered (default 64 KiB). */
  readonly maxCapsuleSize?: number;
}

const EMPTY = new Uint8Array(0);

export class CapsuleDecoder {
  readonly #wanted: (type: bigint) => boolean;
  readonly #max: number;
  #head = new Uint8Array(16);
  #headLength = 0;
  #type = 0n;
  #left = 0;
  #value: Uint8Array | undefined; // undefined while skipping
  #filled = 0;
  #inCapsule = false;

  constructor(options: CapsuleDecoderOptions = {}) {
    this.#wanted = options.wanted ?? (() => true);
    this.#max = options.maxCapsuleSize ?? 64 * 1024;
  }

  /** Feeds the next bytes; returns the capsules they completed. Throws H3_MESSAGE_ERROR (stream) for an oversized wanted capsule. */
  push(chunk: Uint8Array): Capsule[] {
    const out: Capsule[] = [];
    let pos = 0;
    while (pos < chunk.length) {
      if (!this.#inCapsule) {
        // Collect the header (at most two 8-byte varints) byte by byte across chunks.
        this.#head[this.#headLength++] = chunk[pos++]!;
        this.#tryHeader(out);
        continue;
      }
      const n = Math.min(this.#left, chunk.length - pos);
      if (this.#value) this.#value.set(chunk.subarray(pos, pos + n), this.#filled);
      this.#filled += n;
      this.#left -= n;
      pos += n;
      if (this.#left === 0) this.#end(out);
    }
    return out;
  }

  /** The stream ended cleanly: RFC 9297 §3.3, a truncated last capsule is a malformed message. */
  finish(): void {
    if (this.#inCapsule || this.#headLength > 0) throw malformed('stream ended inside a capsule');
  }

  #tryHeader(out: Capsule[]): void {
    const h = this.#head;
    const typeLength = varintLengthFromFirstByte(h[0]!);
    if (this.#headLength <= typeLength) return;
    const lengthLength = varintLengthFromFirstByte(h[typeLength]!);
    if (this.#headLength < typeLength + lengthLength) return;
    let type = BigInt(h[0]! & 0x3f);
    for (let i = 1; i < typeLength; i++) type = (type << 8n) | BigInt(h[i]!);
    let length = h[typeLength]! & 0x3f;
    for (let i = 1; i < lengthLength; i++) length = length * 256 + h[typeLength + i]!;
    this.#headLength = 0;
    this.#type = type;
    this.#left = length;
    this.#filled = 0;
    this.#inCapsule = true;
    if (this.#wanted(type)) {
      if (length > this.#max) throw malformed(`capsule of type 0x${type.toString(16)} has ${length} bytes, above the limit of ${this.#max}`);
      this.#value = length === 0 ? EMPTY : new Uint8Array(length);
    } else this.#value = undefined;
    if (length === 0) this.#end(out);
  }

  #end(out: Capsule[]): void {
    if (this.#value) out.push({ type: this.#type, value: this.#value });
    this.#value = undefined;
    this.#inCapsule = false;
  }
}
