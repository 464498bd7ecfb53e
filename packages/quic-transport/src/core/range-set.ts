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

/** A set of non-negative integers kept as sorted, disjoint ranges (received packet numbers, ACK ranges, stream offsets). */
export class RangeSet {
  private blocks: Block[] = [];
  private count = 0;
  /** A cursor over the ranges (block, index), set by `seek` and moved by `step`: no allocation per lookup. */
  private cb = 0;
  private ci = 0;

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

  /** Put the cursor on the first range whose end is >= x (the range that could hold or follow x); false when there is none. */
  private seek(x: number): boolean {
    const bl = this.blocks;
    let lo = 0;
    let hi = bl.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const e = bl[mid]!.ends;
      if (e[e.length - 1]! < x) lo = mid + 1;
      else hi = mid;
    }
    this.cb = lo;
    this.ci = 0;
    if (lo === bl.length) return false;
    const e = bl[lo]!.ends;
    let l = 0;
    let h = e.length;
    while (l < h) {
      const mid = (l + h) >>> 1;
      if (e[mid]! < x) l = mid + 1;
      else h = mid;
    }
    this.ci = l;
    return true;
  }

  /** Move the cursor to the next range; false past the last. */
  private step(): boolean {
    if (++this.ci < this.blocks[this.cb]!.starts.length) return true;
    this.cb++;
    this.ci = 0;
    return this.cb < this.blocks.length;
  }

  private get curStart(): number {
    return this.blocks[this.cb]!.starts[this.ci]!;
  }

  private get curEnd(): number {
    return this.blocks[this.cb]!.ends[this.ci]!;
  }

  /** Whether `x` is in the set. */
  has(x: number): boolean {
    return this.seek(x + 1) && this.curStart <= x;
  }

  /** True when every member of [start, end) is in the set. */
  covers(start: number, end: number): boolean {
    if (end <= start) return true;
    return this.seek(end) && this.curStart <= start;
  }

  /**
   * Add [start, end). Returns how many members were new (0 for a duplicate),
   * so callers can count fresh bytes without a second lookup.
   */
  add(start: number, end: number): number {
    if (!(start >= 0) || !(end >= start)) throw new RangeError(`bad range [${start}, ${end})`);
    if (end === start) return 0;
    // In-order arrival (stream data, packet numbers): at or past the end of the last range.
    const last = this.blocks[this.blocks.length - 1];
    if (last) {
      const n = last.ends.length - 1;
      if (start === last.ends[n]!) {
        last.ends[n] = end;
        return end - start;
      }
      if (start > last.ends[n]!) {
        last.starts.push(start);
        last.ends.push(end);
        this.count++;
        this.rebalance(this.blocks.length - 1);
        return end - start;
      }
    }
    // The ranges from the cursor on that touch or overlap [start, end) (adjacent ranges merge).
    let more = this.seek(start);
    const fb = this.cb;
    const fi = this.ci;
    let covered = 0;
    let first = -1;
    let lastEnd = 0;
    while (more && this.curStart <= end) {
      covered += Math.min(this.curEnd, end) - Math.max(this.curStart, start);
      if (first < 0) first = this.curStart;
      lastEnd = this.curEnd;
      more = this.step();
    }
    if (first < 0) {
      this.replace(fb, fi, fb, fi, start, end, -1, -1);
      return end - start;
    }
    this.replace(fb, fi, this.cb, this.ci, Math.min(start, first), Math.max(end, lastEnd), -1, -1);
    return end - start - Math.max(0, covered);
  }

  /** Remove [start, end). */
  remove(start: number, end: number): void {
    if (end <= start) return;
    let more = this.seek(start + 1);
    const fb = this.cb;
    const fi = this.ci;
    let first = -1;
    let lastEnd = 0;
    while (more && this.curStart < end) {
      if (first < 0) first = this.curStart;
      lastEnd = this.curEnd;
      more = this.step();
    }
    if (first < 0) return;
    // What is left of the first and the last range overlapped, if anything.
    const keepLow = first < start;
    const keepHigh = lastEnd > end;
    if (keepLow && keepHigh) this.replace(fb, fi, this.cb, this.ci, first, start, end, lastEnd);
    else if (keepLow) this.replace(fb, fi, this.cb, this.ci, first, start, -1, -1);
    else if (keepHigh) this.replace(fb, fi, this.cb, this.ci, end, lastEnd, -1, -1);
    else this.replace(fb, fi, this.cb, this.ci, -1, -1, -1, -1);
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

  /**
   * Replace the ranges from (b, i) up to (b2, i2) (exclusive) by at most two
   * ranges [s1, e1) and [s2, e2) (-1: none), sorted and fitting there; then rebalance.
   */
  private replace(b: number, i: number, b2: number, i2: number, s1: number, e1: number, s2: number, e2: number): void {
    const bl = this.blocks;
    const added = (s1 >= 0 ? 1 : 0) + (s2 >= 0 ? 1 : 0);
    if (bl.length === 0) {
      // The first ranges: arrays of their exact size (a push or splice into an empty array reserves
      // 17 slots, ~300 bytes a set — most sets of an idle connection hold one range for good).
      if (added > 0) this.blocks = [s2 >= 0 ? { starts: [s1, s2], ends: [e1, e2] } : { starts: [s1], ends: [e1] }];
      this.count += added;
      return;
    }
    if (b === bl.length) {
      // Past the end: append to the last block.
      b = b2 = bl.length - 1;
      i = i2 = bl[b]!.starts.length;
    }
    const blk = bl[b]!;
    let removed: number;
    if (b2 === b) removed = i2 - i;
    else {
      removed = blk.starts.length - i;
      for (let k = b + 1; k < b2; k++) removed += bl[k]!.starts.length;
      if (b2 < bl.length) {
        removed += i2;
        bl[b2]!.starts.splice(0, i2);
        bl[b2]!.ends.splice(0, i2);
      }
    }
    const cut = b2 === b ? i2 - i : blk.starts.length - i;
    if (added === 0) {
      blk.starts.splice(i, cut);
      blk.ends.splice(i, cut);
    } else if (added === 1) {
      blk.starts.splice(i, cut, s1);
      blk.ends.splice(i, cut, e1);
    } else {
      blk.starts.splice(i, cut, s1, s2);
      blk.ends.splice(i, cut, e1, e2);
    }
    if (b2 > b) {
      bl.splice(b + 1, b2 - b - 1);
      if (b + 1 < bl.length && bl[b + 1]!.starts.length === 0) bl.splice(b + 1, 1);
    }
    this.count += added - removed;
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
    return this.seek(from + 1) && this.curStart <= from ? this.curEnd : from;
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

  /** The first number in [from, to) that is not a member, or -1 when there is none: the start of `gaps(from, to)`'s first, without an iterator (the ACK policy asks once per packet received). */
  firstGap(from: number, to: number): number {
    let cursor = from;
    if (cursor < to && this.seek(from + 1)) {
      do {
        if (this.curStart > cursor) break;
        cursor = Math.max(cursor, this.curEnd);
      } while (cursor < to && this.step());
    }
    return cursor < to ? cursor : -1;
  }

  /** The gaps inside [from, to) that are not members, ascending. */
  *gaps(from: number, to: number): IterableIterator<[number, number]> {
    let cursor = from;
    if (this.seek(from + 1)) {
      // A generator may be interleaved with other calls: walk with its own position.
      for (let b = this.cb, i = this.ci; b < this.blocks.length && cursor < to; i = 0, b++) {
        const blk = this.blocks[b]!;
        for (; i < blk.starts.length && cursor < to; i++) {
          if (blk.starts[i]! > cursor) yield [cursor, Math.min(blk.starts[i]!, to)];
          cursor = Math.max(cursor, blk.ends[i]!);
        }
      }
    }
    if (cursor < to) yield [cursor, to];
  }

  /** Remove every range. */
  clear(): void {
    this.blocks = [];
    this.count = 0;
  }
}
