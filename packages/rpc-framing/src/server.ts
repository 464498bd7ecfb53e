/**
 * @module server
 * The RPC server: a table of handlers by method id, and `serve(session)`,
 * which accepts the session's bidirectional streams and runs one call on
 * each, concurrently. A connection accepts at most `maxConcurrentCalls`
 * streams at once: excess calls wait unaccepted, so the transport's stream
 * limit (MAX_STREAMS, RFC 9000 §4.6) pushes back on the client.
 */

import { systemClock, type Clock } from './clock.js';
import { DEFAULT_MAX_FRAME_SIZE } from './frame-codec.js';
import { Limiter } from './limiter.js';
import { PushChannel, errorFromStream } from './push.js';
import { serveStream, type CallContext, type CallRegistry, type RawHandler, type ServerCallEnv } from './server-call.js';
import type { RpcSession } from './session.js';
import { RpcError, StatusCode } from './status.js';

/** Limits, clock and error hook of an `RpcServer`. */
export interface RpcServerOptions {
  /** Largest frame body accepted or sent, in bytes. Default 4 MiB. */
  readonly maxFrameSize?: number;
  /** Calls one connection runs at once; more wait unaccepted. Default 100. */
  readonly maxConcurrentCalls?: number;
  /** Time source for deadlines. Default: `Date.now()` and `setTimeout`. */
  readonly clock?: Clock;
  /**
   * Sees what a handler threw that was not an `RpcError` (the client gets
   * UNKNOWN without its text) and responses that exceeded the frame limit.
   */
  readonly onError?: (error: unknown, ctx: CallContext<unknown> | null) => void;
}

/** The server: method handlers by id, serving every session given to `serve()` (one stream per call, pushes on unidirectional streams). */
export class RpcServer<P = unknown> {
  private readonly handlers = new Map<number, RawHandler<P>>();
  private readonly connections = new Set<ServerConnection<P>>();
  private readonly maxFrameSize: number;
  private readonly maxConcurrentCalls: number;
  private readonly clock: Clock;
  private readonly onError: (error: unknown, ctx: CallContext<P> | null) => void;

  constructor(options: RpcServerOptions = {}) {
    this.maxFrameSize = options.maxFrameSize ?? DEFAULT_MAX_FRAME_SIZE;
    if (!Number.isSafeInteger(this.maxFrameSize) || this.maxFrameSize < 0) throw new RangeError('maxFrameSize must be a non-negative integer');
    this.maxConcurrentCalls = options.maxConcurrentCalls ?? 100;
    if (!Number.isSafeInteger(this.maxConcurrentCalls) || this.maxConcurrentCalls < 1) throw new RangeError('maxConcurrentCalls must be a positive integer');
    this.clock = options.clock ?? systemClock;
    this.onError = (options.onError as ((error: unknown, ctx: CallContext<P> | null) => void) | undefined) ?? (() => undefined);
  }

  /** Registers a handler for `methodId` on encoded messages. Throws if the id is taken. */
  handle(methodId: number, handler: RawHandler<P>): this {
    if (!Number.isInteger(methodId) || methodId < 1 || methodId > 0xffffffff) throw new RangeError(`method id must be in 1..2^32-1: ${methodId}`);
    if (this.handlers.has(methodId)) throw new TypeError(`method id ${methodId} is already registered`);
    if (typeof handler !== 'function') throw new TypeError('a handler must be a function');
    this.handlers.set(methodId, handler);
    return this;
  }

  /** The connections being served. */
  get activeConnections(): number {
    return this.connections.size;
  }

  /**
   * Serves calls arriving on `session` until it closes. `peer` (e.g. the
   * remote address, ALPN, certificates) reaches every handler as `ctx.peer`.
   */
  serve(session: RpcSession, peer: P): ServerConnection<P> {
    const conn = new ServerConnection<P>(session, peer, {
      maxFrameSize: this.maxFrameSize,
      maxConcurrentCalls: this.maxConcurrentCalls,
      clock: this.clock,
      lookup: (id) => this.handlers.get(id),
      onError: this.onError,
    });
    this.connections.add(conn);
    conn.closed.then(
      () => this.connections.delete(conn),
      () => this.connections.delete(conn),
    );
    return conn;
  }

  /** Closes every session being served. */
  close(info?: { closeCode?: number | bigint; reason?: string }): void {
    for (const c of this.connections) c.close(info);
  }
}

interface ConnectionConfig<P> {
  readonly maxFrameSize: number;
  readonly maxConcurrentCalls: number;
  readonly clock: Clock;
  lookup(methodId: number): RawHandler<P> | undefined;
  onError(error: unknown, ctx: CallContext<P> | null): void;
}

/** One session being served. */
export class ServerConnection<P = unknown> {
  /** Settles when the session has ended and every call on it has settled. */
  readonly closed: Promise<void>;
  private readonly ac = new AbortController();
  private readonly limiter: Limiter;
  private readonly env: ServerCallEnv<P>;
  private readonly live = new Set<{ stop(e: RpcError): void }>();
  private awaitingStream = false;

  /** @internal Made by the client or server, not by applications. */
  constructor(
    readonly session: RpcSession,
    readonly peer: P,
    private readonly config: ConnectionConfig<P>,
  ) {
    this.limiter = new Limiter(config.maxConcurrentCalls);
    this.env = {
      session,
      peer,
      clock: config.clock,
      maxFrameSize: config.maxFrameSize,
      calls: this.registry(),
      lookup: config.lookup,
      onError: config.onError,
    };
    session.closed?.then(
      () => this.end(),
      () => this.end(),
    );
    this.closed = this.accept();
  }

  /** Aborted when the session ends: per-connection state can hang its clean-up here. */
  get signal(): AbortSignal {
    return this.ac.signal;
  }

  /** Calls running on this connection now. */
  get activeCalls(): number {
    // The accept loop holds a slot while it waits for the next stream.
    return this.limiter.running - (this.awaitingStream ? 1 : 0);
  }

  /** Opens a push stream the server starts on its own (request_id 0): the client reads it from `RpcClient.pushes()`. */
  async openPush(): Promise<PushChannel> {
    let w: WritableStream<Uint8Array>;
    try {
      w = await this.session.createUnidirectionalStream();
    } catch (e) {
      throw errorFromStream(e, 'could not open a push stream');
    }
    return PushChannel.open(w, 0n, this.config.maxFrameSize);
  }

  /** Closes this session (CONNECTION_CLOSE with `closeCode`, default 0, and `reason`). */
  close(info?: { closeCode?: number | bigint; reason?: string }): void {
    this.session.close?.(info);
  }

  private async accept(): Promise<void> {
    const reader = this.session.incomingBidirectionalStreams.getReader();
    const calls = new Set<Promise<void>>();
    try {
      for (;;) {
        if (!this.limiter.tryAcquire()) {
          const turn = this.limiter.enqueue()!;
          await turn.promise;
        }
        this.awaitingStream = true;
        const { value, done } = await reader.read().finally(() => (this.awaitingStream = false));
        if (done) {
          this.limiter.release();
          break;
        }
        const call = serveStream(this.env, value)
          .catch((e: unknown) => this.config.onError(e, null))
          .finally(() => {
            this.limiter.release();
            calls.delete(call);
          });
        calls.add(call);
      }
    } catch {
      // The session failed: no more streams.
    } finally {
      this.end();
      await Promise.allSettled([...calls]);
    }
  }

  private registry(): CallRegistry {
    const { live, ac } = this;
    return {
      get ended() {
        return ac.signal.aborted;
      },
      add: (call) => live.add(call),
      delete: (call) => live.delete(call),
    };
  }

  private end(): void {
    if (this.ac.signal.aborted) return;
    this.ac.abort();
    const e = new RpcError(StatusCode.UNAVAILABLE, 'the session ended');
    for (const call of [...this.live]) call.stop(e);
  }
}
