/**
 * @module datagram
 * HTTP/3 datagrams (RFC 9297 §2.1): the QUIC DATAGRAM payload is the
 * Quarter Stream ID (the request stream's ID divided by four) and the HTTP
 * Datagram Payload. A payload too short for the varint, or a Quarter Stream
 * ID above 2^60 - 1, is the connection error H3_DATAGRAM_ERROR.
 */
import { connectionError, H3ErrorCode } from './errors.js';
import { decodeVarintBig, varintLength, writeVarint } from './varint.js';

/** RFC 9297 §2.1: the largest legal Quarter Stream ID. */
export const MAX_QUARTER_STREAM_ID = (1n << 60n) - 1n;

/** The QUIC DATAGRAM payload for `payload` on request stream `streamId`. */
export function encodeHttpDatagram(streamId: bigint, payload: Uint8Array): Uint8Array {
  const quarter = streamId / 4n;
  const out = new Uint8Array(varintLength(quarter) + payload.length);
  out.set(payload, writeVarint(out, 0, quarter));
  return out;
}

/** The bytes a datagram for `streamId` spends on its Quarter Stream ID. */
export function httpDatagramOverhead(streamId: bigint): number {
  return varintLength(streamId / 4n);
}

/** Splits a received QUIC DATAGRAM payload into its request stream ID and HTTP Datagram Payload. */
export function decodeHttpDatagram(data: Uint8Array): { streamId: bigint; payload: Uint8Array } {
  const quarter = decodeVarintBig(data, 0);
  if (!quarter) throw connectionError(H3ErrorCode.H3_DATAGRAM_ERROR, 'datagram too short for a Quarter Stream ID');
  if (quarter.value > MAX_QUARTER_STREAM_ID) throw connectionError(H3ErrorCode.H3_DATAGRAM_ERROR, `Quarter Stream ID ${quarter.value} above 2^60 - 1`);
  return { streamId: quarter.value * 4n, payload: data.subarray(quarter.next) };
}
