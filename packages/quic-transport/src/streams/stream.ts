/**
 * @module streams/stream
 * QUIC streams as Web Streams (INTERFACES.md "Web Streams shell"): the
 * readable pulls from the core only when the application reads, so
 * MAX_STREAM_DATA credit follows the reader (back-pressure to the peer); the
 * writable's `write()` resolves only once the core accepted every byte, so
 * the writer's `ready` tracks the send buffer (back-pressure to the app);
 * its `close()` sends the FIN and resolves once the peer has acknowledged
 * all the data and the FIN (the Data Recvd state, RFC 9000 §3.1) — or the
 * connection was closed cleanly meanwhile — so a server may close its
 * connection right after its last response.
 * `writable.abort(e)` sends RESET_STREAM(e.code), `readable.cancel(e)`
 * STOP_SENDING(e.code); a peer's reset or stop errors the matching side with
 * a QuicStreamError carrying its code.
 *
 * Each side is also its own reader or writer (the shapes of
 * `ReadableStreamDefaultReader` and `WritableStreamDefaultWriter`, same
 * rules), reachable through `STREAM_IO`: a protocol layer in this repository
 * (HTTP/3) reads and writes through them directly, and the Web Streams are
 * made only when someone asks for `readable` / `writable` — creating them is
 * most of a small request's cost on Node 20. One difference from a Web
 * Streams writer: `write()`'s promise is already marked handled, so a caller
 * that watches `ready` and `close()` need not attach a reaction to every
 * write. Internal: not part of the public types.
 */
import { codeOf, QuicStreamError } from './errors.js';

/** What a stream wrapper needs from its connection (kept narrow for testing). */
export interface StreamHost {
  read(id: number, max: number): { data: Uint8Array; fin: boolean } | null;
  write(id: number, data: Uint8Array): number;
  finish(id: number): void;
  reset(id: number, code: bigint): void;
  stopSending(id: number, code: bigint): void;
  /** Run the connection's output after an application call. */
  kick(): void;
}

/** A bidirectional stream: its id, a readable and a writable Web Stream. */
export interface QuicBidirectionalStream {
  readonly id: number;
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  /** Reset the sending side and stop the receiving side with one code. */
  abort(code?: bigint): void;
}

const READ_MAX = 256 * 1024;
const WRITE_HIGH_WATER = 256 * 1024;
const RESOLVED = Promise.resolve();
const DONE: { done: true; value: undefined } = Object.freeze({ done: true, value: undefined });
const noop = (): void => undefined;
/** Marks a promise handled (no unhandled-rejection report when its caller ignores it) and returns it. */
const handled = <T>(p: Promise<T>): Promise<T> => {
  p.catch(noop);
  return p;
};

/** @internal The direct reader and writer of a stream (see the module comment); `Symbol.for`, so other packages reach it without an import. */
export const STREAM_IO: unique symbol = Symbol.for('@tsquic/quic-transport/stream-io');

/** Receiving half: created by the connection, fed by its events; a `ReadableStreamDefaultReader` in shape. */
export class RecvSide {
  private stream: ReadableStream<Uint8Array> | undefined;
  private controller: ReadableStreamDefaultController<Uint8Array> | undefined;
  private waiting: (() => void) | undefined;
  /** FIN read, cancelled or failed: nothing more comes. */
  private done = false;
  private error: Error | undefined;

  constructor(
    private readonly host: StreamHost,
    readonly id: number,
  ) {}

  /** The Web Stream over this side, made on first use; it pulls only when the application reads. */
  get readable(): ReadableStream<Uint8Array> {
    return (this.stream ??= new ReadableStream<Uint8Array>(
      {
        start: (c) => {
          this.controller = c;
          if (this.error) c.error(this.error);
        },
        pull: async (c) => {
          try {
            const r = await this.read();
            if (r.done) c.close();
            else c.enqueue(r.value);
          } catch {
            // fail() errored the stream already
          }
        },
        cancel: (reason) => this.cancel(reason),
      },
      { highWaterMark: 0 },
    ));
  }

  /** The next chunk, or done after the FIN (or a cancel); rejects with the reset's QuicStreamError. */
  async read(): Promise<{ done: false; value: Uint8Array } | { done: true; value: undefined }> {
    for (;;) {
      if (this.error) throw this.error;
      if (this.done) return DONE;
      const r = this.host.read(this.id, READ_MAX);
      if (r) {
        if (r.fin) this.done = true;
        this.host.kick(); // reading may have freed flow-control credit to announce
        if (r.data.length) return { done: false, value: r.data };
        if (r.fin) return DONE;
        continue;
      }
      await new Promise<void>((resolve) => (this.waiting = resolve));
    }
  }

  /** Stop reading: STOP_SENDING with `reason.code`. */
  cancel(reason?: unknown): Promise<void> {
    this.done = true;
    this.host.stopSending(this.id, codeOf(reason));
    this.host.kick();
    this.onReadable();
    return RESOLVED;
  }

  /** Nothing to release: the side is its own reader. */
  releaseLock(): void {}

  /** The core reported data (or the FIN) on this stream. */
  onReadable(): void {
    const w = this.waiting;
    this.waiting = undefined;
    w?.();
  }

  onReset(code: bigint): void {
    this.fail(new QuicStreamError(code, `stream ${this.id} reset by the peer with code ${code}`));
  }

  fail(e: Error): void {
    if (this.done) return;
    this.done = true;
    this.error = e;
    try {
      this.controller?.error(e);
    } catch {
      // already closed
    }
    this.onReadable();
  }
}

/** Sending half; a `WritableStreamDefaultWriter` in shape. */
export class SendSide {
  private stream: WritableStream<Uint8Array> | undefined;
  private controller: WritableStreamDefaultController | undefined;
  private waiting: (() => void) | undefined;
  private error: Error | undefined;
  private acked = false;
  private closing: { resolve: () => void; reject: (e: Error) => void } | undefined;
  /** The last write the core has not taken whole yet: later writes and close() go after it. */
  private tail: Promise<void> | undefined;
  private closedPromise: Promise<void> | undefined;
  private settleClosed: { resolve: () => void; reject: (e: unknown) => void } | undefined;
  /** How the side ended, for a `closed` asked for afterwards. */
  private ended: { error?: unknown } | undefined;

  constructor(
    private readonly host: StreamHost,
    readonly id: number,
  ) {}

  /** The Web Stream over this side, made on first use. */
  get writable(): WritableStream<Uint8Array> {
    return (this.stream ??= new WritableStream<Uint8Array>(
      {
        start: (c) => {
          this.controller = c;
          if (this.error) c.error(this.error);
        },
        write: (chunk) => this.write(chunk),
        close: () => this.close(),
        abort: (reason) => this.abort(reason),
      },
      new ByteLengthQueuingStrategy({ highWaterMark: WRITE_HIGH_WATER }),
    ));
  }

  /** Room for more, as a writer's: positive while `ready` is resolved (the core took every byte written), 0 while a write waits, null once the side failed. */
  get desiredSize(): number | null {
    return this.error ? null : this.tail ? 0 : WRITE_HIGH_WATER;
  }

  /** Resolves when the core has taken every byte written so far; rejects once the side failed. */
  get ready(): Promise<void> {
    if (this.error) return Promise.reject(this.error);
    return this.tail ?? RESOLVED;
  }

  /** Settles when the side is done: resolves after close(), rejects when it was reset, stopped or its connection failed. */
  get closed(): Promise<void> {
    if (!this.closedPromise) {
      if (this.ended) {
        this.closedPromise = 'error' in this.ended ? Promise.reject(this.ended.error) : RESOLVED;
        this.closedPromise.catch(noop);
      } else this.closedPromise = new Promise((resolve, reject) => (this.settleClosed = { resolve, reject }));
    }
    return this.closedPromise;
  }

  /**
   * Hands `chunk` to the core; resolves once it took every byte (writes are kept in order). The promise is
   * already marked handled: a caller may ignore it and learn of a failure from `ready`, `closed` or `close()`.
   */
  write(chunk: Uint8Array): Promise<void> {
    if (this.error) return handled(Promise.reject(this.error));
    if (!(chunk instanceof Uint8Array)) return handled(Promise.reject(new TypeError('QUIC streams carry Uint8Array chunks')));
    if (this.tail) return this.track(this.tail.then(() => this.writeFrom(chunk, 0, false)));
    const n = this.host.write(this.id, chunk);
    this.host.kick();
    return n === chunk.length ? RESOLVED : this.track(this.writeFrom(chunk, n, true));
  }

  private track(p: Promise<void>): Promise<void> {
    this.tail = p;
    const clear = (): void => {
      if (this.tail === p) this.tail = undefined;
    };
    p.then(clear, clear);
    return p;
  }

  /** Writes `chunk` from `off` on, waiting for room in the send buffer (first, when `full`: the core just took less than all). */
  private async writeFrom(chunk: Uint8Array, off: number, full: boolean): Promise<void> {
    for (;;) {
      if (this.error) throw this.error;
      if (full) await new Promise<void>((resolve) => (this.waiting = resolve));
      if (this.error) throw this.error;
      off += this.host.write(this.id, off === 0 ? chunk : chunk.subarray(off));
      this.host.kick();
      if (off >= chunk.length) return;
      full = true;
    }
  }

  /** Sends the FIN after every write; resolves once the peer acknowledged all of it (or the connection closed cleanly). */
  async close(): Promise<void> {
    if (this.tail) await this.tail;
    if (this.error) throw this.error;
    this.host.finish(this.id);
    this.host.kick();
    if (!this.acked) await new Promise<void>((resolve, reject) => (this.closing = { resolve, reject }));
    this.end();
  }

  /** RESET_STREAM with `reason.code`. */
  abort(reason?: unknown): Promise<void> {
    if (this.error || this.acked) return RESOLVED;
    this.error = new QuicStreamError(codeOf(reason));
    this.host.reset(this.id, codeOf(reason));
    this.host.kick();
    this.end(reason ?? this.error);
    this.onWritable();
    return RESOLVED;
  }

  /** Nothing to release: the side is its own writer. */
  releaseLock(): void {}

  private end(...error: [unknown?]): void {
    if (this.ended) return;
    this.ended = error.length ? { error: error[0] } : {};
    const s = this.settleClosed;
    this.settleClosed = undefined;
    if (error.length) s?.reject(error[0]);
    else s?.resolve();
  }

  /** The send buffer has room again. */
  onWritable(): void {
    const w = this.waiting;
    this.waiting = undefined;
    w?.();
  }

  /** The peer acknowledged everything written, FIN included. */
  onAcked(): void {
    this.acked = true;
    this.closing?.resolve();
  }

  /** The peer sent STOP_SENDING (the core already answered with RESET_STREAM). */
  onStopSending(code: bigint): void {
    this.fail(new QuicStreamError(code, `stream ${this.id} stopped by the peer with code ${code}`));
  }

  /**
   * The stream cannot go on (stopped, or its connection ended). A close()
   * waiting for the acknowledgement resolves when the connection closed
   * cleanly (`closeOk`: the application ended it), and rejects otherwise.
   */
  fail(e: Error, closeOk = false): void {
    if (this.error || this.acked) return;
    this.error = e;
    if (closeOk && this.closing) return this.closing.resolve();
    try {
      this.controller?.error(e);
    } catch {
      // already closed
    }
    this.closing?.reject(e);
    this.end(e);
    this.onWritable();
  }
}

/** A bidirectional stream: both sides, their Web Streams made on first use. */
export class BidiStream implements QuicBidirectionalStream {
  constructor(
    readonly id: number,
    private readonly recv: RecvSide,
    private readonly send: SendSide,
    private readonly host: StreamHost,
  ) {}

  get readable(): ReadableStream<Uint8Array> {
    return this.recv.readable;
  }

  get writable(): WritableStream<Uint8Array> {
    return this.send.writable;
  }

  /** @internal */
  get [STREAM_IO](): { reader: RecvSide; writer: SendSide } {
    return { reader: this.recv, writer: this.send };
  }

  abort(code = 0n): void {
    this.host.reset(this.id, code);
    this.host.stopSending(this.id, code);
    this.host.kick();
  }
}
