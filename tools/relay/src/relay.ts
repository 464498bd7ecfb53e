/**
 * @module relay
 * The Node shell around the emulated path: a UDP relay between clients and
 * one server on loopback. Clients send to the relay's address; each client
 * address gets its own binding (a socket towards the server), as behind a
 * NAT. Every datagram goes through its direction's `Direction` (MTU,
 * bottleneck link, error models) and is sent on at the deadline it
 * computed (`scheduler`). The `rebind` scenario moves every binding to a
 * new port (and, with address rebinding, a new 127.x.y.z address); the
 * `tcp-cross-traffic` scenario runs a modelled TCP CUBIC flow (`cubic`)
 * through the same links. Counters per direction and per binding, the
 * amplification seen by each binding, and a packet log hook.
 */
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { AmplificationMeter, longHeaderTypes, type AmplificationReport } from './amplification.js';
import { CrossTraffic } from './cross-traffic.js';
import type { CubicFlowStats } from './cubic.js';
import { Direction, type Decision, type DirectionCounters } from './direction.js';
import { blackhole, corruptRate, dropRate, droplist, type ErrorModel } from './error-models.js';
import { Rng } from './rng.js';
import { parseScenario, type Impairment, type Scenario } from './scenario.js';
import { DeadlineScheduler } from './scheduler.js';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export type DirectionName = 'to-server' | 'to-client';

/** One datagram as the relay decided its fate (at its arrival). */
export interface PacketEvent {
  readonly direction: DirectionName;
  /** The binding (client connection) it belongs to, numbered from 1. */
  readonly flow: number;
  /** Milliseconds since the relay started. */
  readonly time: number;
  readonly size: number;
  readonly decision: Decision;
  readonly data: Uint8Array;
}

export interface RelayOptions {
  /** Where clients send (default 127.0.0.1, or ::1 for an IPv6 target; port 0: any). */
  readonly listen?: { readonly host?: string; readonly port?: number };
  /** The server. */
  readonly target: HostPort;
  /** A `Scenario` or a scenario line (`drop-rate --delay=15ms ...`, or a runner test name). */
  readonly scenario: Scenario | string;
  /** Seed of every random decision (default 1). */
  readonly seed?: number | string;
  /** IP MTU of the path (default 1500; 0: none). */
  readonly mtu?: number;
  /** Called for every datagram, at its arrival, with its fate. */
  readonly onPacket?: (e: PacketEvent) => void;
  /** Deliver a datagram once its deadline is this close (default 0.75 ms; see `scheduler`). */
  readonly slackMs?: number;
}

export interface FlowStats {
  readonly id: number;
  /** The client's address as the relay sees it. */
  readonly client: string;
  /** The binding's current address towards the server. */
  readonly binding: string;
  readonly toServer: { datagrams: number; bytes: number };
  readonly toClient: { datagrams: number; bytes: number };
  /** Datagrams that began with an Initial packet, from each side (a client's ClientHello and its retransmissions). */
  readonly initials: { fromClient: number; fromServer: number };
  readonly amplification: AmplificationReport;
  /**
   * The server's datagrams lost because the binding the client's last
   * datagram left from was rebound away. Above 0 at the end: a rebinding
   * stranded the flow — the client sent nothing after it, so the server could
   * never learn the new binding (a client with nothing to acknowledge and
   * nothing of its own to send stays silent; no server can recover that).
   * Datagrams a server sends to a binding older than the client's last one
   * (it did not follow the client) are not counted.
   */
  readonly strandedDrops: number;
  /**
   * How long after the client's last datagram the rebinding that stranded it
   * came (ms), when `strandedDrops` > 0: a few round trips or less leave the
   * server no time to answer it; longer, and a server that answers at once
   * gives the client something to acknowledge first.
   */
  readonly strandedAfterMs?: number;
}

export interface RelayStats {
  readonly elapsedMs: number;
  readonly scenario: Scenario;
  readonly toServer: DirectionCounters;
  readonly toClient: DirectionCounters;
  readonly flows: FlowStats[];
  readonly rebinds: number;
  /** The modelled TCP flow: its counters, and its segments and ACKs the links' queues dropped. */
  readonly crossTraffic?: CubicFlowStats & { readonly queueDrops: { readonly segments: number; readonly acks: number } };
}

interface Flow {
  readonly id: number;
  readonly client: RemoteInfo;
  socket: Socket;
  readonly retired: Socket[];
  readonly meter: AmplificationMeter;
  readonly toServer: { datagrams: number; bytes: number };
  readonly toClient: { datagrams: number; bytes: number };
  readonly initials: { fromClient: number; fromServer: number };
  /** The binding the client's last delivered datagram left from, and when (ms since the relay started). */
  lastClientSocket: Socket | undefined;
  lastClientAt: number;
  /** When each binding was rebound away (ms since the relay started). */
  readonly retiredAt: Map<Socket, number>;
  strandedDrops: number;
  strandedAfterMs: number | undefined;
}

const TO_SERVER = 0;
const TO_CLIENT = 1;
const BUFFER_BYTES = 8 << 20;

function models(list: readonly Impairment[], seed: number | string, label: string): ErrorModel[] {
  const rng = new Rng(seed, label);
  return list.map((i) => {
    switch (i.kind) {
      case 'drop-rate':
        return dropRate(i.rate, i.burst, rng);
      case 'corrupt-rate':
        return corruptRate(i.rate, i.burst, rng);
      case 'droplist':
        return droplist(i.packets);
      case 'blackhole':
        return blackhole(i.onMs, i.offMs, i.repeat);
    }
  });
}

function bind(type: 'udp4' | 'udp6', host: string, port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = createSocket({ type, recvBufferSize: BUFFER_BYTES, sendBufferSize: BUFFER_BYTES });
    s.once('error', reject);
    s.bind(port, host, () => {
      s.off('error', reject);
      s.on('error', () => {}); // a send to a vanished peer; the datagram is lost, as on a path
      resolve(s);
    });
  });
}

function text(a: { address: string; port: number }): string {
  return a.address.includes(':') ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}

export class Relay {
  readonly scenario: Scenario;
  private readonly epoch = performance.now();
  private readonly dirs: [Direction, Direction];
  private readonly scheduler: DeadlineScheduler;
  private readonly flows = new Map<string, Flow>();
  private readonly rng: Rng;
  private readonly timers: ReturnType<typeof setTimeout>[] = [];
  private rebinds = 0;
  private tcp: { model: CrossTraffic; timer: ReturnType<typeof setTimeout> | undefined } | undefined;
  private stopped = false;

  private constructor(
    private readonly options: RelayOptions,
    private readonly listener: Socket,
    private readonly family: 'udp4' | 'udp6',
  ) {
    this.scenario = typeof options.scenario === 'string' ? parseScenario(options.scenario) : options.scenario;
    const s = this.scenario;
    const seed = options.seed ?? 1;
    this.rng = new Rng(seed, 'rebind');
    const common = { bandwidth: s.bandwidth, delayMs: s.delayMs, queue: s.queue, mtu: options.mtu ?? 1500, overhead: family === 'udp6' ? 48 : 28, epoch: this.epoch };
    this.dirs = [new Direction(common, models(s.toServer, seed, 'to-server')), new Direction(common, models(s.toClient, seed, 'to-client'))];
    this.scheduler = new DeadlineScheduler(2, options.slackMs ?? 0.75);
    listener.on('message', (msg, rinfo) => this.fromClient(msg, rinfo));
  }

  /** Bind the relay's address and start relaying (and the scenario's timers). */
  static async start(options: RelayOptions): Promise<Relay> {
    const v6 = isIPv6(options.target.host);
    const family = v6 ? 'udp6' : 'udp4';
    const listener = await bind(family, options.listen?.host ?? (v6 ? '::1' : '127.0.0.1'), options.listen?.port ?? 0);
    const relay = new Relay(options, listener, family);
    const r = relay.scenario.rebind;
    if (r?.address && v6) {
      listener.close();
      throw new RangeError('rebind --rebind-addr needs an IPv4 target: IPv6 loopback has a single address (::1)');
    }
    if (r) relay.scheduleRebind(r.firstMs, r.everyMs);
    if (relay.scenario.crossTraffic) relay.startCrossTraffic();
    return relay;
  }

  /** The address clients send to. */
  get address(): HostPort {
    const a = this.listener.address();
    return { host: a.address, port: a.port };
  }

  /** Milliseconds since the relay started. */
  elapsed(): number {
    return performance.now() - this.epoch;
  }

  stats(): RelayStats {
    const flows = [...this.flows.values()].map((f) => ({
      id: f.id,
      client: text(f.client),
      binding: text(f.socket.address()),
      toServer: { ...f.toServer },
      toClient: { ...f.toClient },
      initials: { ...f.initials },
      amplification: f.meter.report(),
      strandedDrops: f.strandedDrops,
      ...(f.strandedDrops > 0 && f.strandedAfterMs !== undefined ? { strandedAfterMs: f.strandedAfterMs } : {}),
    }));
    const now = performance.now();
    for (const d of this.dirs) d.counters.queued = d.link.queued(now);
    return {
      elapsedMs: now - this.epoch,
      scenario: this.scenario,
      toServer: structuredClone(this.dirs[TO_SERVER].counters),
      toClient: structuredClone(this.dirs[TO_CLIENT].counters),
      flows,
      rebinds: this.rebinds,
      ...(this.tcp ? { crossTraffic: { ...this.tcp.model.flow.stats, queueDrops: { ...this.tcp.model.queueDrops } } } : {}),
    };
  }

  /** Stop relaying, close every socket; the final counters. */
  async stop(): Promise<RelayStats> {
    if (!this.stopped) {
      this.stopped = true;
      this.scheduler.stop();
      for (const t of this.timers) clearTimeout(t);
      if (this.tcp?.timer) clearTimeout(this.tcp.timer);
    }
    const stats = this.stats();
    const sockets = [this.listener, ...[...this.flows.values()].flatMap((f) => [f.socket, ...f.retired])];
    this.flows.clear();
    await Promise.all(sockets.map((s) => new Promise<void>((r) => s.close(() => r())).catch(() => {})));
    return stats;
  }

  private fromClient(msg: Buffer, rinfo: RemoteInfo): void {
    if (this.stopped) return;
    const key = text(rinfo);
    const known = this.flows.get(key);
    if (known) return this.relay(known, TO_SERVER, msg);
    const creating = this.binding.get(key);
    if (creating) return void creating.pending.push(msg);
    // A new client address: a new binding. Datagrams arriving while it binds wait in order.
    const pending: Buffer[] = [msg];
    this.binding.set(key, { pending });
    void this.newFlow(rinfo).then(
      (flow) => {
        this.binding.delete(key);
        if (!flow) return;
        for (const m of pending) this.relay(flow, TO_SERVER, m);
      },
      () => this.binding.delete(key),
    );
  }

  /** Client addresses whose binding is being created, with what they sent meanwhile. */
  private readonly binding = new Map<string, { pending: Buffer[] }>();

  private async newFlow(client: RemoteInfo): Promise<Flow | undefined> {
    const socket = await bind(this.family, this.bindingHost(false), 0);
    if (this.stopped) {
      socket.close();
      return undefined;
    }
    const flow: Flow = {
      id: this.flows.size + 1,
      client,
      socket,
      retired: [],
      meter: new AmplificationMeter(),
      toServer: { datagrams: 0, bytes: 0 },
      toClient: { datagrams: 0, bytes: 0 },
      initials: { fromClient: 0, fromServer: 0 },
      lastClientSocket: undefined,
      lastClientAt: 0,
      retiredAt: new Map(),
      strandedDrops: 0,
      strandedAfterMs: undefined,
    };
    this.flows.set(text(client), flow);
    this.listenOn(flow, socket);
    return flow;
  }

  private listenOn(flow: Flow, socket: Socket): void {
    socket.on('message', (msg) => {
      if (this.stopped) return;
      // Behind the NAT, a datagram to a binding that was rebound away is lost (ns-3's rebind model).
      if (socket !== flow.socket) {
        if (socket === flow.lastClientSocket) {
          flow.strandedDrops++;
          flow.strandedAfterMs = (flow.retiredAt.get(socket) ?? 0) - flow.lastClientAt;
        }
        return void this.record(flow, TO_CLIENT, msg, this.dirs[TO_CLIENT].drop('nat', performance.now()));
      }
      this.relay(flow, TO_CLIENT, msg);
    });
  }

  /** The local address of a binding towards the server: loopback, or (address rebinding) a fresh 127.x.y.z. */
  private bindingHost(rebindAddress: boolean): string {
    if (this.family === 'udp6') return '::1';
    if (!rebindAddress) return '127.0.0.1';
    return `127.${this.rng.int(0, 255)}.${this.rng.int(0, 255)}.${this.rng.int(2, 254)}`;
  }

  private relay(flow: Flow, dir: number, msg: Buffer): void {
    const data = new Uint8Array(msg.buffer, msg.byteOffset, msg.length);
    const counts = dir === TO_SERVER ? flow.toServer : flow.toClient;
    counts.datagrams++;
    counts.bytes += data.length;
    if ((data[0]! & 0x80) !== 0 && longHeaderTypes(data)[0] === 'initial') flow.initials[dir === TO_SERVER ? 'fromClient' : 'fromServer']++;
    if (dir === TO_CLIENT) flow.meter.fromServer(data);
    const d = this.dirs[dir]!.process(performance.now(), data);
    this.record(flow, dir, data, d);
    if (d.kind === 'drop') return;
    this.scheduler.schedule(dir, d.at, () => {
      if (dir === TO_SERVER) {
        flow.lastClientSocket = flow.socket; // the server sees the binding this datagram leaves from
        flow.lastClientAt = this.elapsed();
        flow.strandedDrops = 0;
        flow.meter.toServer(d.data);
        flow.socket.send(d.data, this.options.target.port, this.options.target.host);
      } else this.listener.send(d.data, flow.client.port, flow.client.address);
    });
  }

  private record(flow: Flow, dir: number, data: Uint8Array, decision: Decision): void {
    this.options.onPacket?.({ direction: dir === TO_SERVER ? 'to-server' : 'to-client', flow: flow.id, time: performance.now() - this.epoch, size: data.length, decision, data });
  }

  private scheduleRebind(firstMs: number, everyMs: number): void {
    const rebind = (): void => {
      void this.rebindAll();
      if (everyMs > 0) this.timers.push(setTimeout(rebind, everyMs).unref());
    };
    this.timers.push(setTimeout(rebind, firstMs).unref());
  }

  /** Move every binding to a new port (and address, if the scenario says so); the old one stops relaying. */
  async rebindAll(): Promise<void> {
    if (this.stopped) return;
    this.rebinds++;
    const address = this.scenario.rebind?.address ?? false;
    await Promise.all(
      [...this.flows.values()].map(async (flow) => {
        const socket = await bind(this.family, this.bindingHost(address), 0);
        if (this.stopped) return void socket.close();
        flow.retired.push(flow.socket);
        flow.retiredAt.set(flow.socket, this.elapsed());
        flow.socket = socket;
        this.listenOn(flow, socket);
      }),
    );
  }

  /** The scenario's TCP CUBIC bulk flow, server → client, through the same links (ns-3 starts it at time 0), handled at the relay's clock (see `cross-traffic`). */
  private startCrossTraffic(): void {
    const tcp: { model: CrossTraffic; timer: ReturnType<typeof setTimeout> | undefined } = { model: undefined!, timer: undefined };
    tcp.model = new CrossTraffic({
      data: this.dirs[TO_CLIENT].link,
      acks: this.dirs[TO_SERVER].link,
      deliver: (lane, at, run) => this.scheduler.schedule(lane === 1 ? TO_CLIENT : TO_SERVER, at, () => run(performance.now())),
      timer: (at, run) => {
        if (tcp.timer) clearTimeout(tcp.timer);
        tcp.timer = at === undefined ? undefined : setTimeout(() => !this.stopped && run(performance.now()), Math.max(1, at - performance.now())).unref();
      },
    });
    this.tcp = tcp;
    tcp.model.pump(performance.now());
  }
}
