/**
 * @module streams/endpoint
 * A QUIC endpoint over any datagram socket (streams/socket.ts): the thin
 * shell around the sans-IO core Endpoint (DESIGN.md). Datagrams in go to the
 * core with the clock's `now` and their events straight to the
 * WebTransport-shaped connections (the application reacts in microtasks);
 * after each batch of inputs the output loop runs once — due timers, then
 * datagrams out, carrying those reactions with the ACKs — and one timer is
 * armed at the core's next deadline. At most `eventsPerTurn` events go to
 * the application a turn: a batch of many requests is answered in parts,
 * each part's answers leaving while the next is handled. Its
 * cost per batch follows the connections that had input, never the number
 * of connections held. No Node API: `node:dgram` is one socket
 * (node/endpoint.ts), an in-memory pair or another runtime's UDP another.
 */
import { QuicVersion } from '@tsquic/quic-wire';
import { certificateChainFrom, defaultCrypto, privateKeyFrom, type AntiReplay } from '@tsquic/tls13-handshake';
import { Endpoint, type ClientTlsSettings, type Connection, type ConnectionHooks, type ConnEvent, type ServerTlsSettings, type TransportSettings } from '../core/index.js';
import { QuicConnection } from './connection.js';
import type { DatagramSocket, SocketAddress } from './socket.js';

/** Datagrams from this size on are recycled after sending (smaller ones are views of the core's slab, left to the garbage collector). */
const RECYCLE_FROM = 8 * 1024;

/** The settings of a QuicSocketEndpoint (and, without the clock and scheduler, of `QuicEndpoint.bind`). */
export interface EndpointShellOptions {
  /** Defaults for every connection of this endpoint. */
  transport?: Partial<TransportSettings>;
  /**
   * Server address validation with Retry (RFC 9000 §8.1): 'auto' (default: once half of
   * `maxHandshakes` are in flight), 'always', 'never', or once `handshakes` are in flight.
   */
  retry?: 'auto' | 'always' | 'never' | { handshakes: number };
  /** Most connections at once (more Initials are dropped); default 10,000. */
  maxConnections?: number;
  /** Most server handshakes in flight at once (more Initials are dropped); default 1,000. */
  maxHandshakes?: number;
  /** Stateless resets (and INVALID_TOKEN closes) per second at most; default 100. */
  statelessResetRate?: number;
  /**
   * 0-RTT anti-replay register (default: tls13-handshake's StrikeRegister, 100,000 tickets,
   * rejecting 0-RTT when full). Give every endpoint of a server farm sharing a `ticketKey` the same one.
   */
  antiReplay?: AntiReplay;
  /** Length of the connection IDs this endpoint issues (default 8). */
  connectionIdLength?: number;
  /**
   * Where the connection IDs this endpoint issues come from, each
   * `connectionIdLength` bytes (default random): e.g. a `QuicLbCidGenerator`'s
   * `next`, so that packets can be routed by connection ID (see `QuicCluster`).
   */
  connectionIds?: () => Uint8Array | null;
  /**
   * Secrets several endpoints behind one address share, so that any of them
   * can check what another issued: Retry and NEW_TOKEN tokens (32 bytes) and
   * stateless reset tokens (RFC 9000 §10.3.2). Random per endpoint by default.
   */
  tokenKey?: Uint8Array;
  statelessResetKey?: Uint8Array;
  /** Single use of NEW_TOKEN tokens (RFC 9000 §8.1.4); give every endpoint sharing `tokenKey` one register over one store. */
  tokenReplay?: AntiReplay;
  /** Hooks for every connection (key log, randomness, crypto provider). */
  hooks?: ConnectionHooks;
  /** Hooks per connection (a qlog file each). */
  hooksFor?: (side: 'client' | 'server') => ConnectionHooks;
  /** The clock (ms): default `performance.now()`. */
  now?: () => number;
  /**
   * Most connection events handed to the application per turn of the event loop (default 128:
   * beside 64, HTTP/3 at 128 concurrent small GETs made 10,094 against 5,955 requests/s, median of
   * five interleaved runs on a loaded machine, and the same at 16 concurrent).
   * The rest wait for the next turn, and the output loop runs in between: what the application
   * made of the first ones (responses to the first requests of a large batch) leaves while it
   * works on the next, so the peer starts on them instead of waiting for the whole batch.
   */
  eventsPerTurn?: number;
  /** Run `f` soon, once per batch of inputs: default `setImmediate` where it exists, else `setTimeout(f, 0)`. */
  schedule?: (f: () => void) => void;
}

/** How a server accepts connections: its TLS identity and ALPN, transport settings, the connection handler. */
export interface ListenOptions {
  tls: ServerTlsSettings;
  transport?: Partial<TransportSettings>;
  /**
   * Called for each accepted connection (instead of queueing it on `incoming`). It may be async:
   * a handler that throws or rejects closes that connection (application code 0, its message as
   * the reason); the endpoint serves on.
   */
  onConnection?: (c: QuicConnection) => void | Promise<unknown>;
}

/** A client connection's settings: TLS (`serverName`, `alpn`, `trustAnchors`/`verify`, resumption), transport, version, an address-validation token. */
export interface ConnectOptions extends ClientTlsSettings {
  transport?: Partial<TransportSettings>;
  version?: QuicVersion;
  /** A token from this server's NEW_TOKEN frame (see `onNewToken`): skips address validation. */
  token?: Uint8Array;
}

/** RFC 9001 §8.1: QUIC always negotiates an application protocol; without one every handshake fails. */
function requireAlpn(what: string, alpn: unknown): void {
  if (!Array.isArray(alpn) || alpn.length === 0) throw new TypeError(`${what} must name at least one application protocol, e.g. ['h3'] (RFC 9001 §8.1)`);
}

/**
 * The server's settings checked before the first client comes (a key that cannot sign failed every
 * handshake, seen by clients as a bare close code): ALPN present, certificates and key as DER or PEM,
 * the key one the TLS crypto provider can sign with.
 */
function serverIdentity(tls: ServerTlsSettings): ServerTlsSettings {
  if (tls === undefined || tls === null) throw new TypeError('listen: tls (certificateChain, privateKey, alpn) is required');
  requireAlpn('listen: tls.alpn', tls.alpn);
  if (!Array.isArray(tls.certificateChain) || tls.certificateChain.length === 0) throw new TypeError('listen: tls.certificateChain must hold the certificate (DER or PEM), leaf first');
  const certificateChain = certificateChainFrom(tls.certificateChain);
  const privateKey = privateKeyFrom(tls.privateKey);
  try {
    (tls.crypto ?? defaultCrypto()).signer(privateKey);
  } catch (e) {
    throw new TypeError(`listen: tls.privateKey cannot sign: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
  }
  return { ...tls, certificateChain, privateKey };
}

const defaultSchedule = (f: () => void): void => {
  const g = globalThis as { setImmediate?: (f: () => void) => unknown };
  if (g.setImmediate) g.setImmediate(f);
  else setTimeout(f, 0);
};

type Timer = ReturnType<typeof setTimeout>;
const unrefTimer = (t: Timer): void => void (t as { unref?(): void }).unref?.();

/** A QUIC endpoint over any DatagramSocket: `listen()` to serve, `connect()` to dial, `close()` to end every connection; QuicEndpoint is this over `node:dgram`. */
export class QuicSocketEndpoint {
  readonly core: Endpoint;
  /** Connections accepted by `listen()`, in arrival order (when `listen` was given no `onConnection`). */
  readonly incoming: ReadableStream<QuicConnection>;
  /** Datagrams the socket failed to send (ENOBUFS and the like). */
  sendErrors = 0;
  private incomingCtl!: ReadableStreamDefaultController<QuicConnection>;
  /**
   * Accepted connections not yet read from `incoming`, in arrival order. One that closes before it is
   * read leaves the queue, so a server that reads slowly (or never) holds only live connections.
   */
  private readonly unread = new Set<QuicConnection>();
  /** A read of `incoming` waits for the next connection. */
  private incomingWanted = false;
  private readonly shells = new Map<Connection, QuicConnection>();
  /** Connections with stream opens waiting for the peer's MAX_STREAMS. */
  private readonly waitingOpens = new Set<QuicConnection>();
  /** Sockets by the `Path.local` tag of the paths they serve (undefined: the main socket). */
  private readonly sockets = new Map<string | undefined, DatagramSocket>();
  private timer: Timer | undefined;
  private timerAt = Infinity;
  private scheduled = false;
  /** Events still to be handed out this turn (see `eventsPerTurn`). */
  private budget: number;
  private readonly eventsPerTurn: number;
  private closing = false;
  /** The sockets are closed: nothing more is sent or run. */
  private finished = false;
  /** `unref()` was not called (or `ref()` undid it). */
  private referenced = true;
  /** Connections with work in progress (a handshake, an open bidirectional stream). */
  private readonly busy = new Set<QuicConnection>();
  /** Whether the sockets and timer now hold the process. */
  private holding = true;
  private onConnection: ListenOptions['onConnection'];
  private readonly closedPromise: Promise<void>;
  private resolveClosed!: () => void;
  private readonly clock: () => number;
  private readonly schedule: (f: () => void) => void;

  constructor(
    socket: DatagramSocket,
    private readonly options: EndpointShellOptions = {},
  ) {
    this.clock = options.now ?? (() => performance.now());
    this.schedule = options.schedule ?? defaultSchedule;
    this.budget = this.eventsPerTurn = options.eventsPerTurn ?? 128;
    this.core = new Endpoint({
      transport: options.transport,
      ...(options.retry ? { retry: options.retry } : {}),
      ...(options.maxConnections ? { maxConnections: options.maxConnections } : {}),
      ...(options.maxHandshakes ? { maxHandshakes: options.maxHandshakes } : {}),
      ...(options.statelessResetRate ? { statelessResetRate: options.statelessResetRate } : {}),
      ...(options.antiReplay ? { antiReplay: options.antiReplay } : {}),
      ...(options.connectionIdLength !== undefined ? { connectionIdLength: options.connectionIdLength } : {}),
      ...(options.connectionIds ? { connectionIds: options.connectionIds } : {}),
      ...(options.tokenKey ? { tokenKey: options.tokenKey } : {}),
      ...(options.statelessResetKey ? { statelessResetKey: options.statelessResetKey } : {}),
      ...(options.tokenReplay ? { tokenReplay: options.tokenReplay } : {}),
      hooks: { wallClock: Date.now, ...options.hooks },
      ...(options.hooksFor ? { hooksFor: options.hooksFor } : {}),
    });
    this.incoming = new ReadableStream(
      {
        start: (c) => void (this.incomingCtl = c),
        pull: () => {
          const next = this.unread.values().next();
          if (next.done) this.incomingWanted = true;
          else {
            this.unread.delete(next.value);
            this.incomingCtl.enqueue(next.value);
          }
        },
      },
      { highWaterMark: 0 },
    );
    this.closedPromise = new Promise((r) => (this.resolveClosed = r));
    this.useSocket(socket);
  }

  /** Receive on `socket`; paths tagged `local` send through it (a server's preferred address, RFC 9000 §9.6). */
  protected useSocket(socket: DatagramSocket, local?: string): void {
    const old = this.sockets.get(local);
    this.sockets.set(local, socket);
    socket.onDatagram((data, from) => this.onDatagram(data, from, local));
    if (!this.holding) socket.unref?.();
    old?.close();
  }

  /** The main socket's bound address and port. */
  get address(): SocketAddress {
    return this.sockets.get(undefined)!.localAddress;
  }

  /** Accept connections (server role). */
  listen(opts: ListenOptions): void {
    this.core.opts.server = { tls: serverIdentity(opts.tls), transport: { ...this.options.transport, ...opts.transport } };
    this.onConnection = opts.onConnection;
  }

  /** Start a connection; `await conn.ready` for the handshake. `target` is 'host:port', '[v6]:port' or an object. */
  connect(target: string | SocketAddress, opts: ConnectOptions): QuicConnection {
    const t = typeof target === 'string' ? parseTarget(target) : target;
    // As node:tls: the host of 'host:port' is the name the certificate must carry unless serverName says otherwise.
    const o = typeof target === 'string' && opts.serverName === undefined ? { ...opts, serverName: t.address } : opts;
    requireAlpn('connect: alpn', opts.alpn);
    const core = this.core.connect(this.clock(), { address: t.address, port: t.port }, o, { ...this.options.transport, ...opts.transport }, opts.version, opts.token);
    const shell = this.shellFor(core);
    this.kick();
    return shell;
  }

  /**
   * Let the process exit while this endpoint is idle (a pooled client): its
   * sockets and timer hold the process only while a connection is being set
   * up or has an open bidirectional stream (a request in progress), as
   * Node's own sockets do once unref'd by an HTTP agent.
   */
  unref(): this {
    this.referenced = false;
    this.updateHold();
    return this;
  }

  /** Undo `unref()`: the endpoint holds the process until closed. */
  ref(): this {
    this.referenced = true;
    this.updateHold();
    return this;
  }

  private updateHold(): void {
    const hold = this.referenced || this.busy.size > 0;
    if (hold === this.holding) return;
    this.holding = hold;
    for (const s of this.sockets.values()) (hold ? s.ref : s.unref)?.call(s);
    if (this.timer) (this.timer as { ref?(): void; unref?(): void })[hold ? 'ref' : 'unref']?.();
  }

  private shellFor(core: Connection): QuicConnection {
    let s = this.shells.get(core);
    if (!s) {
      s = new QuicConnection(core, {
        now: this.clock,
        kick: () => this.kick(),
        waiting: (c) => void this.waitingOpens.add(c),
        busy: (c, busy) => {
          if (busy) this.busy.add(c);
          else this.busy.delete(c);
          this.updateHold();
        },
        localAddress: (path) => (this.sockets.get(path.local) ?? this.sockets.get(undefined)!).localAddress,
      });
      this.shells.set(core, s);
    }
    return s;
  }

  private onDatagram(data: Uint8Array, from: SocketAddress, local?: string): void {
    if (this.finished) return;
    const r = this.core.handleDatagram(this.clock(), data, local ? { address: from.address, port: from.port, local } : { address: from.address, port: from.port });
    if (r.kind === 'new' && !this.closing) {
      const shell = this.shellFor(r.conn);
      // With an onConnection handler nobody reads `incoming`: queueing there too would keep every
      // connection ever accepted alive (found by the soak test).
      if (this.onConnection) this.accepted(this.onConnection, shell);
      else if (this.incomingWanted) {
        this.incomingWanted = false;
        this.incomingCtl.enqueue(shell);
      } else this.unread.add(shell);
    }
    // Events go to the application now: its reactions (a response, a read freeing credit) run as
    // microtasks before the output loop, so they leave in the same flush as the ACK of this
    // datagram — one event-loop turn per hop, no ACK-only packet ahead of the answer.
    this.dispatchEvents();
    this.kick();
  }

  /** Hand an accepted connection to the application; its failure closes that connection only. */
  private accepted(handler: NonNullable<ListenOptions['onConnection']>, c: QuicConnection): void {
    const fail = (e: unknown): void => void c.close({ closeCode: 0n, reason: `onConnection failed: ${e instanceof Error ? e.message : String(e)}`.slice(0, 200) });
    try {
      const r = handler(c);
      if (r instanceof Promise) r.catch(fail);
    } catch (e) {
      fail(e);
    }
  }

  /** Run the output loop soon (once per batch of inputs). */
  kick(): void {
    if (this.scheduled || this.finished) return;
    this.scheduled = true;
    this.schedule(() => {
      this.scheduled = false;
      this.service();
    });
  }

  /** Due timers, datagrams out, events to the connections, then the next timer. */
  private service(): void {
    if (this.finished) return;
    const now = this.clock();
    if (now >= this.timerAt) this.timerAt = Infinity;
    this.core.handleTimeout(now);
    this.budget = this.closing ? Infinity : this.eventsPerTurn;
    // Events held back last turn go out now; what the application did with the earlier ones leaves in this flush.
    this.dispatchEvents();
    for (const s of this.waitingOpens) if (!s.service()) this.waitingOpens.delete(s);
    this.flush(now);
    this.arm(now);
    if (this.budget === 0) this.kick();
    if (this.closing && this.core.connections.size === 0) this.finishClose();
  }

  /** Hands out queued connection events, at most `eventsPerTurn` a turn (the rest stay queued in the core, in order). */
  private dispatchEvents(): void {
    while (this.budget > 0) {
      const e = this.core.pollEvent();
      if (!e) return;
      this.budget--;
      this.dispatch(e.conn, e.event);
    }
  }

  private dispatch(core: Connection, e: ConnEvent): void {
    const shell = this.shellFor(core);
    shell.dispatch(e);
    if (e.type === 'closed') {
      this.shells.delete(core);
      this.waitingOpens.delete(shell);
      this.unread.delete(shell);
    }
  }

  private flush(now: number): void {
    for (let t = this.core.pollTransmit(now); t; t = this.core.pollTransmit(now)) this.send(t.data, t.path);
  }

  /** Send a datagram; a large one's buffer goes back to the core for reuse once the socket is done with it. */
  private send(data: Uint8Array, to: SocketAddress & { local?: string }): void {
    if (this.finished) return;
    const socket = this.sockets.get(to.local) ?? this.sockets.get(undefined)!;
    const core = this.core;
    try {
      if (data.length < RECYCLE_FROM) socket.send(data, to, this.onSent);
      else
        socket.send(data, to, (err) => {
          if (err) this.sendErrors++;
          core.recycle(data);
        });
    } catch {
      this.sendErrors++;
    }
  }

  /** One send callback for every small datagram (not a closure each). */
  private readonly onSent = (err?: Error | null): void => {
    if (err) this.sendErrors++;
  };

  private arm(now: number): void {
    const deadline = this.core.pollTimeout();
    if (deadline === null) {
      if (this.timer) clearTimeout(this.timer);
      this.timer = undefined;
      this.timerAt = Infinity;
      return;
    }
    if (this.timer && deadline >= this.timerAt - 0.5 && this.timerAt !== Infinity) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerAt = deadline;
    this.timer = setTimeout(
      () => {
        this.timer = undefined;
        this.service();
      },
      Math.max(0, deadline - now),
    );
    if (!this.holding) unrefTimer(this.timer);
  }

  /**
   * Close every connection (CONNECTION_CLOSE, then draining) and, after at
   * most `timeoutMs` (default 1 s), the sockets. Safe at any moment: the
   * CONNECTION_CLOSE datagrams go to the socket before this returns, and
   * nothing is sent once the sockets are closed.
   */
  async close(opts: { closeCode?: bigint; reason?: string; timeoutMs?: number } = {}): Promise<void> {
    if (!this.closing) {
      this.closing = true;
      try {
        this.incomingCtl.close();
      } catch {
        // already closed
      }
      for (const shell of this.shells.values()) void shell.close({ closeCode: opts.closeCode ?? 0n, reason: opts.reason ?? '' });
      this.service();
      // Draining takes three PTOs; do not hold the process for long.
      const t = setTimeout(() => this.finishClose(), opts.timeoutMs ?? 1000);
      if (!this.holding) unrefTimer(t);
      void this.closedPromise.then(() => clearTimeout(t));
    }
    return this.closedPromise;
  }

  /** Resolves once the endpoint is closed. */
  get closed(): Promise<void> {
    return this.closedPromise;
  }

  private finishClose(): void {
    if (this.finished) return;
    this.finished = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const s of this.sockets.values()) {
      try {
        s.close();
      } catch {
        // already closed
      }
    }
    this.resolveClosed();
  }

  /** `await using` support: closes the endpoint. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

/** 'host:port' or '[v6]:port'. */
export function parseTarget(s: string): SocketAddress {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(s) ?? /^([^:]+):(\d+)$/.exec(s);
  if (!m) throw new TypeError(`target must be host:port or [v6]:port, got ${s}`);
  return { address: m[1]!, port: Number(m[2]) };
}
