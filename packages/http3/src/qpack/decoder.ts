/**
 * @module qpack/decoder
 * The QPACK decoder (RFC 9204 §2.2): applies the peer's encoder stream to
 * its copy of the dynamic table (§4.3), decodes field sections (§4.5),
 * holds sections whose Required Insert Count is not reached yet (§2.2.1) up
 * to SETTINGS_QPACK_BLOCKED_STREAMS (§2.1.2), and writes the decoder stream:
 * Section Acknowledgment, Stream Cancellation, Insert Count Increment
 * (§4.4). Every rule a hostile encoder can break ends in a `QpackError` with
 * the §6 code; memory is bounded by the settings (§7.3). Sans-IO: bytes in,
 * bytes and field lines out.
 */
import { ByteWriter } from './byte-writer.js';
import { encodeDecoderInstruction } from './decoder-instructions.js';
import { type DynamicEntry, DynamicTable, ENTRY_OVERHEAD } from './dynamic-table.js';
import { type EncoderInstruction, readEncoderInstruction } from './encoder-instructions.js';
import { checkCount, ConnectionErrorLatch, FieldSectionTooLargeError, QpackError, QpackErrorCode } from './errors.js';
import { type FieldLine, type FieldLineRepresentation, readFieldLine } from './field-lines.js';
import { type FieldSectionPrefix, maxEntries, readFieldSectionPrefix } from './field-section-prefix.js';
import { InstructionStream } from './instruction-stream.js';
import { Reader, Truncated } from './reader.js';
import { STATIC_TABLE } from './static-table.js';

export interface QpackDecoderOptions {
  /** Our SETTINGS_QPACK_MAX_TABLE_CAPACITY (RFC 9204 §5). */
  maxTableCapacity: number;
  /** Our SETTINGS_QPACK_BLOCKED_STREAMS (RFC 9204 §5). */
  maxBlockedStreams: number;
  /** Our SETTINGS_MAX_FIELD_SECTION_SIZE (RFC 9114 §4.2.2); unlimited when absent. */
  maxFieldSectionSize?: number;
}

export type DecodeResult = { fields: FieldLine[] } | { blocked: true };

/**
 * A blocked section the encoder stream made decodable: its field lines, or
 * the size error it would have thrown from `decodeFieldSection`.
 */
export type UnblockedSection = { streamId: bigint; fields: FieldLine[] } | { streamId: bigint; error: FieldSectionTooLargeError };

export interface QpackStats {
  /** Insertions into the dynamic table (Insert with Name Reference, Insert with Literal Name, Duplicate). */
  inserts: number;
  /** Of them, Duplicates. */
  duplicates: number;
  /** Field lines that referenced the dynamic table (indexed or by name). */
  dynamicReferences: number;
  /** Field sections that were blocked (decoder) or could block (encoder) on the encoder stream. */
  blockedSections: number;
}

interface BlockedSection {
  readonly section: Uint8Array;
  readonly pos: number;
  readonly requiredInsertCount: number;
  readonly base: number;
}

/** A decoded field line that references the dynamic table, noted for the checks after the section. */
interface Reference {
  min: number;
  max: number;
}

const { DECOMPRESSION_FAILED, ENCODER_STREAM_ERROR } = QpackErrorCode;

export class QpackDecoder {
  readonly stats: QpackStats = { inserts: 0, duplicates: 0, dynamicReferences: 0, blockedSections: 0 };
  readonly #maxTableCapacity: number;
  readonly #maxBlockedStreams: number;
  readonly #maxFieldSectionSize: number;
  readonly #maxEntries: number;
  readonly #table = new DynamicTable();
  readonly #encoderStream: InstructionStream<EncoderInstruction>;
  /** Blocked sections by stream, in the order the streams blocked (RFC 9204 §2.2.1). */
  readonly #blocked = new Map<bigint, BlockedSection[]>();
  /** Decoder-stream bytes not taken yet. */
  readonly #out = new ByteWriter(64);
  /** The Known Received Count the encoder will have after reading all we queued (RFC 9204 §2.1.4). */
  #knownReceived = 0;
  /** The Known Received Count as of the decoder-stream bytes already taken (sent). */
  #knownReceivedSent = 0;
  /** The oldest entry referenced by a decoded section whose acknowledgment is not taken yet. */
  #oldestUnacknowledgedReference = Infinity;
  readonly #latch = new ConnectionErrorLatch();

  constructor(options: QpackDecoderOptions) {
    checkCount('maxTableCapacity', options.maxTableCapacity);
    checkCount('maxBlockedStreams', options.maxBlockedStreams);
    checkCount('maxFieldSectionSize', options.maxFieldSectionSize);
    this.#maxTableCapacity = options.maxTableCapacity;
    this.#maxBlockedStreams = options.maxBlockedStreams;
    this.#maxFieldSectionSize = options.maxFieldSectionSize ?? Infinity;
    this.#maxEntries = maxEntries(options.maxTableCapacity);
    this.#encoderStream = new InstructionStream(ENCODER_STREAM_ERROR, (r) =>
      // An entry of a name and a value each of length L is at least L + 32 octets (raw), or
      // (8L - 7) / 30 + 32 Huffman-coded; 4 * capacity bounds the latter loosely (RFC 9204 §7.4).
      readEncoderInstruction(r, (huffman) => (huffman ? 4 * this.#table.capacity : this.#table.capacity - ENTRY_OVERHEAD)),
    );
  }

  /** The dynamic table as the peer's encoder built it (for inspection and tests). */
  get table(): { capacity: number; size: number; insertCount: number; knownReceivedCount: number; entries: { absolute: number; name: string; value: string }[] } {
    const t = this.#table;
    const entries = t.snapshot().map(({ absolute, name, value }) => ({ absolute, name, value }));
    return { capacity: t.capacity, size: t.size, insertCount: t.insertCount, knownReceivedCount: this.#knownReceivedSent, entries };
  }

  /** Streams with a section waiting for the encoder stream. */
  get blockedStreams(): number {
    return this.#blocked.size;
  }

  /** Bytes held for an incomplete encoder-stream instruction (bounded by about 8 times the table capacity). */
  get bufferedEncoderStreamBytes(): number {
    return this.#encoderStream.buffered;
  }

  /**
   * Decodes a field section received on `streamId`. Returns `{ blocked: true }`
   * (and keeps a copy) when its Required Insert Count is not reached yet.
   * Throws `QpackError(DECOMPRESSION_FAILED)` for a malformed section, and
   * `FieldSectionTooLargeError` past `maxFieldSectionSize`.
   */
  decodeFieldSection(streamId: bigint, section: Uint8Array): DecodeResult {
    this.#latch.throwIfFailed();
    try {
      return this.#decodeSection(streamId, section);
    } catch (e) {
      this.#latch.record(e);
      throw e;
    }
  }

  #decodeSection(streamId: bigint, section: Uint8Array): DecodeResult {
    const r = new Reader(section, 0, section.length, DECOMPRESSION_FAILED);
    let prefix: FieldSectionPrefix;
    try {
      prefix = readFieldSectionPrefix(r, this.#maxEntries, this.#table.insertCount);
    } catch (e) {
      throw truncated(r, e);
    }
    const { requiredInsertCount, base } = prefix;
    const queue = this.#blocked.get(streamId);
    if (requiredInsertCount <= this.#table.insertCount && queue === undefined) {
      return { fields: this.#decodeLines(streamId, r, requiredInsertCount, base) };
    }
    if (queue === undefined) {
      // RFC 9204 §2.1.2: more blocked streams than promised MUST be treated as QPACK_DECOMPRESSION_FAILED.
      if (this.#blocked.size >= this.#maxBlockedStreams) {
        throw new QpackError(DECOMPRESSION_FAILED, `stream ${streamId} would be blocked stream number ${this.#blocked.size + 1}; SETTINGS_QPACK_BLOCKED_STREAMS is ${this.#maxBlockedStreams} (RFC 9204 §2.1.2)`);
      }
      this.#blocked.set(streamId, []);
    }
    // A later section on a blocked stream waits behind the earlier one (RFC 9204 §2.2.1).
    this.#blocked.get(streamId)!.push({ section: section.slice(), pos: r.pos, requiredInsertCount, base });
    this.stats.blockedSections++;
    return { blocked: true as const };
  }

  /**
   * Applies bytes of the peer's encoder stream (any fragmentation) and returns
   * the blocked sections that became decodable, in the order they blocked
   * (one too large for `maxFieldSectionSize` comes as `{ streamId, error }`).
   * Throws `QpackError(ENCODER_STREAM_ERROR)`, or DECOMPRESSION_FAILED for an
   * unblocked section that is invalid.
   */
  receiveEncoderStream(bytes: Uint8Array): UnblockedSection[] {
    return this.#latch.run(() => {
      this.#encoderStream.push(bytes, (ins) => this.#apply(ins));
      return this.#unblock();
    });
  }

  /**
   * The stream was reset or its reading abandoned (RFC 9204 §2.2.2.2): drop
   * its blocked sections and queue a Stream Cancellation, which a decoder
   * whose maximum table capacity is zero may omit.
   */
  cancelStream(streamId: bigint): void {
    this.#latch.run(() => {
      this.#blocked.delete(streamId);
      if (this.#maxTableCapacity > 0) encodeDecoderInstruction(this.#out, 'stream-cancellation', streamNumber(streamId));
    });
  }

  /**
   * Bytes for our decoder stream (type 0x03): the Section Acknowledgments and
   * Stream Cancellations queued so far, in order, then one Insert Count
   * Increment for the insertions no acknowledgment covers (RFC 9204
   * §2.2.2.3, §4.4.3). Empty when there is nothing to say.
   */
  takeDecoderStreamData(): Uint8Array {
    const increment = this.#table.insertCount - this.#knownReceived;
    if (increment > 0) {
      encodeDecoderInstruction(this.#out, 'insert-count-increment', increment);
      this.#knownReceived = this.#table.insertCount;
    }
    this.#knownReceivedSent = this.#knownReceived;
    this.#oldestUnacknowledgedReference = Infinity;
    return this.#out.take();
  }

  /** One encoder-stream instruction (RFC 9204 §4.3). */
  #apply(ins: EncoderInstruction): void {
    const t = this.#table;
    if (ins.type === 'set-capacity') {
      // §4.3.1: a capacity above our SETTINGS_QPACK_MAX_TABLE_CAPACITY MUST be treated as QPACK_ENCODER_STREAM_ERROR.
      if (ins.capacity > this.#maxTableCapacity) {
        throw new QpackError(ENCODER_STREAM_ERROR, `Set Dynamic Table Capacity ${ins.capacity} exceeds SETTINGS_QPACK_MAX_TABLE_CAPACITY ${this.#maxTableCapacity} (RFC 9204 §4.3.1)`);
      }
      this.#evict(ins.capacity, 'Set Dynamic Table Capacity');
      t.capacity = ins.capacity;
      return;
    }
    let name: string;
    let value: string;
    if (ins.type === 'insert-literal-name') ({ name, value } = ins);
    else if (ins.type === 'insert-name-reference' && ins.table === 'static') {
      // §3.1: an invalid static index on the encoder stream MUST be treated as QPACK_ENCODER_STREAM_ERROR.
      const entry = STATIC_TABLE[ins.index];
      if (entry === undefined) throw new QpackError(ENCODER_STREAM_ERROR, `Insert with Name Reference to static index ${ins.index}, past the 99 entries (RFC 9204 §3.1)`);
      name = entry[0];
      value = ins.value;
    } else {
      // §3.2.5: relative index 0 is the most recent insertion; §2.2.3: a reference to an evicted entry is an error.
      const entry = this.#relative(ins.index, ins.type);
      name = entry.name;
      value = ins.type === 'duplicate' ? entry.value : ins.value;
    }
    const size = name.length + value.length + ENTRY_OVERHEAD;
    // §3.2.2: an entry larger than the capacity MUST be treated as QPACK_ENCODER_STREAM_ERROR.
    if (size > t.capacity) throw new QpackError(ENCODER_STREAM_ERROR, `${ins.type} of an entry of ${size} octets into a table of capacity ${t.capacity} (RFC 9204 §3.2.2)`);
    // The name and value are read before eviction: the referenced entry may be the one evicted (§3.2.2).
    this.#evict(t.capacity - size, ins.type);
    t.push(name, value);
    this.stats.inserts++;
    if (ins.type === 'duplicate') this.stats.duplicates++;
  }

  #relative(index: number, what: string): DynamicEntry {
    const t = this.#table;
    const entry = index < t.insertCount ? t.get(t.insertCount - 1 - index) : undefined;
    if (entry === undefined) {
      throw new QpackError(ENCODER_STREAM_ERROR, `${what} references relative index ${index}: ${index < t.insertCount ? 'an evicted entry' : `only ${t.insertCount} entries were inserted`} (RFC 9204 §2.2.3, §3.2.5)`);
    }
    return entry;
  }

  /**
   * Evicts down to `maxSize`. RFC 9204 §2.1.1, §3.2.2: the encoder MUST NOT
   * evict an entry before it is evictable; we can tell when an entry's
   * insertion has not been acknowledged yet (nothing we sent covers it) or a
   * section we decoded still references it and our acknowledgment is unsent.
   */
  #evict(maxSize: number, what: string): void {
    const t = this.#table;
    const end = t.evictionEnd(maxSize);
    if (end > Math.min(this.#knownReceivedSent, this.#oldestUnacknowledgedReference)) {
      const victim = Math.min(this.#knownReceivedSent, this.#oldestUnacknowledgedReference);
      const why = victim === this.#knownReceivedSent ? 'before its insertion was acknowledged' : 'while a field section references it unacknowledged';
      throw new QpackError(ENCODER_STREAM_ERROR, `${what} evicts entry ${victim} ${why} (RFC 9204 §2.1.1, §3.2.2)`);
    }
    t.evict(maxSize);
  }

  /** Decodes the field lines after the prefix; then queues the Section Acknowledgment when the section used the table. */
  #decodeLines(streamId: bigint, r: Reader, requiredInsertCount: number, base: number): FieldLine[] {
    const fields: FieldLine[] = [];
    const refs: Reference = { min: Infinity, max: -1 };
    let size = 0;
    try {
      while (!r.done) {
        const line = this.#resolve(readFieldLine(r), requiredInsertCount, base, refs);
        size += line.name.length + line.value.length + ENTRY_OVERHEAD;
        if (size > this.#maxFieldSectionSize) throw new FieldSectionTooLargeError(streamId, this.#maxFieldSectionSize);
        fields.push(line);
      }
    } catch (e) {
      throw truncated(r, e);
    }
    if (requiredInsertCount > 0) {
      // §2.2.1: the Required Insert Count must be the lowest possible: one more than the largest referenced
      // absolute index. Smaller is caught per reference (§2.2.3); larger MAY be an error, and is here.
      if (refs.max + 1 !== requiredInsertCount) {
        throw new QpackError(DECOMPRESSION_FAILED, `Required Insert Count ${requiredInsertCount} but the section's largest dynamic reference is ${refs.max < 0 ? 'none' : refs.max} (RFC 9204 §2.2.1)`);
      }
      // §2.2.2.1, §4.4.1: after decoding a section with a non-zero Required Insert Count, acknowledge it.
      encodeDecoderInstruction(this.#out, 'section-acknowledgment', streamNumber(streamId));
      this.#knownReceived = Math.max(this.#knownReceived, requiredInsertCount);
      this.#oldestUnacknowledgedReference = Math.min(this.#oldestUnacknowledgedReference, refs.min);
    }
    return fields;
  }

  /** Resolves one representation against the static table and the dynamic table at `base` (RFC 9204 §3.2.5, §3.2.6). */
  #resolve(rep: FieldLineRepresentation, requiredInsertCount: number, base: number, refs: Reference): FieldLine {
    if (rep.kind === 'literal') return rep.neverIndex ? { name: rep.name, value: rep.value, neverIndex: true } : { name: rep.name, value: rep.value };
    let name: string;
    let value: string;
    if (rep.table === 'static') {
      const entry = STATIC_TABLE[rep.index];
      // §3.1: an invalid static index in a field line MUST be treated as QPACK_DECOMPRESSION_FAILED.
      if (entry === undefined) throw new QpackError(DECOMPRESSION_FAILED, `static index ${rep.index} is past the 99 entries (RFC 9204 §3.1)`);
      [name, value] = entry;
    } else {
      // §3.2.5: relative index 0 is Base - 1; §3.2.6: post-Base index 0 is Base.
      const absolute = rep.table === 'dynamic' ? base - 1 - rep.index : base + rep.index;
      // §2.2.3: a reference to an evicted entry, or at or past the Required Insert Count, MUST be QPACK_DECOMPRESSION_FAILED.
      const entry = absolute >= 0 && absolute < requiredInsertCount ? this.#table.get(absolute) : undefined;
      if (entry === undefined) {
        const why = absolute < 0 || absolute >= requiredInsertCount ? `outside the Required Insert Count ${requiredInsertCount}` : 'evicted';
        throw new QpackError(DECOMPRESSION_FAILED, `${rep.table} index ${rep.index} with Base ${base} is absolute index ${absolute}, ${why} (RFC 9204 §2.2.3)`);
      }
      if (absolute < refs.min) refs.min = absolute;
      if (absolute > refs.max) refs.max = absolute;
      this.stats.dynamicReferences++;
      name = entry.name;
      value = entry.value;
    }
    if (rep.kind === 'indexed') return { name, value };
    return rep.neverIndex ? { name, value: rep.value, neverIndex: true } : { name, value: rep.value };
  }

  /** Decodes the blocked sections whose Required Insert Count is now reached, stream by stream in blocking order. */
  #unblock(): UnblockedSection[] {
    const out: UnblockedSection[] = [];
    for (const [streamId, queue] of this.#blocked) {
      while (queue.length > 0 && queue[0]!.requiredInsertCount <= this.#table.insertCount) {
        const { section, pos, requiredInsertCount, base } = queue.shift()!;
        const r = new Reader(section, pos, section.length, DECOMPRESSION_FAILED);
        try {
          out.push({ streamId, fields: this.#decodeLines(streamId, r, requiredInsertCount, base) });
        } catch (e) {
          if (!FieldSectionTooLargeError.isInstance(e)) throw e;
          out.push({ streamId, error: e });
        }
      }
      if (queue.length === 0) this.#blocked.delete(streamId);
    }
    return out;
  }
}

/** A field section arrives whole (one HEADERS frame): running out of bytes is malformed (RFC 9204 §4.5); any other error stays as it is. */
function truncated(r: Reader, e: unknown): unknown {
  return e instanceof Truncated ? r.fail('field section ends inside a representation') : e;
}

const MAX_STREAM_NUMBER = BigInt(Number.MAX_SAFE_INTEGER);

/** Stream IDs go on the decoder stream as prefixed integers (RFC 9204 §4.4.1, §4.4.2). */
export function streamNumber(streamId: bigint): number {
  if (streamId < 0n || streamId > MAX_STREAM_NUMBER) throw new RangeError(`stream ID ${streamId} out of range`);
  return Number(streamId);
}
