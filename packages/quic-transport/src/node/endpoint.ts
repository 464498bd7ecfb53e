/**
 * @module node/endpoint
 * The `node:dgram` shell around the sans-IO core Endpoint: one UDP socket
 * (IPv4, or IPv6 dual-stack), a single timer armed at the core's next
 * deadline, datagrams fed in with `performance.now()`, output flushed after
 * every input batch. It listens (server), connects (client), or both.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { createSocket, type Socket, type SocketOptions } from 'node:dgram';
import { lookup as dnsLookup } from 'node:dns';
import { isIP } from 'node:net';
import { join } from 'node:path';
import { QuicVersion } from '@tsquic/quic-wire';
import { Endpoint, type ClientTlsSettings, type Connection, type ConnectionHooks, type ReplayStore, type ServerTlsSettings, type TransportSettings } from '../core/index.js';
import { QuicConnection } from './connection.js';

/** Datagrams from this size on are recycled after sending (the core copies smaller ones out of its work area). */
const RECYCLE_FROM = 8 * 1024;

export interface BindOptions {
  /** Local address; '::' listens on IPv6 and IPv4 (dual-stack). Default '127.0.0.1'. */
  address?: string;
  port?: number;
  /** Socket buffers: the default 208 KiB drops datagrams at full speed on loopback. */
  recvBufferSize?: number;
  sendBufferSize?: number;
  /** For '::': refuse IPv4 (so 0.0.0.0 can be bound separately on the same port). Default false (dual-stack). */
  ipv6Only?: boolean;
  /** Defaults for every connection of this endpoint. */
  transport?: Partial<TransportSettings>;
  /** NSS key log: a file path (appended) or a callback. Defaults to $SSLKEYLOGFILE when set. */
  keylog?: string | ((line: string) => void);
  /** Write one qlog file (JSON-SEQ, QUIC event schema) per connection into this directory. */
  qlogDir?: string;
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
   * 0-RTT anti-replay register (default: 100,000 tickets for 20 s, rejecting 0-RTT when full).
   * Give every endpoint of a server farm sharing a `ticketKey` the same store.
   */
  antiReplay?: ReplayStore;
  /**
   * Server: a second local address to offer clients as preferred_address
   * (RFC 9000 §9.6), bound as its own socket; clients move there once their
   * handshake is confirmed. Same address family as `address`.
   */
  preferredAddress?: { address: string; port: number };
}

export interface ListenOptions {
  tls: ServerTlsSettings;
  transport?: Partial<TransportSettings>;
  onConnection?: (c: QuicConnection) => void;
}

export interface ConnectOptions extends ClientTlsSettings {
  transport?: Partial<TransportSettings>;
  version?: QuicVersion;
  /** A token from this server's NEW_TOKEN frame (see `onNewToken`): skips address validation. */
  token?: Uint8Array;
}

export class QuicEndpoint {
  readonly core: Endpoint;
  /** Connections accepted by `listen()`, in arrival order (when `listen` was given no `onConnection`). */
  readonly incoming: ReadableStream<QuicConnection>;
  private incomingCtl!: ReadableStreamDefaultController<QuicConnection>;
  private readonly shells = new Map<Connection, QuicConnection>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  private timerAt = Infinity;
  private scheduled = false;
  private closing = false;
  private onConnection: ((c: QuicConnection) => void) | undefined;
  private readonly closedPromise: Promise<void>;
  private resolveClosed!: () => void;
  private qlogCount = 0;
  /** Datagrams the socket failed to send (ENOBUFS and the like). */
  sendErrors = 0;
  /** Send a datagram; a large one's buffer goes back to the core for reuse once the socket is done with it. */
  private send(data: Uint8Array, to: { address: string; port: number; local?: string }): void {
    const socket = this.socketFor(to);
    if (data.length < RECYCLE_FROM) return socket.send(data, to.port, to.address, this.onSent);
    const core = this.core;
    socket.send(data, to.port, to.address, (err) => {
      if (err) this.sendErrors++;
      core.recycle(data);
    });
  }

  /** One send callback for every small datagram (not a closure each). */
  private readonly onSent = (err: Error | null): void => {
    if (err) this.sendErrors++;
  };

  /** The socket for `preferredAddress`, and its `Path.local` tag. */
  private preferred: { socket: Socket; tag: string } | undefined;

  private constructor(
    private socket: Socket,
    private readonly opts: BindOptions,
  ) {
    const keylog = resolveKeylog(opts.keylog);
    this.core = new Endpoint({
      transport: opts.transport,
      ...(opts.retry ? { retry: opts.retry } : {}),
      ...(opts.maxConnections ? { maxConnections: opts.maxConnections } : {}),
      ...(opts.maxHandshakes ? { maxHandshakes: opts.maxHandshakes } : {}),
      ...(opts.statelessResetRate ? { statelessResetRate: opts.statelessResetRate } : {}),
      ...(opts.antiReplay ? { antiReplay: opts.antiReplay } : {}),
      hooks: { wallClock: Date.now, ...(keylog ? { keylog } : {}) },
      hooksFor: (side) => this.connectionHooks(side),
    });
    this.incoming = new ReadableStream({ start: (c) => void (this.incomingCtl = c) });
    this.closedPromise = new Promise((r) => (this.resolveClosed = r));
    this.attach(socket);
  }

  private attach(socket: Socket, local?: string): void {
    socket.on('message', (msg, rinfo) => this.onDatagram(msg, rinfo.address, rinfo.port, local));
    socket.on('error', () => {
      this.sendErrors++;
    });
  }

  /**
   * Client migration (RFC 9000 §9.2): move to a new local UDP socket (a new
   * port, or `address` for another interface); every client connection
   * switches to a new connection ID and validates the path. Returns how many
   * connections migrated (the others — disable_active_migration, no spare
   * connection ID — stay, on the new socket, as after a NAT rebinding).
   */
  async rebind(address?: string): Promise<number> {
    const old = this.socket;
    const local = address ?? old.address().address;
    const next = await bindSocket(local, 0, this.opts);
    this.attach(next);
    this.socket = next;
    old.close();
    let migrated = 0;
    const now = performance.now();
    for (const c of this.core.connections) if (c.side === 'client' && c.migrate(now)) migrated++;
    this.kick();
    return migrated;
  }

  /** Bind a UDP socket and return the endpoint. */
  static async bind(opts: BindOptions = {}): Promise<QuicEndpoint> {
    const socket = await bindSocket(opts.address ?? '127.0.0.1', opts.port ?? 0, opts);
    const ep = new QuicEndpoint(socket, opts);
    if (opts.preferredAddress) {
      const p = await bindSocket(opts.preferredAddress.address, opts.preferredAddress.port, opts).catch((e: unknown) => {
        socket.close();
        throw e;
      });
      const a = p.address();
      ep.preferred = { socket: p, tag: `${a.address}:${a.port}` };
      ep.attach(p, ep.preferred.tag);
    }
    return ep;
  }

  /** The preferred address as bound (its port resolved), for the transport parameter. */
  private preferredTransport(): Partial<TransportSettings> {
    if (!this.preferred) return {};
    const a = this.preferred.socket.address();
    const where = { address: a.address, port: a.port };
    return { preferredAddress: a.family === 'IPv6' ? { ipv6: where } : { ipv4: where } };
  }

  /** The bound address and port. */
  get address(): { address: string; port: number } {
    const a = this.socket.address();
    return { address: a.address, port: a.port };
  }

  /** Accept connections (server role). */
  listen(opts: ListenOptions): void {
    this.core.opts.server = { tls: opts.tls, transport: { ...this.opts.transport, ...opts.transport, ...this.preferredTransport() } };
    this.onConnection = opts.onConnection;
  }

  /** Start a connection; `await conn.ready` for the handshake. `target` is 'host:port', '[v6]:port' or an object. */
  connect(target: string | { address: string; port: number }, opts: ConnectOptions): QuicConnection {
    const t = typeof target === 'string' ? parseTarget(target) : target;
    const core = this.core.connect(performance.now(), { address: t.address, port: t.port }, opts, { ...this.opts.transport, ...opts.transport }, opts.version, opts.token);
    const shell = this.shellFor(core);
    this.kick();
    return shell;
  }

  private shellFor(core: Connection): QuicConnection {
    let s = this.shells.get(core);
    if (!s) {
      s = new QuicConnection(core, { now: () => performance.now(), kick: () => this.kick() });
      this.shells.set(core, s);
    }
    return s;
  }

  private onDatagram(msg: Buffer, address: string, port: number, local?: string): void {
    const r = this.core.handleDatagram(performance.now(), new Uint8Array(msg.buffer, msg.byteOffset, msg.length), local ? { address, port, local } : { address, port });
    if (r.kind === 'new' && !this.closing) {
      const shell = this.shellFor(r.conn);
      // With an onConnection handler nobody reads `incoming`: queueing there too would keep every
      // connection ever accepted alive (found by the soak test).
      if (this.onConnection) this.onConnection(shell);
      else this.incomingCtl.enqueue(shell);
    }
    this.kick();
  }

  /** Run the output loop soon (once per batch of inputs). */
  kick(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.service();
    });
  }

  private service(): void {
    const now = performance.now();
    if (now >= this.timerAt) this.timerAt = Infinity;
    this.core.handleTimeout(now);
    for (let t = this.core.pollTransmit(now); t; t = this.core.pollTransmit(now)) this.send(t.data, t.path);
    for (const [core, shell] of this.shells) {
      for (let e = core.pollEvent(); e; e = core.pollEvent()) shell.dispatch(e);
      shell.service();
      if (!this.core.connections.has(core)) this.shells.delete(core);
    }
    // Events may have queued more output (a read freeing credit): flush again.
    for (let t = this.core.pollTransmit(now); t; t = this.core.pollTransmit(now)) this.send(t.data, t.path);
    this.arm(now);
    if (this.closing && this.core.connections.size === 0) this.finishClose();
  }

  /** The socket a path's packets leave through (the preferred address's, for clients that moved there). */
  private socketFor(path: { local?: string }): Socket {
    return path.local !== undefined && path.local === this.preferred?.tag ? this.preferred.socket : this.socket;
  }

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
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.service();
    }, Math.max(0, deadline - now));
  }

  /** Close every connection (CONNECTION_CLOSE, then draining) and the socket. */
  async close(opts: { closeCode?: bigint; reason?: string; timeoutMs?: number } = {}): Promise<void> {
    if (!this.closing) {
      this.closing = true;
      try {
        this.incomingCtl.close();
      } catch {
        // already closed
      }
      for (const shell of this.shells.values()) void shell.close({ closeCode: opts.closeCode ?? 0n, reason: opts.reason ?? '' });
      this.kick();
      // Draining takes three PTOs; do not hold the process for long.
      const t = setTimeout(() => this.finishClose(), opts.timeoutMs ?? 1000);
      void this.closedPromise.then(() => clearTimeout(t));
    }
    return this.closedPromise;
  }

  private finishClose(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    for (const s of [this.socket, this.preferred?.socket]) {
      try {
        s?.close();
      } catch {
        // already closed
      }
    }
    this.resolveClosed();
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }

  private connectionHooks(side: 'client' | 'server'): ConnectionHooks {
    const dir = this.opts.qlogDir;
    if (!dir) return {};
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${side}-${Date.now()}-${++this.qlogCount}.sqlog`);
    const t0 = performance.now();
    // qlog JSON-SEQ (draft-ietf-quic-qlog-main-schema): RS, a JSON record, LF.
    writeFileSync(file, `\x1e${JSON.stringify({ qlog_version: '0.3', qlog_format: 'JSON-SEQ', trace: { vantage_point: { type: side }, common_fields: { time_format: 'relative', reference_time: Date.now() } } })}\n`);
    return {
      qlog: (time, name, data) => appendFileSync(file, `\x1e${JSON.stringify({ time: time - t0, name, data }, (_k, v) => (typeof v === 'bigint' ? Number(v) : v))}\n`),
    };
  }
}

/** Bind a UDP socket (see udpSocket). */
function bindSocket(address: string, port: number, opts: BindOptions): Promise<Socket> {
  const socket = udpSocket(address.includes(':'), opts);
  return new Promise((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, address, () => {
      socket.removeListener('error', reject);
      resolve(socket);
    });
  });
}

/**
 * The UDP socket. Datagrams go to IP literals (peer addresses as received):
 * answering those lookups synchronously spares dgram a dns.lookup and a
 * process tick per datagram sent; names still go through dns.lookup.
 */
function udpSocket(v6: boolean, o: BindOptions): Socket {
  const lookup: SocketOptions['lookup'] = (hostname, options, callback) => {
    const family = isIP(hostname);
    if (family === 0) return dnsLookup(hostname, options, callback);
    (callback as (err: null, address: string, family: number) => void)(null, hostname, family);
  };
  return createSocket({ type: v6 ? 'udp6' : 'udp4', ipv6Only: o.ipv6Only ?? false, recvBufferSize: o.recvBufferSize ?? 4 << 20, sendBufferSize: o.sendBufferSize ?? 4 << 20, lookup });
}

function resolveKeylog(k: BindOptions['keylog']): ((line: string) => void) | undefined {
  const target = k ?? process.env.SSLKEYLOGFILE;
  if (!target) return undefined;
  if (typeof target === 'function') return target;
  return (line) => appendFileSync(target, `${line}\n`);
}

function parseTarget(s: string): { address: string; port: number } {
  const m = /^\[([^\]]+)\]:(\d+)$/.exec(s) ?? /^([^:]+):(\d+)$/.exec(s);
  if (!m) throw new TypeError(`target must be host:port or [v6]:port, got ${s}`);
  return { address: m[1]!, port: Number(m[2]) };
}
