/**
 * @module client-call
 * One call on the client: a fresh bidirectional stream, one RequestFrame and
 * FIN out, one ResponseFrame and FIN back. Cancellation (AbortSignal) and the
 * deadline reset only this call's stream — RESET_STREAM on the request half if
 * it is still being written, STOP_SENDING on the response half, both with the
 * status code (CANCELLED or DEADLINE_EXCEEDED) as the application error code.
 */

import type { Clock } from './clock.js';
import { FrameError } from './frame-codec.js';
import { FrameReader, MalformedFrameError, decodeResponseFrame, encodeRequestFrame } from './frames.js';
import type { Limiter } from './limiter.js';
import { errorFromStream } from './push.js';
import type { DuplexLike, RpcSession } from './session.js';
import { RpcError, StatusCode, statusFromWire } from './status.js';
import { StreamError } from './stream-error.js';
import { varintLengthFromFirstByte } from './varint.js';

/** Per-call options. */
export interface CallOptions {
  /** Aborting it cancels the call: it rejects with CANCELLED and its stream is reset. */
  readonly signal?: AbortSignal | undefined;
  /** The deadline, relative: milliseconds from now. */
  readonly timeoutMs?: number | undefined;
  /** The deadline, absolute, in the client clock's milliseconds (default `Date.now()`); the earlier of the two applies. */
  readonly deadline?: number | undefined;
  /** Request metadata (headers). */
  readonly metadata?: Readonly<Record<string, string>> | undefined;
}

/** A successful response. */
export interface RawResponse {
  readonly payload: Uint8Array;
  readonly metadata: Readonly<Record<string, string>>;
  /** The server opened a push stream for this call. */
  readonly push: boolean;
}

/** What a call needs from its client. */
export interface CallEnv {
  readonly session: RpcSession;
  readonly limiter: Limiter;
  readonly clock: Clock;
  readonly maxFrameSize: number;
}

export class ClientCall {
  private settled = false;
  private error: RpcError | null = null;
  private stream: DuplexLike | null = null;
  private writer: WritableStreamDefaultWriter<Uint8Array> | null = null;
  private frames: FrameReader | null = null;
  private rejectStopped!: (e: RpcError) => void;
  private readonly stopped: Promise<never>;
  private timer: unknown = undefined;
  private deadlineAt: number | undefined = undefined;
  private readonly onAbort = (): void => this.cancel(new RpcError(StatusCode.CANCELLED, 'the call was cancelled'));
  /** Called when the call is cancelled or its deadline passes, also after the response (subscriptions). */
  onCancel: ((e: RpcError) => void) | null = null;

  constructor(
    private readonly env: CallEnv,
    readonly requestId: bigint,
    private readonly methodId: number,
    private readonly payload: Uint8Array,
    private readonly opts: CallOptions,
  ) {
    this.stopped = new Promise<never>((_, reject) => (this.rejectStopped = reject));
    this.stopped.catch(() => undefined);
  }

  /**
   * Runs the call to its ResponseFrame. With `keepArmed` (subscriptions) the
   * signal and deadline stay watched after the response until `disarm()`.
   */
  async run(keepArmed = false): Promise<RawResponse> {
    let turn: { cancel(): void } | null = null;
    let ok = false;
    try {
      this.arm();
      if (this.payload.byteLength > this.env.maxFrameSize) throw this.tooLarge(this.payload.byteLength);
      turn = await this.takeTurn();
      const stream = await this.openStream();
      const response = await this.exchange(stream);
      ok = true;
      return response;
    } catch (e) {
      throw this.fail(e);
    } finally {
      turn?.cancel();
      if (!keepArmed || !ok) this.disarm();
    }
  }

  /** Cancels the call from outside (signal, deadline, subscription cancel): resets its stream. */
  cancel(e: RpcError): void {
    if (!this.settled) {
      this.settled = true;
      this.error = e;
      this.resetStream(e.code);
      this.rejectStopped(e);
    }
    this.onCancel?.(e);
  }

  /** Stops watching the signal and the deadline. */
  disarm(): void {
    this.opts.signal?.removeEventListener('abort', this.onAbort);
    if (this.timer !== undefined) this.env.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.onCancel = null;
  }

  private arm(): void {
    const { signal } = this.opts;
    if (signal?.aborted) throw new RpcError(StatusCode.CANCELLED, 'the call was cancelled before it started');
    signal?.addEventListener('abort', this.onAbort, { once: true });
    const deadline = this.deadline();
    this.deadlineAt = deadline;
    if (deadline === undefined) return;
    const left = deadline - this.env.clock.now();
    if (left <= 0) throw new RpcError(StatusCode.DEADLINE_EXCEEDED, 'the deadline passed before the call started');
    this.timer = this.env.clock.setTimeout(() => {
      this.timer = undefined;
      this.cancel(new RpcError(StatusCode.DEADLINE_EXCEEDED, 'deadline exceeded'));
    }, left);
  }

  private deadline(): number | undefined {
    const { timeoutMs, deadline } = this.opts;
    const rel = timeoutMs === undefined ? undefined : this.env.clock.now() + check(timeoutMs, 'timeoutMs');
    const abs = deadline === undefined ? undefined : check(deadline, 'deadline');
    if (rel === undefined) return abs;
    return abs === undefined ? rel : Math.min(rel, abs);
  }

  private async takeTurn(): Promise<{ cancel(): void }> {
    const { limiter } = this.env;
    if (limiter.tryAcquire()) return { cancel: () => limiter.release() };
    const turn = limiter.enqueue();
    if (turn === null) throw new RpcError(StatusCode.RESOURCE_EXHAUSTED, 'too many calls queued on this client');
    try {
      await this.until(turn.promise);
    } catch (e) {
      turn.cancel();
      throw e;
    }
    return turn;
  }

  private async openStream(): Promise<DuplexLike> {
    const opening = this.env.session.createBidirectionalStream();
    // A stream that arrives after the call was cancelled is reset at once.
    opening.then(
      (s) => (this.settled ? abortStream(s, this.error?.code ?? StatusCode.CANCELLED) : undefined),
      () => undefined,
    );
    let stream: DuplexLike;
    try {
      stream = await this.until(opening);
    } catch (e) {
      throw RpcError.isInstance(e) ? e : errorFromStream(e, 'could not open a stream');
    }
    this.stream = stream;
    return stream;
  }

  private async exchange(stream: DuplexLike): Promise<RawResponse> {
    const deadline = this.deadlineAt;
    const frame = encodeRequestFrame({
      methodId: this.methodId,
      requestId: this.requestId,
      metadata: this.opts.metadata ?? {},
      payload: this.payload,
      timeoutMs: deadline === undefined ? undefined : Math.min(0xffffffff, Math.max(0, Math.ceil(deadline - this.env.clock.now()))),
    });
    const bodyLength = frame.byteLength - varintLengthFromFirstByte(frame[0]!);
    if (bodyLength > this.env.maxFrameSize) throw this.tooLarge(bodyLength);
    const writer = stream.writable.getWriter();
    this.writer = writer;
    const frames = new FrameReader(stream.readable.getReader(), this.env.maxFrameSize);
    this.frames = frames;
    // A failed write (the server sent STOP_SENDING) is not the call's result: the ResponseFrame is.
    writer.write(frame).catch(() => undefined);
    writer.close().catch(() => undefined);
    const body = await this.until(frames.read());
    if (body === null) throw new RpcError(StatusCode.INTERNAL, 'the stream ended without a ResponseFrame');
    const res = decodeResponseFrame(body);
    this.settled = true;
    // Read on to the FIN, so the stream is finished on this side too.
    frames.read().then(
      (extra) => (extra === null ? undefined : frames.cancel(new StreamError(StatusCode.INTERNAL))),
      () => undefined,
    );
    const status = statusFromWire(res.status);
    if (status !== StatusCode.OK) throw new RpcError(status, res.message, res.metadata);
    return { payload: res.payload, metadata: res.metadata, push: res.push };
  }

  private until<T>(p: Promise<T>): Promise<T> {
    return Promise.race([p, this.stopped]);
  }

  private fail(e: unknown): RpcError {
    const err = this.error ?? toCallError(e);
    if (!this.settled) {
      this.settled = true;
      this.error = err;
      this.resetStream(err.code);
    }
    return err;
  }

  private resetStream(code: StatusCode): void {
    const c = new StreamError(code);
    this.writer?.abort(c).catch(() => undefined);
    this.frames?.cancel(c);
    if (this.stream && !this.writer) abortStream(this.stream, code);
  }

  private tooLarge(n: number): RpcError {
    return new RpcError(StatusCode.RESOURCE_EXHAUSTED, `request of ${n} bytes exceeds the frame limit of ${this.env.maxFrameSize}`);
  }
}

/** Resets both halves of a stream nobody has locked yet. */
function abortStream(s: DuplexLike, code: StatusCode): void {
  const c = new StreamError(code);
  s.writable.abort(c).catch(() => undefined);
  s.readable.cancel(c).catch(() => undefined);
}

/** A failure reading the response, as the call's status (RFC-style: bad peer bytes → INTERNAL). */
function toCallError(e: unknown): RpcError {
  if (RpcError.isInstance(e)) return e;
  if (FrameError.isInstance(e)) {
    const code = e.kind === 'too-large' ? StatusCode.RESOURCE_EXHAUSTED : StatusCode.INTERNAL;
    return new RpcError(code, `response: ${e.message}`, {}, { cause: e });
  }
  if (e instanceof MalformedFrameError) return new RpcError(StatusCode.INTERNAL, e.message, {}, { cause: e });
  return errorFromStream(e, 'the server reset the stream');
}

function check(n: number, name: string): number {
  if (typeof n !== 'number' || Number.isNaN(n)) throw new TypeError(`${name} must be a number`);
  return n;
}
