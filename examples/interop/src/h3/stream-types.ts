/**
 * @module h3/stream-types
 * Unidirectional stream types (RFC 9114 §6.2, §11.2.4; RFC 9204 §4.2): the
 * varint that opens every unidirectional stream.
 */

export const StreamType = {
  /** RFC 9114 §6.2.1 */
  CONTROL: 0x00,
  /** RFC 9114 §6.2.2 */
  PUSH: 0x01,
  /** RFC 9204 §4.2 */
  QPACK_ENCODER: 0x02,
  /** RFC 9204 §4.2 */
  QPACK_DECODER: 0x03,
} as const;
export type StreamType = (typeof StreamType)[keyof typeof StreamType];

/** The critical streams each peer opens exactly once and never closes. */
export const CRITICAL_STREAM_NAMES: ReadonlyMap<number, string> = new Map([
  [StreamType.CONTROL, 'control'],
  [StreamType.QPACK_ENCODER, 'QPACK encoder'],
  [StreamType.QPACK_DECODER, 'QPACK decoder'],
]);
