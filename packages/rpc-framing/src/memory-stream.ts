/**
 * @module memory-stream
 * One direction of an in-memory stream, modelled on a QUIC stream's send and
 * receive halves (RFC 9000 §3): ordered bytes, FIN on `writer.close()`,
 * RESET_STREAM on `writable.abort(reason)` and STOP_SENDING on
 * `readable.cancel(reason)`, each with `reason.code`, and stream-level flow
 * control: the receiver buffers at most `window` unread bytes before the
 * writer's `write()` waits (RFC 9000 §4.1, credit granted as the app reads).
 */

import { SessionClosedError, StreamError, codeOf } from './stream-error.js';

export interface PipeOptions {
  /** Unread bytes the receiver buffers before `write()` waits (the flow-control window). */
  readonly window: number;
  /** The writable's own queue in bytes (`writer.ready` / `desiredSize`). */
  readonly writeHighWaterMark: number;
  /** Bytes the next read returns, given the bytes available; default: the next written chunk whole. */
  readonly readSize?: ((available: number) => number) | undefined;
  /** Code for an abort/cancel whose reason has no `code`. */
  readonly defaultErrorCode: bigint;
}

interface Waiter {
  resolve(): void;
  reject(e: unknown): void;
}

/**
 * A unidirectional byte pipe: `writable` at the sending endpoint, `readable`
 * at the receiving one. `onFirstFrame` fires on the first STREAM, RESET_STREAM
 * or STOP_SENDING (the moment a peer learns of a stream, RFC 9000 §2.1);
 * `onTerminal` fires once both halves are finished.
 */
export class Pipe {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  private readonly chunks: Uint8Array[] = [];
  private buffered = 0;
  private fin = false;
  private terminal = false;
  private announced = false;
  private readCtl!: ReadableByteStreamController;
  private writeCtl!: WritableStreamDefaultController;
  private dataWaiter: Waiter | null = null;
  private readonly windowWaiters: Waiter[] = [];

  constructor(
    private readonly opts: PipeOptions,
    private readonly onFirstFrame: () => void,
    private readonly onTerminal: () => void,
  ) {
    this.readable = new ReadableStream<Uint8Array>(
      {
        type: 'bytes',
        start: (c) => {
          this.readCtl = c as ReadableByteStreamController;
        },
        pull: () => this.pull(),
        cancel: (reason) => this.stopSending(codeOf(reason, this.opts.defaultErrorCode)),
      },
      { highWaterMark: 0 },
    ) as ReadableStream<Uint8Array>;
    this.writable = new WritableStream<Uint8Array>(
      {
        start: (c) => {
          this.writeCtl = c;
          // abort() only reaches sink.abort after an in-flight write; a write blocked on flow
          // control would hold the RESET_STREAM back, so react to the controller's signal at once.
          c.signal.addEventListener('abort', () => this.reset(codeOf(c.signal.reason, this.opts.defaultErrorCode)), { once: true });
        },
        write: (chunk) => this.write(chunk),
        close: () => this.finish(),
        abort: (reason) => this.reset(codeOf(reason, this.opts.defaultErrorCode)),
      },
      new ByteLengthQueuingStrategy({ highWaterMark: opts.writeHighWaterMark }),
    );
  }

  /** Both halves are done (FIN read, reset, stopped or the session closed). */
  get finished(): boolean {
    return this.terminal;
  }

  /** The session closed: both halves fail with `error`. */
  sessionClosed(error: SessionClosedError): void {
    if (this.terminal) return;
    this.chunks.length = 0;
    this.buffered = 0;
    this.readCtl.error(error);
    this.writeCtl.error(error);
    this.wakeAll(error);
    this.end();
  }

  private announce(): void {
    if (this.announced) return;
    this.announced = true;
    this.onFirstFrame();
  }

  private write(chunk: Uint8Array): Promise<void> | void {
    if (!(chunk instanceof Uint8Array)) throw new TypeError('a stream chunk must be a Uint8Array');
    this.announce();
    if (this.terminal || chunk.byteLength === 0) return;
    // The transport owns what it sends: the writer may reuse its buffer once write() resolves.
    this.chunks.push(chunk.slice());
    this.buffered += chunk.byteLength;
    this.wakeReader();
    if (this.buffered <= this.opts.window) return;
    // RFC 9000 §4.1: the sender is blocked until the receiver's reads grant more credit.
    return new Promise<void>((resolve, reject) => this.windowWaiters.push({ resolve, reject }));
  }

  private finish(): void {
    this.announce();
    this.fin = true;
    this.wakeReader();
  }

  /** RESET_STREAM (RFC 9000 §19.4): the receiver's readable fails with the code, unread data is dropped. */
  private reset(code: bigint): void {
    this.announce();
    if (this.terminal) return;
    const e = new StreamError(code, `peer reset the stream with code ${code}`);
    this.chunks.length = 0;
    this.buffered = 0;
    this.readCtl.error(e);
    this.wakeAll(e);
    this.end();
  }

  /** STOP_SENDING (RFC 9000 §19.5): the sender's writable fails with the code (it answers with RESET_STREAM, §3.5). */
  private stopSending(code: bigint): void {
    this.announce();
    if (this.terminal) return;
    const e = new StreamError(code, `peer sent STOP_SENDING with code ${code}`);
    this.chunks.length = 0;
    this.buffered = 0;
    this.writeCtl.error(e);
    this.wakeAll(e);
    this.end();
  }

  private async pull(): Promise<void> {
    while (this.buffered === 0 && !this.fin && !this.terminal) {
      await new Promise<void>((resolve, reject) => {
        this.dataWaiter = { resolve, reject };
      }).catch(() => undefined);
    }
    if (this.terminal) return;
    if (this.buffered > 0) {
      this.readCtl.enqueue(this.take() as Uint8Array<ArrayBuffer>);
      this.grantCredit();
      return;
    }
    // FIN and every byte read: the receive half is done (RFC 9000 §3.2 "Data Read").
    this.readCtl.close();
    this.readCtl.byobRequest?.respond(0);
    this.end();
  }

  private take(): Uint8Array {
    const head = this.chunks[0]!;
    const want = this.opts.readSize ? clamp(this.opts.readSize(this.buffered), this.buffered) : head.byteLength;
    this.buffered -= want;
    if (want === head.byteLength) {
      this.chunks.shift();
      return head;
    }
    // A byte stream transfers each enqueued buffer, so a partial read gets its own copy.
    const out = new Uint8Array(want);
    let filled = 0;
    while (filled < want) {
      const c = this.chunks[0]!;
      const n = Math.min(c.byteLength, want - filled);
      out.set(n === c.byteLength ? c : c.subarray(0, n), filled);
      filled += n;
      if (n === c.byteLength) this.chunks.shift();
      else this.chunks[0] = c.subarray(n);
    }
    return out;
  }

  private grantCredit(): void {
    while (this.buffered <= this.opts.window && this.windowWaiters.length > 0) this.windowWaiters.shift()!.resolve();
  }

  private wakeReader(): void {
    const w = this.dataWaiter;
    this.dataWaiter = null;
    w?.resolve();
  }

  private wakeAll(e: unknown): void {
    this.wakeReader();
    for (const w of this.windowWaiters.splice(0)) w.reject(e);
  }

  private end(): void {
    if (this.terminal) return;
    this.terminal = true;
    this.onTerminal();
  }
}

function clamp(n: number, available: number): number {
  if (!Number.isFinite(n) || n < 1) return 1;
  return Math.min(Math.floor(n), available);
}
