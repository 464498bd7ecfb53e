/**
 * @module quic-wire
 * The QUIC wire format (RFC 9000 §12–§19, RFC 9221, RFC 9369 §3, RFC 9368 §3):
 * varints, a bounds-checked reader and an in-place writer, packet headers,
 * packet numbers, every frame, transport parameters, Version Negotiation,
 * Retry and stateless resets. No dependencies; runs in any JS runtime.
 */
export { equalBytes, equalConstantTime, toHex } from './bytes.js';
export { QuicWireError, TransportErrorCode, transportErrorName } from './errors.js';
export { VARINT_MAX, VARINT_SATURATED, varintLength, varintLengthBig, writeVarint, writeVarintBig, varintLengthOfFirstByte } from './varint.js';
export { Reader } from './reader.js';
export { Writer } from './writer.js';
export { QuicVersion, isSupportedVersion, isReservedVersion, longPacketType, longPacketTypeBits, type LongPacketType } from './version.js';
export { packetNumberLength, truncatePacketNumber, decodePacketNumber } from './packet-number.js';
export { FrameType, frameAllowedIn, isKnownFrameType, isAckElicitingType, type PacketSpaceType } from './frame-types.js';
export { decodeFrame, decodeFrames, encodeFrame, frameSize, frameTypeCode, maxStreamDataThatFits, streamFrameOverhead, writeStreamFrameHeader, type AckRange, type EcnCounts, type EncodeOptions, type Frame, type FrameOf } from './frames.js';
export {
  MAX_CID_LENGTH,
  MIN_STATELESS_RESET_LENGTH,
  RETRY_INTEGRITY_TAG_LENGTH,
  STATELESS_RESET_TOKEN_LENGTH,
  coalescedPackets,
  encodeRetry,
  encodeStatelessReset,
  encodeVersionNegotiation,
  parsePacketHeader,
  patchLength,
  retryPseudoPacket,
  statelessResetTokenOf,
  writeLongHeader,
  writeShortHeader,
  type HeaderOffsets,
  type LongHeader,
  type LongHeaderFields,
  type PacketHeader,
  type RetryHeader,
  type ShortHeader,
  type ShortHeaderFields,
  type UnsupportedVersionHeader,
  type VersionNegotiationHeader,
} from './packet-header.js';
export {
  TransportParameterId,
  decodeTransportParameters,
  encodeTransportParameters,
  isReservedTransportParameterId,
  transportParameterDefaults,
  type PreferredAddress,
  type TransportParameters,
  type VersionInformation,
} from './transport-parameters.js';
