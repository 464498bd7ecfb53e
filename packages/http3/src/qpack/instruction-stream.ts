/**
 * @module qpack/instruction-stream
 * Reassembly of an unframed instruction stream (the encoder and decoder
 * streams of RFC 9204 §4.2) from fragments of any size. Whole instructions
 * are parsed straight from the caller's bytes; only an incomplete tail is
 * kept. A tail is re-parsed only once enough bytes arrived for the part of
 * it already known (a string's length is known before its bytes), so a
 * trickled instruction costs linear, not quadratic, time; how much a tail may
 * grow is bounded by the parser's own limits (RFC 9204 §7.4).
 */
import type { QpackErrorCode } from './errors.js';
import { Reader, Truncated } from './reader.js';

export class InstructionStream<T> {
  #buf = new Uint8Array(0);
  #start = 0;
  #end = 0;
  /** Bytes the buffered instruction needs before another parse can succeed. */
  #need = 0;

  constructor(
    private readonly code: QpackErrorCode,
    private readonly parse: (r: Reader) => T,
  ) {}

  /** Bytes held for an incomplete instruction. */
  get buffered(): number {
    return this.#end - this.#start;
  }

  /** Feeds the stream's next bytes; `apply` runs for each complete instruction, in order, before the next is parsed. */
  push(bytes: Uint8Array, apply: (instruction: T) => void): void {
    let src = bytes;
    let pos = 0;
    let end = bytes.length;
    if (this.#end > this.#start) {
      this.#append(bytes);
      if (this.#end - this.#start < this.#need) return;
      src = this.#buf;
      pos = this.#start;
      end = this.#end;
    }
    while (pos < end) {
      const r = new Reader(src, pos, end, this.code);
      let instruction: T;
      try {
        instruction = this.parse(r);
      } catch (e) {
        if (!(e instanceof Truncated)) throw e;
        this.#keep(src, pos, end);
        this.#need = e.end - pos;
        return;
      }
      pos = r.pos;
      apply(instruction);
    }
    this.#start = this.#end = this.#need = 0;
    if (this.#buf.length > 4096) this.#buf = new Uint8Array(0); // a long instruction's buffer is not kept
  }

  #keep(src: Uint8Array, pos: number, end: number): void {
    if (src === this.#buf) {
      this.#start = pos;
      return;
    }
    this.#start = this.#end = 0;
    this.#append(src.subarray(pos, end));
  }

  #append(bytes: Uint8Array): void {
    const held = this.#end - this.#start;
    if (this.#end + bytes.length > this.#buf.length) {
      // compact to the front, growing when compaction alone does not make room
      if (held + bytes.length > this.#buf.length) {
        const next = new Uint8Array(Math.max(held + bytes.length, 2 * this.#buf.length, 64));
        next.set(this.#buf.subarray(this.#start, this.#end));
        this.#buf = next;
      } else this.#buf.copyWithin(0, this.#start, this.#end);
      this.#start = 0;
      this.#end = held;
    }
    this.#buf.set(bytes, this.#end);
    this.#end += bytes.length;
  }
}
