/**
 * @module record/record-framing
 * RFC 8446 §5.1–§5.2 framing of a byte stream into records: the reader
 * buffers stream bytes, checks the length limits before buffering a body and
 * yields one record at a time (so a key change between two records is applied
 * before the next is deprotected); the writer fragments content into records
 * of at most 2^14 bytes, protected once a write key is installed.
 */
import { ContentType, RecordAlert, RecordLimits } from './content-type.js';
import { TlsRecordError } from './errors.js';
import { recordHeader, type RecordProtection } from './record-protection.js';

/** One record as framed on the wire (before deprotection). */
export interface WireRecord {
  /** The outer type (TLSPlaintext.type or TLSCiphertext.opaque_type). */
  readonly contentType: number;
  /** The 5-byte header (the AEAD additional data of a TLSCiphertext). */
  readonly header: Uint8Array;
  /** The fragment / encrypted_record; a view valid until the next push(). */
  readonly body: Uint8Array;
}

const KNOWN_TYPES: ReadonlySet<number> = new Set([ContentType.change_cipher_spec, ContentType.alert, ContentType.handshake, ContentType.application_data]);

/** Splits a byte stream into records; never buffers more than one maximal record plus the unread input. */
export class RecordReader {
  private buf = new Uint8Array(0);
  private start = 0;
  private end = 0;

  /** Bytes received but not yet returned as records. */
  get bufferedBytes(): number {
    return this.end - this.start;
  }

  /** Append stream bytes (copied). */
  push(bytes: Uint8Array): void {
    if (bytes.length === 0) return;
    if (this.end + bytes.length > this.buf.length) {
      const live = this.end - this.start;
      if (live + bytes.length <= this.buf.length && this.start > 0) {
        this.buf.copyWithin(0, this.start, this.end);
      } else {
        const grown = new Uint8Array(Math.max(live + bytes.length, 2 * this.buf.length, 4096));
        grown.set(this.buf.subarray(this.start, this.end));
        this.buf = grown;
      }
      this.start = 0;
      this.end = live;
    }
    this.buf.set(bytes, this.end);
    this.end += bytes.length;
  }

  /**
   * The next complete record, or null when more bytes are needed. Throws
   * TlsRecordError for an unknown type (unexpected_message, §5) or a length
   * beyond the limits (record_overflow, §5.1: 2^14 for TLSPlaintext, §5.2:
   * 2^14 + 256 for TLSCiphertext), as soon as the header is seen.
   */
  next(): WireRecord | null {
    const avail = this.end - this.start;
    if (avail < RecordLimits.headerLength) return null;
    const b = this.buf;
    const s = this.start;
    const type = b[s]!;
    const length = (b[s + 3]! << 8) | b[s + 4]!;
    // RFC 8446 §5: an unexpected record type → unexpected_message.
    if (!KNOWN_TYPES.has(type)) {
      throw new TlsRecordError(RecordAlert.unexpected_message, true, `unknown record type ${type}`);
    }
    // RFC 8446 §5.1 / §5.2: length limits → record_overflow.
    const limit = type === ContentType.application_data ? RecordLimits.maxCiphertext : RecordLimits.maxPlaintext;
    if (length > limit) throw new TlsRecordError(RecordAlert.record_overflow, true, `record length ${length} > ${limit}`);
    if (avail < RecordLimits.headerLength + length) return null;
    const header = b.subarray(s, s + RecordLimits.headerLength);
    const body = b.subarray(s + RecordLimits.headerLength, s + RecordLimits.headerLength + length);
    this.start += RecordLimits.headerLength + length;
    if (this.start === this.end) this.start = this.end = 0;
    return { contentType: type, header, body };
  }
}

/** Fragments content into records under the current write protection (plaintext before the first key). */
/** RFC 8446 §5.4: how many zero bytes to add to a protected record of `contentType` carrying `length` bytes. */
export type PaddingPolicy = (contentType: number, length: number) => number;

/** Frames content into TLSPlaintext / TLSCiphertext records (RFC 8446 §5.1, §5.2), fragmenting at the limit and padding as the policy says. */
export class RecordWriter {
  private protection: RecordProtection | null = null;
  /** Maximum content bytes per record (RFC 8446 §5.1: at most 2^14). */
  private readonly maxFragment: number;
  private readonly padding: PaddingPolicy | undefined;

  constructor(maxFragment: number = RecordLimits.maxPlaintext, padding?: PaddingPolicy) {
    if (!Number.isInteger(maxFragment) || maxFragment < 1 || maxFragment > RecordLimits.maxPlaintext) {
      throw new RangeError('maxFragment must be in [1, 2^14]');
    }
    this.maxFragment = maxFragment;
    this.padding = padding;
  }

  /** The current write protection (null while writing TLSPlaintext). */
  get current(): RecordProtection | null {
    return this.protection;
  }

  /** Switch to a new write key (the next record is its sequence number 0, §5.3), or back to TLSPlaintext (null). */
  setProtection(p: RecordProtection | null): void {
    this.protection = p;
  }

  /**
   * Encode `data` of `contentType` as one or more records (each ≤ maxFragment
   * bytes of content). Empty application data gives one empty record (§5.4
   * allows it); empty handshake or alert data is a caller error (§5.1).
   * `legacyVersion` applies to TLSPlaintext only (0x0301 is allowed for an
   * initial ClientHello, §5.1).
   */
  encode(contentType: number, data: Uint8Array, legacyVersion = 0x0303): Uint8Array[] {
    if (data.length === 0 && contentType !== ContentType.application_data) {
      throw new RangeError('zero-length handshake/alert records are not allowed (RFC 8446 §5.1)');
    }
    const out: Uint8Array[] = [];
    let off = 0;
    do {
      const frag = data.subarray(off, Math.min(off + this.maxFragment, data.length));
      off += frag.length;
      if (this.protection) {
        // RFC 8446 §5.4: padding never takes the TLSInnerPlaintext beyond 2^14 + 1.
        const room = RecordLimits.maxInnerPlaintext - 1 - frag.length;
        const pad = this.padding ? Math.max(0, Math.min(room, Math.floor(this.padding(contentType, frag.length)) || 0)) : 0;
        out.push(this.protection.seal(contentType, frag, pad));
      } else {
        if (contentType === ContentType.application_data) {
          throw new RangeError('application data is always protected (RFC 8446 §5.1)');
        }
        const rec = new Uint8Array(RecordLimits.headerLength + frag.length);
        rec.set(recordHeader(contentType, frag.length, legacyVersion));
        rec.set(frag, RecordLimits.headerLength);
        out.push(rec);
      }
    } while (off < data.length);
    return out;
  }
}
