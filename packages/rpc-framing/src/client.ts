/**
 * @module client
 * The RPC client over one session: `call()` runs a call on its own
 * bidirectional stream, `subscribe()` a call with a push stream, `pushes()`
 * yields the push streams the server opens on its own. Calls beyond
 * `maxConcurrentCalls` wait in a bounded FIFO queue before they open a stream.
 */

import { ClientCall, type CallEnv, type CallOptions, type RawResponse } from './client-call.js';
import { systemClock, type Clock } from './clock.js';
import { DEFAULT_MAX_FRAME_SIZE } from './frame-codec.js';
import { Limiter } from './limiter.js';
import { PushStream } from './push.js';
import type { RpcSession } from './session.js';
import { StatusCode } from './status.js';
import { Subscription } from './subscription.js';

/** Incoming push streams whose header frame has not arrived yet, at most. */
export const MAX_PENDING_PUSH_HEADERS = 64;

/** Limits and clock of an `RpcClient`. */
export interface RpcClientOptions {
  /** Largest frame body sent or accepted, in bytes. Default 4 MiB. */
  readonly maxFrameSize?: number;
  /** Calls running at once (each holds one stream). Default 100. */
  readonly maxConcurrentCalls?: number;
  /** Calls waiting for a turn; beyond it a call fails with RESOURCE_EXHAUSTED. Default 10000. */
  readonly maxQueuedCalls?: number;
  /** Server-initiated push streams kept for `pushes()`; beyond it they are stopped with RESOURCE_EXHAUSTED. Default 16. */
  readonly maxQueuedPushStreams?: number;
  /** Time source for deadlines. Default: `Date.now()` and `setTimeout`. */
  readonly clock?: Clock;
}

/** The client over one session: `call()` opens a stream per call, `subscribe()` a server-streaming call, `pushes()` the server-initiated push streams. */
export class RpcClient {
  /** Settles when the session's incoming push streams end (the session closed). */
  readonly closed: Promise<void>;
  private readonly env: CallEnv;
  private readonly routes = new Map<bigint, Subscription>();
  private readonly unsolicited: PushStream[] = [];
  private unsolicitedWake: (() => void) | null = null;
  private acceptDone = false;
  private nextRequestId = 1n;
  private pendingHeaders = 0;
  private headerSlot: (() => void) | null = null;
  private readonly maxQueuedPushStreams: number;

  constructor(
    readonly session: RpcSession,
    options: RpcClientOptions = {},
  ) {
    const maxFrameSize = options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
    if (!Number.isSafeInteger(maxFrameSize) || maxFrameSize < 0) throw new RangeError('maxFrameSize must be a non-negative integer');
    this.env = {
      session,
      limiter: new Limiter(options.maxConcurrentCalls ?? 100, options.maxQueuedCalls ?? 10000),
      clock: options.clock ?? systemClock,
      maxFrameSize,
    };
    this.maxQueuedPushStreams = options.maxQueuedPushStreams ?? 16;
    this.closed = this.acceptPushStreams();
  }

  /** Calls running now (each holding a stream) and calls waiting for a turn. */
  get load(): { readonly running: number; readonly queued: number } {
    return { running: this.env.limiter.running, queued: this.env.limiter.waiting };
  }

  /**
   * Calls method `methodId` with an encoded request; resolves with the
   * encoded response or rejects with an `RpcError`.
   */
  call(methodId: number, payload: Uint8Array, options: CallOptions = {}): Promise<RawResponse> {
    return this.newCall(methodId, payload, options).run();
  }

  /**
   * Calls a method whose handler opens a push stream; the result is an async
   * iterable of its events. The signal and the deadline cover the whole
   * subscription; leaving a `for await` loop early cancels it.
   */
  subscribe(methodId: number, payload: Uint8Array, options: CallOptions = {}): Subscription {
    const call = this.newCall(methodId, payload, options);
    const sub = new Subscription(call, () => this.routes.delete(call.requestId));
    this.routes.set(call.requestId, sub);
    return sub;
  }

  /** The push streams the server opened on its own (request_id 0), as they arrive; ends when the session closes. */
  async *pushes(): AsyncGenerator<PushStream, void, undefined> {
    for (;;) {
      const next = this.unsolicited.shift();
      if (next) {
        yield next;
        continue;
      }
      if (this.acceptDone) return;
      await new Promise<void>((r) => (this.unsolicitedWake = r));
    }
  }

  /** Closes the session (if it can be closed): every call in progress fails with UNAVAILABLE. */
  close(info?: { closeCode?: number | bigint; reason?: string }): void {
    this.session.close?.(info);
  }

  private newCall(methodId: number, payload: Uint8Array, options: CallOptions): ClientCall {
    if (!Number.isInteger(methodId) || methodId < 0 || methodId > 0xffffffff) throw new RangeError(`method id out of range: ${methodId}`);
    if (!(payload instanceof Uint8Array)) throw new TypeError('payload must be a Uint8Array');
    return new ClientCall(this.env, this.nextRequestId++, methodId, payload, options);
  }

  private async acceptPushStreams(): Promise<void> {
    const reader = this.session.incomingUnidirectionalStreams.getReader();
    try {
      for (;;) {
        // Back-pressure: while MAX_PENDING_PUSH_HEADERS streams wait for their header, accept no
        // more, so the transport's stream limit holds the server back.
        if (this.pendingHeaders >= MAX_PENDING_PUSH_HEADERS) await new Promise<void>((r) => (this.headerSlot = r));
        const { value, done } = await reader.read();
        if (done) break;
        this.pendingHeaders++;
        void this.route(value).finally(() => {
          this.pendingHeaders--;
          const wake = this.headerSlot;
          this.headerSlot = null;
          wake?.();
        });
      }
    } catch {
      // The session failed: nothing more will arrive.
    } finally {
      this.acceptDone = true;
      this.wakeUnsolicited();
    }
  }

  private async route(readable: ReadableStream<Uint8Array>): Promise<void> {
    let stream: PushStream;
    try {
      stream = await PushStream.accept(readable, this.env.maxFrameSize);
    } catch {
      return; // a bad header: PushStream.accept stopped the stream
    }
    if (stream.requestId === 0n) {
      if (this.unsolicited.length >= this.maxQueuedPushStreams) return stream.cancel(StatusCode.RESOURCE_EXHAUSTED);
      this.unsolicited.push(stream);
      return this.wakeUnsolicited();
    }
    const sub = this.routes.get(stream.requestId);
    if (!sub?.attach(stream)) stream.cancel(StatusCode.CANCELLED);
  }

  private wakeUnsolicited(): void {
    const w = this.unsolicitedWake;
    this.unsolicitedWake = null;
    w?.();
  }
}
