/**
 * @module qpack/byte-writer
 * A growable byte buffer: what every QPACK encoding function writes into
 * (field sections, encoder- and decoder-stream instructions).
 */

/** What `take()` returns when nothing was written (every field section flushes the encoder stream, mostly with nothing). */
const NOTHING = new Uint8Array(0);

export class ByteWriter {
  #buf: Uint8Array;
  /** Bytes written so far. */
  length = 0;

  constructor(initialCapacity = 256) {
    this.#buf = new Uint8Array(initialCapacity);
  }

  /** Makes room for `n` more bytes. */
  reserve(n: number): void {
    const needed = this.length + n;
    if (needed <= this.#buf.length) return;
    const next = new Uint8Array(Math.max(needed, this.#buf.length * 2));
    next.set(this.#buf.subarray(0, this.length));
    this.#buf = next;
  }

  byte(b: number): void {
    if (this.length === this.#buf.length) this.reserve(1);
    this.#buf[this.length++] = b;
  }

  bytes(b: Uint8Array): void {
    this.reserve(b.length);
    this.#buf.set(b, this.length);
    this.length += b.length;
  }

  /** Writes the characters of `s` (each 0..255, checked by the caller) as octets. */
  latin1(s: string): void {
    this.reserve(s.length);
    const buf = this.#buf;
    let n = this.length;
    for (let i = 0; i < s.length; i++) buf[n++] = s.charCodeAt(i);
    this.length = n;
  }

  /** The underlying buffer, valid up to `length` until the next write. */
  get buffer(): Uint8Array {
    return this.#buf;
  }

  /** A copy of the bytes written (nothing written: one shared empty array, not a new one per call); the writer is emptied for reuse. */
  take(): Uint8Array {
    if (this.length === 0) return NOTHING;
    const out = this.#buf.slice(0, this.length);
    this.length = 0;
    return out;
  }
}
