/**
 * @module frame-types
 * The frame type table of RFC 9000 §12.4 (Table 3), RFC 9221 §4 and
 * draft-ietf-quic-ack-frequency §4–§5: each frame type's code points and the
 * packet types that may carry it.
 */

/** The packet types frames can appear in (RFC 9000 §12.4 Table 3: I, H, 0, 1). */
export type PacketSpaceType = 'initial' | 'handshake' | '0rtt' | '1rtt';

/** Frame type code points (the first of a range for ACK, STREAM, MAX_STREAMS, ...). */
export const FrameType = {
  PADDING: 0x00,
  PING: 0x01,
  ACK: 0x02,
  ACK_ECN: 0x03,
  RESET_STREAM: 0x04,
  STOP_SENDING: 0x05,
  CRYPTO: 0x06,
  NEW_TOKEN: 0x07,
  STREAM: 0x08, // 0x08-0x0f: OFF=0x04, LEN=0x02, FIN=0x01
  MAX_DATA: 0x10,
  MAX_STREAM_DATA: 0x11,
  MAX_STREAMS_BIDI: 0x12,
  MAX_STREAMS_UNI: 0x13,
  DATA_BLOCKED: 0x14,
  STREAM_DATA_BLOCKED: 0x15,
  STREAMS_BLOCKED_BIDI: 0x16,
  STREAMS_BLOCKED_UNI: 0x17,
  NEW_CONNECTION_ID: 0x18,
  RETIRE_CONNECTION_ID: 0x19,
  PATH_CHALLENGE: 0x1a,
  PATH_RESPONSE: 0x1b,
  CONNECTION_CLOSE: 0x1c,
  CONNECTION_CLOSE_APP: 0x1d,
  HANDSHAKE_DONE: 0x1e,
  IMMEDIATE_ACK: 0x1f, // draft-ietf-quic-ack-frequency §5
  ACK_FREQUENCY: 0xaf, // draft-ietf-quic-ack-frequency §4
  DATAGRAM: 0x30, // RFC 9221: 0x31 carries a Length field
  DATAGRAM_LEN: 0x31,
} as const;

const I = 1;
const H = 2;
const Z = 4; // 0-RTT
const O = 8; // 1-RTT
const BIT: Record<PacketSpaceType, number> = { initial: I, handshake: H, '0rtt': Z, '1rtt': O };

/** Table 3 "Pkts" column per frame type (0x00-0x1f, 0x30, 0x31, 0xaf). */
const ALLOWED: ReadonlyMap<number, number> = new Map<number, number>([
  [0x00, I | H | Z | O],
  [0x01, I | H | Z | O],
  [0x02, I | H | O],
  [0x03, I | H | O],
  [0x04, Z | O],
  [0x05, Z | O],
  [0x06, I | H | O],
  [0x07, O],
  ...[0x08, 0x09, 0x0a, 0x0b, 0x0c, 0x0d, 0x0e, 0x0f].map((t): [number, number] => [t, Z | O]),
  [0x10, Z | O],
  [0x11, Z | O],
  [0x12, Z | O],
  [0x13, Z | O],
  [0x14, Z | O],
  [0x15, Z | O],
  [0x16, Z | O],
  [0x17, Z | O],
  [0x18, Z | O],
  [0x19, Z | O],
  [0x1a, Z | O],
  [0x1b, O],
  [0x1c, I | H | Z | O],
  [0x1d, Z | O],
  [0x1e, O],
  // draft-ietf-quic-ack-frequency §3: min_ack_delay is never remembered, so not in 0-RTT; not in Initial/Handshake either.
  [0x1f, O],
  [0x30, Z | O],
  [0x31, Z | O],
  [0xaf, O],
]);

/** True for a frame type this package knows (RFC 9000 §19, RFC 9221, draft-ietf-quic-ack-frequency). */
export function isKnownFrameType(type: number): boolean {
  return ALLOWED.has(type);
}

/** RFC 9000 §12.4 Table 3: may a frame of `type` appear in a packet of `packetType`? */
export function frameAllowedIn(type: number, packetType: PacketSpaceType): boolean {
  return ((ALLOWED.get(type) ?? 0) & BIT[packetType]) !== 0;
}

/**
 * RFC 9002 §2: every frame but ACK, PADDING and CONNECTION_CLOSE is ack-eliciting.
 */
export function isAckElicitingType(type: number): boolean {
  return !(type === 0x00 || type === 0x02 || type === 0x03 || type === 0x1c || type === 0x1d);
}
