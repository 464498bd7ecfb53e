/**
 * @module core/datagram-buffers
 * Where datagrams are built, one per endpoint (shared by its connections,
 * which are served one at a time). Datagrams are built one after another in
 * a slab (64 KiB) and leave as views of it — no allocation and no copy per
 * datagram; a full slab is left to the datagrams still using it (the garbage
 * collector frees it after the last one is sent) and a fresh one started. A
 * large datagram (PMTUD on loopback: up to 64 KB) takes the rest of its slab
 * with it, and the I/O layer may give that buffer back once sent
 * (`recycle`). Nothing is carried from one datagram to the next: every byte
 * sent is written by the call that builds it.
 */

/** Datagrams at least this large take the rest of their slab with them (and may come back through `recycle`). */
export const HAND_OFF = 8 * 1024;
/** The slab small datagrams are carved from. */
export const SLAB = 64 * 1024;
const MAX_SPARES = 32;
const EMPTY = new Uint8Array(0);

export class DatagramBuffers {
  private area: Uint8Array = EMPTY;
  /** Where the next datagram starts in `area`. */
  private cursor = 0;
  /** Areas given back by `recycle` once their datagram was sent (bounded). */
  private readonly spares: Uint8Array[] = [];

  /**
   * Room for a datagram of up to `size` bytes: build it in the returned
   * buffer from `start` on, then `take` what was written.
   */
  reserve(size: number): Uint8Array {
    if (this.area.length - this.cursor < size) {
      this.area = EMPTY;
      while (this.area.length < size) this.area = this.spares.pop() ?? new Uint8Array(Math.max(SLAB, size));
      this.cursor = 0;
    }
    return this.area;
  }

  /** Where the datagram being built starts in the buffer `reserve` returned. */
  get start(): number {
    return this.cursor;
  }

  /** The `length` bytes built from `start`, as the datagram (a view: the slab moves on past it). */
  take(length: number): Uint8Array {
    const d = this.area.subarray(this.cursor, this.cursor + length);
    this.cursor += length;
    // A large datagram takes the slab: `recycle` may hand it back as a whole once it is sent.
    if (length >= HAND_OFF) this.area = EMPTY;
    return d;
  }

  /**
   * A large datagram the I/O layer has finished sending (the socket's send
   * callback ran): its buffer becomes a work area again instead of garbage.
   * Nothing may hold the datagram afterwards. Only a datagram that began its
   * slab qualifies (nothing else was built in that buffer).
   */
  recycle(datagram: Uint8Array): void {
    if (datagram.byteOffset !== 0 || datagram.length < HAND_OFF || this.spares.length >= MAX_SPARES) return;
    this.spares.push(new Uint8Array(datagram.buffer));
  }
}
