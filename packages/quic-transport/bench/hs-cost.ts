/**
 * CPU per handshake on each side, sans-IO: our client and server cores
 * (`Endpoint`) over the simulated network (virtual clock, no socket), one
 * connection after another — connect → established → close, full and
 * resumed with one session ticket, as the bench's handshake rows. Each
 * side's figure is the process's CPU time (`process.cpuUsage`) over the
 * round, shared between the sides in proportion to the time spent in each
 * endpoint's calls (the simulated network's own share left out): sockets and
 * the event loop are not in it, only the protocol's work (TLS, keys,
 * packets). Median of `ROUNDS`.
 * With HS_COUNT=1 it also counts the node:crypto calls per handshake pair
 * (both sides): a figure that load on the machine does not move.
 *   pnpm --filter @tsquic/quic-transport bench:hs      (HS_N=300 handshakes per round, HS_ROUNDS=5)
 */
import { createRequire, syncBuiltinESMExports } from 'node:module';
import type { SessionTicket } from '@tsquic/tls13-handshake';
import { Endpoint, type Connection } from '../src/core/index.js';
import { Network, SERVER_PATH, serverTls } from '../test/sim/network.js';

const N = Number(process.env.HS_N ?? 300);
const ROUNDS = Number(process.env.HS_ROUNDS ?? 5);
// HS_VERIFY=1: the client verifies the server (its self-signed certificate as the trust anchor), as the bench's clients do.
const TLS = process.env.HS_VERIFY ? { serverName: 'core-server.test', alpn: ['test'], trustAnchors: serverTls().certificateChain } : { serverName: 'localhost', alpn: ['test'], verifyPeer: 'none' as const };

type Side = 'client' | 'server';

/** node:crypto calls by name (HS_COUNT=1): the providers read the module's functions at call time. */
const calls = new Map<string, number>();
if (process.env.HS_COUNT) {
  const nc = createRequire(import.meta.url)('node:crypto') as Record<string, unknown>;
  for (const name of [
    'createHmac',
    'createHash',
    'createCipheriv',
    'createDecipheriv',
    'createSecretKey',
    'createPublicKey',
    'createPrivateKey',
    'diffieHellman',
    'sign',
    'verify',
    'generateKeyPair',
    'randomFillSync',
    'randomBytes',
    'hkdfSync',
  ]) {
    const f = nc[name] as (...a: unknown[]) => unknown;
    nc[name] = (...a: unknown[]) => (calls.set(name, (calls.get(name) ?? 0) + 1), f(...a));
  }
  syncBuiltinESMExports(); // `import * as c from 'node:crypto'` sees them too
}
const spent = { client: 0, server: 0 };

/** Charge every call of the endpoint's methods to `side`. */
function timed(ep: Endpoint, side: Side): Endpoint {
  for (const m of ['handleDatagram', 'pollTransmit', 'handleTimeout', 'pollTimeout', 'connect', 'pollEvent'] as const) {
    const f = (ep[m] as (...a: unknown[]) => unknown).bind(ep);
    // One function per side (clientCall, serverCall), so that a CPU profile of this script splits the two.
    (ep as unknown as Record<string, unknown>)[m] = side === 'client' ? (...a: unknown[]) => clientCall(f, a) : (...a: unknown[]) => serverCall(f, a);
  }
  return ep;
}

// Only the two frames' names differ: the time is taken once, in `call`.
function clientCall(f: (...a: unknown[]) => unknown, a: unknown[]): unknown {
  return call(f, a, 'client');
}

function serverCall(f: (...a: unknown[]) => unknown, a: unknown[]): unknown {
  return call(f, a, 'server');
}

function call(f: (...a: unknown[]) => unknown, a: unknown[], side: Side): unknown {
  const t0 = performance.now();
  try {
    return f(...a);
  } finally {
    spent[side] += performance.now() - t0;
  }
}

async function round(ticketWanted: boolean): Promise<{ client: number; server: number }> {
  const server = timed(new Endpoint({ server: { tls: { ...serverTls(), ticketKey: new Uint8Array(32).fill(9) } } }), 'server');
  // Certificates are checked against calendar time, not the simulated clock.
  const client = timed(new Endpoint({ hooks: { wallClock: () => Date.now() } }), 'client');
  const net = new Network(client, server, { latencyMs: 0.05 });
  let ticket: SessionTicket | undefined;
  const drain = (c: Connection) => {
    for (let e = c.pollEvent(); e; e = c.pollEvent()) if (e.type === 'session-ticket') ticket = e.ticket;
  };
  const one = (t?: SessionTicket): void => {
    const c = client.connect(net.now, SERVER_PATH, t ? { ...TLS, sessionTicket: t } : TLS);
    if (!net.runUntil(() => (drain(c), c.state === 'established' && (!ticketWanted || ticket !== undefined)), 5000)) throw new Error('handshake did not complete');
    if (t && !c.handshakeInfo?.resumed) throw new Error('not resumed');
    c.close(net.now);
    net.step();
  };
  one();
  const t = ticketWanted ? ticket : undefined;
  spent.client = spent.server = 0;
  calls.clear();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  for (let i = 0; i < N; i++) {
    one(t);
    // A turn of the event loop between handshakes, as over sockets: the X25519 key pool refills.
    await new Promise((r) => setImmediate(r));
  }
  const cpu = process.cpuUsage(cpu0);
  if (process.env.HS_COUNT)
    console.log(
      `datagrams per handshake: client ${(net.sent.client / (N + 1)).toFixed(1)}, server ${(net.sent.server / (N + 1)).toFixed(1)}; bytes: client ${(net.bytes.client / (N + 1)).toFixed(0)}, server ${(net.bytes.server / (N + 1)).toFixed(0)}`,
    );
  // CPU µs per wall ms of the round: the wall time in each side's calls, converted.
  const scale = (cpu.user + cpu.system) / (performance.now() - t0);
  return { client: (spent.client * scale) / N, server: (spent.server * scale) / N };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
for (const mode of ['full', 'resumed'] as const) {
  const rs: { client: number; server: number }[] = [];
  for (let r = 0; r < ROUNDS; r++) rs.push(await round(mode === 'resumed'));
  if (calls.size) console.log(`${mode} node:crypto calls per pair: ${[...calls].map(([k, v]) => `${k} ${(v / N).toFixed(1)}`).join(', ')}`);
  console.log(
    `${mode.padEnd(8)} µs per handshake: client ${median(rs.map((r) => r.client)).toFixed(0)}, server ${median(rs.map((r) => r.server)).toFixed(0)} (rounds: ${rs.map((r) => `${r.client.toFixed(0)}/${r.server.toFixed(0)}`).join(' ')})`,
  );
}
