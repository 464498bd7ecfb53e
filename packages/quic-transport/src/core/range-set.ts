/**
 * @module core/range-set
 * A set of non-negative integers stored as sorted, disjoint, non-adjacent
 * half-open ranges [start, end). One structure serves every "which numbers
 * have we seen" question of RFC 9000: received packet numbers per packet
 * number space (§13.2, ACK ranges), received stream and CRYPTO offsets
 * (§2.2 reassembly) and acknowledged send-buffer offsets.
 *
 * Starts and ends live in two flat number arrays; lookups are binary searches.
 * Callers bound `rangeCount` themselves against hostile peers (a peer can
 * fragment a set into many ranges).
 */
export class RangeSet {
  private starts: number[] = [];
  private ends: number[] = [];

  /** Number of disjoint ranges. */
  get rangeCount(): number {
    return this.starts.length;
  }

  get isEmpty(): boolean {
    return this.starts.length === 0;
  }

  /** Smallest member, or undefined when empty. */
  get min(): number | undefined {
    return this.starts[0];
  }

  /** Largest member, or undefined when empty. */
  get max(): number | undefined {
    const n = this.ends.length;
    return n === 0 ? undefined : this.ends[n - 1]! - 1;
  }

  /** Total count of members. */
  get size(): number {
    let n = 0;
    for (let i = 0; i < this.starts.length; i++) n += this.ends[i]! - this.starts[i]!;
    return n;
  }

  /** Index of the first range whose end is >= x (the range that could hold or follow x). */
  private firstEndingAtOrAfter(x: number): number {
    let lo = 0;
    let hi = this.ends.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.ends[mid]! < x) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  has(x: number): boolean {
    const i = this.firstEndingAtOrAfter(x + 1);
    return i < this.starts.length && this.starts[i]! <= x;
  }

  /** True when every member of [start, end) is in the set. */
  covers(start: number, end: number): boolean {
    if (end <= start) return true;
    const i = this.firstEndingAtOrAfter(end);
    return i < this.starts.length && this.starts[i]! <= start;
  }

  /**
   * Add [start, end). Returns how many members were new (0 for a duplicate),
   * so callers can count fresh bytes without a second lookup.
   */
  add(start: number, end: number): number {
    if (!(start >= 0) || !(end >= start)) throw new RangeError(`bad range [${start}, ${end})`);
    if (end === start) return 0;
    // Ranges i..j-1 touch or overlap [start, end) (adjacent ranges merge).
    const i = this.firstEndingAtOrAfter(start);
    let j = i;
    let covered = 0;
    while (j < this.starts.length && this.starts[j]! <= end) {
      covered += Math.min(this.ends[j]!, end) - Math.max(this.starts[j]!, start);
      j++;
    }
    if (j === i) {
      this.starts.splice(i, 0, start);
      this.ends.splice(i, 0, end);
      return end - start;
    }
    const newStart = Math.min(start, this.starts[i]!);
    const newEnd = Math.max(end, this.ends[j - 1]!);
    this.starts.splice(i, j - i, newStart);
    this.ends.splice(i, j - i, newEnd);
    return end - start - Math.max(0, covered);
  }

  /** Remove [start, end). */
  remove(start: number, end: number): void {
    if (end <= start) return;
    const i = this.firstEndingAtOrAfter(start + 1);
    let j = i;
    while (j < this.starts.length && this.starts[j]! < end) j++;
    if (i === j) return;
    const keepStarts: number[] = [];
    const keepEnds: number[] = [];
    if (this.starts[i]! < start) {
      keepStarts.push(this.starts[i]!);
      keepEnds.push(start);
    }
    if (this.ends[j - 1]! > end) {
      keepStarts.push(end);
      keepEnds.push(this.ends[j - 1]!);
    }
    this.starts.splice(i, j - i, ...keepStarts);
    this.ends.splice(i, j - i, ...keepEnds);
  }

  /** Remove every member below x (e.g. packet numbers no longer worth acknowledging). */
  removeBelow(x: number): void {
    if (this.starts.length > 0 && this.starts[0]! < x) this.remove(this.starts[0]!, x);
  }

  /** End of the contiguous run that starts at `from` (== from when `from` is not a member). */
  contiguousEnd(from: number): number {
    const i = this.firstEndingAtOrAfter(from + 1);
    return i < this.starts.length && this.starts[i]! <= from ? this.ends[i]! : from;
  }

  /** Ranges in ascending order as [start, end) pairs. */
  *ranges(): IterableIterator<[number, number]> {
    for (let i = 0; i < this.starts.length; i++) yield [this.starts[i]!, this.ends[i]!];
  }

  /** Ranges in descending order (the order ACK frames list them, RFC 9000 §19.3.1). */
  *rangesDescending(): IterableIterator<[number, number]> {
    for (let i = this.starts.length - 1; i >= 0; i--) yield [this.starts[i]!, this.ends[i]!];
  }

  /** The gaps inside [from, to) that are not members, ascending. */
  *gaps(from: number, to: number): IterableIterator<[number, number]> {
    let cursor = from;
    for (let i = this.firstEndingAtOrAfter(from + 1); i < this.starts.length && cursor < to; i++) {
      const s = this.starts[i]!;
      if (s > cursor) yield [cursor, Math.min(s, to)];
      cursor = Math.max(cursor, this.ends[i]!);
    }
    if (cursor < to) yield [cursor, to];
  }

  clear(): void {
    this.starts.length = 0;
    this.ends.length = 0;
  }
}
