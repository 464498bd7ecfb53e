/**
 * @module byte-reader
 * Pull-based reading of a `ReadableStream<Uint8Array>` in protocol units
 * (bytes, QUIC varints, exact lengths, bounded chunks), over chunks of any
 * size. Every read is bounded by the caller; nothing here allocates by a
 * length the peer chose without the caller having checked it first.
 */
import { Reader, varintLengthOfFirstByte } from '@tsquic/quic-wire';

const EMPTY = new Uint8Array(0);

/** The stream ended cleanly in the middle of a unit the caller asked for. */
export class EndOfStreamError extends Error {
  override readonly name = 'EndOfStreamError';
}

export class StreamByteReader {
  readonly #reader: ReadableStreamDefaultReader<Uint8Array>;
  #chunk: Uint8Array = EMPTY;
  #pos = 0;
  #ended = false;

  constructor(readable: ReadableStream<Uint8Array>) {
    this.#reader = readable.getReader();
  }

  /** Makes at least one unread byte available; false once the stream has ended. Rejects as the stream does (resets). */
  async #fill(): Promise<boolean> {
    while (this.#pos >= this.#chunk.length) {
      if (this.#ended) return false;
      const { value, done } = await this.#reader.read();
      if (done) {
        this.#ended = true;
        this.#chunk = EMPTY;
        this.#pos = 0;
        return false;
      }
      this.#chunk = value;
      this.#pos = 0;
    }
    return true;
  }

  /** True when the stream ended cleanly and every byte has been read. */
  async atEnd(): Promise<boolean> {
    return !(await this.#fill());
  }

  /** The next byte, or undefined at the end of the stream. */
  async readByte(): Promise<number | undefined> {
    if (!(await this.#fill())) return undefined;
    return this.#chunk[this.#pos++]!;
  }

  /**
   * A QUIC varint (RFC 9000 §16) as a number (exact below 2^53), or undefined
   * when the stream ends before its first byte; EndOfStreamError inside it.
   */
  async readVarint(): Promise<number | undefined> {
    if (!(await this.#fill())) return undefined;
    const length = varintLengthOfFirstByte(this.#chunk[this.#pos]!);
    const bytes = length <= this.#chunk.length - this.#pos ? this.#take(length) : await this.readExact(length);
    return new Reader(bytes).varint();
  }

  #take(n: number): Uint8Array {
    const out = this.#chunk.subarray(this.#pos, this.#pos + n);
    this.#pos += n;
    return out;
  }

  /** Exactly `n` bytes (a view when they lie in one chunk, else a copy); EndOfStreamError if the stream ends first. */
  async readExact(n: number): Promise<Uint8Array> {
    if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`cannot read ${n} bytes`);
    if (n === 0) return EMPTY;
    if (!(await this.#fill())) throw new EndOfStreamError(`stream ended, ${n} bytes expected`);
    if (this.#chunk.length - this.#pos >= n) return this.#take(n);
    const out = new Uint8Array(n);
    let filled = 0;
    while (filled < n) {
      if (!(await this.#fill())) throw new EndOfStreamError(`stream ended, ${n - filled} of ${n} bytes missing`);
      const part = this.#take(Math.min(n - filled, this.#chunk.length - this.#pos));
      out.set(part, filled);
      filled += part.length;
    }
    return out;
  }

  /** Up to `max` bytes from what has arrived (at least one), or undefined at the end of the stream. */
  async readChunk(max: number): Promise<Uint8Array | undefined> {
    if (!(max > 0)) throw new RangeError(`cannot read ${max} bytes`);
    if (!(await this.#fill())) return undefined;
    return this.#take(Math.min(max, this.#chunk.length - this.#pos));
  }

  /** Discards exactly `n` bytes without keeping them; EndOfStreamError if the stream ends first. */
  async skip(n: number): Promise<void> {
    let left = n;
    while (left > 0) {
      if (!(await this.#fill())) throw new EndOfStreamError(`stream ended, ${left} bytes of ${n} to skip missing`);
      const step = Math.min(left, this.#chunk.length - this.#pos);
      this.#pos += step;
      left -= step;
    }
  }

  /** Stops reading: STOP_SENDING with `reason.code` on a QUIC stream. Never rejects. */
  async cancel(reason?: unknown): Promise<void> {
    this.#chunk = EMPTY;
    this.#pos = 0;
    this.#ended = true;
    await this.#reader.cancel(reason).catch(() => undefined);
  }
}
