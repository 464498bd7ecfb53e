/**
 * @module measure/handshakes
 * Handshakes per second, sequential (peers/handshakers): ours (QUIC over
 * UDP, full and resumed with a session ticket) against Node's TLS 1.3 over
 * TCP (full, and resumed with a TLS session), both on loopback.
 *
 * - `inOneProcess`: client and server in this process, handshakes per
 *   second of wall time (the headline rows);
 * - `perSide`: server and client each in its own process, each process's
 *   CPU time over the same sequential run, as handshakes per CPU-second of
 *   that side — the server's cost apart from the client's.
 */
import { readFileSync } from 'node:fs';
import { Peer, type Certs } from '../proc.js';
import { HANDSHAKERS, SERVERS, sequential, type Kind, type Mode } from '../peers/handshakers.js';
import { row } from '../rows.js';
import { abba, median } from './pairing.js';
import type { Method, Row } from '../suite.js';

const serverFiles = (kind: Kind, certs: Certs): [string, string] => (kind === 'quic' ? [certs.certDer, certs.keyDer] : [certs.certPem, certs.keyPem]);

/** Full and resumed handshakes per second with both ends in this process. */
export async function inOneProcess(kind: Kind, certs: Certs, seconds: number): Promise<Record<Mode, number>> {
  const [cert, key] = serverFiles(kind, certs);
  const server = await SERVERS[kind](new Uint8Array(readFileSync(cert)), new Uint8Array(readFileSync(key)));
  const client = await HANDSHAKERS[kind](server.port, new Uint8Array(readFileSync(certs.certDer)));
  try {
    const rate = async (mode: Mode): Promise<number> => {
      const r = await sequential(client, mode, seconds);
      return r.handshakes / r.seconds;
    };
    return { full: await rate('full'), resumed: await rate('resumed') };
  } finally {
    await client.close();
    await server.close();
  }
}

/** Both stacks' one-process rates in `pairs` pairs in ABBA order (ours, Node, Node, ours, …): each mode's median, and every sample. */
export async function oneProcessPairs(certs: Certs, seconds: number, pairs: number): Promise<{ ours: Record<Mode, number>; tls: Record<Mode, number>; samples: Record<Kind, Record<Mode, number[]>> }> {
  const samples: Record<Kind, Record<Mode, number[]>> = { quic: { full: [], resumed: [] }, tls: { full: [], resumed: [] } };
  const once = (kind: Kind) => async (): Promise<void> => {
    const r = await inOneProcess(kind, certs, seconds);
    samples[kind].full.push(r.full);
    samples[kind].resumed.push(r.resumed);
  };
  await abba(pairs, once('quic'), once('tls'));
  const medians = (k: Kind): Record<Mode, number> => ({ full: median(samples[k].full), resumed: median(samples[k].resumed) });
  return { ours: medians('quic'), tls: medians('tls'), samples };
}

export interface SideFigures {
  /** Handshakes per CPU-second of the server's process and of the client's. */
  server: number;
  client: number;
  /** Handshakes per second of wall time with the two processes. */
  wall: number;
}

/** Server and client in two processes: each side's CPU per handshake, as a rate. */
export async function perSide(kind: Kind, mode: Mode, certs: Certs, seconds: number): Promise<SideFigures> {
  const server = Peer.start('hs', ['server', kind, ...serverFiles(kind, certs)]);
  try {
    const { port } = await server.next('ready', 10_000);
    const cpu = async () => (server.send({ cmd: 'cpu' }), await server.next('cpu', 10_000));
    const client = Peer.start('hs', ['client', kind, String(port), mode, String(seconds), certs.certDer]);
    try {
      // Both sides' windows start after the client's warm-up: the client waits until the server's figures are read.
      await client.next('window', 60_000 + seconds * 1000);
      const before = await cpu();
      client.send({ cmd: 'cpu' });
      const r = await client.next('result', 60_000 + seconds * 1000);
      const after = await cpu();
      const serverSeconds = (after.micros - before.micros) / 1e6;
      return { server: (after.requests! - before.requests!) / serverSeconds, client: r.bytes / r.stats!.cpuSeconds!, wall: r.bytes / r.seconds };
    } finally {
      await client.stop();
    }
  } finally {
    await server.stop();
  }
}

const ONE_PROCESS = (seconds: number): Method => ({
  setup:
    "ours: QuicEndpoint server (ticket key) and client endpoint in this process over UDP loopback, connect → ready → close (the client's Finished leaves with its close, so the server completes every handshake and makes its ticket, as Node's server does), x25519 + ECDSA P-256; anchor: Node's tls.createServer (held to TLS_AES_128_GCM_SHA256, the suite ours negotiate; it still sends OpenSSL's two session tickets to our one) and tls.connect in this process over TCP loopback, connect → secureConnect → end (not destroy: with the server's tickets unread that resets the connection, and Node's server would stop at ECONNRESET without reading the client's Finished — no completed handshake, no ticket); both clients verify the server (a path to its self-signed certificate as the trust anchor, 'localhost' against its SANs; Node's secure context made once)",
  clock: `performance.now(): handshakes completed one after the other for ${seconds} s after ${seconds} s of the same as a warm-up (V8 compiles our per-handshake code to optimized code only after a few hundred handshakes), per second of wall time; resumed: every connection offers the one ticket (session) fetched first`,
});
const TWO_PROCESSES = (seconds: number, side: 'server' | 'client'): Method => ({
  setup: 'the same servers and clients as the one-process rows, but server and client each in its own process (peers/hs)',
  clock: `process.cpuUsage() of the ${side}'s process (all its threads) over ${seconds} s of sequential handshakes after the client's ${seconds} s warm-up, as handshakes per CPU-second of that side${side === 'server' ? ' (the handshakes the server was handed in that window, counted by the server)' : ''}`,
});

/** The handshake rows: both ends in one process (goals 1.0), then each side's CPU apart. */
export function handshakeRows(one: Awaited<ReturnType<typeof oneProcessPairs>>, pairs: number, sides: Record<Kind, Record<Mode, SideFigures>>, seconds: number): Row[] {
  const H = { group: 'handshakes' as const, better: 'higher' as const, anchorName: 'Node TLS 1.3 / TCP' };
  const rows: Row[] = [];
  for (const mode of ['full', 'resumed'] as const) {
    const method = ONE_PROCESS(seconds);
    rows.push(
      row(
        {
          ...H,
          id: `handshakes.${mode}`,
          name: `${mode} handshakes, sequential`,
          unit: 'per second',
          ours: one.ours[mode],
          anchor: one.tls[mode],
          method: { ...method, clock: `${method.clock}; ${pairs} ${pairs === 1 ? 'pair' : 'pairs'} in ABBA order (ours, Node, Node, ours, …), each side's median` },
          samples: { oursPerSecond: one.samples.quic[mode], anchorPerSecond: one.samples.tls[mode] },
        },
        1.0,
      ),
    );
  }
  for (const mode of ['full', 'resumed'] as const) {
    const q = sides.quic[mode];
    const t = sides.tls[mode];
    for (const side of ['server', 'client'] as const) {
      rows.push(
        row({
          ...H,
          id: `handshakes.${mode}.${side}-cpu`,
          name: `${mode} handshakes, ${side} side alone (own process)`,
          unit: 'per CPU-second',
          ours: q[side],
          anchor: t[side],
          note: side === 'server' ? `two processes, wall time: ours ${q.wall.toFixed(0)}/s, Node TLS ${t.wall.toFixed(0)}/s` : undefined,
          method: TWO_PROCESSES(seconds, side),
          samples: { oursWallPerSecond: q.wall, anchorWallPerSecond: t.wall },
        }),
      );
    }
  }
  return rows;
}
