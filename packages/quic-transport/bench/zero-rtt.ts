/**
 * Time to first byte of a response: a full handshake vs a resumed connection
 * whose request goes in 0-RTT (RFC 9001 §4.6), over the simulated network
 * with an artificial round-trip time (virtual clock, so the figures are exact
 * protocol round trips, not this machine's speed).
 *   pnpm --filter @tsquic/quic-transport bench:0rtt      (RTT_MS=50 by default)
 */
import type { SessionTicket } from '@tsquic/tls13-handshake';
import { Endpoint, type Connection } from '../src/core/index.js';
import { Collector } from '../test/sim/apps.js';
import { Network, SERVER_PATH, serverTls } from '../test/sim/network.js';

const RTT = Number(process.env.RTT_MS ?? 50);
const TLS = { serverName: 'localhost', alpn: ['test'], verifyPeer: 'none' as const };

const server = new Endpoint({ server: { tls: { ...serverTls(), ticketKey: new Uint8Array(32).fill(1), earlyData: true } } });
const client = new Endpoint();
const net = new Network(client, server, { latencyMs: RTT / 2 });

/** The server answers every request stream with "ok" once the request is complete. */
const served = new Map<Connection, Collector>();
function serve(): void {
  for (const s of server.connections) {
    if (!served.has(s)) served.set(s, new Collector(s));
    const col = served.get(s)!;
    col.pump(net.now);
    for (const id of col.finished) {
      if (col.data.get(id) === undefined) continue;
      col.data.delete(id);
      s.write(id, new TextEncoder().encode('ok'), true);
    }
  }
}

/** Connect (optionally resuming with 0-RTT), send one request, return ms until the first response byte. */
function request(ticket?: SessionTicket): { ttfb: number; ticket?: SessionTicket; early: string } {
  const start = net.now;
  const c = client.connect(start, SERVER_PATH, ticket ? { ...TLS, sessionTicket: ticket, earlyData: true } : TLS);
  const col = new Collector(c);
  let id: number | null = ticket ? c.openStream('bidi') : null;
  if (id !== null) c.write(id, new TextEncoder().encode('GET /'), true);
  let first = -1;
  let got: SessionTicket | undefined;
  net.runUntil(() => {
    serve();
    col.pump(net.now);
    if (id === null && c.handshakeInfo) {
      id = c.openStream('bidi')!;
      c.write(id, new TextEncoder().encode('GET /'), true);
    }
    for (const e of col.events) if (e.type === 'session-ticket') got = e.ticket;
    if (first < 0 && id !== null && col.bytes(id).length > 0) first = net.now;
    return first >= 0 && got !== undefined;
  }, 10_000);
  const early = c.handshakeInfo?.earlyData ?? 'not-offered';
  c.close(net.now);
  net.runUntil(() => c.isClosed, 5_000);
  return { ttfb: first - start, ...(got ? { ticket: got } : {}), early };
}

const full = request();
const resumed = request(full.ticket);
const rows = [
  ['full handshake, request after it', full.ttfb, full.early],
  ['resumed, request in 0-RTT', resumed.ttfb, resumed.early],
] as const;
console.log(`time to first response byte, simulated RTT ${RTT} ms`);
console.log('| case | ms | round trips | 0-RTT |');
console.log('|---|---:|---:|---|');
for (const [name, ms, early] of rows) console.log(`| ${name} | ${ms.toFixed(1)} | ${(ms / RTT).toFixed(2)} | ${early} |`);
