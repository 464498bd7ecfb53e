/**
 * @module measure/bulk
 * Bulk throughput over loopback, in Mbit/s of application payload, measured
 * the same way for every implementation (issue 19):
 *
 * - the server runs in its own process and sends from memory (ours: a
 *   256 KiB buffer; gtlsserver: the file, cached by a full fetch before the
 *   timed runs; Node's TLS: a 256 KiB buffer);
 * - the client runs in its own process and discards the body (ours and
 *   Node's count it; gtlsclient without `--download`);
 * - the clock is this process's: a client is timed from spawn to exit, and
 *   the median time of the same client fetching one byte is subtracted, so
 *   start-up, handshake and teardown cancel and what is left is the request
 *   to the last byte; `withHandshake` subtracts the client's bare start-up
 *   instead (the handshake stays in);
 * - datagram sizes are set alike on both sides: 1,452-byte UDP payloads with
 *   path MTU discovery off (the Internet-sized rows), or each stack's
 *   defaults on loopback (ours probes up to 64 KB; ngtcp2 0.12 sends 1,444).
 *
 * Our clients also report their own in-process figure (request to last
 * byte); it is kept beside the parent's.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { exited, freePort, gtlsclientArgs, gtlsserver, Peer, peerScript, runClient, type Certs, type ClientRun } from '../proc.js';
import type { ClientReport } from '../peers/ipc.js';
import { row } from '../rows.js';
import type { Row } from '../suite.js';
import { median } from './pairing.js';

const mbps = (bytes: number, seconds: number): number => (bytes * 8) / seconds / 1e6;

/** Transport settings for Internet-sized datagrams: 1,452-byte UDP payloads (a 1,500-byte path), no probing. */
export const INTERNET_DATAGRAMS = { maxDatagramSize: 1452, pmtuDiscovery: false } as const;

/** Which datagrams a side sends: a fixed largest UDP payload (PMTUD off) or its loopback defaults. */
export type Datagrams = { maxUdpPayloadSize: number } | 'defaults';

/** Everything about how one bulk figure was taken, stored with it. */
export interface BulkFigure {
  /** Mbit/s from the request to the last byte (spawn-to-exit minus the one-byte fetch). */
  mbps: number;
  /** Mbit/s with the handshake in (spawn-to-exit minus bare start-up), when measured. */
  withHandshakeMbps?: number;
  /** Our clients' own figure (request to last byte, in-process), median, when they report one. */
  ownMbps?: number;
  /** Raw spawn-to-exit seconds: full transfers, one-byte fetches, bare start-ups. */
  samples: { full: number[]; one: number[]; startup?: number[] };
}

/** A client that fetches the full transfer or one byte per stream, and optionally only starts up. */
interface Client {
  fetch(what: 'full' | 'one'): Promise<ClientRun>;
  startup?(): Promise<ClientRun>;
}

/**
 * Time `client` fetching `bytes` and one byte per stream, alternately,
 * `runs` times each, after one warm-up fetch (`warmFull`: of the full size —
 * gtlsserver caches a file the first time it serves it).
 */
async function timeClient(client: Client, bytes: number, runs: number, warmFull: boolean): Promise<BulkFigure> {
  await client.fetch(warmFull ? 'full' : 'one');
  const full: number[] = [];
  const one: number[] = [];
  const startup: number[] = [];
  const own: number[] = [];
  for (let i = 0; i < runs; i++) {
    const r = await client.fetch('full');
    full.push(r.seconds);
    const report = ownReport(r);
    if (report) own.push(mbps(report.bytes, report.seconds));
    one.push((await client.fetch('one')).seconds);
    if (client.startup) startup.push((await client.startup()).seconds);
  }
  const transfer = median(full) - median(one);
  if (!(transfer > 0)) throw new Error(`a ${bytes}-byte fetch took no longer than a 1-byte fetch (${median(full).toFixed(3)} s vs ${median(one).toFixed(3)} s)`);
  // The baseline's own bytes (one per stream) are left in: at most 16 of `bytes`.
  const figure: BulkFigure = { mbps: mbps(bytes, transfer), samples: { full, one } };
  if (startup.length) {
    figure.samples.startup = startup;
    figure.withHandshakeMbps = mbps(bytes, median(full) - median(startup));
  }
  if (own.length) figure.ownMbps = median(own);
  return figure;
}

function ownReport(r: ClientRun): ClientReport | undefined {
  const line = r.stdout.trim().split('\n').pop();
  return line ? (JSON.parse(line) as ClientReport) : undefined;
}

const envWith = (transport: object | undefined): NodeJS.ProcessEnv => (transport ? { ...process.env, BENCH_TRANSPORT: JSON.stringify(transport) } : process.env);
const nodeClient = (script: string, args: (what: 'full' | 'one') => string[], transport?: object): Client => ({
  fetch: (what) => runClient(process.execPath, [peerScript(script), ...args(what)], { env: envWith(transport) }),
});

/** A forked server peer of ours (`ours`, `h3` or `tls`), stopped when `f` is done. */
async function withServer<T>(script: string, args: string[], transport: object | undefined, f: (port: number) => Promise<T>): Promise<T> {
  const server = Peer.start(script, ['server', ...args], envWith(transport));
  try {
    const { port } = await server.next('ready', 10_000);
    return await f(port);
  } finally {
    await server.stop();
  }
}

/** gtlsserver on a free port, killed when `f` is done. */
async function withGtlsserver<T>(www: string, certs: Certs, datagrams: Datagrams, f: (port: number) => Promise<T>): Promise<T> {
  const port = await freePort();
  const srv = await gtlsserver(www, port, certs, datagrams === 'defaults' ? {} : datagrams);
  try {
    return await f(port);
  } finally {
    srv.kill('SIGKILL');
    await exited(srv, 2000);
  }
}

const transportFor = (d: Datagrams): object | undefined => (d === 'defaults' ? undefined : { maxDatagramSize: d.maxUdpPayloadSize, pmtuDiscovery: false });
const gtlsDatagrams = (d: Datagrams): { maxUdpPayloadSize?: number } => (d === 'defaults' ? {} : d);

/** gtlsclient fetching `full` (one path, or `s0`..`s15`) or `one` per stream from `port`, discarding the bodies. */
function gtlsclient(port: number, datagrams: Datagrams, streams: number, full: string): Client {
  const paths = (what: 'full' | 'one'): string[] => Array.from({ length: streams }, (_, i) => (what === 'one' ? 'one' : streams === 1 ? full : `s${i}`));
  return { fetch: (what) => runClient('gtlsclient', gtlsclientArgs(port, paths(what), gtlsDatagrams(datagrams))) };
}

export interface BulkOptions {
  bytes: number;
  runs: number;
  datagrams: Datagrams;
}

/** Ours → ours: peers/ours server and `get` client, the benchmark protocol over the public API (`QuicEndpoint`). */
export function oursToOurs(certs: Certs, o: BulkOptions & { streams: number }): Promise<BulkFigure> {
  const transport = transportFor(o.datagrams);
  return withServer('ours', [certs.certDer, certs.keyDer], transport, (port) => {
    const client: Client = {
      // One byte per stream for the baseline: the same streams opened and closed.
      ...nodeClient('ours', (what) => ['get', String(port), String(what === 'full' ? o.bytes : o.streams), String(o.streams)], transport),
      startup: () => runClient(process.execPath, [peerScript('ours'), 'noop']),
    };
    return timeClient(client, o.bytes, o.runs, false);
  });
}

/** ngtcp2 → ngtcp2: gtlsserver serving the files of `www`, gtlsclient discarding them. */
export function ngtcp2ToNgtcp2(www: string, certs: Certs, o: BulkOptions & { streams: number }): Promise<BulkFigure> {
  return withGtlsserver(www, certs, o.datagrams, (port) => {
    const client: Client = { ...gtlsclient(port, o.datagrams, o.streams, 'big'), startup: () => runClient('gtlsclient', ['--help']) };
    return timeClient(client, o.bytes, o.runs, true);
  });
}

/** Ours (peers/h3: @tsquic/http3's server, sending from memory) → gtlsclient, HTTP/3. */
export function oursToGtlsclient(certs: Certs, o: BulkOptions): Promise<BulkFigure> {
  return withServer('h3', [certs.certDer, certs.keyDer], transportFor(o.datagrams), (port) => timeClient(gtlsclient(port, o.datagrams, 1, `bytes/${o.bytes}`), o.bytes, o.runs, false));
}

/** gtlsserver → ours (peers/h3 `get`: @tsquic/http3's fetch, body read and discarded), HTTP/3. */
export function gtlsserverToOurs(www: string, certs: Certs, o: BulkOptions): Promise<BulkFigure> {
  return withGtlsserver(www, certs, o.datagrams, (port) =>
    timeClient(
      nodeClient('h3', (what) => ['get', `https://127.0.0.1:${port}/${what === 'one' ? 'one' : 'big'}`, String(what === 'one' ? 1 : o.bytes)], transportFor(o.datagrams)),
      o.bytes,
      o.runs,
      true,
    ),
  );
}

/** Node's TLS 1.3 over TCP (peers/tls), the same protocol as ours → ours; TCP's segments are loopback-sized. */
export function nodeTls(certs: Certs, o: { bytes: number; runs: number }): Promise<BulkFigure> {
  return withServer('tls', [certs.certPem, certs.keyPem], undefined, (port) =>
    timeClient(
      nodeClient('tls', (what) => ['get', String(port), String(what === 'full' ? o.bytes : 1)]),
      o.bytes,
      o.runs,
      false,
    ),
  );
}

/** What one in-process ours → ours transfer cost each side: CPU µs per datagram of the transfer, and the client's own Mbit/s. */
export interface CpuPerDatagram {
  /** The server's CPU time (process.cpuUsage, all threads) over the client's run, per 1-RTT datagram the client received. */
  senderUs: number;
  /** The client's CPU time from the request to the last byte, per datagram received. */
  receiverUs: number;
  /** The same in user time only (the kernel's share — loopback delivery, softirqs run on whichever side — left out). */
  senderUserUs: number;
  receiverUserUs: number;
  datagrams: number;
  /** Datagrams the client sent (its ACKs, mostly). */
  clientDatagrams: number;
  mbps: number;
}

/**
 * Ours → ours inside the client's process (IPC, request to last byte): the CPU
 * profile's run (`profileDir`: each process writes its .cpuprofile there),
 * and, unprofiled, the CPU per datagram on each side.
 */
export async function oursToOursInProcess(certs: Certs, o: { bytes: number; transport?: object; profileDir?: string }): Promise<CpuPerDatagram> {
  const env = (name: string): NodeJS.ProcessEnv => (o.profileDir ? { ...envWith(o.transport), BENCH_CPU_PROFILE: join(o.profileDir, `${name}.cpuprofile`) } : envWith(o.transport));
  const server = Peer.start('ours', ['server', certs.certDer, certs.keyDer], env('server'));
  const serverCpu = async (): Promise<{ micros: number; userMicros: number }> => {
    server.send({ cmd: 'cpu' });
    const m = await server.next('cpu', 10_000);
    return { micros: m.micros, userMicros: m.userMicros ?? NaN };
  };
  try {
    const { port } = await server.next('ready', 10_000);
    const cpu0 = await serverCpu();
    const client = Peer.start('ours', ['client', String(port), String(o.bytes), '1', '0'], env('client'));
    try {
      const r = await client.next('result', 120_000);
      const cpu1 = await serverCpu();
      await client.exited;
      const datagrams = r.stats?.packetsReceived ?? NaN;
      return {
        senderUs: (cpu1.micros - cpu0.micros) / datagrams,
        receiverUs: (r.stats?.cpuMicros ?? NaN) / datagrams,
        senderUserUs: (cpu1.userMicros - cpu0.userMicros) / datagrams,
        receiverUserUs: (r.stats?.cpuUserMicros ?? NaN) / datagrams,
        datagrams,
        clientDatagrams: r.stats?.packetsSent ?? NaN,
        mbps: mbps(r.bytes, r.seconds),
      };
    } finally {
      await client.stop();
    }
  } finally {
    await server.stop();
  }
}

/** The files gtlsserver serves: `big` (bytes), `s0`..`s15` (bytes/16 each), `one` (1 byte: the baseline fetch). */
export function makeWww(www: string, bytes: number, streams: number): void {
  if (bytes % streams !== 0) throw new RangeError(`${bytes} bytes do not split into ${streams} equal files`);
  writeFileSync(join(www, 'big'), new Uint8Array(bytes).fill(0x61));
  for (let i = 0; i < streams; i++) writeFileSync(join(www, `s${i}`), new Uint8Array(bytes / streams).fill(0x61));
  writeFileSync(join(www, 'one'), 'a');
}

const SPAWN_CLOCK = (runs: number): string =>
  `this process's performance.now(): each client process from spawn to exit, minus the median of the same client fetching one byte per stream (start-up, handshake and teardown cancel: the request to the last byte); full and one-byte fetches alternate after one warm-up; median of ${runs} each`;
const STARTUP_CLOCK = (runs: number): string =>
  `this process's performance.now(): each client process from spawn to exit, minus the median of its bare start-up (ours: node peers/ours.js noop, loading the same modules; gtlsclient --help): the handshake and teardown stay in; median of ${runs} each`;
const INTERNET = '1,452-byte UDP payloads, PMTU probing off, at both ends (ours: maxDatagramSize 1452, pmtuDiscovery false; ngtcp2: --no-pmtud --max-udp-payload-size=1452)';
const LOOPBACK = "each stack's loopback defaults: ours DPLPMTUD up to 64 KB datagrams; ngtcp2 0.12 PMTUD to 1,444 B (its probes stop at Ethernet sizes); TCP: loopback segments — NOT like for like";
const FROM_MEMORY =
  'servers send from memory (ours: a 256 KiB buffer; gtlsserver: the file, cached by a full fetch before the timed runs; Node TLS: a 256 KiB buffer); clients discard the body (ours count it; gtlsclient runs without --download)';
const OURS_SETUP = 'peers/ours: QuicEndpoint server and client (the public API), each in its own process; the benchmark protocol (ALPN tsquic-bench: an 8-byte request, that many bytes back on a bidirectional stream)';
const NG_SETUP = 'gtlsserver → gtlsclient (ngtcp2 0.12, nghttp3 0.8, GnuTLS), each in its own process: HTTP/3 GET of a file';
const H3_SETUP = 'peers/h3: @tsquic/http3 in its own process (serve() or fetch())';

const raw = (prefix: string, f: BulkFigure | null): Record<string, number[] | number> => {
  if (!f) return {};
  const out: Record<string, number[] | number> = { [`${prefix}FullSeconds`]: f.samples.full, [`${prefix}OneByteSeconds`]: f.samples.one };
  if (f.samples.startup) out[`${prefix}StartupSeconds`] = f.samples.startup;
  if (f.ownMbps !== undefined) out[`${prefix}OwnClockMbps`] = f.ownMbps;
  return out;
};

export interface BulkResults {
  mb: string;
  runs: number;
  noNg: string | undefined;
  notes: string[];
  /** 1,452-byte datagrams: ours → ours, ngtcp2 → ngtcp2, ours → gtlsclient, gtlsserver → ours, 16 streams each. */
  o1: BulkFigure | null;
  n1: BulkFigure | null;
  os1: BulkFigure | null;
  oc1: BulkFigure | null;
  o16: BulkFigure | null;
  n16: BulkFigure | null;
  /** Loopback defaults: ours, ngtcp2, Node's TLS over TCP. */
  oL: BulkFigure | null;
  nL: BulkFigure | null;
  tL: BulkFigure | null;
}

/** The bulk rows, each with its method and raw samples. */
export function bulkRows(r: BulkResults): Row[] {
  const B = { group: 'bulk' as const, unit: 'Mbit/s', better: 'higher' as const };
  // Failed measurements (a client that exited badly, a transfer lost in the start-up noise) are notes on the first row.
  const ngNote = [r.noNg, ...r.notes].filter(Boolean).join('; ') || undefined;
  const clock = SPAWN_CLOCK(r.runs);
  const same = { datagrams: INTERNET, data: FROM_MEMORY, clock };
  const v = (f: BulkFigure | null): number | null => f?.mbps ?? null;
  return [
    row(
      {
        ...B,
        id: 'bulk.1452.ours-ours',
        name: `${r.mb}, 1 stream, 1,452-B datagrams: ours → ours`,
        ours: v(r.o1),
        anchorName: 'ngtcp2 → ngtcp2',
        anchor: v(r.n1),
        note: ngNote,
        method: { setup: `${OURS_SETUP}; anchor: ${NG_SETUP}`, ...same },
        samples: { ...raw('ours', r.o1), ...raw('anchor', r.n1) },
      },
      0.7,
    ),
    row({
      ...B,
      id: 'bulk.1452.ours-ours.with-handshake',
      name: `${r.mb}, 1 stream, 1,452-B datagrams, handshake included: ours → ours`,
      ours: r.o1?.withHandshakeMbps ?? null,
      anchorName: 'ngtcp2 → ngtcp2',
      anchor: r.n1?.withHandshakeMbps ?? null,
      note: r.noNg,
      method: { setup: `${OURS_SETUP}; anchor: ${NG_SETUP}`, datagrams: INTERNET, data: FROM_MEMORY, clock: STARTUP_CLOCK(r.runs) },
    }),
    row(
      {
        ...B,
        id: 'bulk.1452.ours-gtlsclient',
        name: `${r.mb}, 1 stream, 1,452-B datagrams: ours → gtlsclient (h3)`,
        ours: v(r.os1),
        anchorName: 'ngtcp2 → ngtcp2',
        anchor: v(r.n1),
        note: r.noNg,
        method: { setup: `${H3_SETUP} serving /bytes/N → gtlsclient; anchor: ${NG_SETUP}`, ...same },
        samples: raw('ours', r.os1),
      },
      0.7,
    ),
    row(
      {
        ...B,
        id: 'bulk.1452.gtlsserver-ours',
        name: `${r.mb}, 1 stream, 1,452-B datagrams: gtlsserver → ours (h3)`,
        ours: v(r.oc1),
        anchorName: 'ngtcp2 → ngtcp2',
        anchor: v(r.n1),
        note: r.noNg,
        method: { setup: `gtlsserver → ${H3_SETUP} fetching the file; anchor: ${NG_SETUP}`, ...same },
        samples: raw('ours', r.oc1),
      },
      0.6,
    ),
    row({
      ...B,
      id: 'bulk.1452.16streams.ours-ours',
      name: `${r.mb}, 16 streams, 1,452-B datagrams: ours → ours`,
      ours: v(r.o16),
      anchorName: 'ngtcp2 → ngtcp2',
      anchor: v(r.n16),
      note: r.noNg,
      method: { setup: `${OURS_SETUP}, 16 streams at once; anchor: ${NG_SETUP}, gtlsclient -n 16 fetching 16 files`, ...same },
      samples: { ...raw('ours', r.o16), ...raw('anchor', r.n16) },
    }),
    row({
      ...B,
      id: 'bulk.loopback.ours-ours',
      name: `${r.mb}, 1 stream, loopback defaults (ours up to 64 KB datagrams, ngtcp2 1,444 B): ours → ours`,
      ours: v(r.oL),
      anchorName: 'ngtcp2 → ngtcp2',
      anchor: v(r.nL),
      note: r.noNg,
      method: { setup: `${OURS_SETUP}; anchor: ${NG_SETUP}`, datagrams: LOOPBACK, data: FROM_MEMORY, clock },
      samples: { ...raw('ours', r.oL), ...raw('anchor', r.nL) },
    }),
    row({
      ...B,
      id: 'bulk.loopback.ours-ours.vs-tls',
      name: `${r.mb}, 1 stream, loopback defaults: ours → ours`,
      ours: v(r.oL),
      anchorName: 'Node TLS 1.3 / TCP',
      anchor: v(r.tL),
      method: { setup: `${OURS_SETUP}; anchor: peers/tls, Node's TLS 1.3 over TCP, the same protocol, each side in its own process`, datagrams: LOOPBACK, data: FROM_MEMORY, clock },
      samples: raw('anchor', r.tL),
    }),
  ];
}
