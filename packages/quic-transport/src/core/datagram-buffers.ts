/**
 * @module core/datagram-buffers
 * The work area datagrams are built in, one per endpoint (shared by its
 * connections, which are served one at a time). A fresh zeroed buffer of the
 * path's maximum (64 KB after PMTUD) for every datagram costs far more than
 * the datagram when it is small — a receiver's ACKs are a few dozen bytes —
 * so small datagrams are built here and copied out at their size; a large one
 * takes the area with it, and the I/O layer may give its buffer back once
 * sent (`recycle`). Nothing is carried from one datagram to the next: every
 * byte sent is written by the call that builds it.
 */

/** Datagrams at least this large keep the work area instead of being copied out. */
export const HAND_OFF = 8 * 1024;
const MAX_SPARES = 32;
const EMPTY = new Uint8Array(0);

export class DatagramBuffers {
  private area: Uint8Array = EMPTY;
  /** Areas given back by `recycle` once their datagram was sent (bounded). */
  private readonly spares: Uint8Array[] = [];

  /** A work area of at least `size` bytes. */
  get(size: number): Uint8Array {
    while (this.area.length < size) this.area = this.spares.pop() ?? new Uint8Array(size);
    return this.area;
  }

  /** `buf` leaves as a datagram: the next `get` takes a spare or a new area. */
  release(buf: Uint8Array): void {
    if (buf === this.area) this.area = EMPTY;
  }

  /**
   * A large datagram the I/O layer has finished sending (the socket's send
   * callback ran): its buffer becomes a work area again instead of garbage.
   * Nothing may hold the datagram afterwards.
   */
  recycle(datagram: Uint8Array): void {
    if (datagram.byteOffset !== 0 || datagram.buffer.byteLength < HAND_OFF || this.spares.length >= MAX_SPARES) return;
    this.spares.push(new Uint8Array(datagram.buffer));
  }
}
