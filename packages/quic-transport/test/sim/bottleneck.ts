/**
 * @module test/sim/bottleneck
 * Issue 20's network scenarios in virtual time: our sans-IO core (one
 * client, one server, one download) through the relay's own path model
 * (`@tsquic/relay`'s Direction: bandwidth, one-way delay, a drop-tail queue
 * counted in packets, a 1,500-byte MTU with 28 bytes of IPv4 + UDP headers),
 * optionally beside the relay's modelled TCP CUBIC bulk flow sharing the
 * server → client bottleneck (the runner's `crosstraffic`). The same model
 * the bench's `network.*` rows run in real time, without the wall clock
 * and, every random byte coming from `seed`, deterministic: the same seed
 * gives the same datagrams at the same times on every runtime. A few seconds
 * of CPU for 10 MB.
 */
import { CrossTraffic, Direction } from '@tsquic/relay';
import { Endpoint, type Connection, type Path } from '../../src/core/index.js';
import { seededClientTls, seededEndpointRandom, seededServerTls } from './network.js';

const CLIENT: Path = { address: '10.0.0.1', port: 5000 };
const SERVER: Path = { address: '10.0.0.2', port: 443 };

export interface BottleneckOptions {
  /** Bytes the server sends. */
  bytes: number;
  /** Share the bottleneck with a TCP CUBIC bulk flow, started `headStartMs` earlier. */
  cross?: boolean;
  headStartMs?: number;
  /** Transport settings for both sides. */
  transport?: Record<string, unknown>;
  /** The runner's defaults: 10 Mbit/s, 15 ms one way, 25 packets. */
  bandwidth?: number;
  delayMs?: number;
  queue?: number;
  /** Every random byte of the run (connection IDs, TLS randoms and key shares) comes from this seed. Default 1. */
  seed?: number;
}

export interface BottleneckResult {
  /** Our goodput, from the client's connect to the response's last byte. */
  mbps: number;
  /** The TCP flow's rate over the same interval. */
  tcpMbps: number;
  /** Our share of the two flows' delivered rate (crosstraffic). */
  share: number;
  /** Datagrams the bottleneck's queue dropped (both flows). */
  queueDrops: number;
  /** Datagrams the server sent, their average and largest sizes. */
  datagrams: number;
  avgSize: number;
  maxSize: number;
  stats: ReturnType<Connection['getStats']>;
}

/** Events in time order (ties in insertion order). */
class Agenda {
  private items: { at: number; run: () => void }[] = [];

  push(at: number, run: () => void): void {
    let i = this.items.length;
    while (i > 0 && this.items[i - 1]!.at > at) i--;
    this.items.splice(i, 0, { at, run });
  }

  get next(): number {
    return this.items[0]?.at ?? Infinity;
  }

  runUntil(now: number): void {
    while (this.items.length > 0 && this.items[0]!.at <= now) this.items.shift()!.run();
  }
}

export function bottleneck(o: BottleneckOptions): BottleneckResult {
  const link = { bandwidth: o.bandwidth ?? 10e6, delayMs: o.delayMs ?? 15, queue: o.queue ?? 25, mtu: 1500, overhead: 28, epoch: 0 };
  const up = new Direction(link, []);
  const down = new Direction(link, []);
  const agenda = new Agenda();
  let now = 0;
  const seed = o.seed ?? 1;
  const server = new Endpoint({ server: { tls: seededServerTls(seed, ['bench']), transport: o.transport }, hooks: { random: seededEndpointRandom(seed, 'server') } });
  const client = new Endpoint({ transport: o.transport, hooks: { random: seededEndpointRandom(seed, 'client') } });
  const sizes: number[] = [];

  // The TCP flow: its segments share the server → client queue, its ACKs the other direction.
  const cross = o.cross
    ? new CrossTraffic({
        data: down.link,
        acks: up.link,
        deliver: (_lane, at, run) => agenda.push(at, () => run(at)),
        timer: (at, run) => at !== undefined && agenda.push(at, () => run(at)),
      })
    : undefined;
  const tcp = cross?.flow;
  cross?.pump(0);

  const flush = (): void => {
    for (const [from, dir, to, addr] of [
      [client, up, server, CLIENT],
      [server, down, client, SERVER],
    ] as const) {
      for (let t = from.pollTransmit(now); t; t = from.pollTransmit(now)) {
        if (from === server) sizes.push(t.data.length);
        const d = dir.process(now, t.data);
        if (d.kind === 'deliver') {
          const data = d.data.slice();
          agenda.push(d.at, () => to.handleDatagram(now, data, addr));
        }
      }
    }
  };

  // The application: the client asks, the server answers with `bytes`.
  const start = tcp ? (o.headStartMs ?? 3000) : 0;
  let conn: Connection | undefined;
  let t0 = 0;
  let tEnd = -1;
  let tcpBefore = 0;
  let serverConn: Connection | undefined;
  let responseId = -1;
  let sent = 0;
  const chunk = new Uint8Array(65536);
  agenda.push(start, () => {
    conn = client.connect(now, SERVER, { ...seededClientTls(seed), alpn: ['bench'] });
    t0 = now;
    tcpBefore = tcp?.stats.deliveredBytes ?? 0;
  });
  const app = (): void => {
    for (let e = conn?.pollEvent(); conn && e; e = conn.pollEvent()) {
      if (e.type === 'handshake-complete') conn.write(conn.openStream('bidi')!, new TextEncoder().encode('GET'), true);
      if (e.type !== 'stream-readable') continue;
      for (let r = conn.read(e.id, 1 << 20, now); r; r = r.fin ? null : conn.read(e.id, 1 << 20, now)) if (r.fin) tEnd = now;
    }
    serverConn ??= server.connections.values().next().value;
    for (let e = serverConn?.pollEvent(); serverConn && e; e = serverConn.pollEvent()) {
      if (e.type !== 'stream-incoming' && e.type !== 'stream-readable') continue;
      while (serverConn.read(e.id, 1 << 20, now));
      if (responseId < 0) responseId = e.id;
    }
    while (serverConn && responseId >= 0 && sent < o.bytes) {
      const n = serverConn.write(responseId, chunk.subarray(0, Math.min(chunk.length, o.bytes - sent)));
      sent += n;
      if (sent === o.bytes) serverConn.finish(responseId);
      if (n === 0) break;
    }
  };

  while (tEnd < 0) {
    app();
    flush();
    const next = Math.min(agenda.next, client.pollTimeout() ?? Infinity, server.pollTimeout() ?? Infinity);
    if (next > 600_000) throw new Error(`bottleneck: stalled at ${now} ms`);
    now = Math.max(now, next);
    agenda.runUntil(now);
    client.handleTimeout(now);
    server.handleTimeout(now);
  }
  const seconds = (tEnd - t0) / 1000;
  const mbps = (o.bytes * 8) / seconds / 1e6;
  const tcpMbps = tcp ? ((tcp.stats.deliveredBytes - tcpBefore) * 8) / seconds / 1e6 : 0;
  return {
    mbps,
    tcpMbps,
    share: mbps / (mbps + tcpMbps),
    queueDrops: down.counters.dropped.queue + (cross?.queueDrops.segments ?? 0),
    datagrams: sizes.length,
    avgSize: sizes.reduce((a, b) => a + b, 0) / sizes.length,
    maxSize: Math.max(...sizes),
    stats: serverConn!.getStats(),
  };
}
