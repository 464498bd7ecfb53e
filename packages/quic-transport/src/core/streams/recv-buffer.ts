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
 * out-of-order fragments beyond either is refused.
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
  /** Pieces not yet read, sorted by offset, disjoint. */
  private pieces: Piece[] = [];
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
    if (this.received.covers(offset, end)) return 0;
    let added = 0;
    const fresh: Piece[] = [];
    for (const [s, e] of this.received.gaps(offset, end)) {
      fresh.push({ offset: s, data: data.subarray(s - offset, e - offset) });
      added += e - s;
    }
    if (this.pieces.length + fresh.length > this.maxPieces) return -1;
    if (this.budget && this.budget.used + fresh.length > this.budget.max) return -1;
    if (this.budget) this.budget.used += fresh.length;
    this.received.add(offset, end);
    this.buffered += added;
    for (const p of fresh) this.place(p);
    return added;
  }

  private place(p: Piece): void {
    const ps = this.pieces;
    // Common case: in-order arrival appends.
    if (ps.length === 0 || ps[ps.length - 1]!.offset < p.offset) {
      ps.push(p);
      return;
    }
    let lo = 0;
    let hi = ps.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ps[mid]!.offset < p.offset) lo = mid + 1;
      else hi = mid;
    }
    ps.splice(lo, 0, p);
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
    if (ps.length === 0 || ps[0]!.offset !== this.readOffset) return null;
    const first = ps[0]!;
    if (first.data.length > max) {
      const out = first.data.subarray(0, max);
      first.data = first.data.subarray(max);
      first.offset += max;
      this.readOffset += max;
      this.buffered -= max;
      return out;
    }
    // Join contiguous small pieces up to max (a large one goes alone).
    let total = 0;
    let n = 0;
    while (n < ps.length && ps[n]!.offset === this.readOffset + total && total + ps[n]!.data.length <= max && (n === 0 || (first.data.length < JOIN_BELOW && ps[n]!.data.length < JOIN_BELOW))) {
      total += ps[n]!.data.length;
      n++;
    }
    let out: Uint8Array;
    if (n === 1) out = first.data;
    else {
      out = new Uint8Array(total);
      let o = 0;
      for (let i = 0; i < n; i++) {
        out.set(ps[i]!.data, o);
        o += ps[i]!.data.length;
      }
    }
    ps.splice(0, n);
    if (this.budget) this.budget.used -= n;
    this.readOffset += total;
    this.buffered -= total;
    return out;
  }

  /** Drop everything (after a reset): memory released, offsets kept. */
  discard(): void {
    if (this.budget) this.budget.used -= this.pieces.length;
    this.pieces = [];
    this.buffered = 0;
  }
}
