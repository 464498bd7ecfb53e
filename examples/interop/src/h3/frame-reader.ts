/**
 * @module h3/frame-reader
 * Reading HTTP/3 frames off a stream (RFC 9114 §7.1) and the rules of
 * Table 1 (§7.2): which frame types may arrive on a control stream or a
 * request stream, and at which endpoint. A frame cut short by a clean end of
 * stream is H3_FRAME_ERROR (§7.1); a reset stream rejects with the
 * transport's reason, untouched.
 */
import { EndOfStreamError, type StreamByteReader } from '../byte-reader.js';
import { connectionError, type H3Error, H3ErrorCode } from './errors.js';
import { FrameType, HTTP2_RESERVED_FRAME_TYPES } from './frames.js';

export interface FrameHeader {
  readonly type: number;
  readonly length: number;
}

function truncated(what: string): H3Error {
  // RFC 9114 §7.1: if the last frame on a cleanly terminated stream was truncated, H3_FRAME_ERROR.
  return connectionError(H3ErrorCode.H3_FRAME_ERROR, `stream ended inside ${what}`);
}

/** The next frame header, or undefined when the stream ends cleanly between frames. */
export async function readFrameHeader(r: StreamByteReader): Promise<FrameHeader | undefined> {
  let type: number | undefined;
  try {
    type = await r.readVarint();
    if (type === undefined) return undefined;
    const length = await r.readVarint();
    if (length === undefined) throw truncated('a frame header');
    return { type, length };
  } catch (e) {
    if (e instanceof EndOfStreamError) throw truncated('a frame header');
    throw e;
  }
}

/** A whole frame payload of at most `max` bytes; `tooLarge` is thrown above that, before reading. */
export async function readFramePayload(r: StreamByteReader, header: FrameHeader, max: number, tooLarge: () => H3Error): Promise<Uint8Array> {
  if (header.length > max) throw tooLarge();
  try {
    return await r.readExact(header.length);
  } catch (e) {
    if (e instanceof EndOfStreamError) throw truncated(`a frame of type 0x${header.type.toString(16)}`);
    throw e;
  }
}

/** Discards a frame payload without holding it (unknown and reserved frame types, RFC 9114 §9). */
export async function skipFramePayload(r: StreamByteReader, header: FrameHeader): Promise<void> {
  try {
    await r.skip(header.length);
  } catch (e) {
    if (e instanceof EndOfStreamError) throw truncated(`a frame of type 0x${header.type.toString(16)}`);
    throw e;
  }
}

/** Reads up to `max` bytes of a frame payload being streamed (DATA); truncation is H3_FRAME_ERROR. */
export async function readPayloadChunk(r: StreamByteReader, max: number): Promise<Uint8Array> {
  const chunk = await r.readChunk(max);
  if (chunk === undefined) throw truncated('a DATA frame');
  return chunk;
}

export type Role = 'client' | 'server';

/** What a received frame is, once Table 1 has allowed it. */
export type FrameKind = 'data' | 'headers' | 'settings' | 'goaway' | 'max-push-id' | 'cancel-push' | 'push-promise' | 'ignore';

const KNOWN: ReadonlyMap<number, FrameKind> = new Map<number, FrameKind>([
  [FrameType.DATA, 'data'],
  [FrameType.HEADERS, 'headers'],
  [FrameType.CANCEL_PUSH, 'cancel-push'],
  [FrameType.SETTINGS, 'settings'],
  [FrameType.PUSH_PROMISE, 'push-promise'],
  [FrameType.GOAWAY, 'goaway'],
  [FrameType.MAX_PUSH_ID, 'max-push-id'],
]);

/** RFC 9114 §7.2 Table 1: where each frame kind may be received, and by whom. */
const ALLOWED: Record<Exclude<FrameKind, 'ignore'>, { control: readonly Role[]; request: readonly Role[] }> = {
  data: { control: [], request: ['client', 'server'] }, // §7.2.1
  headers: { control: [], request: ['client', 'server'] }, // §7.2.2
  'cancel-push': { control: ['client', 'server'], request: [] }, // §7.2.3
  settings: { control: ['client', 'server'], request: [] }, // §7.2.4 (first frame only: the control stream checks)
  'push-promise': { control: [], request: ['client'] }, // §7.2.5: a server MUST treat receipt as H3_FRAME_UNEXPECTED
  goaway: { control: ['client', 'server'], request: [] }, // §7.2.6
  'max-push-id': { control: ['server'], request: [] }, // §7.2.7: a client MUST treat receipt as H3_FRAME_UNEXPECTED
};

/**
 * Classifies a frame type received on `stream` by `receiver`, or throws
 * H3_FRAME_UNEXPECTED (connection) where Table 1 forbids it, including the
 * HTTP/2-only types (§7.2.8). Unknown and reserved types are 'ignore' (§9).
 */
export function classifyFrame(type: number, stream: 'control' | 'request', receiver: Role): FrameKind {
  if (HTTP2_RESERVED_FRAME_TYPES.has(type)) {
    throw connectionError(H3ErrorCode.H3_FRAME_UNEXPECTED, `HTTP/2 frame type 0x${type.toString(16)}`);
  }
  const kind = KNOWN.get(type);
  if (kind === undefined) return 'ignore';
  if (!ALLOWED[kind as Exclude<FrameKind, 'ignore'>][stream].includes(receiver)) {
    throw connectionError(H3ErrorCode.H3_FRAME_UNEXPECTED, `${kind} frame on a ${stream} stream received by the ${receiver}`);
  }
  return kind;
}
