/**
 * @module measure/endpoint
 * What holding many connections costs an endpoint (issue 16): a sans-IO
 * server endpoint (in this process) with `n` established, idle connections.
 * - One datagram: a client connection sends 100 bytes on a stream; the
 *   server's work for that datagram is timed the way a shell serves it —
 *   `handleDatagram`, its output (the ACK) drained, its events drained and
 *   the data read, `pollTimeout`, `handleTimeout` — and must not grow with `n`.
 * - Idle CPU: the pair with keep-alive every 15 s, driven through 60 s of
 *   virtual time (every deadline run, every PING and ACK exchanged); the
 *   CPU it takes per connection must not grow with `n`.
 * Servers are measured in alternating slices (median of each), so a garbage
 * collection or another process hits all alike.
 */
import type { Connection, Endpoint } from '@tsquic/quic-transport/core';
import type { Certs } from '../proc.js';
import { CLIENT, establishPair, SERVER } from './unroutable.js';

const SLICES = 9;

interface Setup {
  server: Endpoint;
  client: Endpoint;
  now: number;
  /** The client connection that talks, its stream, and the server's side of it. */
  talker: Connection;
  stream: number;
}

function setup(certs: Certs, n: number): Setup {
  const p = establishPair(certs, n, { idleTimeoutMs: 600_000 });
  const talker = [...p.client.connections][0]!;
  return { ...p, talker, stream: talker.openStream('bidi')! };
}

/** The server's whole service of one datagram (what a shell does per input batch); its output is left in `out`. */
function serve(s: Setup, data: Uint8Array, out: Uint8Array[]): void {
  const { server, now } = s;
  server.handleDatagram(now, data, CLIENT);
  for (let t = server.pollTransmit(now); t; t = server.pollTransmit(now)) out.push(t.data);
  for (let e = server.pollEvent(); e; e = server.pollEvent()) if (e.event.type === 'stream-readable' || e.event.type === 'stream-incoming') while (e.conn.read(e.event.id, 1 << 16, now)) {}
  server.pollTimeout();
  server.handleTimeout(now);
}

const PAYLOAD = new Uint8Array(100);

/** Microseconds per routed datagram at a server holding each of `connections` idle connections. */
export function datagramMicros(certs: Certs, connections: number[], datagrams: number): number[] {
  const setups = connections.map((n) => setup(certs, n));
  const per = Math.max(1, Math.floor(datagrams / SLICES));
  const slices: number[][] = setups.map(() => []);
  for (let round = -1; round < SLICES; round++) {
    setups.forEach((s, i) => {
      let total = 0;
      for (let k = 0; k < per; k++) {
        s.now += 0.05;
        s.talker.write(s.stream, PAYLOAD);
        const t = s.client.pollTransmit(s.now);
        if (!t) continue;
        const out: Uint8Array[] = [];
        const t0 = performance.now();
        serve(s, t.data, out);
        total += performance.now() - t0;
        for (const d of out) s.client.handleDatagram(s.now, d, SERVER);
        while (s.client.pollTransmit(s.now)) {}
      }
      if (round >= 0) slices[i]!.push((total * 1000) / per);
    });
  }
  return slices.map((xs) => xs.sort((a, b) => a - b)[xs.length >> 1]!);
}

/** CPU milliseconds per connection per minute of idle time with keep-alive every 15 s, for each of `connections`. */
export function idleMillisPerConnection(certs: Certs, connections: number[], minutes = 1): number[] {
  return connections.map((n) => {
    const p = establishPair(certs, n, { idleTimeoutMs: 600_000, keepAliveMs: 15_000 });
    let now = p.now;
    const end = now + minutes * 60_000;
    const t0 = performance.now();
    for (;;) {
      const next = Math.min(p.client.pollTimeout() ?? Infinity, p.server.pollTimeout() ?? Infinity);
      if (next > end) break;
      now = Math.max(now, next);
      p.client.handleTimeout(now);
      p.server.handleTimeout(now);
      for (let moved = true; moved;) {
        moved = false;
        for (let t = p.client.pollTransmit(now); t; t = p.client.pollTransmit(now)) (p.server.handleDatagram(now, t.data, CLIENT), (moved = true));
        for (let t = p.server.pollTransmit(now); t; t = p.server.pollTransmit(now)) (p.client.handleDatagram(now, t.data, SERVER), (moved = true));
      }
    }
    const ms = performance.now() - t0;
    if (p.server.connections.size < n) throw new Error(`idle bench: ${n - p.server.connections.size} connections closed`);
    return ms / n / minutes;
  });
}
