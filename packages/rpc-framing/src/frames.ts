/**
 * @module frames
 * The three protobuf frames (RequestFrame, ResponseFrame, PushFrame, see
 * proto/tsquic/rpc/v1/frames.proto) to and from framed bytes, and reading
 * whole frames off a Web Streams reader.
 */

import { create, fromBinary, toBinary, type MessageInitShape } from '@bufbuild/protobuf';
import { PushFrameSchema, RequestFrameSchema, ResponseFrameSchema, type PushFrame, type RequestFrame, type ResponseFrame } from './gen/tsquic/rpc/v1/frames_pb.js';
import { FrameDecoder, encodeFrame } from './frame-codec.js';

export { PushFrameSchema, RequestFrameSchema, ResponseFrameSchema, type PushFrame, type RequestFrame, type ResponseFrame };

const READ = { readUnknownFields: false } as const;

/** A frame's body did not parse as the protobuf message expected on that stream. */
export class MalformedFrameError extends Error {
  override readonly name = 'MalformedFrameError';
}

/** A length-prefixed RequestFrame (the first frame on a call stream). */
export function encodeRequestFrame(init: MessageInitShape<typeof RequestFrameSchema>): Uint8Array {
  return encodeFrame(toBinary(RequestFrameSchema, create(RequestFrameSchema, init)));
}

/** A length-prefixed ResponseFrame. */
export function encodeResponseFrame(init: MessageInitShape<typeof ResponseFrameSchema>): Uint8Array {
  return encodeFrame(toBinary(ResponseFrameSchema, create(ResponseFrameSchema, init)));
}

/** A length-prefixed PushFrame. */
export function encodePushFrame(init: MessageInitShape<typeof PushFrameSchema>): Uint8Array {
  return encodeFrame(toBinary(PushFrameSchema, create(PushFrameSchema, init)));
}

/** A RequestFrame from a frame body; `MalformedFrameError` when it does not parse. */
export function decodeRequestFrame(body: Uint8Array): RequestFrame {
  return parse(() => fromBinary(RequestFrameSchema, body, READ), 'RequestFrame');
}

/** A ResponseFrame from a frame body; `MalformedFrameError` when it does not parse. */
export function decodeResponseFrame(body: Uint8Array): ResponseFrame {
  return parse(() => fromBinary(ResponseFrameSchema, body, READ), 'ResponseFrame');
}

/** A PushFrame from a frame body; `MalformedFrameError` when it does not parse. */
export function decodePushFrame(body: Uint8Array): PushFrame {
  return parse(() => fromBinary(PushFrameSchema, body, READ), 'PushFrame');
}

function parse<T>(f: () => T, what: string): T {
  try {
    return f();
  } catch (e) {
    throw new MalformedFrameError(`malformed ${what}: ${e instanceof Error ? e.message : String(e)}`);
  }
}

/** Whole frames from a stream: `read()` gives the next body, `null` at a clean end of the stream. */
export class FrameReader {
  private readonly decoder: FrameDecoder;

  constructor(
    private readonly reader: ReadableStreamDefaultReader<Uint8Array>,
    maxFrameSize: number,
  ) {
    this.decoder = new FrameDecoder(maxFrameSize);
  }

  /**
   * The next frame body (at most `limit` bytes, default the reader's
   * maximum); `null` when the stream ended between frames. Throws
   * `FrameError` (too large, or the stream ended inside a frame) and whatever
   * error the stream failed with (a peer reset: a `StreamError`).
   */
  async read(limit?: number): Promise<Uint8Array | null> {
    for (;;) {
      const body = this.decoder.next(limit);
      if (body !== null) return body;
      const { value, done } = await this.reader.read();
      if (done) {
        this.decoder.end();
        return null;
      }
      this.decoder.push(value);
    }
  }

  /** STOP_SENDING with `reason.code`; never throws. */
  cancel(reason: unknown): void {
    this.reader.cancel(reason).catch(() => undefined);
  }
}
