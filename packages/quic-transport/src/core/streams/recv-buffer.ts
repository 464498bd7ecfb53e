/**
 * @module core/streams/recv-buffer
 * Receive-side reassembly (RFC 9000 §2.2): data arrives as (offset, bytes)
 * in any order and repeated; it is trimmed against what was already
 * received, stored as views (no copy), and handed out in order. Serves
 * STREAM frames and CRYPTO frames (§7.5) alike.
 *
 * Memory is bounded twice against a hostile peer: by bytes (the caller's
 * flow-control or CRYPTO buffer limit, checked before insert) and by the
 * number of disjoint pieces (`maxPieces` per buffer, and optionally a
 * `FragmentBudget` shared by every stream of a connection): a flood of tiny
 * out-of-order fragments beyond either is refused. Work per insert does not
 * grow with the pieces held: pieces are found by their offset (the reader
 * always wants the one at `readOffset`), not kept in a sorted array.
 */
import { RangeSet } from '../range-set.js';

export interface Piece {
  offset: number;
  data: Uint8Array;
}

/** Pieces at least this large are handed out as they are; smaller ones are joined. */
const JOIN_BELOW = 16 * 1024;

/** Pieces held by all the reassembly buffers of one connection, and their ceiling. */
export interface FragmentBudget {
  used: number;
  readonly max: number;
}

export class RecvBuffer {
  /** Pieces not yet read, disjoint, by offset. */
  private pieces = new Map<number, Piece>();
  /** Every offset ever received. */
  readonly received = new RangeSet();
  /** Next offset the reader gets. */
  readOffset = 0;
  /** Bytes stored and not yet read. */
  buffered = 0;

  constructor(
    readonly maxPieces = 4096,
    private readonly budget?: FragmentBudget,
  ) {}

  /** Highest offset received + 1. */
  get highest(): number {
    return this.received.isEmpty ? 0 : this.received.max! + 1;
  }

  /**
   * Insert data; returns the number of new bytes, or -1 when it would need
   * more than `maxPieces` pieces (the caller closes the connection).
   */
  insert(offset: number, data: Uint8Array): number {
    const end = offset + data.length;
    if (end <= this.readOffset || data.length === 0) return 0;
    if (offset < this.readOffset) {
      data = data.subarray(this.readOffset - offset);
      offset = this.readOffset;
    }
    // Beyond everything received (in-order data, the common case): all of it is new, one piece.
    if (this.received.isEmpty || offset > this.received.max!) {
      if (!this.admit(1)) return -1;
      this.received.add(offset, end);
      this.buffered += data.length;
      this.pieces.set(offset, { offset, data });
      return data.length;
    }
    if (this.received.covers(offset, end)) return 0;
    let added = 0;
    const fresh: Piece[] = [];
    for (const [s, e] of this.received.gaps(offset, end)) {
      fresh.push({ offset: s, data: data.subarray(s - offset, e - offset) });
      added += e - s;
    }
    if (!this.admit(fresh.length)) return -1;
    this.received.add(offset, end);
    this.buffered += added;
    for (const p of fresh) this.pieces.set(p.offset, p);
    return added;
  }

  /** Room for `n` more pieces, within `maxPieces` and the shared budget (taken from it): false when there is none. */
  private admit(n: number): boolean {
    if (this.pieces.size + n > this.maxPieces) return false;
    if (!this.budget) return true;
    if (this.budget.used + n > this.budget.max) return false;
    this.budget.used += n;
    return true;
  }

  /** Bytes readable now (contiguous from readOffset). */
  get readable(): number {
    return this.received.contiguousEnd(this.readOffset) - this.readOffset;
  }

  /**
   * Up to `max` contiguous bytes from readOffset: a view of the first piece
   * when it is large (no copy: big datagrams are read as they came), else
   * small pieces joined into one array (fewer, larger reads for the
   * application). Null when nothing is readable.
   */
  read(max = Infinity): Uint8Array | null {
    const ps = this.pieces;
    const first = ps.get(this.readOffset);
    if (!first) return null;
    if (first.data.length > max) {
      const out = first.data.subarray(0, max);
      ps.delete(first.offset);
      first.data = first.data.subarray(max);
      first.offset += max;
      ps.set(first.offset, first);
      this.readOffset += max;
      this.buffered -= max;
      return out;
    }
    // Join contiguous small pieces up to max (a large one goes alone).
    const run: Piece[] = [first];
    let total = first.data.length;
    if (first.data.length < JOIN_BELOW) {
      for (let p = ps.get(this.readOffset + total); p && p.data.length < JOIN_BELOW && total + p.data.length <= max; p = ps.get(this.readOffset + total)) {
        run.push(p);
        total += p.data.length;
      }
    }
    let out: Uint8Array;
    if (run.length === 1) out = first.data;
    else {
      out = new Uint8Array(total);
      let o = 0;
      for (const p of run) {
        out.set(p.data, o);
        o += p.data.length;
      }
    }
    for (const p of run) ps.delete(p.offset);
    if (this.budget) this.budget.used -= run.length;
    this.readOffset += total;
    this.buffered -= total;
    return out;
  }

  /** Drop everything (after a reset): memory released, offsets kept. */
  discard(): void {
    if (this.budget) this.budget.used -= this.pieces.size;
    this.pieces = new Map();
    this.buffered = 0;
  }
}
