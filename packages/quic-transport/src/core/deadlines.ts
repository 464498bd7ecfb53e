/**
 * @module core/deadlines
 * An endpoint's connection deadlines: an indexed binary min-heap of each
 * connection's next timer (its `pollTimeout()`), so the earliest is read in
 * O(1) and a connection's deadline is changed, added or removed in
 * O(log n). The endpoint's `pollTimeout` and `handleTimeout`, and so every
 * datagram's handling, cost nothing per idle connection.
 */

export class DeadlineQueue<T> {
  private readonly items: T[] = [];
  private readonly at: number[] = [];
  private readonly index = new Map<T, number>();

  get size(): number {
    return this.items.length;
  }

  /** The earliest deadline, or null when none is set. */
  peek(): number | null {
    return this.items.length > 0 ? this.at[0]! : null;
  }

  /** The deadline of `item`, or null. */
  get(item: T): number | null {
    const i = this.index.get(item);
    return i === undefined ? null : this.at[i]!;
  }

  /** Set (or, with null, remove) `item`'s deadline. */
  set(item: T, deadline: number | null): void {
    const i = this.index.get(item);
    if (deadline === null || deadline === Infinity) {
      if (i !== undefined) this.removeAt(i);
      return;
    }
    if (i === undefined) {
      this.items.push(item);
      this.at.push(deadline);
      this.index.set(item, this.items.length - 1);
      this.up(this.items.length - 1);
      return;
    }
    const old = this.at[i]!;
    this.at[i] = deadline;
    if (deadline < old) this.up(i);
    else this.down(i);
  }

  delete(item: T): void {
    this.set(item, null);
  }

  /** Remove and return an item whose deadline is at or before `now`, or undefined. */
  popDue(now: number): T | undefined {
    if (this.items.length === 0 || this.at[0]! > now) return undefined;
    const item = this.items[0]!;
    this.removeAt(0);
    return item;
  }

  private removeAt(i: number): void {
    const last = this.items.length - 1;
    this.index.delete(this.items[i]!);
    if (i !== last) {
      this.items[i] = this.items[last]!;
      this.at[i] = this.at[last]!;
      this.index.set(this.items[i]!, i);
    }
    this.items.pop();
    this.at.pop();
    if (i < this.items.length) {
      this.up(i);
      this.down(i);
    }
  }

  private up(i: number): void {
    while (i > 0) {
      const p = (i - 1) >> 1;
      if (this.at[p]! <= this.at[i]!) return;
      this.swap(i, p);
      i = p;
    }
  }

  private down(i: number): void {
    const n = this.items.length;
    for (;;) {
      const l = 2 * i + 1;
      const r = l + 1;
      let m = i;
      if (l < n && this.at[l]! < this.at[m]!) m = l;
      if (r < n && this.at[r]! < this.at[m]!) m = r;
      if (m === i) return;
      this.swap(i, m);
      i = m;
    }
  }

  private swap(a: number, b: number): void {
    [this.items[a], this.items[b]] = [this.items[b]!, this.items[a]!];
    [this.at[a], this.at[b]] = [this.at[b]!, this.at[a]!];
    this.index.set(this.items[a]!, a);
    this.index.set(this.items[b]!, b);
  }
}
