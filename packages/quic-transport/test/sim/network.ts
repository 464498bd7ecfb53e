/**
 * @module test/sim/network
 * A deterministic simulated network for sans-IO endpoints (quinn's
 * tests/util.rs Pair): a virtual clock, one-way latency, random loss,
 * reordering (jitter) and duplication from a seeded PRNG, and an optional
 * filter to drop or rewrite specific datagrams. Nothing touches a socket.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Endpoint, type EcnCodepoint, type Path } from '../../src/core/index.js';
import { seededCrypto } from './deterministic.js';

export const fixture = (n: string): Uint8Array => new Uint8Array(readFileSync(fileURLToPath(new URL(`../fixtures/${n}`, import.meta.url))));
export const serverTls = (alpn = ['test']) => ({ certificateChain: [fixture('server-cert.der')], privateKey: fixture('server-key.der'), alpn });

export function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    // xorshift32
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

export interface LinkOptions {
  latencyMs?: number;
  lossRate?: number;
  /** Extra random delay up to this many ms (reordering). */
  jitterMs?: number;
  duplicateRate?: number;
  seed?: number;
  /** Datagrams larger than this are dropped (the path MTU). */
  mtu?: number;
  /** Give every datagram back to its endpoint once on the wire (as the node shell does after a send). */
  recycle?: boolean;
  /**
   * What the path does with ECN marks (RFC 3168): pass them (default), turn
   * a share of ECT(0) into CE (a congested router), clear them (bleach), or
   * drop ECT-marked datagrams (a broken middlebox).
   */
  ecn?: { ceRate?: number; bleach?: boolean; dropMarked?: boolean };
}

interface InFlight {
  at: number;
  to: 'client' | 'server';
  data: Uint8Array;
  from: Path;
  seq: number;
  ecn: EcnCodepoint | undefined;
}

export const CLIENT_PATH: Path = { address: '10.0.0.1', port: 5000 };
export const SERVER_PATH: Path = { address: '10.0.0.2', port: 443 };

export class Network {
  /** The distinct buffers that carried large (≥ 8 KB) datagrams. */
  readonly largeBuffers = new Set<ArrayBuffer>();
  now = 0;
  private queue: InFlight[] = [];
  private seq = 0;
  private readonly rnd: () => number;
  readonly sent = { client: 0, server: 0 };
  readonly bytes = { client: 0, server: 0 };
  /** Drop or rewrite datagrams: return null to drop. */
  filter: ((from: 'client' | 'server', data: Uint8Array, index: number) => Uint8Array | null) | undefined;
  /** Where the server sees the client (NAT rebinding tests change it). */
  clientPath: Path = CLIENT_PATH;

  constructor(
    readonly client: Endpoint,
    readonly server: Endpoint,
    readonly link: LinkOptions = {},
  ) {
    this.rnd = prng(link.seed ?? 1);
  }

  /** Client datagrams per destination `address:port`; destinations listed in `unreachable` are dropped. */
  readonly clientSentTo = new Map<string, number>();
  readonly unreachable = new Set<string>();
  /** Server datagrams per local socket tag (`main` for the address the client first connected to). */
  readonly serverSentFrom = new Map<string, number>();
  /** Datagrams that arrived with each ECN codepoint, per receiver. */
  readonly ecnDelivered = { client: { ect0: 0, ect1: 0, ce: 0, none: 0 }, server: { ect0: 0, ect1: 0, ce: 0, none: 0 } };

  /** Datagrams each side sent marked ECT(0) (before the path did anything to the marks). */
  readonly ecnMarked = { client: 0, server: 0 };

  private send(from: 'client' | 'server', data: Uint8Array, ecn?: EcnCodepoint, local?: string): void {
    const index = this.sent[from]++;
    if (ecn) this.ecnMarked[from]++;
    this.bytes[from] += data.length;
    const d = this.filter ? this.filter(from, data, index) : data;
    if (!d) return;
    const e = this.link.ecn;
    if (ecn && e?.dropMarked) return;
    if (ecn && e?.bleach) ecn = undefined;
    if (ecn && e?.ceRate && this.rnd() < e.ceRate) ecn = 'ce';
    if (d.length > (this.link.mtu ?? Infinity)) return;
    if (this.rnd() < (this.link.lossRate ?? 0)) return;
    const copies = this.rnd() < (this.link.duplicateRate ?? 0) ? 2 : 1;
    for (let i = 0; i < copies; i++) {
      const at = this.now + (this.link.latencyMs ?? 10) + this.rnd() * (this.link.jitterMs ?? 0);
      this.queue.push({ at, to: from === 'client' ? 'server' : 'client', data: d.slice(), from: from === 'client' ? (local ? { ...this.clientPath, local } : this.clientPath) : SERVER_PATH, seq: this.seq++, ecn });
    }
  }

  /** Move all output of both endpoints onto the wire. */
  flush(): void {
    for (const [name, ep] of [
      ['client', this.client],
      ['server', this.server],
    ] as const) {
      for (let t = ep.pollTransmit(this.now); t; t = ep.pollTransmit(this.now)) {
        let local: string | undefined;
        if (name === 'client') {
          const to = `${t.path.address}:${t.path.port}`;
          this.clientSentTo.set(to, (this.clientSentTo.get(to) ?? 0) + 1);
          if (this.unreachable.has(to)) {
            if (this.link.recycle) ep.recycle(t.data);
            continue;
          }
          // The server sees which of its addresses a datagram came to (its preferred address is another socket).
          if (t.path.address !== SERVER_PATH.address || t.path.port !== SERVER_PATH.port) local = to;
        } else this.serverSentFrom.set(t.path.local ?? 'main', (this.serverSentFrom.get(t.path.local ?? 'main') ?? 0) + 1);
        if (t.data.length >= 8192) this.largeBuffers.add(t.data.buffer as ArrayBuffer);
        this.send(name, t.data, t.ecn, local); // copies what goes on the wire
        if (this.link.recycle) ep.recycle(t.data);
      }
    }
  }

  /** Advance to the next event (a delivery or a timer); false when nothing is left to happen. */
  step(limitMs = Infinity): boolean {
    this.flush();
    let next = Infinity;
    for (const q of this.queue) next = Math.min(next, q.at);
    for (const ep of [this.client, this.server]) {
      const t = ep.pollTimeout();
      if (t !== null) next = Math.min(next, t);
    }
    if (next === Infinity || next > limitMs) return false;
    this.now = Math.max(this.now, next);
    const due = this.queue.filter((q) => q.at <= this.now).sort((a, b) => a.at - b.at || a.seq - b.seq);
    this.queue = this.queue.filter((q) => q.at > this.now);
    for (const q of due) {
      this.ecnDelivered[q.to][q.ecn ?? 'none']++;
      (q.to === 'server' ? this.server : this.client).handleDatagram(this.now, q.data, q.from, q.ecn);
    }
    this.client.handleTimeout(this.now);
    this.server.handleTimeout(this.now);
    this.flush();
    return true;
  }

  /** Step until `done()` or the virtual deadline; returns whether done() became true. */
  runUntil(done: () => boolean, maxMs = 60_000): boolean {
    const end = this.now + maxMs;
    let last = this.now;
    let still = 0;
    while (!done()) {
      if (!this.step(end)) return done();
      // A timer that never moves time forward is a bug: fail loudly instead of spinning.
      if (this.now === last) {
        if (++still > 10_000) throw new Error(`livelock at t=${this.now}`);
      } else {
        last = this.now;
        still = 0;
      }
    }
    return true;
  }
}

export interface QlogRecord {
  time: number;
  name: string;
  data: Record<string, unknown>;
}

export interface PairOptions {
  transport?: Record<string, unknown>;
  serverTransport?: Record<string, unknown>;
  alpn?: string[];
  /** Record both sides' qlog events (every connection of each endpoint) in `qlog`. */
  qlog?: boolean;
  /** Every random byte of both endpoints and the server's TLS from this seed (the client's TLS: pass `clientTls(seed)`). */
  randomSeed?: number;
}

export function pair(link: LinkOptions = {}, opts: PairOptions = {}) {
  const qlog = { client: [] as QlogRecord[], server: [] as QlogRecord[] };
  const hooks = (side: 'client' | 'server') => ({
    ...(opts.qlog ? { qlog: (time: number, name: string, data: Record<string, unknown>) => void qlog[side].push({ time, name, data }) } : {}),
    ...(opts.randomSeed !== undefined ? { random: seededEndpointRandom(opts.randomSeed, side) } : {}),
  });
  const tls = opts.randomSeed !== undefined ? seededServerTls(opts.randomSeed, opts.alpn) : serverTls(opts.alpn);
  const server = new Endpoint({ server: { tls, transport: opts.serverTransport }, hooks: hooks('server') });
  const client = new Endpoint({ transport: opts.transport, hooks: hooks('client') });
  const net = new Network(client, server, link);
  return { net, client, server, qlog };
}

/** An endpoint's random bytes from `seed` (its `hooks.random`): a run's streams are 2s (client endpoint), 2s + 1 (server endpoint and TLS), 2s + 2 (client TLS). */
export const seededEndpointRandom = (seed: number, side: 'client' | 'server') => seededRandom(seed * 2 + (side === 'client' ? 0 : 1));

/** Server TLS settings whose every random byte comes from `seed`. */
export const seededServerTls = (seed: number, alpn?: string[]) => ({ ...serverTls(alpn), groups: ['x25519' as const], crypto: seededCrypto(seed * 2 + 1) });

/** Client TLS settings whose every random byte comes from `seed` (with `pair({ randomSeed: seed })`). */
export const seededClientTls = (seed: number) => ({ serverName: 'localhost', alpn: ['test'], verifyPeer: 'none' as const, groups: ['x25519' as const], crypto: seededCrypto(seed * 2 + 2) });

/** Random bytes from a seed (xorshift32): the same seed, the same bytes. */
export function seededRandom(seed: number): (n: number) => Uint8Array {
  const next = prng(seed);
  return (n) => Uint8Array.from({ length: n }, () => Math.floor(next() * 256));
}

/** The qlog records named `name`. */
export const named = (records: QlogRecord[], name: string): QlogRecord[] => records.filter((r) => r.name === name);
