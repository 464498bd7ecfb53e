/**
 * @module streams/connection
 * A QUIC connection with the WebTransport shape (`ready`, `closed`,
 * `createBidirectionalStream`, `incomingBidirectionalStreams`, ...), a thin
 * wrapper over the sans-IO core `Connection` driven by an endpoint shell
 * (streams/endpoint.ts). No Node API.
 */
import type { CloseInfo, Connection, ConnEvent, ConnStats, HandshakeInfo, Path } from '../core/index.js';
import type { SessionTicket } from '@tsquic/tls13-handshake';
import type { TransportParameters } from '@tsquic/quic-wire';
import { QuicConnectionError } from './errors.js';
import { BidiStream, RecvSide, SendSide, STREAM_IO, type QuicBidirectionalStream, type StreamHost } from './stream.js';

/** How to close a connection: the application error code (default 0) and a reason the peer sees. */
export interface CloseOptions {
  closeCode?: bigint | number;
  reason?: string;
}

/** The endpoint side a connection needs: a clock, a way to run the output loop, and its sockets. */
export interface Driver {
  /** The endpoint's clock (ms). */
  now(): number;
  /** Run the output loop soon (there is something to send). */
  kick(): void;
  /** This connection has stream opens waiting for the peer's MAX_STREAMS: call `service()` after input. */
  waiting(c: QuicConnection): void;
  /** Our address on `path` (the socket its packets leave through). */
  localAddress(path: Path): { address: string; port: number };
  /** Whether the connection has work in progress (its handshake, an open bidirectional stream): an unref'd endpoint keeps the process alive for it. */
  busy(c: QuicConnection, busy: boolean): void;
}

interface ShellStream {
  recv?: RecvSide;
  send?: SendSide;
}

/** A connection's datagrams (RFC 9221), WebTransport-style. */
export interface QuicDatagrams {
  readable: ReadableStream<Uint8Array>;
  writable: WritableStream<Uint8Array>;
  readonly maxDatagramSize: number;
}

/**
 * @internal Incoming bidirectional streams handed straight to a handler
 * instead of through `incomingBidirectionalStreams` (a Web Streams read per
 * stream, much of a small request's cost); `Symbol.for`, so a protocol layer
 * reaches it without an import, as `STREAM_IO`.
 */
export const ACCEPT_BIDI: unique symbol = Symbol.for('@tsquic/quic-transport/accept-bidi');

/** A QUIC connection with the WebTransport shape: `ready`, `closed`, streams and datagrams as Web Streams, `close()`. */
export class QuicConnection {
  /** Resolves once the handshake completes (rejects if the connection ends first). */
  readonly ready: Promise<HandshakeInfo>;
  /** Resolves on a clean close (application close or NO_ERROR); rejects with QuicConnectionError otherwise. */
  readonly closed: Promise<CloseInfo>;
  // The incoming-stream and datagram Web Streams are made on first use (by the
  // application, or by a first incoming stream or datagram): an idle
  // connection does not carry four streams' worth of objects.
  private bidiStreams: ReadableStream<QuicBidirectionalStream> | undefined;
  private uniStreams: ReadableStream<ReadableStream<Uint8Array>> | undefined;
  private datagramStreams: QuicDatagrams | undefined;
  private datagramIn: ReadableStreamDefaultController<Uint8Array> | undefined;
  /** Session tickets for resumption, as they arrive (client). */
  onSessionTicket: ((t: SessionTicket) => void) | undefined;
  /** Address validation tokens for the next connection to this server (client; pass as `token`). */
  onNewToken: ((token: Uint8Array) => void) | undefined;
  private resolveReady!: (i: HandshakeInfo) => void;
  private rejectReady!: (e: Error) => void;
  private resolveClosed!: (i: CloseInfo) => void;
  private rejectClosed!: (e: Error) => void;
  private bidiIn: ReadableStreamDefaultController<QuicBidirectionalStream> | undefined;
  private bidiHandler: ((s: QuicBidirectionalStream) => void) | undefined;
  private uniIn: ReadableStreamDefaultController<ReadableStream<Uint8Array>> | undefined;
  /** How the connection ended (streams made afterwards start closed or errored). */
  private endState: { clean: boolean; info: CloseInfo; err?: QuicConnectionError } | undefined;
  private readonly streams = new Map<number, ShellStream>();
  private readonly openWaiters: Array<{ dir: 'bidi' | 'uni'; resolve: (id: number) => void; reject: (e: Error) => void }> = [];
  /** The handshake completed (`ready` resolved): a later close does not reject it. */
  private readySettled = false;
  private readonly host: StreamHost;
  /** Bidirectional streams open in this shell (requests in progress, for `Driver.busy`). */
  private bidiOpen = 0;

  constructor(
    /** The sans-IO connection underneath (for stats and advanced use). */
    readonly core: Connection,
    private readonly driver: Driver,
  ) {
    this.ready = new Promise((res, rej) => ((this.resolveReady = res), (this.rejectReady = rej)));
    this.closed = new Promise((res, rej) => ((this.resolveClosed = res), (this.rejectClosed = rej)));
    // Nobody may be listening: avoid unhandled rejections, callers still see them when they await.
    this.ready.catch(() => {});
    this.closed.catch(() => {});
    driver.busy(this, true); // the handshake
    void this.ready.then(
      () => this.updateBusy(),
      () => undefined,
    );
    const core_ = core;
    this.host = {
      read: (id, max) => core_.read(id, max, driver.now()),
      write: (id, data) => core_.write(id, data),
      finish: (id) => core_.finish(id),
      reset: (id, code) => core_.resetStream(id, code),
      stopSending: (id, code) => core_.stopSending(id, code),
      kick: () => driver.kick(),
    };
  }

  get incomingBidirectionalStreams(): ReadableStream<QuicBidirectionalStream> {
    return (this.bidiStreams ??= this.incoming((c) => (this.bidiIn = c)));
  }

  get incomingUnidirectionalStreams(): ReadableStream<ReadableStream<Uint8Array>> {
    return (this.uniStreams ??= this.incoming((c) => (this.uniIn = c)));
  }

  /**
   * @internal From now on incoming bidirectional streams go to `handler`
   * (each in a microtask, as a read of `incomingBidirectionalStreams` would
   * resolve), never to that stream; false, and nothing changes, once that
   * stream is in use.
   */
  [ACCEPT_BIDI](handler: (s: QuicBidirectionalStream) => void): boolean {
    if (this.bidiStreams) return false;
    this.bidiHandler = handler;
    return true;
  }

  /**
   * Unreliable datagrams (RFC 9221), WebTransport-style. Enable with the
   * transport setting `maxDatagramFrameSize`. Incoming datagrams the reader
   * does not keep up with are dropped (at most 64 wait), never buffered
   * without bound; writes of datagrams the peer cannot take fail.
   */
  get datagrams(): QuicDatagrams {
    if (this.datagramStreams) return this.datagramStreams;
    const core = this.core;
    const driver = this.driver;
    const readable = this.incoming<Uint8Array>((c) => (this.datagramIn = c), 64);
    const writable = new WritableStream<Uint8Array>({
      write: (chunk) => {
        if (!core.sendDatagram(chunk)) throw new RangeError(`datagram of ${chunk.length} bytes not accepted (peer limit ${core.maxDatagramPayload})`);
        driver.kick();
      },
    });
    this.datagramStreams = {
      readable,
      writable,
      get maxDatagramSize() {
        return core.maxDatagramPayload;
      },
    };
    return this.datagramStreams;
  }

  /** A readable fed by the connection; made after the end, it starts closed (or errored). */
  private incoming<T>(keep: (c: ReadableStreamDefaultController<T>) => void, highWaterMark = 1): ReadableStream<T> {
    return new ReadableStream<T>(
      {
        start: (c) => {
          keep(c);
          if (this.endState) this.endState.clean ? c.close() : c.error(this.endError());
        },
      },
      { highWaterMark },
    );
  }

  get handshakeInfo(): HandshakeInfo | undefined {
    return this.core.handshakeInfo;
  }

  /** The peer's address and port (they change when the peer migrates, RFC 9000 §9). */
  get remoteAddress(): { address: string; port: number } {
    const p = this.core.remoteAddress;
    return { address: p.address, port: p.port };
  }

  /** Our address and port for this connection (the socket its packets leave through). */
  get localAddress(): { address: string; port: number } {
    return this.driver.localAddress(this.core.remoteAddress);
  }

  /**
   * The application protocol (ALPN). A server knows it as soon as it has
   * chosen it — before the handshake completes, so 0-RTT streams can be
   * routed by it; a client once the handshake completes.
   */
  get protocol(): string | undefined {
    return this.core.alpn;
  }

  get stats(): ConnStats {
    return this.core.getStats();
  }

  get remoteTransportParameters(): TransportParameters | undefined {
    return this.core.remoteTransportParameters;
  }

  /** Open a bidirectional stream; waits while the peer's MAX_STREAMS is exhausted. */
  async createBidirectionalStream(): Promise<QuicBidirectionalStream> {
    const id = await this.openId('bidi');
    return this.wrapBidi(id);
  }

  /** Open a unidirectional stream. */
  async createUnidirectionalStream(): Promise<WritableStream<Uint8Array>> {
    const id = await this.openId('uni');
    const send = new SendSide(this.host, id);
    this.streams.set(id, { send });
    // Its direct writer rides along under STREAM_IO, as a bidirectional stream's sides do (HTTP/3 writes its QPACK streams through it).
    return Object.defineProperty(send.writable, STREAM_IO, { value: { writer: send } });
  }

  private openId(dir: 'bidi' | 'uni'): Promise<number> {
    if (this.endState) return Promise.reject(this.endError());
    const id = this.core.openStream(dir);
    if (id !== null) return Promise.resolve(id);
    this.driver.kick(); // send STREAMS_BLOCKED
    this.driver.waiting(this);
    return new Promise((resolve, reject) => this.openWaiters.push({ dir, resolve, reject }));
  }

  private updateBusy(): void {
    this.driver.busy(this, !this.endState && (this.bidiOpen > 0 || this.core.handshakeInfo === undefined));
  }

  private wrapBidi(id: number): QuicBidirectionalStream {
    const recv = new RecvSide(this.host, id);
    const send = new SendSide(this.host, id);
    this.streams.set(id, { recv, send });
    if (this.bidiOpen++ === 0) this.updateBusy();
    return new BidiStream(id, recv, send, this.host);
  }

  /** Start a 1-RTT key update (RFC 9001 §6); false when one is still unacknowledged. */
  keyUpdate(): boolean {
    const ok = this.core.keyUpdate(this.driver.now());
    this.driver.kick();
    return ok;
  }

  /** Close with an application code; resolves when the close has been sent and the connection has drained. */
  close(opts: CloseOptions = {}): Promise<CloseInfo> {
    if (!this.endState) {
      this.core.close(this.driver.now(), BigInt(opts.closeCode ?? 0), opts.reason ?? '');
      this.driver.kick();
    }
    return this.closed.catch((e: unknown) => (QuicConnectionError.isInstance(e) ? e.info : Promise.reject(e)));
  }

  /** @internal Events from the core, dispatched by the endpoint. */
  dispatch(e: ConnEvent): void {
    switch (e.type) {
      case 'handshake-complete':
        this.readySettled = true;
        this.resolveReady(e.info);
        return;
      case 'handshake-confirmed':
      case 'alpn':
        return;
      case 'stream-incoming': {
        if ((e.id & 2) === 0) {
          const stream = this.wrapBidi(e.id);
          const handler = this.bidiHandler;
          if (handler) queueMicrotask(() => handler(stream));
          else {
            void this.incomingBidirectionalStreams;
            this.bidiIn!.enqueue(stream);
          }
        } else {
          const recv = new RecvSide(this.host, e.id);
          this.streams.set(e.id, { recv });
          void this.incomingUnidirectionalStreams;
          this.uniIn!.enqueue(recv.readable);
        }
        return;
      }
      case 'stream-readable':
        this.streams.get(e.id)?.recv?.onReadable();
        return;
      case 'stream-writable':
        this.streams.get(e.id)?.send?.onWritable();
        return;
      case 'stream-acked':
        this.streams.get(e.id)?.send?.onAcked();
        return;
      case 'stream-reset':
        this.streams.get(e.id)?.recv?.onReset(e.code);
        return;
      case 'stop-sending':
        this.streams.get(e.id)?.send?.onStopSending(e.code);
        return;
      case 'stream-closed':
        if (this.streams.delete(e.id) && (e.id & 2) === 0 && --this.bidiOpen === 0) this.updateBusy();
        return;
      case 'session-ticket':
        this.onSessionTicket?.(e.ticket);
        return;
      case 'new-token':
        this.onNewToken?.(e.token);
        return;
      case 'datagram':
        void this.datagrams;
        if ((this.datagramIn!.desiredSize ?? 0) > 0) this.datagramIn!.enqueue(e.data);
        return;
      case 'closed':
        this.onClosed(e.info);
        return;
    }
  }

  /** @internal Retry stream opens that waited for MAX_STREAMS; true while some still wait. */
  service(): boolean {
    for (let i = 0; i < this.openWaiters.length;) {
      const w = this.openWaiters[i]!;
      const id = this.core.openStream(w.dir);
      if (id === null) {
        i++;
        continue;
      }
      this.openWaiters.splice(i, 1);
      w.resolve(id);
    }
    return this.openWaiters.length > 0;
  }

  /**
   * The error the connection ended with, made on first use: a clean close
   * that nothing waits on makes none (an Error captures a stack trace, tens
   * of µs at the end of every short connection).
   */
  private endError(): QuicConnectionError {
    const e = this.endState!;
    return (e.err ??= new QuicConnectionError(e.info));
  }

  private onClosed(info: CloseInfo): void {
    const clean = info.kind === 'close' && (info.application || info.code === 0n);
    this.endState = { clean, info };
    if (!this.readySettled) this.rejectReady(this.endError());
    for (const [id, s] of this.streams) {
      // After a clean close, a stream whose data all arrived (its FIN included) is still read to the end.
      if (!(clean && this.core.receivedAll(id))) s.recv?.fail(this.endError());
      s.send?.fail(this.endError(), clean);
    }
    this.streams.clear();
    this.bidiOpen = 0;
    this.driver.busy(this, false);
    for (const w of this.openWaiters.splice(0)) w.reject(this.endError());
    for (const c of [this.bidiIn, this.uniIn, this.datagramIn] as Array<ReadableStreamDefaultController<unknown> | undefined>) {
      if (!c) continue;
      try {
        clean ? c.close() : c.error(this.endError());
      } catch {
        // already closed
      }
    }
    if (clean) this.resolveClosed(info);
    else this.rejectClosed(this.endError());
  }
}
