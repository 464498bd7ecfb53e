/**
 * @module measure/network
 * The interop runner's measurements through the emulated network
 * (`@tsquic/relay`, in a child process of its own), ours and ngtcp2 through
 * the same relay in the same run:
 * - goodput: one file over 10 Mbit/s, 15 ms one way, a 25-packet queue
 *   (the runner's `goodput`: 10 MB, five runs, the median), from the
 *   client's start to its last byte;
 * - crosstraffic: the same transfer while a TCP CUBIC bulk flow shares the
 *   bottleneck (the relay's `tcp-cross-traffic`: its modelled flow, as the
 *   runner's ns-3 scenario runs ns-3's own TCP), both flows' shares over the
 *   transfer's duration;
 * - crosstraffic beside kernel TCP (an extra row, root only): the same
 *   transfer beside the kernel's own TCP CUBIC through a real bottleneck
 *   (`netns`: a namespace's loopback through tbf + a 25-packet pfifo, no
 *   added delay), both stacks' endpoints in the namespace: what the relay's
 *   model of TCP is checked against;
 * - long RTT: a handshake over 750 ms one way (the runner's `longrtt`):
 *   time to handshake completion in RTTs of 1.5 s, and the datagrams the
 *   relay counted until then.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { forkRelay, RUNNER_SCENARIOS, type ForkedRelay } from '@tsquic/relay';
import { runEndpoint } from '@tsquic/example-interop/dist/endpoint/run.js';
import { createQuicTransport } from '@tsquic/example-interop/dist/transport.js';
import { exited, freePort, peerScript, type Certs } from '../proc.js';
import { spawn, spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { netnsBottleneck, type NetnsBottleneck } from './netns.js';
import { row } from '../rows.js';
import type { Row } from '../suite.js';

const mbps = (bytes: number, seconds: number): number => (bytes * 8) / seconds / 1e6;

export interface NetworkSetup {
  readonly www: string;
  readonly dl: string;
  readonly certs: Certs;
  /** Bytes of the goodput and crosstraffic transfers. */
  readonly bytes: number;
  readonly runs: number;
  /** Seconds the TCP flow runs alone before the QUIC transfer starts. */
  readonly tcpHeadStartS: number;
  readonly ngtcp2: boolean;
}

/** Something that serves `www` behind a relay and fetches a file through it, returning seconds. */
interface Pair {
  readonly name: string;
  /** Start the server on `port`; returns its stop function. */
  server(s: NetworkSetup, port: number): Promise<() => Promise<void>>;
  /** Fetch `file` through the relay at `port`; seconds from start to the last byte. */
  fetch(s: NetworkSetup, port: number, file: string): Promise<number>;
}

async function ourServer(s: NetworkSetup, port: number): Promise<() => Promise<void>> {
  const ac = new AbortController();
  let ready!: () => void;
  const listening = new Promise<void>((r) => (ready = r));
  const done = runEndpoint({ ROLE: 'server', TESTCASE: 'transfer', WWW: s.www, CERTS: s.certs.dir, PORT: String(port) }, createQuicTransport(), {
    log: (l) => (l.startsWith('serving') ? ready() : undefined),
    signal: ac.signal,
  });
  await Promise.race([listening, done]);
  return async () => {
    ac.abort();
    await done;
  };
}

const OURS: Pair = {
  name: 'ours → ours',
  server: ourServer,
  async fetch(s, port, file) {
    const t0 = performance.now();
    const status = await runEndpoint({ ROLE: 'client', TESTCASE: 'transfer', REQUESTS: `https://127.0.0.1:${port}/${file}`, DOWNLOADS: s.dl, CERTS: join(s.dl, 'no-certs') }, createQuicTransport(), { log: () => {} });
    if (status !== 0) throw new Error(`our interop client exited with ${status}`);
    return (performance.now() - t0) / 1000;
  },
};

const NGTCP2: Pair = {
  name: 'ngtcp2 → ngtcp2',
  async server(s, port) {
    const p = spawn('gtlsserver', ['-q', '-d', s.www, '127.0.0.1', String(port), s.certs.keyPem, s.certs.certPem], { stdio: 'ignore' });
    await new Promise((r) => setTimeout(r, 300));
    if (p.exitCode !== null) throw new Error(`gtlsserver exited with ${p.exitCode}`);
    return async () => {
      p.kill('SIGKILL');
      await exited(p, 2000);
    };
  },
  async fetch(s, port, file) {
    mkdirSync(s.dl, { recursive: true });
    const t0 = performance.now();
    const p = spawn('gtlsclient', ['-q', '--exit-on-all-streams-close', '--download', s.dl, '127.0.0.1', String(port), `https://localhost:${port}/${file}`], { stdio: 'ignore' });
    const code = await exited(p, 180_000);
    if (code !== 0) throw new Error(`gtlsclient exited with ${code}`);
    return (performance.now() - t0) / 1000;
  },
};

/** The two stacks the network rows compare, for scripts that take one figure alone. */
export const NETWORK_PAIRS = { ours: OURS, ngtcp2: NGTCP2 } as const;

/** Server behind a forked relay running `scenario`; `f` gets the relay. */
async function behindRelay<T>(pair: Pair, s: NetworkSetup, scenario: string, f: (relay: ForkedRelay) => Promise<T>): Promise<T> {
  const port = await freePort();
  const stop = await pair.server(s, port);
  try {
    const relay = await forkRelay({ target: { host: '127.0.0.1', port }, scenario });
    try {
      return await f(relay);
    } finally {
      await relay.stop().catch(() => relay.process.kill('SIGKILL'));
    }
  } finally {
    await stop();
  }
}

const FILE = 'network-goodput';

export function makeNetworkFiles(www: string, bytes: number): void {
  writeFileSync(join(www, FILE), new Uint8Array(bytes).fill(0x62));
  writeFileSync(join(www, 'network-1k'), new Uint8Array(1024).fill(0x63));
}

/** One goodput run: Mbit/s, and what the relay saw of the server's datagrams (issue 20: their size, the queue's drops). */
export interface Goodput {
  mbps: number;
  /** Server → client datagrams and their average size (bytes of UDP payload). */
  datagrams: number;
  avgDatagram: number;
  /** Server → client datagrams the 25-packet queue dropped. */
  queueDrops: number;
}

/** Goodput on the runner's default link: the run of median Mbit/s of `runs`, each through a fresh relay. */
export async function goodput(pair: Pair, s: NetworkSetup): Promise<Goodput> {
  const xs: Goodput[] = [];
  for (let i = 0; i < s.runs; i++)
    xs.push(
      await behindRelay(pair, s, RUNNER_SCENARIOS.goodput!, async (relay) => {
        const seconds = await pair.fetch(s, relay.address.port, FILE);
        const st = await relay.stats();
        const datagrams = st.flows.reduce((n, f) => n + f.toClient.datagrams, 0);
        const bytes = st.flows.reduce((n, f) => n + f.toClient.bytes, 0);
        return { mbps: mbps(s.bytes, seconds), datagrams, avgDatagram: bytes / Math.max(1, datagrams), queueDrops: st.toClient.dropped.queue };
      }),
    );
  return xs.sort((a, b) => a.mbps - b.mbps)[Math.floor((xs.length - 1) / 2)]!;
}

/** The transfer beside the TCP CUBIC flow: each flow's rate over the transfer (Mbit/s of payload). */
export async function crossTraffic(pair: Pair, s: NetworkSetup): Promise<{ quic: number; tcp: number }> {
  return behindRelay(pair, s, RUNNER_SCENARIOS.crosstraffic!, async (relay) => {
    await new Promise((r) => setTimeout(r, s.tcpHeadStartS * 1000));
    const before = (await relay.stats()).crossTraffic!.deliveredBytes;
    const seconds = await pair.fetch(s, relay.address.port, FILE);
    const after = (await relay.stats()).crossTraffic!.deliveredBytes;
    return { quic: mbps(s.bytes, seconds), tcp: mbps(after - before, seconds) };
  });
}

/** The interop endpoint's executable (ours beside kernel TCP runs in the namespace, so in processes of its own). */
const INTEROP_MAIN = createRequire(import.meta.url).resolve('@tsquic/example-interop/dist/main.js');

/** A stack's server and client as commands (command, arguments, environment) for the namespace. */
interface Commands {
  server(s: NetworkSetup, port: number): [string, string[], NodeJS.ProcessEnv?];
  client(s: NetworkSetup, port: number, file: string): [string, string[], NodeJS.ProcessEnv?];
}

const KERNEL_PEERS: Record<'ours' | 'ngtcp2', Commands> = {
  ours: {
    server: (s, port) => ['node', [INTEROP_MAIN], { ROLE: 'server', TESTCASE: 'transfer', WWW: s.www, CERTS: s.certs.dir, PORT: String(port) }],
    client: (s, port, file) => ['node', [INTEROP_MAIN], { ROLE: 'client', TESTCASE: 'transfer', REQUESTS: `https://127.0.0.1:${port}/${file}`, DOWNLOADS: s.dl, CERTS: join(s.dl, 'no-certs') }],
  },
  ngtcp2: {
    server: (s, port) => ['gtlsserver', ['-q', '-d', s.www, '127.0.0.1', String(port), s.certs.keyPem, s.certs.certPem]],
    client: (s, port, file) => ['gtlsclient', ['-q', '--exit-on-all-streams-close', '--download', s.dl, '127.0.0.1', String(port), `https://localhost:${port}/${file}`]],
  },
};

/** Until a UDP socket is bound to `port` in the namespace (the server is up), at most 10 s. */
async function udpBound(ns: NetnsBottleneck, port: number): Promise<void> {
  for (const end = performance.now() + 10_000; performance.now() < end; await new Promise((r) => setTimeout(r, 50)))
    if (spawnSync('ip', ['netns', 'exec', ns.name, 'ss', '-Hnlu', `sport = :${port}`], { encoding: 'utf8' }).stdout.trim()) return;
  throw new Error(`no server bound UDP port ${port} in ${ns.name} within 10 s`);
}

/** The transfer beside a kernel TCP CUBIC bulk flow in the namespace: each flow's rate over the client's run (spawn to exit). */
async function crossTrafficKernel(k: Commands, s: NetworkSetup, ns: NetnsBottleneck): Promise<{ quic: number; tcp: number }> {
  const port = 4433; // the namespace is fresh: nothing else binds there
  const [sc, sa, se] = k.server(s, port);
  const server = ns.spawn(sc, sa, se);
  const tcp = ns.spawn('node', [peerScript('tcp-bulk')]);
  let received = 0;
  let rest = '';
  tcp.stdout!.on('data', (d: Buffer) => {
    const lines = (rest + d.toString()).split('\n');
    rest = lines.pop()!;
    if (lines.length) received = Number(lines.at(-1));
  });
  try {
    await udpBound(ns, port);
    await new Promise((r) => setTimeout(r, s.tcpHeadStartS * 1000));
    if (received === 0) throw new Error('the kernel TCP flow carried nothing');
    const before = received;
    const t0 = performance.now();
    const [cc, ca, ce] = k.client(s, port, FILE);
    const code = await exited(ns.spawn(cc, ca, ce), 180_000);
    const seconds = (performance.now() - t0) / 1000;
    if (code !== 0) throw new Error(`${cc} exited with ${code}`);
    return { quic: mbps(s.bytes, seconds), tcp: mbps(received - before, seconds) };
  } finally {
    for (const p of [server, tcp]) {
      p.kill('SIGKILL');
      await exited(p, 2000);
    }
  }
}

export interface LongRtt {
  /** Connect → handshake complete, in RTTs of 1.5 s. */
  handshakeRtts: number;
  /** Datagrams counted at the relay until then: client → server, server → client, and client datagrams carrying an Initial. */
  toServer: number;
  toClient: number;
  clientInitials: number;
}

/** Our client's handshake with our server over the runner's longrtt path (750 ms one way). */
async function longRttHandshake(s: NetworkSetup): Promise<LongRtt> {
  return behindRelay(OURS, s, RUNNER_SCENARIOS.longrtt!, async (relay) => {
    const t0 = performance.now();
    const session = await createQuicTransport()!.connect('127.0.0.1', relay.address.port, { alpn: ['hq-interop'], cipherSuites: [0x1301, 0x1302, 0x1303], serverName: '127.0.0.1', features: [] });
    const seconds = (performance.now() - t0) / 1000;
    const f = (await relay.stats()).flows[0]!;
    session.close({ closeCode: 0n, reason: '' });
    return { handshakeRtts: seconds / 1.5, toServer: f.toServer.datagrams, toClient: f.toClient.datagrams, clientInitials: f.initials.fromClient };
  });
}

/** The `handshake` test (1 KiB) over the longrtt path: seconds from the client's start to its exit. */
async function longRttDownload(pair: Pair, s: NetworkSetup): Promise<number> {
  return behindRelay(pair, s, RUNNER_SCENARIOS.longrtt!, (relay) => pair.fetch(s, relay.address.port, 'network-1k'));
}

export interface NetworkFigures {
  goodput: { ours: Goodput; ngtcp2: Goodput | null };
  crossTraffic: { ours: { quic: number; tcp: number }; ngtcp2: { quic: number; tcp: number } | null };
  /** Beside kernel TCP CUBIC in a namespace, or why it was not measured. */
  kernelCross: { ours: { quic: number; tcp: number } | null; ngtcp2: { quic: number; tcp: number } | null; skipped?: string };
  longRtt: { ours: LongRtt; download: { ours: number; ngtcp2: number | null } };
  notes: string[];
}

/** Every network figure, ours then ngtcp2 for each (ngtcp2's failures become notes). */
export async function measureNetwork(s: NetworkSetup, log: (l: string) => void): Promise<NetworkFigures> {
  const notes: string[] = [];
  const ng = async <T>(what: string, f: () => Promise<T>): Promise<T | null> => {
    if (!s.ngtcp2) return null;
    try {
      return await f();
    } catch (e) {
      notes.push(`${what}: ${e instanceof Error ? e.message : String(e)}`);
      return null;
    }
  };
  log(`network: goodput, ${(s.bytes / 1e6).toFixed(1)} MB over 10 Mbit/s (median of ${s.runs})`);
  const goodputOurs = await goodput(OURS, s);
  const goodputNg = await ng('ngtcp2 goodput', () => goodput(NGTCP2, s));
  log('network: crosstraffic');
  const crossOurs = await crossTraffic(OURS, s);
  const crossNg = await ng('ngtcp2 crosstraffic', () => crossTraffic(NGTCP2, s));
  log('network: crosstraffic beside kernel TCP (namespace)');
  const kernelCross = await measureKernelCross(s, notes);
  log('network: long RTT');
  const lr = await longRttHandshake(s);
  const dlOurs = await longRttDownload(OURS, s);
  const dlNg = await ng('ngtcp2 longrtt', () => longRttDownload(NGTCP2, s));
  return { goodput: { ours: goodputOurs, ngtcp2: goodputNg }, crossTraffic: { ours: crossOurs, ngtcp2: crossNg }, kernelCross, longRtt: { ours: lr, download: { ours: dlOurs, ngtcp2: dlNg } }, notes };
}

/** Ours, then ngtcp2, beside kernel TCP in one namespace made for them (removed after); its failures become notes. */
export async function measureKernelCross(s: NetworkSetup, notes: string[]): Promise<NetworkFigures['kernelCross']> {
  const ns = netnsBottleneck({ mbps: 10, queue: 25 });
  if (typeof ns === 'string') return { ours: null, ngtcp2: null, skipped: ns };
  const one = async (who: 'ours' | 'ngtcp2'): Promise<{ quic: number; tcp: number } | null> => {
    try {
      return await crossTrafficKernel(KERNEL_PEERS[who], s, ns);
    } catch (e) {
      notes.push(`${who} beside kernel TCP: ${e instanceof Error ? e.message : String(e)}`);
      return null;
    }
  };
  try {
    const ours = await one('ours');
    return { ours, ngtcp2: s.ngtcp2 ? await one('ngtcp2') : null };
  } finally {
    ns.remove();
  }
}

/** The figures as the suite's rows (goals from issue 20). */
const THROUGH_RELAY =
  "through @tsquic/relay in its own process (a fresh relay per run); ours: the interop endpoint (examples/interop, hq-interop) server and client in the suite's process; ngtcp2: gtlsserver and gtlsclient (HTTP/3), each its own process";
/** Each stack's defaults: the runner's link is the bottleneck, not the datagram size (ours stays at 1,200 B there, ngtcp2 averages ~1,413). */
const NET_DATAGRAMS = "each stack's defaults; the relay drops what exceeds a 1,500-byte IP MTU";
const NET_DATA = 'servers send files from tmpfs; ours writes the download to tmpfs, gtlsclient too (--download)';
const NET_CLOCK = "this process's performance.now(): ours from the start of its client to the last byte; ngtcp2 gtlsclient from spawn to exit (its start-up, ~10 ms, is noise against seconds at 10 Mbit/s)";

export function networkRows(n: NetworkFigures, bytes: number, noNg: string | undefined): Row[] {
  const method = { setup: THROUGH_RELAY, datagrams: NET_DATAGRAMS, data: NET_DATA, clock: NET_CLOCK };
  const N = { group: 'network' as const, method };
  const CROSS = { ...method, clock: `${NET_CLOCK}; the TCP flow's rate from the relay's count of its delivered bytes over the same interval, started earlier (its head start)` };
  const mb = `${Math.round(bytes / 1e6) || (bytes / 1e6).toFixed(1)} MB`;
  const share = (f: { quic: number; tcp: number }): number => (100 * f.quic) / (f.quic + f.tcp);
  const note = (extra: string): string => [extra, noNg, ...n.notes].filter(Boolean).join('; ');
  const wire = (who: string, g: Goodput | null): string => (g ? `${who}: ${g.datagrams} datagrams to the client averaging ${g.avgDatagram.toFixed(0)} B, ${g.queueDrops} dropped by the queue` : '');
  const gp = n.goodput;
  const cx = n.crossTraffic;
  const lr = n.longRtt.ours;
  const kc = n.kernelCross;
  return [
    row(
      {
        ...N,
        id: 'network.goodput.ours-ours',
        name: `goodput, ${mb} on 10 Mbit/s, 15 ms, queue 25: ours → ours`,
        unit: 'Mbit/s',
        better: 'higher',
        ours: gp.ours.mbps,
        anchorName: 'ngtcp2 → ngtcp2',
        anchor: gp.ngtcp2?.mbps ?? null,
        note: note([wire('ours', gp.ours), wire('ngtcp2', gp.ngtcp2)].filter(Boolean).join('; ')) || undefined,
      },
      1.0,
    ),
    row({ ...N, id: 'network.goodput.ours-ours.vs-goal', name: `goodput, ${mb} on 10 Mbit/s: ours → ours`, unit: 'Mbit/s', better: 'higher', ours: gp.ours.mbps, anchorName: 'goal', anchor: 9.5 }, 1.0),
    row(
      {
        ...N,
        id: 'network.crosstraffic.ours-share',
        name: `crosstraffic: our flow's share of the link beside TCP CUBIC`,
        unit: '% of goodput',
        better: 'higher',
        ours: share(cx.ours),
        anchorName: 'half the link',
        anchor: 50,
        note: note(
          `ours ${cx.ours.quic.toFixed(2)} Mbit/s beside TCP ${cx.ours.tcp.toFixed(2)}${cx.ngtcp2 ? `; ngtcp2 ${cx.ngtcp2.quic.toFixed(2)} beside TCP ${cx.ngtcp2.tcp.toFixed(2)} (share ${share(cx.ngtcp2).toFixed(0)} %)` : ''}; goal 40–60 %: this row ≥ 0.8 and the TCP row ≥ 0.8`,
        ),
        method: CROSS,
      },
      0.8,
    ),
    row(
      { ...N, method: CROSS, id: 'network.crosstraffic.tcp-share', name: 'crosstraffic: the TCP CUBIC flow’s share beside ours', unit: '% of goodput', better: 'higher', ours: 100 - share(cx.ours), anchorName: 'half the link', anchor: 50 },
      0.8,
    ),
    row({
      ...N,
      id: 'network.crosstraffic.kernel.ours-share',
      name: "crosstraffic beside the kernel's TCP CUBIC (namespace loopback: tbf 10 Mbit/s, 25-packet pfifo, no added delay): our share",
      unit: '% of goodput',
      better: 'higher',
      ours: kc.ours ? share(kc.ours) : null,
      anchorName: 'half the link',
      anchor: 50,
      note: note(
        kc.skipped
          ? `not measured: ${kc.skipped}`
          : [
              kc.ours && `ours ${kc.ours.quic.toFixed(2)} Mbit/s beside TCP ${kc.ours.tcp.toFixed(2)}`,
              kc.ngtcp2 && `ngtcp2 ${kc.ngtcp2.quic.toFixed(2)} beside TCP ${kc.ngtcp2.tcp.toFixed(2)} (share ${share(kc.ngtcp2).toFixed(0)} %)`,
              'the check of the relay model the crosstraffic rows use',
            ]
              .filter(Boolean)
              .join('; '),
      ),
      method: {
        ...method,
        setup:
          "a network namespace of its own, its loopback (MTU 1,500) sending through tbf at 10 Mbit/s over a 25-packet pfifo, TCP CUBIC on its routes; a Node `net` bulk flow (kernel TCP) server → client; ours: the interop endpoint's executable, server and client each a process; ngtcp2: gtlsserver and gtlsclient; ACKs share the one loopback queue",
        clock:
          "this process's performance.now() from the client's spawn to its exit (node's start-up, ~0.3 s, counts against ours); the TCP flow's bytes as its receiver counted them (every 20 ms) over the same interval, after the same head start",
      },
    }),
    row(
      {
        ...N,
        id: 'network.longrtt.handshake',
        name: 'long RTT (750 ms one way): ours → ours handshake',
        unit: 'RTTs',
        better: 'lower',
        ours: lr.handshakeRtts,
        anchorName: 'goal',
        anchor: 3,
        note: `datagrams at the relay until the handshake completed: ${lr.toServer} client → server (${lr.clientInitials} with an Initial), ${lr.toClient} server → client`,
        method: { ...method, clock: "performance.now() from connect() to the handshake completing, in RTTs of 1.5 s; datagrams from the relay's counters" },
      },
      1.0,
    ),
    row({
      ...N,
      id: 'network.longrtt.download',
      name: 'long RTT: the handshake test (1 KiB), start to exit',
      unit: 's',
      better: 'lower',
      ours: n.longRtt.download.ours,
      anchorName: 'ngtcp2 → ngtcp2',
      anchor: n.longRtt.download.ngtcp2,
      note: noNg,
    }),
  ];
}
