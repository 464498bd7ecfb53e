/**
 * @module qpack/dynamic-table
 * The dynamic table (RFC 9204 §3.2): field lines in first-in, first-out
 * order, addressed by absolute index (§3.2.4); its size is the sum of
 * name + value + 32 per entry (§3.2.1), kept within the capacity by evicting
 * the oldest entries (§3.2.2). Both the encoder and the decoder keep one;
 * the rules on what may be evicted differ and live with each of them.
 */

/** RFC 9204 §3.2.1: the size of an entry is its name and value lengths in octets plus 32. */
export const ENTRY_OVERHEAD = 32;

export function entrySize(name: string, value: string): number {
  return name.length + value.length + ENTRY_OVERHEAD;
}

export interface DynamicEntry {
  readonly name: string;
  readonly value: string;
  readonly size: number;
  /** Encoder only: unacknowledged field sections referencing this entry (RFC 9204 §2.1.1). */
  refs: number;
}

export class DynamicTable {
  /** Entries from the oldest (at `#head`) to the newest; the array is compacted now and then. */
  #entries: DynamicEntry[] = [];
  #head = 0;
  /** The capacity set by the encoder (RFC 9204 §3.2.2); initially zero. */
  capacity = 0;
  /** The sum of the entries' sizes (RFC 9204 §3.2.1). */
  size = 0;
  /** Insertions and duplications so far: the absolute index of the next entry (RFC 9204 §3.2.4). */
  insertCount = 0;

  /** Entries in the table now. */
  get length(): number {
    return this.#entries.length - this.#head;
  }

  /** Absolute index of the oldest entry still in the table: the number of entries evicted. */
  get droppedCount(): number {
    return this.insertCount - this.length;
  }

  /** The entry with this absolute index, or undefined when evicted or not inserted yet. */
  get(absolute: number): DynamicEntry | undefined {
    const i = absolute - this.droppedCount;
    return i >= 0 && absolute < this.insertCount ? this.#entries[this.#head + i] : undefined;
  }

  /** Appends an entry (its room was made by the caller); returns its absolute index. */
  push(name: string, value: string): number {
    const entry: DynamicEntry = { name, value, size: entrySize(name, value), refs: 0 };
    this.#entries.push(entry);
    this.size += entry.size;
    return this.insertCount++;
  }

  /**
   * The absolute index just past the entries that must go for the table's
   * size to be at most `maxSize` (RFC 9204 §3.2.2: oldest first); equal to
   * `droppedCount` when nothing must go.
   */
  evictionEnd(maxSize: number): number {
    let size = this.size;
    let absolute = this.droppedCount;
    while (size > maxSize && absolute < this.insertCount) size -= this.get(absolute++)!.size;
    return absolute;
  }

  /** Evicts the oldest entries until the size is at most `maxSize`; `onEvict` sees each. */
  evict(maxSize: number, onEvict?: (entry: DynamicEntry, absolute: number) => void): void {
    while (this.size > maxSize && this.length > 0) {
      const absolute = this.droppedCount;
      const entry = this.#entries[this.#head]!;
      this.#entries[this.#head++] = undefined as unknown as DynamicEntry;
      this.size -= entry.size;
      onEvict?.(entry, absolute);
    }
    if (this.#head > 64 && this.#head * 2 > this.#entries.length) {
      this.#entries = this.#entries.slice(this.#head);
      this.#head = 0;
    }
  }

  /** The entries, oldest first, with their absolute indices (for inspection and tests). */
  snapshot(): { absolute: number; name: string; value: string; refs: number }[] {
    const out = [];
    for (let a = this.droppedCount; a < this.insertCount; a++) {
      const e = this.get(a)!;
      out.push({ absolute: a, name: e.name, value: e.value, refs: e.refs });
    }
    return out;
  }
}
