/**
 * @module version
 * QUIC versions this package speaks (RFC 9000 v1, RFC 9369 v2) and their
 * long-header packet type bits (RFC 9000 §17.2, RFC 9369 §3.2).
 */

/** The QUIC versions this package encodes and decodes: v1 (RFC 9000) and v2 (RFC 9369). */
export const QuicVersion = {
  V1: 0x00000001,
  V2: 0x6b3343cf,
} as const;
/** One of the `QuicVersion` numbers. */
export type QuicVersion = (typeof QuicVersion)[keyof typeof QuicVersion];

/** Long-header packet types (RFC 9000 §17.2); their type bits differ between v1 and v2. */
export type LongPacketType = 'initial' | '0rtt' | 'handshake' | 'retry';

const V1_TYPES: readonly LongPacketType[] = ['initial', '0rtt', 'handshake', 'retry'];
// RFC 9369 §3.2: Initial 0b01, 0-RTT 0b10, Handshake 0b11, Retry 0b00.
const V2_TYPES: readonly LongPacketType[] = ['retry', 'initial', '0rtt', 'handshake'];

/** True for QUIC v1 and v2, the versions this package parses beyond the RFC 8999 invariants. */
export function isSupportedVersion(version: number): version is QuicVersion {
  return version === QuicVersion.V1 || version === QuicVersion.V2;
}

/** The packet type of long-header type bits `bits` (0..3) in `version`. */
export function longPacketType(version: QuicVersion, bits: number): LongPacketType {
  return (version === QuicVersion.V2 ? V2_TYPES : V1_TYPES)[bits & 3]!;
}

/** The long-header type bits of `type` in `version`. */
export function longPacketTypeBits(version: QuicVersion, type: LongPacketType): number {
  return (version === QuicVersion.V2 ? V2_TYPES : V1_TYPES).indexOf(type);
}

/** RFC 9000 §15: versions of the form 0x?a?a?a?a are reserved to exercise version negotiation. */
export function isReservedVersion(version: number): boolean {
  return (version & 0x0f0f0f0f) === 0x0a0a0a0a;
}
