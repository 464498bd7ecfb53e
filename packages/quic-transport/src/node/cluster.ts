/**
 * @module node/cluster
 * Every core: one UDP socket in the main thread, one QUIC endpoint per worker
 * thread, and the datagrams routed between them by connection ID.
 *
 * The workers issue QUIC-LB connection IDs (draft-ietf-quic-load-balancers
 * §5: a server ID written into every ID we issue), each worker's server ID
 * carrying its number in its low bits (core/quic-lb.ts `workerServerId`).
 * The main thread reads a datagram's Destination Connection ID, decodes the
 * server ID and hands the datagram to that worker: a connection stays on one
 * worker through NAT rebinding and migration, which a 4-tuple hash (what
 * SO_REUSEPORT does) cannot promise. A client's first Initials and 0-RTT
 * packets carry an ID the client chose (RFC 9000 §7.2); they go to the
 * worker a hash of that ID names, the same for every retransmission, and
 * that worker answers with its own IDs from then on.
 *
 * What must agree across workers is shared: Retry and NEW_TOKEN token keys,
 * the stateless-reset key (RFC 9000 §10.3.2), the session-ticket key, and the
 * 0-RTT and NEW_TOKEN single-use registers (tls13-handshake's
 * SharedReplayStore over SharedArrayBuffers): a resumed or 0-RTT client
 * hashed to another worker is served like one that came back to the same.
 *
 * Datagrams cross threads in batches, one message per event-loop turn and
 * direction, packed into one transferred ArrayBuffer.
 */
import { randomBytes } from 'node:crypto';
import { availableParallelism } from 'node:os';
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { SharedReplayStore, StrikeRegister } from '@tsquic/tls13-handshake';
import { QuicLbCidGenerator, QuicLbCodec, workerOf, workerServerId, type QuicLbConfig } from '../core/quic-lb.js';
import { QuicSocketEndpoint, type EndpointShellOptions, type ListenOptions } from '../streams/endpoint.js';
import type { DatagramSocket, SocketAddress } from '../streams/socket.js';
import { bindSocket, NodeDatagramSocket } from './endpoint.js';

/** How to start a cluster: the worker module, how many workers, the UDP address. */
export interface ClusterOptions {
  /** The module each worker runs (a path or file URL): it calls `QuicCluster.endpoint()` and `listen()`s on it. */
  module: string | URL;
  /** Worker threads (default: `os.availableParallelism()`), 1–256. */
  workers?: number;
  /** Local address (default '127.0.0.1'; '::' for IPv6 and IPv4). */
  address?: string;
  /** Local port (default 0: any). */
  port?: number;
  /** The socket's receive buffer (default 4 MiB). */
  recvBufferSize?: number;
  /** The socket's send buffer (default 4 MiB). */
  sendBufferSize?: number;
  /** Handed to every worker as `QuicCluster.workerData` (structured-cloneable). */
  workerData?: unknown;
  /**
   * Bytes of datagrams handed to a worker and not yet taken in by it, beyond
   * which the main thread drops what comes for that worker (default 8 MiB):
   * a flood, or a worker stuck in a long task, costs UDP losses, not memory.
   */
  backlogLimit?: number;
  /**
   * The QUIC-LB configuration of the IDs the workers issue and the first of
   * the 2^k consecutive server IDs this machine owns (k: bits for the worker
   * count; the low k bits of the base are zero), when a QUIC-LB load
   * balancer sits in front of several machines. Default: configuration 0,
   * plaintext, a one-byte server ID whose low bits are the worker, 8-byte
   * nonces.
   */
  quicLb?: { config: QuicLbConfig; serverIdBase: Uint8Array };
}

/** What the main thread hands each worker (workerData.tsquicCluster). */
interface WorkerSetup {
  index: number;
  workerBits: number;
  local: SocketAddress;
  quicLb: { config: QuicLbConfig; serverIdBase: Uint8Array };
  tokenKey: Uint8Array;
  statelessResetKey: Uint8Array;
  ticketKey: Uint8Array;
  zeroRttReplay: SharedArrayBuffer;
  /** Per worker, bytes handed over and not yet taken in (Int32 each). */
  backlog: SharedArrayBuffer;
  tokenReplay: SharedArrayBuffer;
  user: unknown;
}

/** A batch of datagrams: their bytes one after another in `bytes`, with lengths and addresses. */
interface Batch {
  bytes: ArrayBuffer;
  lengths: number[];
  addresses: string[];
  ports: number[];
}

type ToWorker = { tsquic: 'datagrams'; batch: Batch } | { tsquic: 'close' };
type ToMain = { tsquic: 'datagrams'; batch: Batch } | { tsquic: 'listening' } | { tsquic: 'closed' };

/** Collects datagrams and posts them as one batch at the end of the event-loop turn. */
class BatchOut {
  private items: Array<{ data: Uint8Array; to: SocketAddress; sent: ((err?: Error | null) => void) | undefined }> = [];
  private size = 0;

  constructor(private readonly post: (batch: Batch, transfer: ArrayBuffer[]) => void) {}

  add(data: Uint8Array, to: SocketAddress, sent?: (err?: Error | null) => void): void {
    if (this.items.length === 0) setImmediate(() => this.flush());
    this.items.push({ data, to, sent });
    this.size += data.length;
  }

  flush(): void {
    const items = this.items;
    if (items.length === 0) return;
    this.items = [];
    const bytes = new Uint8Array(this.size);
    this.size = 0;
    const batch: Batch = { bytes: bytes.buffer, lengths: [], addresses: [], ports: [] };
    let off = 0;
    for (const it of items) {
      bytes.set(it.data, off);
      off += it.data.length;
      batch.lengths.push(it.data.length);
      batch.addresses.push(it.to.address);
      batch.ports.push(it.to.port);
    }
    // The bytes are copied: every sender may reuse its buffer now.
    for (const it of items) it.sent?.();
    this.post(batch, [batch.bytes]);
  }
}

function eachDatagram(batch: Batch, f: (data: Uint8Array, from: SocketAddress) => void): void {
  let off = 0;
  for (let i = 0; i < batch.lengths.length; i++) {
    const n = batch.lengths[i]!;
    f(new Uint8Array(batch.bytes, off, n), { address: batch.addresses[i]!, port: batch.ports[i]! });
    off += n;
  }
}

/**
 * The worker a datagram goes to: the worker in the server ID of its
 * Destination Connection ID when that is one of ours (QUIC-LB §5.5), else a
 * hash of the ID (a client's first Initials and 0-RTT, RFC 9000 §7.2), so
 * every retransmission goes where the first went. -1: nothing to route by.
 * @internal exported for tests
 */
export function routeDatagram(data: Uint8Array, codec: QuicLbCodec, workers: number, workerBits: number): number {
  if (data.length < 1 + codec.cidLength && (data[0]! & 0x80) === 0) return -1;
  let dcid: Uint8Array;
  if ((data[0]! & 0x80) !== 0) {
    // Long header (RFC 9000 §17.2): flags, version (4), DCID length, DCID.
    if (data.length < 6) return -1;
    const len = data[5]!;
    if (len > 20 || data.length < 6 + len) return -1;
    dcid = data.subarray(6, 6 + len);
  } else {
    // Short header (§17.3): flags, then our DCID of the configured length.
    dcid = data.subarray(1, 1 + codec.cidLength);
  }
  if (dcid.length === codec.cidLength) {
    const id = codec.serverId(dcid);
    if (id) {
      const w = workerOf(id, workerBits);
      if (w < workers) return w;
    }
  }
  // FNV-1a over the ID the client chose.
  let h = 0x811c9dc5;
  for (const b of dcid) h = Math.imul(h ^ b, 0x01000193);
  return (h >>> 0) % workers;
}

function defaultQuicLb(workerBits: number): { config: QuicLbConfig; serverIdBase: Uint8Array } {
  if (workerBits > 8) throw new RangeError('more than 256 workers need a quicLb configuration with a longer server ID');
  return { config: { configId: 0, serverIdLength: 1, nonceLength: 8 }, serverIdBase: new Uint8Array(1) };
}

/** A QUIC server on every core: `QuicCluster.start()` in the main thread, `QuicCluster.endpoint()` in each worker. */
export class QuicCluster {
  /** Datagrams handed to each worker so far. */
  readonly routed: number[];
  /** Datagrams that named no worker (too short to carry a connection ID). */
  unroutable = 0;
  /** Datagrams dropped because their worker's backlog was full. */
  dropped = 0;
  private readonly backlog: Int32Array;
  private readonly outs: BatchOut[];
  private closing: Promise<void> | undefined;

  private constructor(
    private readonly socket: NodeDatagramSocket,
    /** The worker threads, in the order of their numbers. */
    readonly workers: readonly Worker[],
    private readonly codec: QuicLbCodec,
    private readonly workerBits: number,
    backlog: SharedArrayBuffer,
    private readonly backlogLimit: number,
  ) {
    this.backlog = new Int32Array(backlog);
    this.routed = workers.map(() => 0);
    this.outs = workers.map((w) => new BatchOut((batch, transfer) => w.postMessage({ tsquic: 'datagrams', batch } satisfies ToWorker, transfer)));
  }

  /** The UDP address the cluster serves on. */
  get address(): SocketAddress {
    return this.socket.localAddress;
  }

  /** Bind the socket, start the workers, and resolve once every worker listens. */
  static async start(opts: ClusterOptions): Promise<QuicCluster> {
    if (!isMainThread) throw new Error('QuicCluster.start() runs in the main thread; a worker calls QuicCluster.endpoint()');
    const n = opts.workers ?? availableParallelism();
    if (!(Number.isInteger(n) && n >= 1 && n <= 256)) throw new RangeError(`workers must be 1–256, got ${n}`);
    const workerBits = Math.max(1, Math.ceil(Math.log2(n)));
    const quicLb = opts.quicLb ?? defaultQuicLb(workerBits);
    const codec = new QuicLbCodec(quicLb.config);
    // The endpoint's own socket: 4 MiB buffers unless given, datagrams to IP literals without a DNS lookup each.
    const socket = new NodeDatagramSocket(await bindSocket(opts.address ?? '127.0.0.1', opts.port ?? 0, opts));
    const shared = {
      workerBits,
      local: socket.localAddress,
      quicLb,
      tokenKey: randomBytes(32),
      statelessResetKey: randomBytes(32),
      ticketKey: randomBytes(32),
      zeroRttReplay: SharedReplayStore.allocate(),
      backlog: new SharedArrayBuffer(4 * n),
      tokenReplay: SharedReplayStore.allocate(),
      user: opts.workerData,
    };
    const workers: Worker[] = [];
    const listening: Array<Promise<void>> = [];
    for (let index = 0; index < n; index++) {
      const setup: WorkerSetup = { ...shared, index };
      const w = new Worker(opts.module, { workerData: { tsquicCluster: setup } });
      workers.push(w);
      listening.push(
        new Promise<void>((resolve, reject) => {
          w.on('message', (m: ToMain) => m.tsquic === 'listening' && resolve());
          w.once('error', reject);
          w.once('exit', (code) => reject(new Error(`worker ${index} exited (code ${code}) before it listened`)));
        }),
      );
    }
    const cluster = new QuicCluster(socket, workers, codec, workerBits, shared.backlog, opts.backlogLimit ?? 8 << 20);
    for (const w of workers) w.on('message', (m: ToMain) => m.tsquic === 'datagrams' && cluster.sendBatch(m.batch));
    socket.onDatagram((data, from) => cluster.route(data, from));
    try {
      await Promise.all(listening);
    } catch (e) {
      await Promise.all(workers.map((w) => w.terminate()));
      socket.close();
      throw e;
    }
    return cluster;
  }

  private route(data: Uint8Array, from: SocketAddress): void {
    const w = routeDatagram(data, this.codec, this.workers.length, this.workerBits);
    if (w < 0) return void this.unroutable++;
    if (Atomics.load(this.backlog, w) > this.backlogLimit) return void this.dropped++;
    Atomics.add(this.backlog, w, data.length);
    this.routed[w]!++;
    this.outs[w]!.add(data, from);
  }

  private sendBatch(batch: Batch): void {
    eachDatagram(batch, (data, to) => this.socket.send(data, to));
  }

  /** Close every worker's endpoint (their connections close, `timeoutMs` at most), then the threads and the socket. */
  close(timeoutMs = 5000): Promise<void> {
    this.closing ??= (async () => {
      const done = this.workers.map(
        (w) =>
          new Promise<void>((resolve) => {
            w.on('message', (m: ToMain) => m.tsquic === 'closed' && resolve());
            w.once('exit', () => resolve());
          }),
      );
      for (const w of this.workers) w.postMessage({ tsquic: 'close' } satisfies ToWorker);
      let timer: NodeJS.Timeout | undefined;
      await Promise.race([Promise.all(done), new Promise((r) => (timer = setTimeout(r, timeoutMs)))]);
      clearTimeout(timer);
      for (const o of this.outs) o.flush();
      await Promise.all(this.workers.map((w) => w.terminate()));
      this.socket.close();
    })();
    return this.closing;
  }

  /** In a worker: what `ClusterOptions.workerData` gave. */
  static get workerData(): unknown {
    return (workerData as { tsquicCluster?: WorkerSetup } | null)?.tsquicCluster?.user;
  }

  /** In a worker: its number, 0 … workers − 1. */
  static get workerIndex(): number {
    const setup = (workerData as { tsquicCluster?: WorkerSetup } | null)?.tsquicCluster;
    if (!setup) throw new Error('not a QuicCluster worker');
    return setup.index;
  }

  /**
   * In a worker: this worker's endpoint — its datagrams come and go through
   * the main thread's socket, its connection IDs name this worker, and the
   * keys and registers are the cluster's. `listen()` on it to serve.
   */
  static endpoint(options: EndpointShellOptions = {}): QuicSocketEndpoint {
    const setup = (workerData as { tsquicCluster?: WorkerSetup } | null)?.tsquicCluster;
    if (isMainThread || !parentPort || !setup) throw new Error('QuicCluster.endpoint() runs in a worker that QuicCluster.start() started');
    const port = parentPort;
    const codec = new QuicLbCodec(setup.quicLb.config);
    const ids = new QuicLbCidGenerator(codec, workerServerId(setup.quicLb.serverIdBase, setup.index, setup.workerBits), (k) => randomBytes(k));
    const socket = new WorkerSocket(setup.local, (batch, transfer) => port.postMessage({ tsquic: 'datagrams', batch } satisfies ToMain, transfer));
    const ep = new ClusterWorkerEndpoint(socket, setup.ticketKey, () => port.postMessage({ tsquic: 'listening' } satisfies ToMain), {
      ...options,
      connectionIdLength: codec.cidLength,
      connectionIds: () => ids.next(),
      tokenKey: setup.tokenKey,
      statelessResetKey: setup.statelessResetKey,
      antiReplay: new StrikeRegister({ store: new SharedReplayStore(setup.zeroRttReplay) }),
      tokenReplay: new StrikeRegister({ store: new SharedReplayStore(setup.tokenReplay), windowMs: 24 * 3600_000 }),
    });
    const backlog = new Int32Array(setup.backlog);
    port.on('message', (m: ToWorker) => {
      if (m.tsquic === 'datagrams') {
        Atomics.sub(backlog, setup.index, m.batch.bytes.byteLength);
        socket.deliver(m.batch);
      } else if (m.tsquic === 'close')
        // Closing the endpoint closes its socket, which posts what is left to send.
        void ep.close().then(() => port.postMessage({ tsquic: 'closed' } satisfies ToMain));
    });
    return ep;
  }
}

/** A worker's endpoint: listen() takes the cluster's ticket key and tells the main thread it serves. */
class ClusterWorkerEndpoint extends QuicSocketEndpoint {
  constructor(
    socket: DatagramSocket,
    private readonly ticketKey: Uint8Array,
    private readonly listening: () => void,
    options: EndpointShellOptions,
  ) {
    super(socket, options);
  }

  override listen(opts: ListenOptions): void {
    super.listen({ ...opts, tls: { ticketKey: this.ticketKey, ...opts.tls } });
    this.listening();
  }
}

/** The DatagramSocket of a worker: the main thread's socket, reached through messages. */
class WorkerSocket implements DatagramSocket {
  private receive: ((data: Uint8Array, from: SocketAddress) => void) | undefined;
  private readonly out: BatchOut;

  constructor(
    readonly localAddress: SocketAddress,
    post: (batch: Batch, transfer: ArrayBuffer[]) => void,
  ) {
    this.out = new BatchOut(post);
  }

  send(data: Uint8Array, to: SocketAddress, sent?: (err?: Error | null) => void): void {
    this.out.add(data, to, sent);
  }

  onDatagram(receive: (data: Uint8Array, from: SocketAddress) => void): void {
    this.receive = receive;
  }

  deliver(batch: Batch): void {
    if (this.receive) eachDatagram(batch, this.receive);
  }

  close(): void {
    this.out.flush();
  }
}
