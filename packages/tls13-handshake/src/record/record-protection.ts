/**
 * @module record/record-protection
 * RFC 8446 §5.2–§5.4: protection of one direction of a connection under one
 * traffic key — the per-record nonce (iv XOR sequence number, §5.3), the
 * TLSInnerPlaintext (content ‖ type ‖ zero padding, §5.4) and the AEAD with
 * the record header as additional data (§5.2).
 */
import type { Aead } from '../crypto/provider.js';
import { ContentType, RecordAlert, RecordLimits } from './content-type.js';
import { TlsRecordError } from './errors.js';

/**
 * RFC 8446 §5.3: the sequence number never wraps; JS numbers are exact up to
 * 2^53, far beyond anything a connection reaches (and far beyond the §5.5 AEAD
 * limits, which force a key update long before).
 */
const MAX_SEQUENCE = Number.MAX_SAFE_INTEGER;

/**
 * RFC 8446 §5.3: the 64-bit sequence number, big-endian, left-padded with
 * zeros to the iv length, XORed with the static iv. Writes into `out`.
 */
export function recordNonce(iv: Uint8Array, seq: number, out: Uint8Array = new Uint8Array(iv.length)): Uint8Array {
  if (iv.length < 8) throw new RangeError('iv must be at least 8 bytes');
  if (!Number.isSafeInteger(seq) || seq < 0) throw new RangeError('sequence number out of range');
  out.set(iv);
  const n = iv.length;
  const lo = seq >>> 0;
  const hi = Math.floor(seq / 0x1_0000_0000);
  out[n - 1]! ^= lo & 0xff;
  out[n - 2]! ^= (lo >>> 8) & 0xff;
  out[n - 3]! ^= (lo >>> 16) & 0xff;
  out[n - 4]! ^= lo >>> 24;
  out[n - 5]! ^= hi & 0xff;
  out[n - 6]! ^= (hi >>> 8) & 0xff;
  out[n - 7]! ^= (hi >>> 16) & 0xff;
  out[n - 8]! ^= hi >>> 24;
  return out;
}

/** A decrypted record: its real content type and content (padding stripped). */
export interface OpenedRecord {
  readonly contentType: number;
  readonly content: Uint8Array;
}

/** One direction under one traffic key; the sequence number starts at 0 (§5.3). */
export class RecordProtection {
  readonly cipherSuite: number;
  /** Records processed under this key (the next record's sequence number). */
  private seq = 0;
  private readonly aead: Aead;
  private readonly iv: Uint8Array;
  private readonly nonce: Uint8Array;

  constructor(aead: Aead, iv: Uint8Array, cipherSuite: number) {
    this.aead = aead;
    this.iv = iv.slice();
    this.nonce = new Uint8Array(iv.length);
    this.cipherSuite = cipherSuite;
  }

  /** The sequence number the next record will use. */
  get sequenceNumber(): number {
    return this.seq;
  }

  /**
   * Seal one TLSCiphertext (§5.2): returns the complete record, header
   * included. `content` must be at most 2^14 bytes; `padding` zero bytes are
   * appended after the content type (§5.4).
   */
  seal(contentType: number, content: Uint8Array, padding = 0): Uint8Array {
    if (content.length + 1 + padding > RecordLimits.maxInnerPlaintext) {
      throw new RangeError('TLSInnerPlaintext would exceed 2^14 + 1 bytes');
    }
    // RFC 8446 §5.3: if the sequence number would wrap, rekey or terminate.
    if (this.seq >= MAX_SEQUENCE) throw new TlsRecordError(RecordAlert.internal_error, true, 'sequence number exhausted');
    const inner = new Uint8Array(content.length + 1 + padding);
    inner.set(content);
    inner[content.length] = contentType;
    const length = inner.length + RecordLimits.tagLength;
    const header = recordHeader(ContentType.application_data, length);
    const sealed = this.aead.seal(recordNonce(this.iv, this.seq, this.nonce), header, inner);
    this.seq++;
    const out = new Uint8Array(RecordLimits.headerLength + sealed.length);
    out.set(header);
    out.set(sealed, RecordLimits.headerLength);
    return out;
  }

  /**
   * Open one TLSCiphertext whose 5-byte `header` (the AAD) and body have been
   * read. Throws TlsRecordError: bad_record_mac (§5.2) on authentication
   * failure, record_overflow when the TLSInnerPlaintext exceeds 2^14 + 1
   * (§5.4), unexpected_message when no non-zero content type is found (§5.4).
   */
  open(header: Uint8Array, body: Uint8Array): OpenedRecord {
    if (this.seq >= MAX_SEQUENCE) throw new TlsRecordError(RecordAlert.internal_error, true, 'sequence number exhausted');
    const inner = this.aead.open(recordNonce(this.iv, this.seq, this.nonce), header, body);
    if (inner === null) throw new TlsRecordError(RecordAlert.bad_record_mac, true, 'record authentication failed');
    this.seq++;
    // RFC 8446 §5.4: the full encoded TLSInnerPlaintext MUST NOT exceed 2^14 + 1 octets.
    if (inner.length > RecordLimits.maxInnerPlaintext) {
      throw new TlsRecordError(RecordAlert.record_overflow, true, 'TLSInnerPlaintext exceeds 2^14 + 1');
    }
    // RFC 8446 §5.4: scan from the end for the first non-zero octet: the content type.
    let i = inner.length - 1;
    while (i >= 0 && inner[i] === 0) i--;
    if (i < 0) throw new TlsRecordError(RecordAlert.unexpected_message, true, 'no content type in TLSInnerPlaintext');
    return { contentType: inner[i]!, content: inner.subarray(0, i) };
  }
}

/** The 5-byte record header: type ‖ legacy_record_version 0x0303 ‖ length (§5.1, §5.2). */
export function recordHeader(contentType: number, length: number, legacyVersion = 0x0303): Uint8Array {
  return new Uint8Array([contentType, legacyVersion >>> 8, legacyVersion & 0xff, length >>> 8, length & 0xff]);
}
