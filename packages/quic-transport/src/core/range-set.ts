/**
 * @module core/range-set
 * A set of non-negative integers stored as sorted, disjoint, non-adjacent
 * half-open ranges [start, end). One structure serves every "which numbers
 * have we seen" question of RFC 9000: received packet numbers per packet
 * number space (§13.2, ACK ranges), received stream and CRYPTO offsets
 * (§2.2 reassembly) and acknowledged send-buffer offsets.
 *
 * The ranges live in blocks of at most `2 × blockSize` (starts and ends in
 * two flat number arrays each), found by binary search over the blocks and
 * then within one: a peer that fragments a set into many ranges (tiny
 * out-of-order fragments, selective ACKs) makes an insert cost a search and
 * a splice of one block, never a shift of the whole set. Callers still bound
 * `rangeCount` themselves against hostile peers.
 */

interface Block {
  starts: number[];
  ends: number[];
}

/** A position: block index and index within it (`[blocks.length, 0]` is past the end). */
type Pos = [number, number];

export class RangeSet {
  private blocks: Block[] = [];
  private count = 0;

  /** `blockSize`: ranges per block before one is split in two (tests use small ones). */
  constructor(private readonly blockSize = 64) {}

  /** Number of disjoint ranges. */
  get rangeCount(): number {
    return this.count;
  }

  get isEmpty(): boolean {
    return this.count === 0;
  }

  /** Smallest member, or undefined when empty. */
  get min(): number | undefined {
    return this.blocks[0]?.starts[0];
  }

  /** Largest member, or undefined when empty. */
  get max(): number | undefined {
    const last = this.blocks[this.blocks.length - 1];
    return last ? last.ends[last.ends.length - 1]! - 1 : undefined;
  }

  /** Total count of members. */
  get size(): number {
    let n = 0;
    for (const [s, e] of this.ranges()) n += e - s;
    return n;
  }

  /** The first range whose end is >= x (the range that could hold or follow x). */
  private find(x: number): Pos {
    const bl = this.blocks;
    let lo = 0;
    let hi = bl.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const e = bl[mid]!.ends;
      if (e[e.length - 1]! < x) lo = mid + 1;
      else hi = mid;
    }
    if (lo === bl.length) return [lo, 0];
    const e = bl[lo]!.ends;
    let l = 0;
    let h = e.length;
    while (l < h) {
      const mid = (l + h) >>> 1;
      if (e[mid]! < x) l = mid + 1;
      else h = mid;
    }
    return [lo, l];
  }

  private next([b, i]: Pos): Pos {
    return i + 1 < this.blocks[b]!.starts.length ? [b, i + 1] : [b + 1, 0];
  }

  private at([b, i]: Pos): [number, number] | undefined {
    const blk = this.blocks[b];
    return blk ? [blk.starts[i]!, blk.ends[i]!] : undefined;
  }

  has(x: number): boolean {
    const r = this.at(this.find(x + 1));
    return r !== undefined && r[0] <= x;
  }

  /** True when every member of [start, end) is in the set. */
  covers(start: number, end: number): boolean {
    if (end <= start) return true;
    const r = this.at(this.find(end));
    return r !== undefined && r[0] <= start;
  }

  /**
   * Add [start, end). Returns how many members were new (0 for a duplicate),
   * so callers can count fresh bytes without a second lookup.
   */
  add(start: number, end: number): number {
    if (!(start >= 0) || !(end >= start)) throw new RangeError(`bad range [${start}, ${end})`);
    if (end === start) return 0;
    // The ranges from `from` up to `to` (exclusive) touch or overlap [start, end) (adjacent ranges merge).
    const from = this.find(start);
    let to = from;
    let covered = 0;
    let first: number | undefined;
    let last = 0;
    for (let r = this.at(to); r && r[0] <= end; r = this.at(to)) {
      covered += Math.min(r[1], end) - Math.max(r[0], start);
      first ??= r[0];
      last = r[1];
      to = this.next(to);
    }
    if (first === undefined) {
      this.replace(from, from, [start], [end]);
      return end - start;
    }
    this.replace(from, to, [Math.min(start, first)], [Math.max(end, last)]);
    return end - start - Math.max(0, covered);
  }

  /** Remove [start, end). */
  remove(start: number, end: number): void {
    if (end <= start) return;
    const from = this.find(start + 1);
    let to = from;
    let first: number | undefined;
    let last = 0;
    for (let r = this.at(to); r && r[0] < end; r = this.at(to)) {
      first ??= r[0];
      last = r[1];
      to = this.next(to);
    }
    if (first === undefined) return;
    const starts: number[] = [];
    const ends: number[] = [];
    if (first < start) starts.push(first), ends.push(start);
    if (last > end) starts.push(end), ends.push(last);
    this.replace(from, to, starts, ends);
  }

  /** Remove every member below x (e.g. packet numbers no longer worth acknowledging). */
  removeBelow(x: number): void {
    // Whole blocks below x go at once; then the rest within the first block left.
    let n = 0;
    while (n < this.blocks.length && this.blocks[n]!.ends[this.blocks[n]!.ends.length - 1]! <= x) {
      this.count -= this.blocks[n]!.starts.length;
      n++;
    }
    if (n > 0) this.blocks.splice(0, n);
    const min = this.min;
    if (min !== undefined && min < x) this.remove(min, x);
  }

  /** Replace the ranges in [from, to) by the given ones (sorted, disjoint, fitting there), then rebalance. */
  private replace(from: Pos, to: Pos, starts: number[], ends: number[]): void {
    const bl = this.blocks;
    const [b, i] = from;
    if (bl.length === 0) {
      bl.push({ starts, ends });
      this.count += starts.length;
      return;
    }
    if (b === bl.length) {
      // Past the end: append to the last block.
      const lastBlock = bl[b - 1]!;
      lastBlock.starts.push(...starts);
      lastBlock.ends.push(...ends);
      this.count += starts.length;
      this.rebalance(b - 1);
      return;
    }
    const [b2, i2] = to;
    const blk = bl[b]!;
    let removed: number;
    if (b2 === b) {
      removed = i2 - i;
      blk.starts.splice(i, removed, ...starts);
      blk.ends.splice(i, removed, ...ends);
    } else {
      removed = blk.starts.length - i;
      blk.starts.splice(i, removed, ...starts);
      blk.ends.splice(i, removed, ...ends);
      for (let k = b + 1; k < b2; k++) removed += bl[k]!.starts.length;
      if (b2 < bl.length) {
        removed += i2;
        bl[b2]!.starts.splice(0, i2);
        bl[b2]!.ends.splice(0, i2);
      }
      bl.splice(b + 1, b2 - b - 1);
      if (b + 1 < bl.length && bl[b + 1]!.starts.length === 0) bl.splice(b + 1, 1);
    }
    this.count += starts.length - removed;
    this.rebalance(b);
  }

  /** Keep block `b` non-empty and at most twice the block size. */
  private rebalance(b: number): void {
    const blk = this.blocks[b]!;
    const n = blk.starts.length;
    if (n === 0) this.blocks.splice(b, 1);
    else if (n > 2 * this.blockSize) {
      const half = n >>> 1;
      this.blocks.splice(b + 1, 0, { starts: blk.starts.splice(half), ends: blk.ends.splice(half) });
    }
  }

  /** End of the contiguous run that starts at `from` (== from when `from` is not a member). */
  contiguousEnd(from: number): number {
    const r = this.at(this.find(from + 1));
    return r !== undefined && r[0] <= from ? r[1] : from;
  }

  /** Ranges in ascending order as [start, end) pairs. */
  *ranges(): IterableIterator<[number, number]> {
    for (const blk of this.blocks) for (let i = 0; i < blk.starts.length; i++) yield [blk.starts[i]!, blk.ends[i]!];
  }

  /** Ranges in descending order (the order ACK frames list them, RFC 9000 §19.3.1). */
  *rangesDescending(): IterableIterator<[number, number]> {
    for (let b = this.blocks.length - 1; b >= 0; b--) {
      const blk = this.blocks[b]!;
      for (let i = blk.starts.length - 1; i >= 0; i--) yield [blk.starts[i]!, blk.ends[i]!];
    }
  }

  /** The gaps inside [from, to) that are not members, ascending. */
  *gaps(from: number, to: number): IterableIterator<[number, number]> {
    let cursor = from;
    for (let p = this.find(from + 1), r = this.at(p); r && cursor < to; p = this.next(p), r = this.at(p)) {
      if (r[0] > cursor) yield [cursor, Math.min(r[0], to)];
      cursor = Math.max(cursor, r[1]);
    }
    if (cursor < to) yield [cursor, to];
  }

  clear(): void {
    this.blocks = [];
    this.count = 0;
  }
}
