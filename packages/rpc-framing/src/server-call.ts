/**
 * @module server-call
 * One call on the server: read the RequestFrame off a client-initiated
 * bidirectional stream, dispatch by method id, answer with one ResponseFrame
 * and FIN. A frame the server cannot accept (too large, truncated, malformed)
 * is answered with a status and the request half stopped (STOP_SENDING with
 * the status code). A client reset, the deadline or the session's end abort
 * the handler's signal; no failure here touches any other stream.
 */

import type { Clock } from './clock.js';
import { FrameError } from './frame-codec.js';
import { FrameReader, MalformedFrameError, decodeRequestFrame, encodeResponseFrame, type RequestFrame } from './frames.js';
import { PushChannel, errorFromStream } from './push.js';
import type { DuplexLike, RpcSession } from './session.js';
import { RpcError, StatusCode } from './status.js';
import { StreamError } from './stream-error.js';
import { varintLengthFromFirstByte } from './varint.js';

/** What a handler knows about its call. */
export interface CallContext<P = unknown> {
  readonly methodId: number;
  readonly requestId: bigint;
  /** Request metadata (headers). */
  readonly metadata: Readonly<Record<string, string>>;
  /** Response metadata (trailers): set entries before the handler returns or throws. */
  readonly responseMetadata: Record<string, string>;
  /** The call's deadline in the server clock's milliseconds, if the client set one. */
  readonly deadline: number | undefined;
  /**
   * Aborted when the call can no longer succeed: the client cancelled it
   * (reset its stream), its deadline passed, or the session ended. The
   * reason is an `RpcError` (CANCELLED, DEADLINE_EXCEEDED, UNAVAILABLE).
   */
  readonly signal: AbortSignal;
  /** What the connection was served with (`RpcServer.serve(session, peer)`). */
  readonly peer: P;
  /**
   * Opens this call's push stream (once; later calls return the same
   * channel). Call it before the handler returns: the response then tells
   * the client to expect the stream. The channel outlives the handler; the
   * call's deadline, if any, bounds it.
   */
  openPush(): Promise<PushChannel>;
}

/** A handler on encoded messages: returns the encoded response or throws (an `RpcError` for a chosen status). */
export type RawHandler<P = unknown> = (request: Uint8Array, ctx: CallContext<P>) => Uint8Array | Promise<Uint8Array>;

/** What a call needs from its connection and server. */
export interface ServerCallEnv<P> {
  readonly session: RpcSession;
  readonly peer: P;
  readonly clock: Clock;
  readonly maxFrameSize: number;
  /** The connection's live calls: it stops each one (UNAVAILABLE) when the session ends. */
  readonly calls: CallRegistry;
  lookup(methodId: number): RawHandler<P> | undefined;
  onError(error: unknown, ctx: CallContext<P> | null): void;
}

/** The connection's set of live calls, told when the session ends. */
export interface CallRegistry {
  readonly ended: boolean;
  add(call: { stop(e: RpcError): void }): void;
  delete(call: { stop(e: RpcError): void }): void;
}

/** Serves one stream to its end; resolves when the handler (if any) has settled. */
export async function serveStream<P>(env: ServerCallEnv<P>, stream: DuplexLike): Promise<void> {
  const writer = stream.writable.getWriter();
  const frames = new FrameReader(stream.readable.getReader(), env.maxFrameSize);
  let req: RequestFrame;
  try {
    const body = await frames.read();
    if (body === null) return refuse(writer, frames, StatusCode.INVALID_ARGUMENT, 'the stream ended without a RequestFrame');
    req = decodeRequestFrame(body);
  } catch (e) {
    if (FrameError.isInstance(e)) {
      const status = e.kind === 'too-large' ? StatusCode.RESOURCE_EXHAUSTED : StatusCode.INVALID_ARGUMENT;
      return refuse(writer, frames, status, `request ${e.message}`);
    }
    if (e instanceof MalformedFrameError) return refuse(writer, frames, StatusCode.INVALID_ARGUMENT, e.message);
    // The client reset the request half, or the session ended: nobody is waiting for an answer.
    writer.abort(new StreamError(StatusCode.CANCELLED)).catch(() => undefined);
    return;
  }
  const handler = env.lookup(req.methodId);
  if (handler === undefined) {
    drain(frames);
    return respond(writer, encodeResponseFrame({ status: StatusCode.UNIMPLEMENTED, message: `no method with id ${req.methodId}` }));
  }
  await new ServerCall(env, writer, frames, req).run(handler);
}

/** Answers with a status and stops the request half with the same code (RFC 9000 §19.5 STOP_SENDING). */
function refuse(writer: WritableStreamDefaultWriter<Uint8Array>, frames: FrameReader, status: StatusCode, message: string): void {
  frames.cancel(new StreamError(status));
  respond(writer, encodeResponseFrame({ status, message }));
}

function respond(writer: WritableStreamDefaultWriter<Uint8Array>, frame: Uint8Array): void {
  writer.write(frame).catch(() => undefined);
  writer.close().catch(() => undefined);
}

/** Reads the request half to its FIN, so the stream finishes; anything more is stopped. */
function drain(frames: FrameReader): void {
  frames.read().then(
    (extra) => (extra === null ? undefined : frames.cancel(new StreamError(StatusCode.INVALID_ARGUMENT))),
    () => undefined,
  );
}

class ServerCall<P> {
  private readonly ac = new AbortController();
  private responded = false;
  private timer: unknown = undefined;
  private push: Promise<PushChannel> | null = null;
  private channel: PushChannel | null = null;
  private readonly ctx: CallContext<P>;

  constructor(
    private readonly env: ServerCallEnv<P>,
    private readonly writer: WritableStreamDefaultWriter<Uint8Array>,
    private readonly frames: FrameReader,
    private readonly req: RequestFrame,
  ) {
    const deadline = req.timeoutMs === undefined ? undefined : env.clock.now() + req.timeoutMs;
    this.ctx = {
      methodId: req.methodId,
      requestId: req.requestId,
      metadata: req.metadata,
      responseMetadata: {},
      deadline,
      signal: this.ac.signal,
      peer: env.peer,
      openPush: () => this.openPush(),
    };
  }

  async run(handler: RawHandler<P>): Promise<void> {
    this.watch();
    if (this.ac.signal.aborted) return;
    let out: Uint8Array;
    try {
      out = await handler(this.req.payload, this.ctx);
    } catch (e) {
      this.fail(e);
      return;
    }
    if (!(out instanceof Uint8Array)) return this.fail(new TypeError('a raw handler must return a Uint8Array'));
    this.answer(StatusCode.OK, '', out);
  }

  /** Watches everything that can end the call from outside. */
  private watch(): void {
    if (this.env.calls.ended) return this.stop(new RpcError(StatusCode.UNAVAILABLE, 'the session ended'));
    this.env.calls.add(this);
    // The client's STOP_SENDING (or the session's end) fails our half: the call is cancelled.
    this.writer.closed.catch((e: unknown) => this.stop(errorFromStream(e, 'the client cancelled the call')));
    // The request half must end right after the RequestFrame; a client reset there is a cancellation too.
    this.frames.read().then(
      (extra) => {
        if (extra !== null) this.protocolError('more than one frame on the request half');
      },
      (e: unknown) => {
        if (FrameError.isInstance(e) || e instanceof MalformedFrameError) this.protocolError('bytes after the RequestFrame');
        else this.stop(errorFromStream(e, 'the client cancelled the call'));
      },
    );
    if (this.ctx.deadline === undefined) return;
    const left = this.ctx.deadline - this.env.clock.now();
    if (left <= 0) return this.expire();
    this.timer = this.env.clock.setTimeout(() => this.expire(), left);
  }

  private openPush(): Promise<PushChannel> {
    if (this.push) return this.push;
    if (this.responded) return Promise.reject(new TypeError('openPush() must be called before the handler returns'));
    if (this.ac.signal.aborted) return Promise.reject(this.ac.signal.reason);
    this.push = this.env.session.createUnidirectionalStream().then(
      async (w) => {
        const ch = await PushChannel.open(w, this.req.requestId, this.env.maxFrameSize);
        this.channel = ch;
        // A call that failed meanwhile takes its push stream with it.
        if (this.ac.signal.aborted) ch.abort((this.ac.signal.reason as RpcError).code);
        ch.signal.addEventListener('abort', () => this.release(), { once: true });
        return ch;
      },
      (e: unknown) => {
        throw errorFromStream(e, 'could not open a push stream');
      },
    );
    return this.push;
  }

  /** The deadline passed: the handler is aborted and the client gets DEADLINE_EXCEEDED. */
  private expire(): void {
    this.timer = undefined;
    const e = new RpcError(StatusCode.DEADLINE_EXCEEDED, 'deadline exceeded');
    this.channel?.abort(StatusCode.DEADLINE_EXCEEDED);
    if (this.responded) return this.release();
    if (!this.ac.signal.aborted) this.ac.abort(e);
    this.answer(e.code, e.message, undefined);
  }

  /** The call ended from outside: abort the handler, reset what is left of the stream. */
  stop(e: RpcError): void {
    if (this.ac.signal.aborted) return;
    this.ac.abort(e);
    this.channel?.abort(e.code);
    if (!this.responded) {
      this.responded = true;
      this.writer.abort(new StreamError(e.code)).catch(() => undefined);
      this.frames.cancel(new StreamError(e.code));
    }
    this.release();
  }

  private protocolError(message: string): void {
    if (this.responded) return;
    const e = new RpcError(StatusCode.INVALID_ARGUMENT, message);
    this.ac.abort(e);
    this.frames.cancel(new StreamError(e.code));
    this.answer(e.code, message, undefined);
  }

  private fail(e: unknown): void {
    let err: RpcError;
    if (RpcError.isInstance(e)) {
      err = e;
    } else {
      this.env.onError(e, this.ctx);
      err = new RpcError(StatusCode.UNKNOWN, 'the handler failed');
    }
    this.channel?.abort(err.code);
    this.answer(err.code, err.rawMessage, undefined, err.metadata);
  }

  private answer(status: StatusCode, message: string, payload: Uint8Array | undefined, metadata?: Readonly<Record<string, string>>): void {
    if (this.responded) return;
    this.responded = true;
    const md = metadata === undefined ? this.ctx.responseMetadata : { ...this.ctx.responseMetadata, ...metadata };
    let frame = encodeResponseFrame({ status, message, payload, metadata: md, push: status === StatusCode.OK && this.push !== null });
    const bodyLength = frame.byteLength - varintLengthFromFirstByte(frame[0]!);
    if (bodyLength > this.env.maxFrameSize) {
      this.env.onError(new RangeError(`response of ${bodyLength} bytes exceeds the frame limit`), this.ctx);
      this.channel?.abort(StatusCode.RESOURCE_EXHAUSTED);
      frame = encodeResponseFrame({
        status: StatusCode.RESOURCE_EXHAUSTED,
        message: `response of ${bodyLength} bytes exceeds the frame limit of ${this.env.maxFrameSize}`,
      });
    }
    respond(this.writer, frame);
    if (this.push === null || status !== StatusCode.OK) this.release();
  }

  /** Nothing of the call is left to watch: drop the timer and the connection listener. */
  private release(): void {
    if (this.timer !== undefined) this.env.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.env.calls.delete(this);
  }
}
