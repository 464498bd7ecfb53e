/**
 * @module core/streams/send-buffer
 * Send-side data of one stream or one CRYPTO level (RFC 9000 §2.2, §13.3):
 * the application's chunks kept as given (no copies), handed out as views for
 * new frames and for retransmission of lost ranges (retransmissions first),
 * released once the acknowledged prefix passes them. Tracks the FIN and
 * whether everything, FIN included, is acknowledged.
 */
import { RangeSet } from '../range-set.js';

export interface Emitted {
  offset: number;
  data: Uint8Array;
  fin: boolean;
}

export class SendBuffer {
  private chunks: Uint8Array[] = [];
  /** Offset of chunks[0]'s first byte (everything below is acknowledged and freed). */
  private base = 0;
  /** Total bytes written by the application. */
  written = 0;
  /** Next offset never sent. */
  nextNew = 0;
  readonly acked = new RangeSet();
  private readonly lost = new RangeSet();
  /** Final size once the application finished. */
  finalSize: number | undefined;
  finSent = false;
  private finLost = false;
  finAcked = false;

  /** Bytes written and not yet acknowledged (the send-buffer budget counts these). */
  get unacked(): number {
    return this.written - this.acked.contiguousEnd(0);
  }

  write(data: Uint8Array): void {
    if (this.finalSize !== undefined) throw new TypeError('write after finish');
    if (data.length === 0) return;
    this.chunks.push(data);
    this.written += data.length;
  }

  finish(): void {
    if (this.finalSize === undefined) this.finalSize = this.written;
  }

  /** Something to send: lost data, new data (within `creditEnd`), or a bare FIN. */
  hasPending(creditEnd = Infinity): boolean {
    return !this.lost.isEmpty || (this.nextNew < this.written && this.nextNew < creditEnd) || this.finPending;
  }

  private get finPending(): boolean {
    return this.finalSize !== undefined && !this.finAcked && ((!this.finSent && this.nextNew === this.finalSize) || this.finLost);
  }

  /** Retransmission of lost data is pending (it needs no new flow-control credit). */
  get hasRetransmit(): boolean {
    return !this.lost.isEmpty || this.finLost;
  }

  /** The offset the next emit() starts at, for sizing the frame header. */
  peekOffset(): number {
    return this.lost.isEmpty ? this.nextNew : this.lost.min!;
  }

  /**
   * Take up to `max` bytes to send: lost ranges first, then new data up to
   * `creditEnd` (flow control). Returns null when nothing fits.
   */
  emit(max: number, creditEnd = Infinity): Emitted | null {
    if (!this.lost.isEmpty) {
      const start = this.lost.min!;
      const end = Math.min(this.lost.contiguousEnd(start), start + max);
      const data = this.view(start, end);
      this.lost.remove(start, start + data.length);
      const fin = this.finalSize !== undefined && start + data.length === this.finalSize && (this.finLost || !this.finSent);
      if (fin) {
        this.finLost = false;
        this.finSent = true;
      }
      return { offset: start, data, fin };
    }
    const limit = Math.min(this.written, creditEnd, this.nextNew + max);
    if (limit > this.nextNew) {
      const data = this.view(this.nextNew, limit);
      const offset = this.nextNew;
      this.nextNew += data.length;
      const fin = this.finalSize !== undefined && this.nextNew === this.finalSize;
      if (fin) this.finSent = true;
      return { offset, data, fin };
    }
    if (this.finPending) {
      this.finLost = false;
      this.finSent = true;
      return { offset: this.finalSize!, data: EMPTY, fin: true };
    }
    return null;
  }

  /**
   * The bytes [start, end) for one frame: a view within one chunk (no copy;
   * a whole chunk is handed out as it is). Where that chunk ends early and
   * it is small, the following chunks are copied in up to `end`, so many
   * small writes (QPACK instructions, one per request) leave as one STREAM
   * frame rather than a frame each. A large chunk at the start is never
   * copied; at most one frame's bytes are.
   */
  private view(start: number, end: number): Uint8Array {
    let off = this.base;
    for (let i = 0; i < this.chunks.length; i++) {
      const c = this.chunks[i]!;
      const next = off + c.length;
      if (start >= next) {
        off = next;
        continue;
      }
      if (next >= end || next - start >= GATHER_BELOW || i + 1 === this.chunks.length) return start === off && end >= next ? c : c.subarray(start - off, Math.min(c.length, end - off));
      return this.gather(i, start - off, end - start);
    }
    return EMPTY;
  }

  /** Copies up to `length` bytes from chunk `i` (from `skip` on) and the chunks after it. */
  private gather(i: number, skip: number, length: number): Uint8Array {
    let want = 0;
    for (let j = i; j < this.chunks.length && want < length; j++) want += this.chunks[j]!.length - (j === i ? skip : 0);
    const out = new Uint8Array(Math.min(want, length));
    let at = 0;
    for (let j = i; at < out.length; j++) {
      const c = this.chunks[j]!;
      const from = j === i ? skip : 0;
      const n = Math.min(c.length - from, out.length - at);
      out.set(n === c.length ? c : c.subarray(from, from + n), at);
      at += n;
    }
    return out;
  }

  onAcked(offset: number, length: number, fin: boolean): void {
    if (length > 0) this.acked.add(offset, offset + length);
    this.lost.remove(offset, offset + length);
    if (fin) {
      this.finAcked = true;
      this.finLost = false;
    }
    // Free chunks below the acknowledged prefix.
    const prefix = this.acked.contiguousEnd(0);
    while (this.chunks.length > 0 && this.base + this.chunks[0]!.length <= prefix) {
      this.base += this.chunks[0]!.length;
      this.chunks.shift();
    }
  }

  onLost(offset: number, length: number, fin: boolean): void {
    for (const [s, e] of this.acked.gaps(offset, offset + length)) this.lost.add(s, e);
    if (fin && !this.finAcked) this.finLost = true;
  }

  /** Everything written, and the FIN, acknowledged. */
  get allAcked(): boolean {
    return this.finalSize !== undefined && this.finAcked && this.acked.contiguousEnd(0) >= this.finalSize;
  }

  /** Drop all data (the stream was reset). */
  discard(): void {
    this.chunks = [];
    this.lost.clear();
  }
}

const EMPTY = new Uint8Array(0);
/** A frame's data is gathered from several chunks when the first one's part is shorter than this. */
const GATHER_BELOW = 512;
