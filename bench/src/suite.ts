/**
 * @module suite
 * The whole benchmark in one call: every measurement of issue 10 next to its
 * anchor, run in this order on this machine, as rows with ratios ours/anchor,
 * plus the CPU hot spots of the bulk case. `smoke` shrinks every size so the
 * suite runs in seconds (CI keeps it working; nobody reads its figures).
 */
import { cpus, loadavg, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { bulkRows, gtlsserverToOurs, makeWww, ngtcp2ToNgtcp2, nodeTls, oursToGtlsclient, oursToOurs, type Datagrams } from './measure/bulk.js';
import { packetProtectionMBps } from './measure/crypto.js';
import { handshakeRows, oneProcessPairs, perSide } from './measure/handshakes.js';
import { abba, median } from './measure/pairing.js';
import { cachedNode, http2Requests, http3Download, http3Requests, rawStreamDownload, requestRatePairs, type Download } from './measure/http3.js';
import { describeWarmup } from './peers/requests.js';
import { idleConnections } from './measure/memory.js';
import { makeNetworkFiles, measureNetwork, networkRows } from './measure/network.js';
import { row } from './rows.js';
import { pathBuilding } from './measure/path-building.js';
import { unroutableMicros } from './measure/unroutable.js';
import { datagramMicros, idleMillisPerConnection } from './measure/endpoint.js';
import { profileBulk, type ProcessProfile } from './measure/profile.js';
import { webTransportChromiumToOurs, webTransportOursToOurs, type WebTransportFigures } from './measure/webtransport.js';
import { haveNgtcp2, makeCerts, removeDir, scratch, type Certs } from './proc.js';

export interface SuiteOptions {
  /** Tiny sizes, a few seconds in all. */
  smoke: boolean;
  /** Bytes of the bulk transfers (default 100 MB; smoke 2 MB; a multiple of 16). */
  bytes?: number;
  /** Seconds of each handshake rate and request rate (default 3; smoke 0.3). */
  seconds?: number;
  /** Idle connections for the memory figure (default 1000; smoke 20). */
  connections?: number;
  /** Runs of each bulk figure; the median is reported (default 3; smoke 1). */
  runs?: number;
  /** Progress lines (stderr by default). */
  log?: (line: string) => void;
  /** Run one group of rows alone: 'handshakes' (`--only handshakes`). */
  only?: 'handshakes' | (string & {});
}

export interface Row {
  /** Stable identifier, e.g. `bulk.1stream.ours-ours`. */
  id: string;
  group: 'bulk' | 'handshakes' | 'crypto' | 'memory' | 'network' | 'http3' | 'webtransport' | 'security' | 'attack' | 'endpoint';
  name: string;
  unit: string;
  /** Higher is better (throughput, rates) or lower is better (memory). */
  better: 'higher' | 'lower';
  ours: number | null;
  anchorName: string;
  anchor: number | null;
  /** ours / anchor, when both were measured. */
  ratio: number | null;
  /** The issue's goal for this ratio, when it sets one. */
  goal?: { ratio: number; met: boolean | null };
  /** Why a figure is missing, or what else was seen. */
  note?: string;
  /** How the figures were taken, the same for both unless it says otherwise. */
  method: Method;
  /** Raw measurements behind the figures (seconds, rates…), named, for comparing runs. */
  samples?: Record<string, number[] | number>;
}

/** How a row's figures were taken: enough to take them again the same way and compare. */
export interface Method {
  /** What ran, where: programs, processes, protocol. */
  setup: string;
  /** The clock: whose, between which events, what is subtracted, how many runs, which statistic. */
  clock: string;
  /** Datagram sizes on each side (transfers). */
  datagrams?: string;
  /** Where the payload comes from and where it goes (transfers). */
  data?: string;
}

export interface SuiteResult {
  /** 2: every row carries its `method` (and transfers their `samples`); the bulk rows of /1 were not like for like. */
  schema: 'tsquic-bench/2';
  date: string;
  mode: 'full' | 'smoke';
  machine: { cpus: number; cpuModel: string; memoryGiB: number; os: string; node: string };
  config: { bytes: number; bulkBytes: number; seconds: number; connections: number; runs: number; ngtcp2: boolean };
  rows: Row[];
  profile: ProcessProfile[];
  durationSeconds: number;
}

async function medianOf(runs: number, f: () => Promise<number>): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) xs.push(await f());
  return median(xs);
}

/** A figure, or null with the reason when it could not be measured. */
async function attempt<T>(f: () => Promise<T>, notes: string[], what: string): Promise<T | null> {
  try {
    return await f();
  } catch (e) {
    notes.push(`${what}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
    return null;
  }
}

export async function runSuite(o: SuiteOptions): Promise<SuiteResult> {
  const t0 = performance.now();
  const log = o.log ?? ((l: string) => process.stderr.write(`${l}\n`));
  const bytes = o.bytes ?? (o.smoke ? 2_000_000 : 100_000_000);
  // The bulk rows subtract a one-byte fetch from each transfer: in smoke mode they need enough bytes to stand out of the start-up noise.
  // 32 MB: at loopback defaults 8 MB took less than a client's start-up noise on a loaded CI machine (one sample each in smoke mode).
  const bulkBytes = o.bytes ?? (o.smoke ? 32_000_000 : 100_000_000);
  const seconds = o.seconds ?? (o.smoke ? 0.3 : 3);
  const connections = o.connections ?? (o.smoke ? 20 : 1000);
  const runs = o.runs ?? (o.smoke ? 1 : 3);
  const ngtcp2 = haveNgtcp2();
  const mb = `${Math.round(bytes / 1e6)} MB`;
  const dir = scratch('tsquic-bench');
  const rows: Row[] = [];
  let profile: ProcessProfile[] = [];
  try {
    const certs = makeCerts(join(dir, 'certs'));
    if (o.only) {
      // One group alone (a lever measured without the rest of the suite): only the handshake rows so far.
      if (o.only !== 'handshakes') throw new TypeError(`--only: unknown group ${o.only} (handshakes)`);
      rows.push(...(await handshakeGroup(certs, seconds, runs, log)));
      return result(o, t0, rows, [], { bytes, bulkBytes, seconds, connections, runs, ngtcp2 });
    }
    const www = join(dir, 'www');
    const dl = join(dir, 'dl');
    mkdirSync(www);
    mkdirSync(dl);
    makeWww(www, bulkBytes, 16);
    const notes: string[] = [];
    // A peer process that fails to start (a port taken between choosing and binding it, a loaded machine) gets one more try.
    const ng = <T>(f: () => Promise<T>, what: string): Promise<T | null> => (ngtcp2 ? attempt(() => f().catch(() => f()), notes, what) : Promise.resolve(null));
    const noNg = ngtcp2 ? undefined : 'ngtcp2 not installed (apt-get install ngtcp2-client ngtcp2-server)';
    const I: Datagrams = { maxUdpPayloadSize: 1452 };
    const bulk = { bytes: bulkBytes, runs };
    const bmb = `${Math.round(bulkBytes / 1e6)} MB`;
    const our = <T>(f: () => Promise<T>, what: string): Promise<T | null> => attempt(f, notes, what);

    log(`bulk ${bmb}, 1 stream, 1,452-byte datagrams (median of ${runs})`);
    const o1 = await our(() => oursToOurs(certs, { ...bulk, datagrams: I, streams: 1 }), 'ours → ours');
    const n1 = await ng(() => ngtcp2ToNgtcp2(www, certs, { ...bulk, datagrams: I, streams: 1 }), 'ngtcp2 → ngtcp2');
    log('bulk, ours ↔ ngtcp2 (HTTP/3), 1,452-byte datagrams');
    const os1 = await ng(() => oursToGtlsclient(certs, { ...bulk, datagrams: I }), 'ours → gtlsclient');
    const oc1 = await ng(() => gtlsserverToOurs(www, certs, { ...bulk, datagrams: I }), 'gtlsserver → ours');
    log(`bulk ${bmb}, 16 streams, 1,452-byte datagrams`);
    const o16 = await our(() => oursToOurs(certs, { ...bulk, datagrams: I, streams: 16 }), 'ours → ours, 16 streams');
    const n16 = await ng(() => ngtcp2ToNgtcp2(www, certs, { ...bulk, datagrams: I, streams: 16 }), 'ngtcp2 → ngtcp2, 16 streams');
    log(`bulk ${bmb}, 1 stream, each stack's loopback defaults`);
    const oL = await our(() => oursToOurs(certs, { ...bulk, datagrams: 'defaults', streams: 1 }), 'ours → ours, loopback defaults');
    const nL = await ng(() => ngtcp2ToNgtcp2(www, certs, { ...bulk, datagrams: 'defaults', streams: 1 }), 'ngtcp2 → ngtcp2, loopback defaults');
    const tL = await our(() => nodeTls(certs, bulk), 'Node TLS');
    rows.push(...bulkRows({ mb: bmb, runs, noNg, notes, o1, n1, os1, oc1, o16, n16, oL, nL, tL }));

    rows.push(...(await handshakeGroup(certs, seconds, runs, log)));

    log('packet protection');
    const cs = Math.min(2, seconds);
    const C = {
      group: 'crypto' as const,
      unit: 'MB/s',
      better: 'higher' as const,
      anchorName: 'raw node:crypto',
      method: {
        setup: "this process: @tsquic/quic-crypto-keys' node provider (sealInPlace / open per packet) against a createCipheriv/createDecipheriv per packet with a raw key",
        clock: `performance.now() over alternating slices of each for ${cs} s in all; MB/s of payload sealed and opened`,
      },
    };
    const p1200 = packetProtectionMBps(1200, cs);
    const p16k = packetProtectionMBps(16384, cs);
    rows.push(
      row({ ...C, id: 'crypto.aes128gcm.1200', name: 'AES-128-GCM seal+open, 1,200 B', ours: p1200.provider, anchor: p1200.raw }, 0.7),
      row({ ...C, id: 'crypto.aes128gcm.16384', name: 'AES-128-GCM seal+open, 16 KB', ours: p16k.provider, anchor: p16k.raw }),
    );

    log(`memory, ${connections} idle connections`);
    const mem = await idleConnections(certs, connections);
    const M = {
      group: 'memory' as const,
      unit: 'KB / conn',
      better: 'lower' as const,
      method: {
        setup: `peers/ours: a server process and a client process (--expose-gc) holding ${connections} idle connections (handshakes completed, then 300 ms to settle)`,
        clock: 'none: heap and RSS after two full GCs, before and after, divided by the connections; a warm-up round first',
      },
    };
    const kb = (n: number): number => n / 1024;
    rows.push(
      row({ ...M, id: 'memory.server.heap', name: `heap per idle connection (server, ${connections})`, ours: kb(mem.serverHeapPerConn), anchorName: 'goal', anchor: 32 }, 1.0),
      row({ ...M, id: 'memory.server.rss', name: `RSS per idle connection (server, ${connections})`, ours: kb(mem.serverRssPerConn), anchorName: '-', anchor: null }),
      row({ ...M, id: 'memory.client.heap', name: `heap per idle connection (client, ${connections})`, ours: kb(mem.clientHeapPerConn), anchorName: 'goal', anchor: 32 }),
    );

    log(`HTTP/3: small GETs at 1, 16, 128 concurrent, ${seconds} s each; ${mb} through fetch`);
    const R = {
      group: 'http3' as const,
      anchorName: 'Node http2 / TLS',
      method: {
        setup:
          "peers/h3 (@tsquic/http3 serve() and fetch()) and peers/h2 (Node's http2 over TLS 1.3, one session), server and client each in its own process; GET /small, 100-byte responses; neither handler parses the URL (ours checks that it ends in /small, http2's answers every request)",
        clock: `the client's own: requests completed and their latencies over ${seconds} s after ${describeWarmup(seconds)}, the same rule for both, at a fixed concurrency on one connection`,
      },
    };
    // The goal row in ABBA pairs of fresh processes (medians): one sample each swung ±30 % with this machine's speed.
    const goalPairs = o.smoke ? 1 : runs;
    for (const c of [1, 16, 128]) {
      const paired = c === 128 ? await requestRatePairs(certs, c, seconds, goalPairs) : undefined;
      const h3 = paired?.h3 ?? (await http3Requests(certs, c, seconds));
      const h2 = paired?.h2 ?? (await http2Requests(certs, c, seconds));
      rows.push(
        row(
          {
            ...R,
            id: `http3.rps.c${c}`,
            name: `requests/s, ${c} concurrent, one connection`,
            unit: 'per second',
            better: 'higher',
            ours: h3.rps,
            anchor: h2.rps,
            samples: {
              oursWarmupRequests: h3.warmupRequests,
              anchorWarmupRequests: h2.warmupRequests,
              oursWarmupSeconds: h3.warmupSeconds,
              anchorWarmupSeconds: h2.warmupSeconds,
              ...(paired ? { oursRps: paired.h3Rps, anchorRps: paired.h2Rps } : {}),
            },
            ...(paired ? { method: { ...R.method, clock: `${R.method.clock}; ${goalPairs} ${goalPairs === 1 ? 'pair' : 'pairs'} of fresh processes in ABBA order (ours, http2, http2, ours, …), each side's median` } } : {}),
          },
          c === 128 ? 1.0 : undefined,
        ),
        row({ ...R, id: `http3.p50.c${c}`, name: `p50 latency, ${c} concurrent`, unit: 'ms', better: 'lower', ours: h3.p50, anchor: h2.p50 }),
        row({ ...R, id: `http3.p99.c${c}`, name: `p99 latency, ${c} concurrent`, unit: 'ms', better: 'lower', ours: h3.p99, anchor: h2.p99 }),
        ...(['server', 'client'] as const).map((side) =>
          row({
            ...R,
            method: {
              ...R.method,
              clock: `process.cpuUsage() of the ${side}'s process (user + system, all threads) per request: ${side === 'client' ? "over the client's measured window" : "over the client's measured window (sampled at its start and end), divided by the requests the server answered in it"}`,
            },
            id: `http3.cpu.c${c}.${side}`,
            name: `CPU per request, ${side}, ${c} concurrent`,
            unit: 'µs',
            better: 'lower',
            ours: side === 'server' ? h3.serverCpu : h3.clientCpu,
            anchor: side === 'server' ? h2.serverCpu : h2.clientCpu,
          }),
        ),
      );
    }
    // The goal row again under the Node versions users run today (Node 20 left maintenance in April 2026):
    // both stacks under the same binary, from tools/packaging's runtimes cache (`pnpm test:runtimes` fills it).
    for (const id of ['node22', 'node24'] as const) {
      const node = cachedNode(id);
      const label = id === 'node22' ? 'Node 22' : 'Node 24';
      const rtNotes: string[] = node ? [] : [`no ${label} binary in the runtimes cache (run pnpm test:runtimes first)`];
      const p = node ? await attempt(() => requestRatePairs(certs, 128, seconds, goalPairs, node), rtNotes, `${label} request rate`) : null;
      rows.push(
        row({
          ...R,
          id: `http3.rps.c128.${id}`,
          name: `requests/s, 128 concurrent, one connection, ${label}`,
          unit: 'per second',
          better: 'higher',
          ours: p?.h3.rps ?? null,
          anchor: p?.h2.rps ?? null,
          ...(rtNotes.length ? { note: rtNotes.join('; ') } : {}),
          ...(p ? { samples: { oursRps: p.h3Rps, anchorRps: p.h2Rps, oursServerCpu: p.h3.serverCpu, anchorServerCpu: p.h2.serverCpu, oursClientCpu: p.h3.clientCpu, anchorClientCpu: p.h2.clientCpu } } : {}),
          method: {
            ...R.method,
            setup: `${R.method.setup}; both under ${label} (${node ?? 'not found'}) instead of this process's Node`,
            clock: `${R.method.clock}; ${goalPairs} ${goalPairs === 1 ? 'pair' : 'pairs'} of fresh processes in ABBA order, each side's median`,
          },
        }),
      );
    }
    // The raw stream measured alternately with the fetch, so that both see the same machine: the loopback
    // bulk row was taken minutes earlier, and this machine's speed drifts more than the gap measured here.
    // Pairs in ABBA order (fetch first in even pairs, raw first in odd ones), so that a drift through the
    // row weighs on both alike; each sample a fresh server and client, the client's handshake outside its clock.
    const dlPairs = o.smoke ? runs : 2 * runs + 1;
    const viaFetch: Download[] = [];
    const raw: Download[] = [];
    const dlNotes: string[] = [];
    const load = [loadavg()[0]!];
    const fetchOnce = async (): Promise<void> => void viaFetch.push(await http3Download(certs, bytes));
    const rawOnce = async (): Promise<void> => {
      const r = await attempt(() => rawStreamDownload(certs, bytes), dlNotes, 'raw QUIC stream');
      if (r) raw.push(r);
    };
    await abba(dlPairs, fetchOnce, rawOnce);
    load.push(loadavg()[0]!);
    const D = {
      group: 'http3' as const,
      anchorName: 'raw QUIC stream (measured alternately)',
      ...(dlNotes.length ? { note: dlNotes.join('; ') } : {}),
      samples: {
        fetchMbps: viaFetch.map((d) => d.mbps),
        rawMbps: raw.map((d) => d.mbps),
        fetchClientCpuMs: viaFetch.map((d) => d.clientCpuMs),
        rawClientCpuMs: raw.map((d) => d.clientCpuMs),
        fetchServerCpuMs: viaFetch.map((d) => d.serverCpuMs),
        rawServerCpuMs: raw.map((d) => d.serverCpuMs),
        loadAverage1m: load,
      },
      method: {
        setup: `peers/h3: @tsquic/http3's serve() and fetch(), each in its own process; anchor: peers/ours (the loopback bulk rows' peers), a raw bidirectional stream of the same size; every sample a fresh server and a fresh client process, the client's warm-up its handshake alone (fetch: the pooled connection opened with connection(), no request)`,
        clock: `each client's own, in its process: request to the last byte of the body; ${dlPairs} ${dlPairs === 1 ? 'pair' : 'pairs'} of samples in ABBA order (fetch, raw, raw, fetch, …), medians of each side`,
        datagrams: 'loopback defaults (DPLPMTUD up to 64 KB) on both',
        data: 'server sends from memory; client reads the body and discards it',
      },
    };
    const cpuPerMb = (ds: Download[], side: 'clientCpuMs' | 'serverCpuMs'): number | null => (ds.length ? median(ds.map((d) => d[side])) / (bytes / 1e6) : null);
    rows.push(
      row({ ...D, id: 'http3.download', name: `${mb} through fetch`, unit: 'Mbit/s', better: 'higher', ours: median(viaFetch.map((d) => d.mbps)), anchor: raw.length ? median(raw.map((d) => d.mbps)) : null }, 0.9),
      ...(['server', 'client'] as const).map((side) =>
        row({
          ...D,
          method: {
            ...D.method,
            clock: `process.cpuUsage() of the ${side}'s process (user + system, all threads) ${side === 'client' ? 'from the request to the last byte' : "from before its client started to the client's result (the handshake in)"}, per MB; the same samples, medians`,
          },
          id: `http3.download.cpu.${side}`,
          name: `${side} CPU per MB, ${mb} through fetch`,
          unit: 'ms/MB',
          better: 'lower',
          ours: cpuPerMb(viaFetch, `${side}CpuMs`),
          anchor: cpuPerMb(raw, `${side}CpuMs`),
        }),
      ),
    );

    const wtBytes = Math.min(bytes, o.smoke ? 2_000_000 : 20_000_000);
    log(`WebTransport, datagram round trips for ${seconds} s and ${Math.round(wtBytes / 1e6)} MB each way through an echo stream`);
    const wtNotes: string[] = [];
    const ours = await webTransportOursToOurs(seconds, wtBytes).catch((e: unknown) => (wtNotes.push(`our client: ${(e as Error).message}`), null));
    const chrome = await webTransportChromiumToOurs(seconds, wtBytes).catch((e: unknown) => (wtNotes.push(`Chromium: ${(e as Error).message.split('\n')[0]}`), null));
    const W = {
      group: 'webtransport' as const,
      better: 'higher' as const,
      anchorName: 'Chromium 156 → our server',
      ...(wtNotes.length ? { note: wtNotes.join('; ') } : {}),
      method: {
        setup: 'our WebTransport server in this process; clients: our Node client (this process) or headless Chromium 156, the same loop',
        clock: `the client's own: datagram round trips (one 64-byte datagram echoed at a time for ${seconds} s, a lost one given up after 200 ms); ${Math.round(wtBytes / 1e6)} MB each way through one bidirectional echo stream, full duplex`,
      },
    };
    const pick = (f: WebTransportFigures | null, k: keyof WebTransportFigures): number | null => (f ? f[k] : null);
    rows.push(
      row({ ...W, id: 'webtransport.datagrams.ours-ours', name: 'WebTransport datagram round trips: our client → our server', unit: 'per second', ours: pick(ours, 'datagramRoundTrips'), anchor: pick(chrome, 'datagramRoundTrips') }),
      row({ ...W, id: 'webtransport.echo.ours-ours', name: `WebTransport stream echo, ${Math.round(wtBytes / 1e6)} MB each way: our client → our server`, unit: 'Mbit/s', ours: pick(ours, 'echoMbps'), anchor: pick(chrome, 'echoMbps') }),
    );

    const netBytes = o.smoke ? 300_000 : 10_000_000;
    makeNetworkFiles(www, netBytes);
    const net = await measureNetwork({ www, dl, certs, bytes: netBytes, runs: o.smoke ? 1 : 5, tcpHeadStartS: o.smoke ? 0.5 : 3, ngtcp2 }, log);
    rows.push(...networkRows(net, netBytes, noNg));
    log('certificate path building, hostile chains');
    const pb = pathBuilding(join(dir, 'hostile-pki'), certs, { smoke: o.smoke, runs: o.smoke ? 2 : 15 });
    const variants = pb.variants.map((v) => `${v.name} ${v.ms.toFixed(1)} ms (${v.alert ? `alert ${v.alert}` : 'accepted'})`).join('; ');
    rows.push(
      row(
        {
          group: 'security',
          id: 'security.path-building.worst',
          name: `worst hostile chain, 10 certificates: ${pb.worst}`,
          unit: 'ms / handshake',
          better: 'lower',
          ours: pb.worstMs,
          anchorName: 'goal',
          anchor: 50,
          note: variants,
          method: {
            setup: "this process, node:crypto provider: the server's receive() of a client's Certificate, CertificateVerify and Finished built from the hostile PKIs",
            clock: `performance.now() around receive(), median of ${o.smoke ? 2 : 15}; the row is the worst variant`,
          },
        },
        1.0,
      ),
    );
    const many = o.smoke ? 100 : 10_000;
    log(`CPU per unroutable datagram, 10 and ${many} connections`);
    const [few, lots] = unroutableMicros(certs, [10, many], o.smoke ? 9000 : 90_000) as [number, number];
    rows.push(
      row(
        {
          id: 'attack.unroutable',
          group: 'attack',
          name: `CPU per unroutable datagram, ${many} connections`,
          unit: 'µs / datagram',
          better: 'lower',
          ours: lots,
          anchorName: '10 connections',
          anchor: few,
          note: 'independent of the number of connections: the ratio stays near 1',
          method: {
            setup: 'a sans-IO server endpoint in this process holding the connections; 40-byte short-header datagrams of random bytes',
            clock: 'performance.now() over alternating slices of the two endpoints, µs per datagram, median',
          },
        },
        2.0,
      ),
    );
    log(`one datagram and idle CPU, 10 and ${many} connections`);
    const [dFew, dLots] = datagramMicros(certs, [10, many], o.smoke ? 900 : 9000) as [number, number];
    const [iFew, iLots] = idleMillisPerConnection(certs, [10, many]) as [number, number];
    rows.push(
      row(
        {
          id: 'endpoint.datagram',
          group: 'endpoint',
          name: `cost of one datagram, ${many} idle connections held`,
          unit: 'µs / datagram',
          better: 'lower',
          ours: dLots,
          anchorName: '10 connections',
          anchor: dFew,
          note: 'independent of the connections held',
          method: {
            setup: 'a sans-IO server endpoint in this process holding idle connections; one datagram = handleDatagram + its ACK out + its events read + pollTimeout + handleTimeout',
            clock: 'performance.now() over alternating slices of the two endpoints, µs per datagram, median',
          },
        },
        1.5,
      ),
      row(
        {
          id: 'endpoint.idle',
          group: 'endpoint',
          name: `idle CPU per connection, ${many} connections (keep-alive 15 s)`,
          unit: 'ms / connection / min',
          better: 'lower',
          ours: iLots,
          anchorName: '10 connections',
          anchor: iFew,
          note: 'per-connection cost independent of the number held',
          method: { setup: 'a sans-IO server and client endpoint pair in this process, keep-alive 15 s', clock: 'CPU time (performance.now()) over one minute of virtual time, every timer run and every PING exchanged, per connection' },
        },
        1.5,
      ),
    );

    log('CPU profile of the bulk case');
    profile = await profileBulk(certs, bytes);
  } finally {
    removeDir(dir);
  }
  return result(o, t0, rows, profile, { bytes, bulkBytes, seconds, connections, runs, ngtcp2 });
}

function result(o: SuiteOptions, t0: number, rows: Row[], profile: ProcessProfile[], config: SuiteResult['config']): SuiteResult {
  return {
    schema: 'tsquic-bench/2',
    date: new Date().toISOString(),
    mode: o.smoke ? 'smoke' : 'full',
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(totalmem() / 2 ** 30), os: `${process.platform} ${release()}`, node: process.version },
    config,
    rows,
    profile,
    durationSeconds: (performance.now() - t0) / 1000,
  };
}

/** Handshakes per second, both ends in one process, then each side's CPU in its own process. */
async function handshakeGroup(certs: Certs, seconds: number, pairs: number, log: (line: string) => void): Promise<Row[]> {
  log(`handshakes, ${seconds} s each: both ends in one process (${pairs} ABBA ${pairs === 1 ? 'pair' : 'pairs'}), then each side in its own`);
  // The goal rows in ABBA pairs (medians): one sample each swung from 0.9x to 1.13x between runs on a quiet machine.
  const one = await oneProcessPairs(certs, seconds, pairs);
  const sides = {
    quic: { full: await perSide('quic', 'full', certs, seconds), resumed: await perSide('quic', 'resumed', certs, seconds) },
    tls: { full: await perSide('tls', 'full', certs, seconds), resumed: await perSide('tls', 'resumed', certs, seconds) },
  };
  return handshakeRows(one, pairs, sides, seconds);
}
