/**
 * @module memory-session
 * An in-memory pair of `Session`s: what one side writes the other reads, in
 * order, with FIN on close, resets both ways (`abort` errors the peer's
 * readable, `cancel` errors the peer's writable, each with the same reason)
 * and back-pressure from byte-counted queues. No packets, no loss, no flow
 * control windows: just enough QUIC-shaped behaviour to test the
 * application protocols without a transport.
 */
import type { BidirectionalStream, CloseInfo, Session } from './session.js';

export interface MemorySessionOptions {
  /** Bytes buffered per stream direction on each side before `writer.ready` waits (default 64 KiB). */
  readonly highWaterMark?: number;
}

/** The error a stream or a pending call fails with once the pair is closed. */
export class SessionClosedError extends Error {
  override readonly name = 'SessionClosedError';
  constructor(readonly info: CloseInfo) {
    super(`session closed with code 0x${info.closeCode.toString(16)}${info.reason ? `: ${info.reason}` : ''}`);
  }
}

/** State shared by the two ends: every open pipe, so a close can error them all. */
class Pair {
  readonly pipes = new Set<TransformStreamDefaultController<Uint8Array>>();
  closeInfo: CloseInfo | undefined;
  constructor(readonly highWaterMark: number) {}

  pipe(): TransformStream<Uint8Array, Uint8Array> {
    let controller!: TransformStreamDefaultController<Uint8Array>;
    const ts = new TransformStream<Uint8Array, Uint8Array>(
      {
        start: (c) => {
          controller = c;
        },
        transform: (chunk, c) => {
          if (!(chunk instanceof Uint8Array)) throw new TypeError('stream chunks must be Uint8Array');
          c.enqueue(chunk);
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

class MemorySession implements Session {
  peer!: MemorySession;
  readonly incomingBidirectionalStreams: ReadableStream<BidirectionalStream>;
  readonly incomingUnidirectionalStreams: ReadableStream<ReadableStream<Uint8Array>>;
  readonly closed: Promise<CloseInfo>;
  #bidi!: ReadableStreamDefaultController<BidirectionalStream>;
  #uni!: ReadableStreamDefaultController<ReadableStream<Uint8Array>>;
  #resolveClosed!: (info: CloseInfo) => void;

  constructor(readonly pair: Pair) {
    this.incomingBidirectionalStreams = new ReadableStream({ start: (c) => void (this.#bidi = c) });
    this.incomingUnidirectionalStreams = new ReadableStream({ start: (c) => void (this.#uni = c) });
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
  }

  async createBidirectionalStream(): Promise<BidirectionalStream> {
    this.#throwIfClosed();
    const out = this.pair.pipe();
    const back = this.pair.pipe();
    this.peer.#bidi.enqueue({ readable: out.readable, writable: back.writable });
    return { readable: back.readable, writable: out.writable };
  }

  async createUnidirectionalStream(): Promise<WritableStream<Uint8Array>> {
    this.#throwIfClosed();
    const out = this.pair.pipe();
    this.peer.#uni.enqueue(out.readable);
    return out.writable;
  }

  close(info: { closeCode?: bigint; reason?: string } = {}): void {
    if (this.pair.closeInfo) return;
    const closeInfo: CloseInfo = { closeCode: info.closeCode ?? 0n, reason: info.reason ?? '' };
    this.pair.closeInfo = closeInfo;
    const error = new SessionClosedError(closeInfo);
    for (const side of [this, this.peer]) {
      side.#resolveClosed(closeInfo);
      side.#bidi.error(error);
      side.#uni.error(error);
    }
    for (const pipe of this.pair.pipes) pipe.error(error);
    this.pair.pipes.clear();
  }

  #throwIfClosed(): void {
    if (this.pair.closeInfo) throw new SessionClosedError(this.pair.closeInfo);
  }
}

/** Two connected sessions: `[client, server]` by convention (the pair itself is symmetric). */
export function createMemorySessionPair(options: MemorySessionOptions = {}): [Session, Session] {
  const highWaterMark = options.highWaterMark ?? 64 * 1024;
  if (!(highWaterMark > 0)) throw new RangeError('highWaterMark must be positive');
  const pair = new Pair(highWaterMark);
  const a = new MemorySession(pair);
  const b = new MemorySession(pair);
  a.peer = b;
  b.peer = a;
  return [a, b];
}
