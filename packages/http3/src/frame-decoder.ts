/**
 * @module frame-decoder
 * Frames off a stream's bytes (RFC 9114 §7.1), sans-IO: the caller feeds
 * chunks as they arrive, in any fragmentation, and takes events one at a
 * time: whole frames (HEADERS, SETTINGS, GOAWAY, …: buffered up to a limit the
 * caller sets per type), pieces of streamed frames (DATA: zero-copy views of
 * the input, never buffered), and nothing for skipped frames (unknown and
 * reserved types, §9). At a clean end of stream, a frame cut short is
 * H3_FRAME_ERROR (§7.1).
 */
import { connectionError, H3ErrorCode, type Http3Error } from './errors.js';
import { varintLengthFromFirstByte } from './varint.js';

/** What to do with a frame, decided from its header (the decision may throw the error the rules call for). */
export type FrameDisposition = { readonly action: 'buffer'; readonly max: number; readonly tooLarge: () => Http3Error } | { readonly action: 'stream' } | { readonly action: 'skip' };

export type FrameEvent =
  /** A whole buffered frame: a view of the input chunk when it arrived in one, else a copy. */
  | { readonly kind: 'frame'; readonly type: number; readonly payload: Uint8Array }
  /** A streamed frame's header (its payload follows in `data` events). */
  | { readonly kind: 'start'; readonly type: number; readonly length: number }
  /** A piece of a streamed frame's payload: a view of the input chunk. */
  | { readonly kind: 'data'; readonly chunk: Uint8Array };

const EMPTY = new Uint8Array(0);

export class FrameDecoder {
  /** Header bytes of a frame whose header spans chunks (at most 16), made the first time one does. */
  #head: Uint8Array | undefined;
  #headLength = 0;
  #mode: 'header' | 'buffer' | 'stream' | 'skip' = 'header';
  #type = 0;
  #left = 0;
  #buffer: Uint8Array = EMPTY;
  #filled = 0;
  #chunk: Uint8Array = EMPTY;
  #pos = 0;

  constructor(private readonly dispose: (type: number, length: number) => FrameDisposition) {}

  /** True between frames (a clean place for the stream to end). */
  get atBoundary(): boolean {
    return this.#mode === 'header' && this.#headLength === 0;
  }

  /** True when everything fed has been consumed (feed the next chunk). */
  get drained(): boolean {
    return this.#pos >= this.#chunk.length;
  }

  /** Gives the decoder the stream's next bytes; call only once the previous ones are drained. */
  feed(chunk: Uint8Array): void {
    if (!this.drained) throw new Error('FrameDecoder.feed() before the previous chunk was consumed');
    this.#chunk = chunk;
    this.#pos = 0;
  }

  /**
   * The next event from the bytes fed so far, or undefined when more are
   * needed. Each frame's header is disposed of only when it is reached, so
   * a caller acting on one event (e.g. a HEADERS frame) changes how the
   * next frames are judged. Throws `Http3Error` as `dispose` does.
   */
  next(): FrameEvent | undefined {
    const chunk = this.#chunk;
    while (this.#pos < chunk.length) {
      if (this.#mode === 'header') {
        const e = this.#readHeader(chunk);
        if (e) return e;
        continue;
      }
      const n = Math.min(this.#left, chunk.length - this.#pos);
      const start = this.#pos;
      this.#pos += n;
      this.#left -= n;
      if (this.#mode === 'stream') {
        if (this.#left === 0) this.#mode = 'header';
        return { kind: 'data', chunk: chunk.subarray(start, start + n) };
      }
      if (this.#mode === 'buffer') {
        this.#buffer.set(chunk.subarray(start, start + n), this.#filled);
        this.#filled += n;
      }
      if (this.#left === 0) {
        const e = this.#endFrame();
        if (e) return e;
      }
    }
    return undefined;
  }

  /** Every event the bytes fed so far complete (for callers that need no laziness). */
  push(chunk: Uint8Array): FrameEvent[] {
    this.feed(chunk);
    const events: FrameEvent[] = [];
    for (let e = this.next(); e; e = this.next()) events.push(e);
    return events;
  }

  /** The stream ended cleanly: RFC 9114 §7.1, a truncated last frame is H3_FRAME_ERROR. */
  finish(): void {
    if (!this.atBoundary) throw connectionError(H3ErrorCode.H3_FRAME_ERROR, `stream ended inside a frame${this.#mode === 'header' ? ' header' : ` of type 0x${this.#type.toString(16)}`}`);
  }

  /** Parses (or continues) a frame header at the current position; returns an event when the header completes one. */
  #readHeader(chunk: Uint8Array): FrameEvent | undefined {
    const pos = this.#pos;
    // Fast path: the whole header lies in this chunk.
    let bytes = chunk;
    let at = pos;
    let end = chunk.length;
    if (this.#headLength > 0) {
      const take = Math.min(16 - this.#headLength, chunk.length - pos);
      bytes = this.#head!;
      bytes.set(chunk.subarray(pos, pos + take), this.#headLength);
      at = 0;
      end = this.#headLength + take;
    }
    const typeLength = varintLengthFromFirstByte(bytes[at]!);
    const lengthAt = at + typeLength;
    const lengthLength = lengthAt < end ? varintLengthFromFirstByte(bytes[lengthAt]!) : 8;
    if (lengthAt + lengthLength > end) {
      // Incomplete: keep what we have (a header is at most 16 bytes).
      if (this.#headLength === 0) (this.#head ??= new Uint8Array(16)).set(chunk.subarray(pos), 0);
      this.#headLength = this.#headLength === 0 ? chunk.length - pos : end;
      this.#pos = chunk.length;
      return undefined;
    }
    const type = readVarint(bytes, at, typeLength);
    const length = readVarint(bytes, lengthAt, lengthLength);
    const consumed = lengthAt + lengthLength - at;
    // When the header began in an earlier chunk, only its tail came from this one.
    this.#pos = pos + consumed - this.#headLength;
    this.#headLength = 0;
    return this.#startFrame(type, length);
  }

  #startFrame(type: number, length: number): FrameEvent | undefined {
    const d = this.dispose(type, length);
    this.#type = type;
    this.#left = length;
    if (d.action === 'buffer') {
      if (length > d.max) throw d.tooLarge();
      const chunk = this.#chunk;
      const pos = this.#pos;
      if (length > 0 && chunk.length - pos >= length) {
        // The whole payload is in this chunk (a small frame, nearly always): a view of it, not a copy. Chunks fed
        // are never written again (a streamed frame's data events are views of them too).
        this.#pos = pos + length;
        this.#left = 0;
        this.#mode = 'header';
        return { kind: 'frame', type, payload: chunk.subarray(pos, pos + length) };
      }
      this.#mode = 'buffer';
      this.#buffer = length === 0 ? EMPTY : new Uint8Array(length);
      this.#filled = 0;
      return length === 0 ? this.#endFrame() : undefined;
    }
    this.#mode = d.action;
    if (d.action === 'stream') {
      const start: FrameEvent = { kind: 'start', type, length };
      if (length === 0) this.#mode = 'header';
      return start;
    }
    if (length === 0) this.#mode = 'header';
    return undefined;
  }

  #endFrame(): FrameEvent | undefined {
    const mode = this.#mode;
    this.#mode = 'header';
    if (mode !== 'buffer') return undefined;
    const e: FrameEvent = { kind: 'frame', type: this.#type, payload: this.#buffer };
    this.#buffer = EMPTY;
    return e;
  }
}

/** A varint of known length at `at` (RFC 9000 §16), as a number (exact below 2^53). */
function readVarint(bytes: Uint8Array, at: number, length: number): number {
  let value = bytes[at]! & 0x3f;
  for (let i = 1; i < length; i++) value = value * 256 + bytes[at + i]!;
  return value;
}
