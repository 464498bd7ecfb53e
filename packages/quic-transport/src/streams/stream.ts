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

/** Receiving half: created by the connection, fed by its events. */
export class RecvSide {
  readonly readable: ReadableStream<Uint8Array>;
  private controller!: ReadableStreamDefaultController<Uint8Array>;
  private waiting: (() => void) | undefined;
  private done = false;

  constructor(
    private readonly host: StreamHost,
    readonly id: number,
  ) {
    this.readable = new ReadableStream<Uint8Array>(
      {
        start: (c) => {
          this.controller = c;
        },
        pull: () => this.pull(),
        cancel: (reason) => {
          this.done = true;
          this.host.stopSending(this.id, codeOf(reason));
          this.host.kick();
        },
      },
      { highWaterMark: 0 },
    );
  }

  private async pull(): Promise<void> {
    for (;;) {
      if (this.done) return;
      const r = this.host.read(this.id, READ_MAX);
      if (r) {
        if (r.data.length) this.controller.enqueue(r.data);
        if (r.fin) {
          this.done = true;
          this.controller.close();
        }
        this.host.kick(); // reading may have freed flow-control credit to announce
        return;
      }
      await new Promise<void>((resolve) => (this.waiting = resolve));
    }
  }

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
    try {
      this.controller.error(e);
    } catch {
      // already closed
    }
    this.onReadable();
  }
}

/** Sending half. */
export class SendSide {
  readonly writable: WritableStream<Uint8Array>;
  private controller!: WritableStreamDefaultController;
  private waiting: (() => void) | undefined;
  private error: Error | undefined;
  private acked = false;
  private closing: { resolve: () => void; reject: (e: Error) => void } | undefined;

  constructor(
    private readonly host: StreamHost,
    readonly id: number,
  ) {
    this.writable = new WritableStream<Uint8Array>(
      {
        start: (c) => {
          this.controller = c;
        },
        write: (chunk) => this.write(chunk),
        close: () => {
          if (this.error) throw this.error;
          this.host.finish(this.id);
          this.host.kick();
          return this.acked ? undefined : new Promise<void>((resolve, reject) => (this.closing = { resolve, reject }));
        },
        abort: (reason) => {
          this.error = new QuicStreamError(codeOf(reason));
          this.host.reset(this.id, codeOf(reason));
          this.host.kick();
        },
      },
      new ByteLengthQueuingStrategy({ highWaterMark: WRITE_HIGH_WATER }),
    );
  }

  private async write(chunk: Uint8Array): Promise<void> {
    if (!(chunk instanceof Uint8Array)) throw new TypeError('QUIC streams carry Uint8Array chunks');
    let off = 0;
    while (off < chunk.length) {
      if (this.error) throw this.error;
      const n = this.host.write(this.id, off === 0 ? chunk : chunk.subarray(off));
      off += n;
      this.host.kick();
      if (off < chunk.length) await new Promise<void>((resolve) => (this.waiting = resolve));
    }
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
      this.controller.error(e);
    } catch {
      // already closed
    }
    this.closing?.reject(e);
    this.onWritable();
  }
}
