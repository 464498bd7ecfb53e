/**
 * @module test/support/memory-session
 * An in-memory pair of QUIC-shaped sessions (the `Http3Session` interface):
 * what one side writes the other reads, in order, FIN on close, resets both
 * ways with their codes (`writable.abort(r)` errors the peer's readable,
 * `readable.cancel(r)` the peer's writable), stream IDs as QUIC numbers them
 * (RFC 9000 §2.1), datagrams, and a connection close both sides see. No
 * packets, no loss: enough to test HTTP/3 without a transport.
 */
import type { Http3Session, SessionBidirectionalStream } from '../../src/session.js';

export interface CloseInfo {
  readonly closeCode: bigint;
  readonly reason: string;
  /** Which side closed. */
  readonly by: 'client' | 'server';
}

export class SessionClosedError extends Error {
  override readonly name = 'SessionClosedError';
  readonly code: bigint;
  constructor(readonly info: CloseInfo) {
    super(`session closed by the ${info.by} with code 0x${info.closeCode.toString(16)}${info.reason ? `: ${info.reason}` : ''}`);
    this.code = info.closeCode;
  }
}

class Pair {
  readonly pipes = new Set<TransformStreamDefaultController<Uint8Array>>();
  closeInfo: CloseInfo | undefined;
  constructor(
    readonly highWaterMark: number,
    readonly maxDatagramSize: number,
  ) {}

  pipe(): TransformStream<Uint8Array, Uint8Array> {
    let controller!: TransformStreamDefaultController<Uint8Array>;
    const ts = new TransformStream<Uint8Array, Uint8Array>(
      {
        start: (c) => void (controller = c),
        transform: (chunk, c) => {
          if (!(chunk instanceof Uint8Array)) throw new TypeError('stream chunks must be Uint8Array');
          // A copy, as a network would make: the writer may reuse its buffer.
          c.enqueue(chunk.slice());
        },
      },
      new ByteLengthQueuingStrategy({ highWaterMark: this.highWaterMark }),
      new ByteLengthQueuingStrategy({ highWaterMark: this.highWaterMark }),
    );
    if (this.closeInfo) controller.error(new SessionClosedError(this.closeInfo));
    else this.pipes.add(controller);
    return ts;
  }
}

export class MemorySession implements Http3Session {
  peer!: MemorySession;
  readonly incomingBidirectionalStreams: ReadableStream<SessionBidirectionalStream>;
  readonly incomingUnidirectionalStreams: ReadableStream<ReadableStream<Uint8Array>>;
  readonly closed: Promise<CloseInfo>;
  readonly datagrams: { readable: ReadableStream<Uint8Array>; writable: WritableStream<Uint8Array>; readonly maxDatagramSize: number };
  #bidi!: ReadableStreamDefaultController<SessionBidirectionalStream>;
  #uni!: ReadableStreamDefaultController<ReadableStream<Uint8Array>>;
  #datagramsIn!: ReadableStreamDefaultController<Uint8Array>;
  #resolveClosed!: (info: CloseInfo) => void;
  #nextBidi = 0;
  /** Datagrams this side sent. */
  datagramsSent = 0;

  constructor(
    readonly pair: Pair,
    readonly side: 'client' | 'server',
  ) {
    this.incomingBidirectionalStreams = new ReadableStream({ start: (c) => void (this.#bidi = c) }, { highWaterMark: 1_000_000 });
    this.incomingUnidirectionalStreams = new ReadableStream({ start: (c) => void (this.#uni = c) }, { highWaterMark: 1_000 });
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    const self = this;
    this.datagrams = {
      readable: new ReadableStream<Uint8Array>({ start: (c) => void (this.#datagramsIn = c) }, { highWaterMark: 64 }),
      writable: new WritableStream<Uint8Array>({
        write: (chunk) => {
          if (chunk.length > pair.maxDatagramSize) throw new RangeError('datagram too large');
          self.datagramsSent++;
          const q = self.peer.#datagramsIn;
          if (!pair.closeInfo && (q.desiredSize ?? 0) > 0) q.enqueue(chunk.slice());
        },
      }),
      get maxDatagramSize() {
        return pair.maxDatagramSize;
      },
    };
  }

  async createBidirectionalStream(): Promise<SessionBidirectionalStream & { id: number }> {
    this.#throwIfClosed();
    const out = this.pair.pipe();
    const back = this.pair.pipe();
    // RFC 9000 §2.1: client-initiated bidirectional 0, 4, 8, …; server-initiated 1, 5, 9, …
    const id = this.#nextBidi++ * 4 + (this.side === 'client' ? 0 : 1);
    this.peer.#bidi.enqueue({ id, readable: out.readable, writable: back.writable });
    return { id, readable: back.readable, writable: out.writable };
  }

  async createUnidirectionalStream(): Promise<WritableStream<Uint8Array>> {
    this.#throwIfClosed();
    const out = this.pair.pipe();
    this.peer.#uni.enqueue(out.readable);
    return out.writable;
  }

  close(info: { closeCode?: bigint; reason?: string } = {}): void {
    if (this.pair.closeInfo) return;
    const closeInfo: CloseInfo = { closeCode: info.closeCode ?? 0n, reason: info.reason ?? '', by: this.side };
    this.pair.closeInfo = closeInfo;
    const error = new SessionClosedError(closeInfo);
    for (const side of [this, this.peer]) {
      side.#resolveClosed(closeInfo);
      side.#bidi.error(error);
      side.#uni.error(error);
      side.#datagramsIn.error(error);
    }
    for (const pipe of this.pair.pipes) pipe.error(error);
    this.pair.pipes.clear();
  }

  #throwIfClosed(): void {
    if (this.pair.closeInfo) throw new SessionClosedError(this.pair.closeInfo);
  }
}

/** Two connected sessions: `[client, server]`. */
export function memorySessionPair(options: { highWaterMark?: number; maxDatagramSize?: number } = {}): [MemorySession, MemorySession] {
  const pair = new Pair(options.highWaterMark ?? 64 * 1024, options.maxDatagramSize ?? 1200);
  const client = new MemorySession(pair, 'client');
  const server = new MemorySession(pair, 'server');
  client.peer = server;
  server.peer = client;
  return [client, server];
}
