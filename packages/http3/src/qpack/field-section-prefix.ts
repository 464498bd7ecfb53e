/**
 * @module qpack/field-section-prefix
 * The prefix of an encoded field section (RFC 9204 §4.5.1): the Required
 * Insert Count, encoded modulo twice the table's maximum number of entries
 * (§4.5.1.1), and the Base as a sign and a delta from it (§4.5.1.2).
 */
import type { ByteWriter } from './byte-writer.js';
import { encodePrefixedInteger } from './prefixed-integer.js';
import type { Reader } from './reader.js';

/** RFC 9204 §4.5.1.1: MaxEntries = floor(MaxTableCapacity / 32), the smallest entry being 32 octets. */
export function maxEntries(maxTableCapacity: number): number {
  return Math.floor(maxTableCapacity / 32);
}

/** RFC 9204 §4.5.1.1: EncInsertCount = (ReqInsertCount mod (2 * MaxEntries)) + 1, or 0 for 0. */
export function encodeRequiredInsertCount(requiredInsertCount: number, entries: number): number {
  if (requiredInsertCount === 0) return 0;
  return (requiredInsertCount % (2 * entries)) + 1;
}

/**
 * RFC 9204 §4.5.1.1: the Required Insert Count from its encoding, given the
 * decoder's total number of inserts; undefined for a value no conformant
 * encoder could have produced.
 */
export function decodeRequiredInsertCount(encoded: number, entries: number, totalInserts: number): number | undefined {
  if (encoded === 0) return 0;
  const fullRange = 2 * entries;
  if (encoded > fullRange) return undefined;
  const maxValue = totalInserts + entries;
  const maxWrapped = Math.floor(maxValue / fullRange) * fullRange;
  let ric = maxWrapped + encoded - 1;
  // If ReqInsertCount exceeds MaxValue, the encoder's value must have wrapped one fewer time.
  if (ric > maxValue) {
    if (ric <= fullRange) return undefined;
    ric -= fullRange;
  }
  // A value of 0 must be encoded as 0.
  return ric === 0 ? undefined : ric;
}

export interface FieldSectionPrefix {
  readonly requiredInsertCount: number;
  readonly base: number;
}

/** Writes the prefix (RFC 9204 §4.5.1, Figure 12). With no dynamic references, Base is written as Delta Base 0. */
export function encodeFieldSectionPrefix(w: ByteWriter, { requiredInsertCount, base }: FieldSectionPrefix, entries: number): void {
  encodePrefixedInteger(w, 0, 8, encodeRequiredInsertCount(requiredInsertCount, entries));
  if (requiredInsertCount === 0) w.byte(0);
  // §4.5.1.2: Sign 0 when Base >= ReqInsertCount (Base = RIC + DeltaBase), else Sign 1 (Base = RIC - DeltaBase - 1).
  else if (base >= requiredInsertCount) encodePrefixedInteger(w, 0x00, 7, base - requiredInsertCount);
  else encodePrefixedInteger(w, 0x80, 7, requiredInsertCount - base - 1);
}

/** Reads the prefix; a value no conformant encoder produces is QPACK_DECOMPRESSION_FAILED (the reader's code). */
export function readFieldSectionPrefix(r: Reader, entries: number, totalInserts: number): FieldSectionPrefix {
  const encoded = r.integer(8, 'Encoded Required Insert Count');
  const requiredInsertCount = decodeRequiredInsertCount(encoded, entries, totalInserts);
  // §4.5.1.1: a value that could not have been produced by a conformant encoder MUST be treated as QPACK_DECOMPRESSION_FAILED.
  if (requiredInsertCount === undefined) {
    throw r.fail(`Encoded Required Insert Count ${encoded} is impossible with ${entries} table entries and ${totalInserts} inserts`);
  }
  const negative = (r.peek() & 0x80) !== 0;
  const delta = r.integer(7, 'Delta Base');
  if (!negative) return { requiredInsertCount, base: requiredInsertCount + delta };
  // §4.5.1.2: a Sign bit of 1 is invalid when Required Insert Count <= Delta Base (Base would be negative).
  if (requiredInsertCount <= delta) throw r.fail(`negative Base: Required Insert Count ${requiredInsertCount}, Sign 1, Delta Base ${delta}`);
  return { requiredInsertCount, base: requiredInsertCount - delta - 1 };
}
