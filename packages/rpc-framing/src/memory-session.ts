/**
 * @module memory-session
 * An in-memory session pair with the `RpcSession` shape, a faithful small
 * model of a QUIC connection's streams (RFC 9000 §2–§4): stream ids numbered
 * as §2.1 numbers them, a peer learns of a stream on its first frame, each
 * stream direction is a `Pipe` (ordered bytes, FIN, RESET_STREAM and
 * STOP_SENDING with codes, flow control), the number of open streams each side
 * may initiate is limited like MAX_STREAMS (§4.6), and closing the session
 * fails every open stream on both sides (CONNECTION_CLOSE, §10.2).
 */

import type { CloseInfo, DuplexLike, RpcSession } from './session.js';
import { Pipe, type PipeOptions } from './memory-stream.js';
import { SessionClosedError, toCode } from './stream-error.js';

/** Knobs of an in-memory session pair: the per-stream flow-control window. */
export interface MemorySessionOptions {
  /** Unread bytes a receiver buffers per stream before the writer waits (flow-control window). Default 65536. */
  readonly streamWindow?: number;
  /** The writable's own queue in bytes, behind `writer.ready` (at least 1: with 0, `ready` never resolves). Default 16384. */
  readonly writeHighWaterMark?: number;
  /** Bidirectional streams each side may have open at once (MAX_STREAMS). Default 100. */
  readonly maxBidirectionalStreams?: number;
  /** Unidirectional streams each side may have open at once (MAX_STREAMS). Default 100. */
  readonly maxUnidirectionalStreams?: number;
  /**
   * How many bytes the next read returns, given the bytes available (at least 1 is used).
   * Default: the next written chunk whole. Use it to split and coalesce chunks in tests.
   */
  readonly readSize?: (available: number) => number;
  /** Reset/stop code when an abort or cancel reason has no `code`. Default 0n. */
  readonly defaultErrorCode?: bigint;
}

/** A bidirectional stream of a memory session. */
export interface MemoryBidirectionalStream extends DuplexLike {
  /** The stream id (RFC 9000 §2.1: low bits = initiator and direction). */
  readonly id: bigint;
}

/** One endpoint of a memory session pair. */
export interface MemorySession extends RpcSession {
  readonly side: 'client' | 'server';
  /** Resolves at once: a memory session has no handshake. */
  readonly ready: Promise<void>;
  readonly closed: Promise<CloseInfo>;
  createBidirectionalStream(): Promise<MemoryBidirectionalStream>;
  readonly incomingBidirectionalStreams: ReadableStream<MemoryBidirectionalStream>;
  /** Closes both ends: every open stream fails with a `SessionClosedError`. */
  close(info?: { closeCode?: number | bigint; reason?: string }): void;
  /** Streams this side initiated that are still open (not yet finished on both halves). */
  readonly openStreams: { readonly bidi: number; readonly uni: number };
}

interface Shared {
  closedInfo: CloseInfo | null;
  readonly pipes: Set<Pipe>;
  readonly pipeOptions: PipeOptions;
  readonly ends: [End, End];
  resolveClosed(info: CloseInfo): void;
}

/**
 * Creates two connected sessions, `[client, server]`. Either side may open
 * streams; client-initiated stream ids are even, server-initiated odd.
 */
export function createMemorySessionPair(options: MemorySessionOptions = {}): [MemorySession, MemorySession] {
  const pipeOptions: PipeOptions = {
    window: positive(options.streamWindow ?? 65536, 'streamWindow'),
    writeHighWaterMark: positive(options.writeHighWaterMark ?? 16384, 'writeHighWaterMark'),
    readSize: options.readSize,
    defaultErrorCode: toCode(options.defaultErrorCode ?? 0n),
  };
  const limits = {
    bidi: positive(options.maxBidirectionalStreams ?? 100, 'maxBidirectionalStreams'),
    uni: positive(options.maxUnidirectionalStreams ?? 100, 'maxUnidirectionalStreams'),
  };
  let resolveClosed!: (info: CloseInfo) => void;
  const closed = new Promise<CloseInfo>((r) => (resolveClosed = r));
  const shared = { closedInfo: null, pipes: new Set<Pipe>(), pipeOptions, resolveClosed } as unknown as Shared;
  const client = new End('client', shared, limits, closed);
  const server = new End('server', shared, limits, closed);
  (shared as { ends: [End, End] }).ends = [client, server];
  return [client, server];
}

class End implements MemorySession {
  readonly ready = Promise.resolve();
  readonly incomingBidirectionalStreams: ReadableStream<MemoryBidirectionalStream>;
  readonly incomingUnidirectionalStreams: ReadableStream<ReadableStream<Uint8Array>>;
  private incomingBidiCtl!: ReadableStreamDefaultController<MemoryBidirectionalStream>;
  private incomingUniCtl!: ReadableStreamDefaultController<ReadableStream<Uint8Array>>;
  private readonly open = { bidi: 0, uni: 0 };
  private readonly next = { bidi: 0n, uni: 0n };
  private readonly slotWaiters = { bidi: [] as (() => void)[], uni: [] as (() => void)[] };

  constructor(
    readonly side: 'client' | 'server',
    private readonly shared: Shared,
    private readonly limits: { bidi: number; uni: number },
    readonly closed: Promise<CloseInfo>,
  ) {
    this.incomingBidirectionalStreams = new ReadableStream({ start: (c) => void (this.incomingBidiCtl = c) });
    this.incomingUnidirectionalStreams = new ReadableStream({ start: (c) => void (this.incomingUniCtl = c) });
  }

  get openStreams(): { bidi: number; uni: number } {
    return { ...this.open };
  }

  private get peer(): End {
    return this.shared.ends[this.side === 'client' ? 1 : 0];
  }

  async createBidirectionalStream(): Promise<MemoryBidirectionalStream> {
    await this.acquire('bidi');
    const id = this.streamId('bidi');
    let finishedHalves = 0;
    const onTerminal = (): void => {
      if (++finishedHalves === 2) this.release('bidi');
    };
    let announced = false;
    const announce = (): void => {
      if (announced) return;
      announced = true;
      this.peer.deliverBidi({ id, readable: out.readable, writable: back.writable });
    };
    const out = this.pipe(announce, onTerminal); // this side writes, the peer reads
    const back = this.pipe(announce, onTerminal); // the peer writes, this side reads
    return { id, readable: back.readable, writable: out.writable };
  }

  async createUnidirectionalStream(): Promise<WritableStream<Uint8Array>> {
    await this.acquire('uni');
    const p = this.pipe(
      () => this.peer.deliverUni(p.readable),
      () => this.release('uni'),
    );
    return p.writable;
  }

  close(info: { closeCode?: number | bigint; reason?: string } = {}): void {
    if (this.shared.closedInfo) return;
    const closeInfo: CloseInfo = { closeCode: toCode(info.closeCode ?? 0n), reason: info.reason ?? '' };
    this.shared.closedInfo = closeInfo;
    const error = new SessionClosedError(closeInfo.closeCode, closeInfo.reason);
    for (const p of [...this.shared.pipes]) p.sessionClosed(error);
    for (const end of this.shared.ends) end.shutDown();
    this.shared.resolveClosed(closeInfo);
  }

  private shutDown(): void {
    this.incomingBidiCtl.close();
    this.incomingUniCtl.close();
    for (const w of [...this.slotWaiters.bidi.splice(0), ...this.slotWaiters.uni.splice(0)]) w();
  }

  private deliverBidi(s: MemoryBidirectionalStream): void {
    if (!this.shared.closedInfo) this.incomingBidiCtl.enqueue(s);
  }

  private deliverUni(r: ReadableStream<Uint8Array>): void {
    if (!this.shared.closedInfo) this.incomingUniCtl.enqueue(r);
  }

  private pipe(onFirstFrame: () => void, onTerminal: () => void): Pipe {
    const p: Pipe = new Pipe(this.shared.pipeOptions, onFirstFrame, () => {
      this.shared.pipes.delete(p);
      onTerminal();
    });
    this.shared.pipes.add(p);
    return p;
  }

  /** RFC 9000 §4.6: wait while this side has as many open streams as the peer allows. */
  private async acquire(kind: 'bidi' | 'uni'): Promise<void> {
    for (;;) {
      this.throwIfClosed();
      if (this.open[kind] < this.limits[kind]) break;
      await new Promise<void>((r) => this.slotWaiters[kind].push(r));
    }
    this.open[kind]++;
  }

  private release(kind: 'bidi' | 'uni'): void {
    this.open[kind]--;
    this.slotWaiters[kind].shift()?.();
  }

  private throwIfClosed(): void {
    const c = this.shared.closedInfo;
    if (c) throw new SessionClosedError(c.closeCode, c.reason);
  }

  /** RFC 9000 §2.1: bit 0 = initiator (server 1), bit 1 = direction (uni 1). */
  private streamId(kind: 'bidi' | 'uni'): bigint {
    const n = this.next[kind]++;
    return (n << 2n) | (kind === 'uni' ? 2n : 0n) | (this.side === 'server' ? 1n : 0n);
  }
}

function positive(n: number, name: string): number {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`${name} must be a positive integer`);
  return n;
}
