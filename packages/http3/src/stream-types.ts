/**
 * @module stream-types
 * Unidirectional stream types (RFC 9114 §6.2, §11.2.4; RFC 9204 §4.2): the
 * varint that opens every unidirectional stream, and which of them are the
 * critical streams each endpoint opens exactly once and never closes.
 */

export const StreamType = {
  /** RFC 9114 §6.2.1 */
  CONTROL: 0x00n,
  /** RFC 9114 §6.2.2 */
  PUSH: 0x01n,
  /** RFC 9204 §4.2 */
  QPACK_ENCODER: 0x02n,
  /** RFC 9204 §4.2 */
  QPACK_DECODER: 0x03n,
} as const;

/** The critical streams (RFC 9114 §6.2.1, RFC 9204 §4.2), by type. */
export const CRITICAL_STREAMS: ReadonlyMap<bigint, string> = new Map([
  [StreamType.CONTROL, 'control'],
  [StreamType.QPACK_ENCODER, 'QPACK encoder'],
  [StreamType.QPACK_DECODER, 'QPACK decoder'],
]);
