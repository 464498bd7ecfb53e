/**
 * @module qpack/encoder
 * The QPACK encoder (RFC 9204 §2.1) and its strategy for using the peer's
 * dynamic table: static references first; a field line seen a second time is
 * inserted (with a name reference where one exists) and referenced; an
 * entry close to eviction is not referenced but duplicated (§2.1.1.1);
 * references to entries not yet acknowledged are made only within the
 * peer's SETTINGS_QPACK_BLOCKED_STREAMS (§2.1.2); nothing is evicted while
 * unacknowledged (§2.1.1). Fields whose value changes from one message to
 * the next (content-length, etag, location, …) are never indexed as whole
 * lines: a reference would save the peer a few octets but cost it a Section
 * Acknowledgment on its decoder stream per message (§4.4.1), and a peer
 * that caps its pending decoder-stream bytes (nghttp3 0.8 fails the
 * connection past 2,000) then dies of many small responses read at once.
 * Encoding is single-pass with Base = the Insert
 * Count when the section starts, as in Appendix C: entries inserted for a
 * section are referenced post-Base (§3.2.6). Sensitive fields go out as
 * literals with the 'N' bit (§7.1.3). Sans-IO: field lines in, bytes out.
 */
import { ByteWriter } from './byte-writer.js';
import { type DecoderInstruction, readDecoderInstruction } from './decoder-instructions.js';
import type { QpackStats } from './decoder.js';
import { DynamicTable, type DynamicEntry, entrySize } from './dynamic-table.js';
import { encodeEncoderInstruction, type EncoderInstruction } from './encoder-instructions.js';
import { checkCount, ConnectionErrorLatch, QpackError, QpackErrorCode } from './errors.js';
import { encodeFieldLine, type FieldLine, type FieldLineRepresentation } from './field-lines.js';
import { encodeFieldSectionPrefix, maxEntries } from './field-section-prefix.js';
import { InstructionStream } from './instruction-stream.js';
import { type HuffmanMode, isOctetString } from './string-literal.js';
import { staticIndexOf, staticNameIndexOf } from './static-table.js';

/** When the encoder inserts a field line it has no entry for: on its second sighting, at once, or never. */
export type IndexingPolicy = 'repeated' | 'eager' | 'never';

export interface QpackEncoderOptions {
  /** The peer's SETTINGS_QPACK_MAX_TABLE_CAPACITY (RFC 9204 §5); 0 until its SETTINGS arrive (§3.2.3). */
  maxTableCapacity: number;
  /** The peer's SETTINGS_QPACK_BLOCKED_STREAMS (RFC 9204 §5). */
  maxBlockedStreams: number;
  /** 'auto' (default): Huffman-code a literal when that is shorter. */
  huffman?: HuffmanMode;
  /** Our own bound on the table we keep for the peer (RFC 9204 §7.3); the capacity used is the smaller of this and `maxTableCapacity`. Default 4096. */
  tableCapacityLimit?: number;
  /** Default 'repeated'. */
  indexing?: IndexingPolicy;
}

/** RFC 9204 §2.1.1.1: keep this fraction of the capacity free or evictable; entries needed for it are draining. */
const DRAINING_FRACTION = 1 / 4;
/** Entries larger than this fraction of the capacity are not inserted: one would flush most of the table. */
const MAX_ENTRY_FRACTION = 3 / 4;
/** Unacknowledged field sections whose references we track (RFC 9204 §7.3); past it, sections use no dynamic references. */
const MAX_TRACKED_SECTIONS = 4096;

/** A field section with dynamic references, awaiting its Section Acknowledgment (RFC 9204 §4.4.1). */
interface SentSection {
  readonly requiredInsertCount: number;
  readonly refs: readonly number[];
}

/** The encoding of one field section in progress. */
interface SectionContext {
  readonly base: number;
  /** Whether this section may reference entries the decoder has not acknowledged (RFC 9204 §2.1.2). */
  readonly mayBlock: boolean;
  /** Whether this section may reference the dynamic table at all. */
  readonly mayReference: boolean;
  /** The smallest absolute index this section references (RFC 9204 §2.1.1.1). */
  readonly drainingIndex: number;
  requiredInsertCount: number;
  readonly refs: number[];
}

const { DECODER_STREAM_ERROR } = QpackErrorCode;
/** RFC 9204 §4.5.2: an indexed field line of the static table, 'T' bit set; indices below 63 fit its 6-bit prefix. */
const INDEXED_STATIC = 0b1100_0000;
const STATIC_ONE_BYTE = 63;

/** RFC 9204 §7.1.3: credentials and short (guessable) cookies are never indexed. */
function isSensitive(name: string, value: string): boolean {
  return name === 'authorization' || name === 'proxy-authorization' || (name === 'cookie' && value.length < 20);
}

/**
 * Fields whose values differ per message: written as literals with a name
 * reference, never inserted or referenced as whole lines (see the module
 * comment; nghttp3's encoder keeps the same list, and :path too, which we
 * index on repetition as RFC 9204 Appendix B does).
 */
const PER_MESSAGE: ReadonlySet<string> = new Set(['age', 'content-length', 'etag', 'if-modified-since', 'if-none-match', 'location', 'set-cookie']);

const fieldKey = (name: string, value: string): string => `${name}\u0000${value}`;

export class QpackEncoder {
  readonly stats: QpackStats = { inserts: 0, duplicates: 0, dynamicReferences: 0, blockedSections: 0 };
  readonly #huffman: HuffmanMode;
  readonly #indexing: IndexingPolicy;
  readonly #limit: number;
  #maxTableCapacity = 0;
  #maxEntries = 0;
  #maxBlockedStreams = 0;
  /** The capacity we use: min(limit, the peer's maximum); announced before the first insertion. */
  #capacity = 0;
  readonly #table = new DynamicTable();
  /** Newest absolute index of each field line (by name, then value) and of each name in the table. */
  readonly #byField = new Map<string, Map<string, number>>();
  readonly #byName = new Map<string, number>();
  /** Known Received Count (RFC 9204 §2.1.4). */
  #knownReceived = 0;
  /** Unacknowledged sections with dynamic references, per stream, oldest first. */
  readonly #sections = new Map<bigint, SentSection[]>();
  #sectionCount = 0;
  /** Streams that could be blocked (RFC 9204 §2.1.2): their largest Required Insert Count above the Known Received Count. */
  readonly #blocking = new Map<bigint, number>();
  /** 'repeated': field lines seen once, oldest first, within a budget of octets. */
  readonly #seen = new Set<string>();
  #seenOctets = 0;
  readonly #out = new ByteWriter(256);
  readonly #lines = new ByteWriter(512);
  readonly #prefix = new ByteWriter(16);
  readonly #decoderStream = new InstructionStream(DECODER_STREAM_ERROR, readDecoderInstruction);
  readonly #latch = new ConnectionErrorLatch();

  constructor(options: QpackEncoderOptions) {
    checkCount('tableCapacityLimit', options.tableCapacityLimit);
    this.#huffman = options.huffman ?? 'auto';
    this.#indexing = options.indexing ?? 'repeated';
    this.#limit = options.tableCapacityLimit ?? 4096;
    this.#settings(options.maxTableCapacity, options.maxBlockedStreams);
  }

  /**
   * The peer's SETTINGS arrived after the encoder was made (RFC 9204 §3.2.3:
   * the maximum is 0 until then). With 0-RTT the remembered non-zero maximum
   * must be repeated: any other value is QPACK_DECODER_STREAM_ERROR.
   */
  applyPeerSettings(settings: { maxTableCapacity: number; maxBlockedStreams: number }): void {
    this.#latch.run(() => {
      if (this.#maxTableCapacity !== 0 && settings.maxTableCapacity !== this.#maxTableCapacity) {
        throw new QpackError(DECODER_STREAM_ERROR, `SETTINGS_QPACK_MAX_TABLE_CAPACITY ${settings.maxTableCapacity} differs from the remembered ${this.#maxTableCapacity} (RFC 9204 §3.2.3)`);
      }
      this.#settings(settings.maxTableCapacity, settings.maxBlockedStreams);
    });
  }

  #settings(maxTableCapacity: number, maxBlockedStreams: number): void {
    checkCount('maxTableCapacity', maxTableCapacity);
    checkCount('maxBlockedStreams', maxBlockedStreams);
    this.#maxTableCapacity = maxTableCapacity;
    this.#maxEntries = maxEntries(maxTableCapacity);
    this.#maxBlockedStreams = maxBlockedStreams;
    this.#capacity = this.#indexing === 'never' ? 0 : Math.min(this.#limit, maxTableCapacity);
  }

  /** The table as we built it for the peer, with each entry's unacknowledged references (for inspection and tests). */
  get table(): { capacity: number; size: number; insertCount: number; knownReceivedCount: number; entries: { absolute: number; name: string; value: string; refs: number }[] } {
    const t = this.#table;
    return { capacity: t.capacity, size: t.size, insertCount: t.insertCount, knownReceivedCount: this.#knownReceived, entries: t.snapshot() };
  }

  /** Streams that could be blocked now (at most the peer's SETTINGS_QPACK_BLOCKED_STREAMS). */
  get blockingStreams(): number {
    return this.#blocking.size;
  }

  /**
   * Encodes a field section for `streamId`; may queue encoder-stream
   * instructions (take them with `takeEncoderStreamData` and send them
   * before or with the section). Names and values are octet strings: a
   * character above 0xff is a RangeError.
   */
  encodeFieldSection(streamId: bigint, fields: readonly FieldLine[]): Uint8Array {
    this.#latch.throwIfFailed();
    const direct = this.#staticSection(fields);
    if (direct) return direct;
    try {
      return this.#encodeSection(streamId, fields);
    } catch (e) {
      this.#latch.record(e);
      throw e;
    }
  }

  /** The general path of `encodeFieldSection`: references, insertions, the section's bookkeeping. */
  #encodeSection(streamId: bigint, fields: readonly FieldLine[]): Uint8Array {
    for (const f of fields) {
      if (!isOctetString(f.name) || !isOctetString(f.value)) throw new RangeError(`field ${JSON.stringify(f.name.slice(0, 40))} has a character above 0xff`);
    }
    const ctx = this.#startSection(streamId);
    this.#lines.length = 0;
    for (const f of fields) this.#encodeLine(ctx, f);
    const { requiredInsertCount, refs } = ctx;
    this.#prefix.length = 0;
    encodeFieldSectionPrefix(this.#prefix, { requiredInsertCount, base: ctx.base }, this.#maxEntries);
    const out = new Uint8Array(this.#prefix.length + this.#lines.length);
    out.set(this.#prefix.buffer.subarray(0, this.#prefix.length));
    out.set(this.#lines.buffer.subarray(0, this.#lines.length), this.#prefix.length);
    if (requiredInsertCount > 0) {
      let queue = this.#sections.get(streamId);
      if (!queue) this.#sections.set(streamId, (queue = []));
      queue.push({ requiredInsertCount, refs });
      this.#sectionCount++;
      if (requiredInsertCount > this.#knownReceived) {
        this.#blocking.set(streamId, Math.max(requiredInsertCount, this.#blocking.get(streamId) ?? 0));
        this.stats.blockedSections++;
      }
    }
    return out;
  }

  /**
   * A section whose every line is an exact match in the static table with an
   * index below 63 (a response's bare `:status: 200`): Required Insert Count
   * and Base 0 (RFC 9204 §4.5.1), one indexed field line byte each (§4.5.2),
   * no table or section state touched — the bytes the general path writes
   * for it. Undefined for any other section.
   */
  #staticSection(fields: readonly FieldLine[]): Uint8Array | undefined {
    for (const f of fields) {
      if (f.neverIndex === true || isSensitive(f.name, f.value)) return undefined;
      const index = staticIndexOf(f.name, f.value);
      if (index === undefined || index >= STATIC_ONE_BYTE) return undefined;
    }
    const out = new Uint8Array(2 + fields.length);
    for (let i = 0; i < fields.length; i++) out[2 + i] = INDEXED_STATIC | staticIndexOf(fields[i]!.name, fields[i]!.value)!;
    return out;
  }

  /**
   * Inserts field lines ahead of use (RFC 9204 §2.1: an encoder MAY insert any
   * entry), where they fit without evicting anything not yet evictable;
   * lines already in the table are skipped. Returns how many were inserted.
   */
  prime(fields: readonly FieldLine[]): number {
    return this.#latch.run(() => {
      let n = 0;
      for (const { name, value } of fields) {
        if (!isOctetString(name) || !isOctetString(value)) throw new RangeError(`field ${JSON.stringify(name.slice(0, 40))} has a character above 0xff`);
        if (this.#byField.get(name)?.get(value) === undefined && this.#insert(name, value) !== undefined) n++;
      }
      return n;
    });
  }

  /** Bytes to write on our encoder stream (type 0x02) now; empty when nothing is pending. */
  takeEncoderStreamData(): Uint8Array {
    return this.#out.take();
  }

  /** Bytes read from the peer's decoder stream, any fragmentation. Throws `QpackError(DECODER_STREAM_ERROR)`. */
  receiveDecoderStream(bytes: Uint8Array): void {
    this.#latch.run(() => this.#decoderStream.push(bytes, (ins) => this.#onDecoderInstruction(ins)));
  }

  #startSection(streamId: bigint): SectionContext {
    const mayReference = this.#capacity > 0 && this.#sectionCount < MAX_TRACKED_SECTIONS;
    const mayBlock = mayReference && (this.#blocking.has(streamId) || this.#blocking.size < this.#maxBlockedStreams);
    return { base: this.#table.insertCount, mayBlock, mayReference, drainingIndex: this.#drainingIndex(), requiredInsertCount: 0, refs: [] };
  }

  /**
   * RFC 9204 §2.1.1.1: the draining index. Entries below it are the oldest
   * ones that would have to go to keep DRAINING_FRACTION of the capacity free;
   * they get no new references, so they become evictable.
   */
  #drainingIndex(): number {
    const t = this.#table;
    const reserve = this.#capacity * DRAINING_FRACTION;
    let free = this.#capacity - t.size;
    let absolute = t.droppedCount;
    while (free < reserve && absolute < t.insertCount) free += t.get(absolute++)!.size;
    return absolute;
  }

  #referenceable(ctx: SectionContext, absolute: number): boolean {
    return ctx.mayReference && absolute >= ctx.drainingIndex && (absolute < this.#knownReceived || ctx.mayBlock) && this.#table.get(absolute) !== undefined;
  }

  #reference(ctx: SectionContext, absolute: number): void {
    this.#table.get(absolute)!.refs++;
    ctx.refs.push(absolute);
    if (absolute >= ctx.requiredInsertCount) ctx.requiredInsertCount = absolute + 1;
    this.stats.dynamicReferences++;
  }

  #encodeLine(ctx: SectionContext, field: FieldLine): void {
    const { name, value } = field;
    const neverIndex = field.neverIndex === true || isSensitive(name, value);
    if (!neverIndex) {
      const exact = staticIndexOf(name, value);
      if (exact !== undefined) return this.#emit({ kind: 'indexed', table: 'static', index: exact });
      const absolute = ctx.mayReference && !PER_MESSAGE.has(name) ? this.#dynamicEntryFor(ctx, name, value) : undefined;
      if (absolute !== undefined) {
        this.#reference(ctx, absolute);
        return this.#emit(absolute < ctx.base ? { kind: 'indexed', table: 'dynamic', index: ctx.base - 1 - absolute } : { kind: 'indexed', table: 'post-base', index: absolute - ctx.base });
      }
    }
    const staticName = staticNameIndexOf(name);
    if (staticName !== undefined) return this.#emit({ kind: 'name-reference', table: 'static', index: staticName, value, neverIndex });
    const absolute = this.#byName.get(name);
    if (absolute !== undefined && this.#referenceable(ctx, absolute)) {
      this.#reference(ctx, absolute);
      const index = absolute < ctx.base ? ctx.base - 1 - absolute : absolute - ctx.base;
      return this.#emit({ kind: 'name-reference', table: absolute < ctx.base ? 'dynamic' : 'post-base', index, value, neverIndex });
    }
    this.#emit({ kind: 'literal', name, value, neverIndex });
  }

  #emit(rep: FieldLineRepresentation): void {
    encodeFieldLine(this.#lines, rep, this.#huffman);
  }

  /**
   * The entry this section can reference for the whole line, inserting or
   * duplicating one when the strategy says so and the table allows.
   */
  #dynamicEntryFor(ctx: SectionContext, name: string, value: string): number | undefined {
    // two lookups on the caller's own strings (their hashes are cached), not one on a fresh concatenation
    let absolute = this.#byField.get(name)?.get(value);
    if (absolute !== undefined) {
      if (this.#referenceable(ctx, absolute)) return absolute;
      // §2.1.1.1: rather than reference an entry close to eviction, duplicate it and reference the copy.
      absolute = absolute < ctx.drainingIndex ? this.#duplicate(absolute) : undefined;
    } else if (this.#shouldInsert(fieldKey(name, value), entrySize(name, value))) {
      absolute = this.#insert(name, value);
    }
    return absolute !== undefined && this.#referenceable(ctx, absolute) ? absolute : undefined;
  }

  #shouldInsert(key: string, size: number): boolean {
    if (this.#capacity === 0 || size > this.#capacity * MAX_ENTRY_FRACTION) return false;
    if (this.#indexing === 'eager') return true;
    if (this.#seen.delete(key)) {
      this.#seenOctets -= key.length;
      return true;
    }
    // first sighting: remember it, forgetting the oldest past a budget of four table capacities
    this.#seen.add(key);
    this.#seenOctets += key.length;
    for (const old of this.#seen) {
      if (this.#seenOctets <= 4 * this.#capacity) break;
      this.#seen.delete(old);
      this.#seenOctets -= old.length;
    }
    return false;
  }

  /**
   * Whether an entry of `size` octets fits after evicting only evictable
   * entries (RFC 9204 §2.1.1: acknowledged, no unacknowledged references),
   * and the encoder stream's unsent bytes stay bounded (§7.3).
   */
  #canInsert(size: number): boolean {
    if (size > this.#capacity || this.#out.length > this.#capacity) return false;
    const t = this.#table;
    const end = t.evictionEnd(this.#capacity - size);
    for (let a = t.droppedCount; a < end; a++) if (a >= this.#knownReceived || t.get(a)!.refs > 0) return false;
    return true;
  }

  /** Inserts a field line (RFC 9204 §4.3.2, §4.3.3), by name reference where the static or dynamic table has the name. */
  #insert(name: string, value: string): number | undefined {
    if (!this.#canInsert(entrySize(name, value))) return undefined;
    const staticName = staticNameIndexOf(name);
    const dynamicName = this.#byName.get(name);
    let ins: EncoderInstruction;
    if (staticName !== undefined) ins = { type: 'insert-name-reference', table: 'static', index: staticName, value };
    // a reference on the encoder stream never precludes eviction (§2.1.1): any entry still in the table will do
    else if (dynamicName !== undefined) ins = { type: 'insert-name-reference', table: 'dynamic', index: this.#table.insertCount - 1 - dynamicName, value };
    else ins = { type: 'insert-literal-name', name, value };
    return this.#add(ins, name, value);
  }

  /** Duplicates an entry (RFC 9204 §4.3.4). */
  #duplicate(absolute: number): number | undefined {
    const entry = this.#table.get(absolute)!;
    if (!this.#canInsert(entry.size)) return undefined;
    this.stats.duplicates++;
    return this.#add({ type: 'duplicate', index: this.#table.insertCount - 1 - absolute }, entry.name, entry.value);
  }

  /** Writes the instruction (after Set Dynamic Table Capacity when not sent yet), evicts, appends. */
  #add(ins: EncoderInstruction, name: string, value: string): number {
    const t = this.#table;
    if (t.capacity !== this.#capacity) {
      // §3.2.2: the initial capacity is zero; the encoder sends Set Dynamic Table Capacity to begin.
      encodeEncoderInstruction(this.#out, { type: 'set-capacity', capacity: this.#capacity }, this.#huffman);
      t.capacity = this.#capacity;
    }
    encodeEncoderInstruction(this.#out, ins, this.#huffman);
    t.evict(t.capacity - entrySize(name, value), (e, a) => this.#forget(e, a));
    const absolute = t.push(name, value);
    let values = this.#byField.get(name);
    if (!values) this.#byField.set(name, (values = new Map()));
    values.set(value, absolute);
    this.#byName.set(name, absolute);
    this.stats.inserts++;
    return absolute;
  }

  #forget(entry: DynamicEntry, absolute: number): void {
    const values = this.#byField.get(entry.name)!;
    if (values.get(entry.value) === absolute) values.delete(entry.value);
    if (values.size === 0) this.#byField.delete(entry.name);
    if (this.#byName.get(entry.name) === absolute) this.#byName.delete(entry.name);
  }

  /** One decoder-stream instruction (RFC 9204 §4.4). */
  #onDecoderInstruction({ type, value }: DecoderInstruction): void {
    if (type === 'insert-count-increment') {
      // §4.4.3: an Increment of 0, or one past what the encoder sent, MUST be QPACK_DECODER_STREAM_ERROR.
      if (value === 0) throw new QpackError(DECODER_STREAM_ERROR, 'Insert Count Increment of 0 (RFC 9204 §4.4.3)');
      if (this.#knownReceived + value > this.#table.insertCount) {
        throw new QpackError(DECODER_STREAM_ERROR, `Insert Count Increment of ${value} takes the Known Received Count to ${this.#knownReceived + value}, past the ${this.#table.insertCount} insertions sent (RFC 9204 §4.4.3)`);
      }
      this.#acknowledgeInserts(this.#knownReceived + value);
      return;
    }
    const streamId = BigInt(value);
    const queue = this.#sections.get(streamId);
    if (type === 'stream-cancellation') {
      // §4.4.2: every reference on the stream is released; nothing is implied about insertions.
      if (!queue) return;
      this.#sections.delete(streamId);
      this.#blocking.delete(streamId);
      for (const s of queue) this.#release(s);
      return;
    }
    // §4.4.1: an acknowledgment for a stream with nothing unacknowledged MUST be QPACK_DECODER_STREAM_ERROR.
    if (!queue) throw new QpackError(DECODER_STREAM_ERROR, `Section Acknowledgment for stream ${streamId}, which has no unacknowledged field section with dynamic references (RFC 9204 §4.4.1)`);
    const section = queue.shift()!;
    this.#release(section);
    if (queue.length === 0) {
      this.#sections.delete(streamId);
      this.#blocking.delete(streamId);
    } else {
      const largest = Math.max(...queue.map((s) => s.requiredInsertCount));
      if (largest > this.#knownReceived) this.#blocking.set(streamId, largest);
      else this.#blocking.delete(streamId);
    }
    // §2.1.4: an acknowledged section implies the decoder has every insertion up to its Required Insert Count.
    if (section.requiredInsertCount > this.#knownReceived) this.#acknowledgeInserts(section.requiredInsertCount);
  }

  #release(section: SentSection): void {
    for (const a of section.refs) this.#table.get(a)!.refs--; // referenced entries are never evicted (§2.1.1)
    this.#sectionCount--;
  }

  #acknowledgeInserts(knownReceived: number): void {
    this.#knownReceived = knownReceived;
    for (const [streamId, largest] of this.#blocking) if (largest <= knownReceived) this.#blocking.delete(streamId);
  }
}
