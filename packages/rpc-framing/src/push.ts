/**
 * @module push
 * Server push on unidirectional streams, one stream per subscription: the
 * server's `PushChannel` writes a header PushFrame (request_id, no event) as
 * soon as it opens, then one PushFrame per event; FIN ends the subscription,
 * RESET_STREAM with a status code fails it. The client's `PushStream` reads
 * them back as an async iterable of events, in order.
 */

import { FrameError } from './frame-codec.js';
import { FrameReader, MalformedFrameError, decodePushFrame, encodePushFrame } from './frames.js';
import { RpcError, StatusCode, statusFromResetCode } from './status.js';
import { StreamError, streamErrorCode } from './stream-error.js';
import { varintLengthFromFirstByte } from './varint.js';

/** The largest header PushFrame accepted (it holds one uint64: 11 bytes; room for unknown fields). */
export const MAX_HEADER_SIZE = 64;

/** One pushed event. */
export interface PushEvent {
  /** Never empty; by convention the protobuf type name of `payload`. */
  readonly eventType: string;
  readonly payload: Uint8Array;
}

/** The server's end of a push stream. */
export class PushChannel {
  private readonly writer: WritableStreamDefaultWriter<Uint8Array>;
  private readonly controller = new AbortController();
  private ended = false;

  /** Opens the stream and sends its header frame. */
  static async open(writable: WritableStream<Uint8Array>, requestId: bigint, maxFrameSize: number): Promise<PushChannel> {
    const ch = new PushChannel(writable, maxFrameSize);
    // The header frame makes the stream known to the client at once and routes it to its call.
    await ch.write(encodePushFrame({ requestId }));
    return ch;
  }

  private constructor(
    writable: WritableStream<Uint8Array>,
    private readonly maxFrameSize: number,
  ) {
    this.writer = writable.getWriter();
    this.writer.closed.then(
      () => this.finish(new RpcError(StatusCode.CANCELLED, 'push stream closed')),
      (e: unknown) => this.finish(errorFromStream(e, 'the client stopped the push stream')),
    );
  }

  /**
   * Aborted when the subscription can no longer deliver: the client cancelled
   * it (STOP_SENDING), the session closed, or the channel was closed or
   * aborted here. The reason is an `RpcError`.
   */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Sends one event; waits while the client is not reading (flow control). */
  async send(eventType: string, payload: Uint8Array): Promise<void> {
    if (eventType === '') throw new TypeError('eventType must not be empty');
    const frame = encodePushFrame({ eventType, payload });
    const bodyLength = frame.byteLength - varintLengthFromFirstByte(frame[0]!);
    if (bodyLength > this.maxFrameSize) {
      throw new RpcError(StatusCode.RESOURCE_EXHAUSTED, `push frame of ${bodyLength} bytes exceeds the limit of ${this.maxFrameSize}`);
    }
    await this.write(frame);
  }

  /** Ends the subscription normally (FIN) once every event is sent. */
  async close(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    await this.writer.close().catch(() => undefined);
  }

  /** Fails the subscription: RESET_STREAM with the status code as the application error code. */
  abort(code: StatusCode = StatusCode.CANCELLED): void {
    if (this.ended) return;
    this.ended = true;
    const status = code === StatusCode.OK ? StatusCode.CANCELLED : code;
    this.writer.abort(new StreamError(status)).catch(() => undefined);
  }

  private async write(frame: Uint8Array): Promise<void> {
    if (this.controller.signal.aborted) throw this.controller.signal.reason;
    try {
      await this.writer.ready;
    } catch (e) {
      throw errorFromStream(e, 'the client stopped the push stream');
    }
    this.writer.write(frame).catch(() => undefined);
  }

  private finish(reason: RpcError): void {
    this.ended = true;
    if (!this.controller.signal.aborted) this.controller.abort(reason);
  }
}

/** The client's end of a push stream: an async iterable of events. */
export class PushStream implements AsyncIterable<PushEvent> {
  private done = false;

  /** @internal Made by the client or server, not by applications. */
  constructor(
    /** The call that opened it, or 0n for a push the server opened on its own. */
    readonly requestId: bigint,
    private readonly frames: FrameReader,
  ) {}

  /**
   * Reads and checks the header frame of an incoming push stream. Throws
   * `RpcError` (INTERNAL for a malformed header, RESOURCE_EXHAUSTED for an
   * oversized one) after stopping the stream.
   */
  static async accept(readable: ReadableStream<Uint8Array>, maxFrameSize: number): Promise<PushStream> {
    const frames = new FrameReader(readable.getReader(), maxFrameSize);
    let header;
    try {
      // A header carries a request_id only: a larger one is refused before it is buffered.
      const body = await frames.read(Math.min(maxFrameSize, MAX_HEADER_SIZE));
      if (body === null) throw new MalformedFrameError('push stream ended before its header frame');
      header = decodePushFrame(body);
    } catch (e) {
      const err = errorFromRead(e);
      frames.cancel(new StreamError(err.code));
      throw err;
    }
    if (header.eventType !== '') {
      frames.cancel(new StreamError(StatusCode.INTERNAL));
      throw new RpcError(StatusCode.INTERNAL, 'the first frame of a push stream must be a header (empty event_type)');
    }
    return new PushStream(header.requestId, frames);
  }

  /** The next event, or `null` when the server ended the stream (FIN). Throws `RpcError`. */
  async next(): Promise<PushEvent | null> {
    if (this.done) return null;
    let frame;
    try {
      const body = await this.frames.read();
      if (body === null) {
        this.done = true;
        return null;
      }
      frame = decodePushFrame(body);
    } catch (e) {
      const err = errorFromRead(e);
      this.stop(err.code);
      throw err;
    }
    if (frame.eventType === '') {
      this.stop(StatusCode.INTERNAL);
      throw new RpcError(StatusCode.INTERNAL, 'push event frame without an event_type');
    }
    return { eventType: frame.eventType, payload: frame.payload };
  }

  /** Stops the stream (STOP_SENDING with the status code); iteration ends. */
  cancel(code: StatusCode = StatusCode.CANCELLED): void {
    this.stop(code);
  }

  /** The pushed events, in order, until the server ends the stream; an error status throws `RpcError`. */
  async *[Symbol.asyncIterator](): AsyncIterator<PushEvent> {
    try {
      for (;;) {
        const ev = await this.next();
        if (ev === null) return;
        yield ev;
      }
    } finally {
      this.stop(StatusCode.CANCELLED);
    }
  }

  private stop(code: StatusCode): void {
    if (this.done) return;
    this.done = true;
    this.frames.cancel(new StreamError(code));
  }
}

/** A failed read of a stream rpc-framing expects frames on, as a status. */
export function errorFromRead(e: unknown): RpcError {
  if (RpcError.isInstance(e)) return e;
  if (FrameError.isInstance(e)) {
    return e.kind === 'too-large' ? new RpcError(StatusCode.RESOURCE_EXHAUSTED, e.message, {}, { cause: e }) : new RpcError(StatusCode.INTERNAL, e.message, {}, { cause: e });
  }
  if (e instanceof MalformedFrameError) return new RpcError(StatusCode.INTERNAL, e.message, {}, { cause: e });
  return errorFromStream(e, 'the server reset the stream');
}

/** A stream failure (peer reset, session closed) as a status. */
export function errorFromStream(e: unknown, what: string): RpcError {
  if (RpcError.isInstance(e)) return e;
  const code = streamErrorCode(e);
  if (code !== null) return new RpcError(statusFromResetCode(code), `${what} (code ${code})`, {}, { cause: e });
  return new RpcError(StatusCode.UNAVAILABLE, e instanceof Error ? e.message : 'the session ended', {}, { cause: e });
}
