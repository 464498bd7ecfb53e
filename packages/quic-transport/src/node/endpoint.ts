/**
 * @module node/endpoint
 * The `node:dgram` endpoint: a UDP socket (IPv4, or IPv6 dual-stack) as the
 * DatagramSocket of streams/endpoint.ts, plus what only Node has — binding,
 * rebinding to a new local address (client migration, RFC 9000 §9.2), a
 * second socket for a server's preferred address (§9.6), the NSS key log
 * file ($SSLKEYLOGFILE) and one qlog file per connection.
 */
import { appendFileSync, mkdirSync, writeFileSync } from 'node:fs';
import { createSocket, type Socket, type SocketOptions } from 'node:dgram';
import { lookup as dnsLookup } from 'node:dns';
import { isIP } from 'node:net';
import { join } from 'node:path';
import type { ConnectionHooks, TransportSettings } from '../core/index.js';
import { QuicSocketEndpoint, type EndpointShellOptions, type ListenOptions } from '../streams/endpoint.js';
import type { DatagramSocket, SocketAddress } from '../streams/socket.js';

export type { ConnectOptions, ListenOptions } from '../streams/endpoint.js';

/** How to bind a QuicEndpoint: the UDP address and socket options, plus every EndpointShellOptions setting. */
export interface BindOptions extends Omit<EndpointShellOptions, 'hooksFor' | 'now' | 'schedule'> {
  /** Local address; '::' listens on IPv6 and IPv4 (dual-stack). Default '127.0.0.1'. */
  address?: string;
  port?: number;
  /** Socket buffers: the default 208 KiB drops datagrams at full speed on loopback. */
  recvBufferSize?: number;
  sendBufferSize?: number;
  /** For '::': refuse IPv4 (so 0.0.0.0 can be bound separately on the same port). Default false (dual-stack). */
  ipv6Only?: boolean;
  /** NSS key log: a file path (appended) or a callback. Defaults to $SSLKEYLOGFILE when set. */
  keylog?: string | ((line: string) => void);
  /** Write one qlog file (JSON-SEQ, QUIC event schema) per connection into this directory. */
  qlogDir?: string;
  /**
   * Server: a second local address to offer clients as preferred_address
   * (RFC 9000 §9.6), bound as its own socket; clients move there once their
   * handshake is confirmed. Same address family as `address`.
   */
  preferredAddress?: { address: string; port: number };
}

/**
 * A `node:dgram` socket as a DatagramSocket.
 * @internal also the main thread's socket of a QuicCluster (node/cluster.ts)
 */
export class NodeDatagramSocket implements DatagramSocket {
  constructor(readonly socket: Socket) {
    // Errors of sends reach their callbacks; anything else (ICMP unreachable on some systems) is not the endpoint's business.
    socket.on('error', () => {});
  }

  get localAddress(): SocketAddress {
    const a = this.socket.address();
    return { address: a.address, port: a.port };
  }

  send(data: Uint8Array, to: SocketAddress, sent?: (err?: Error | null) => void): void {
    this.socket.send(data, to.port, to.address, sent);
  }

  onDatagram(receive: (data: Uint8Array, from: SocketAddress) => void): void {
    // rinfo is a fresh object per datagram already (address, port, family, size): no copy of it.
    this.socket.on('message', (msg, rinfo) => receive(new Uint8Array(msg.buffer, msg.byteOffset, msg.length), rinfo));
  }

  close(): void {
    try {
      this.socket.close();
    } catch {
      // already closed
    }
  }

  unref(): void {
    this.socket.unref();
  }

  ref(): void {
    this.socket.ref();
  }
}

/** A QUIC endpoint on one `node:dgram` socket: `QuicEndpoint.bind(options)`, then `listen()` and/or `connect()`. */
export class QuicEndpoint extends QuicSocketEndpoint {
  private qlogCount = 0;
  private main: NodeDatagramSocket;
  /** The socket for `preferredAddress`, and its `Path.local` tag. */
  private preferred: { socket: NodeDatagramSocket; tag: string } | undefined;

  private constructor(
    socket: NodeDatagramSocket,
    private readonly opts: BindOptions,
  ) {
    const keylog = resolveKeylog(opts.keylog);
    const late: { ep?: QuicEndpoint } = {};
    super(socket, { ...opts, hooks: { ...opts.hooks, ...(keylog ? { keylog } : {}) }, hooksFor: (side) => late.ep!.connectionHooks(side) });
    late.ep = this;
    this.main = socket;
  }

  /** Bind a UDP socket and return the endpoint. */
  static override async bind(opts: BindOptions = {}): Promise<QuicEndpoint> {
    const socket = await bindSocket(opts.address ?? '127.0.0.1', opts.port ?? 0, opts);
    const ep = new QuicEndpoint(new NodeDatagramSocket(socket), opts);
    if (opts.preferredAddress) {
      const p = await bindSocket(opts.preferredAddress.address, opts.preferredAddress.port, opts).catch((e: unknown) => {
        socket.close();
        throw e;
      });
      const a = p.address();
      ep.preferred = { socket: new NodeDatagramSocket(p), tag: `${a.address}:${a.port}` };
      ep.useSocket(ep.preferred.socket, ep.preferred.tag);
    }
    return ep;
  }

  /** Accept connections (server role); a preferred address is offered in the transport parameters. */
  override listen(opts: ListenOptions): void {
    super.listen({ ...opts, transport: { ...opts.transport, ...this.preferredTransport() } });
  }

  /** The preferred address as bound (its port resolved), for the transport parameter. */
  private preferredTransport(): Partial<TransportSettings> {
    if (!this.preferred) return {};
    const a = this.preferred.socket.socket.address();
    const where = { address: a.address, port: a.port };
    return { preferredAddress: a.family === 'IPv6' ? { ipv6: where } : { ipv4: where } };
  }

  /**
   * Client migration (RFC 9000 §9.2): move to a new local UDP socket (a new
   * port, or `address` for another interface); every client connection
   * switches to a new connection ID and validates the path. Returns how many
   * connections migrated (the others — disable_active_migration, no spare
   * connection ID — stay, on the new socket, as after a NAT rebinding).
   */
  async rebind(address?: string): Promise<number> {
    const next = new NodeDatagramSocket(await bindSocket(address ?? this.main.localAddress.address, 0, this.opts));
    this.main = next;
    this.useSocket(next);
    let migrated = 0;
    const now = performance.now();
    for (const c of this.core.connections) if (c.side === 'client' && c.migrate(now)) migrated++;
    this.kick();
    return migrated;
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

/**
 * Bind a UDP socket (see udpSocket).
 * @internal also used by node/cluster.ts
 */
export function bindSocket(address: string, port: number, opts: BindOptions): Promise<Socket> {
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
  // The last literal checked: a bulk transfer sends every datagram to the same address.
  let last = '';
  let lastFamily = 0;
  const lookup: SocketOptions['lookup'] = (hostname, options, callback) => {
    const family = hostname === last ? lastFamily : isIP(hostname);
    if (family === 0) return dnsLookup(hostname, options, callback);
    last = hostname;
    lastFamily = family;
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
