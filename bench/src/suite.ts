/**
 * @module suite
 * The whole benchmark in one call: every measurement of issue 10 next to its
 * anchor, run in this order on this machine, as rows with ratios ours/anchor,
 * plus the CPU hot spots of the bulk case. `smoke` shrinks every size so the
 * suite runs in seconds (CI keeps it working; nobody reads its figures).
 */
import { cpus, release, totalmem } from 'node:os';
import { join } from 'node:path';
import { mkdirSync } from 'node:fs';
import { gtlsserverToOurs, makeWww, median, ngtcp2ToNgtcp2, nodeTls, oursToGtlsclient, oursToOurs } from './measure/bulk.js';
import { packetProtectionMBps } from './measure/crypto.js';
import { nodeTlsHandshakes, oursHandshakes } from './measure/handshakes.js';
import { http2Requests, http3Download, http3Requests } from './measure/http3.js';
import { idleConnections } from './measure/memory.js';
import { makeNetworkFiles, measureNetwork, networkRows } from './measure/network.js';
import { row } from './rows.js';
import { pathBuilding } from './measure/path-building.js';
import { unroutableMicros } from './measure/unroutable.js';
import { profileBulk, type ProcessProfile } from './measure/profile.js';
import { webTransportChromiumToOurs, webTransportOursToOurs, type WebTransportFigures } from './measure/webtransport.js';
import { haveNgtcp2, makeCerts, removeDir, scratch } from './proc.js';

export interface SuiteOptions {
  /** Tiny sizes, a few seconds in all. */
  smoke: boolean;
  /** Bytes of the bulk transfers (default 100 MB; smoke 2 MB). */
  bytes?: number;
  /** Seconds of the time-bounded transfer and of each handshake rate (default 3; smoke 0.3). */
  seconds?: number;
  /** Idle connections for the memory figure (default 1000; smoke 20). */
  connections?: number;
  /** Runs of each bulk figure; the median is reported (default 3; smoke 1). */
  runs?: number;
  /** Progress lines (stderr by default). */
  log?: (line: string) => void;
}

export interface Row {
  /** Stable identifier, e.g. `bulk.1stream.ours-ours`. */
  id: string;
  group: 'bulk' | 'handshakes' | 'crypto' | 'memory' | 'network' | 'http3' | 'webtransport' | 'security' | 'attack';
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
  /** Why a figure is missing, or how it was measured. */
  note?: string;
}

export interface SuiteResult {
  schema: 'tsquic-bench/1';
  date: string;
  mode: 'full' | 'smoke';
  machine: { cpus: number; cpuModel: string; memoryGiB: number; os: string; node: string };
  config: { bytes: number; seconds: number; connections: number; runs: number; ngtcp2: boolean };
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
async function attempt(f: () => Promise<number>, notes: string[], what: string): Promise<number | null> {
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
    const www = join(dir, 'www');
    const dl = join(dir, 'dl');
    mkdirSync(www);
    mkdirSync(dl);
    makeWww(www, bytes, 16);
    const notes: string[] = [];
    const ng = (f: () => Promise<number>, what: string): Promise<number | null> => (ngtcp2 ? attempt(f, notes, what) : Promise.resolve(null));
    const noNg = ngtcp2 ? undefined : 'ngtcp2 not installed (apt-get install ngtcp2-client ngtcp2-server)';

    log(`bulk ${mb}, 1 stream (median of ${runs})`);
    const o1 = await medianOf(runs, () => oursToOurs(certs, { bytes, streams: 1, seconds: 0 }));
    const n1 = await ng(() => ngtcp2ToNgtcp2(www, dl, certs, { bytes, streams: 1, seconds: 0, runs }), 'ngtcp2 → ngtcp2');
    const tls1 = await medianOf(runs, () => nodeTls(certs, { bytes, seconds: 0 }));
    log('bulk, ours ↔ ngtcp2');
    const os1 = await ng(() => oursToGtlsclient(www, dl, certs, bytes, runs), 'ours → gtlsclient');
    const oc1 = await ng(() => gtlsserverToOurs(www, dl, certs, bytes, runs), 'gtlsserver → ours');
    log(`bulk, ${seconds} s time-bounded`);
    const ot = await oursToOurs(certs, { bytes, streams: 1, seconds });
    const nt = await ng(() => ngtcp2ToNgtcp2(www, dl, certs, { bytes, streams: 1, seconds, runs: 1 }), 'ngtcp2 → ngtcp2 timed');
    const tlst = await nodeTls(certs, { bytes, seconds });
    log(`bulk ${mb}, 16 streams`);
    const o16 = await medianOf(runs, () => oursToOurs(certs, { bytes, streams: 16, seconds: 0 }));
    const n16 = await ng(() => ngtcp2ToNgtcp2(www, dl, certs, { bytes, streams: 16, seconds: 0, runs }), 'ngtcp2 → ngtcp2, 16 streams');
    const ngNote = noNg ?? (notes.length ? notes.join('; ') : undefined);
    const B = { group: 'bulk' as const, unit: 'Mbit/s', better: 'higher' as const };
    rows.push(
      row({ ...B, id: 'bulk.1stream.ours-ours', name: `${mb}, 1 stream: ours → ours`, ours: o1, anchorName: 'ngtcp2 → ngtcp2', anchor: n1, note: ngNote }, 1.0),
      row({ ...B, id: 'bulk.1stream.ours-gtlsclient', name: `${mb}, 1 stream: ours → gtlsclient (h3)`, ours: os1, anchorName: 'ngtcp2 → ngtcp2', anchor: n1, note: noNg }),
      row({ ...B, id: 'bulk.1stream.gtlsserver-ours', name: `${mb}, 1 stream: gtlsserver → ours (h3)`, ours: oc1, anchorName: 'ngtcp2 → ngtcp2', anchor: n1, note: noNg }),
      row({ ...B, id: 'bulk.1stream.ours-ours.vs-tls', name: `${mb}, 1 stream: ours → ours`, ours: o1, anchorName: 'Node TLS 1.3 / TCP', anchor: tls1 }),
      row({ ...B, id: 'bulk.timed.ours-ours', name: `${seconds} s, 1 stream: ours → ours`, ours: ot, anchorName: 'ngtcp2 → ngtcp2', anchor: nt, note: noNg }),
      row({ ...B, id: 'bulk.timed.ours-ours.vs-tls', name: `${seconds} s, 1 stream: ours → ours`, ours: ot, anchorName: 'Node TLS 1.3 / TCP', anchor: tlst }),
      row({ ...B, id: 'bulk.16streams.ours-ours', name: `${mb}, 16 streams: ours → ours`, ours: o16, anchorName: 'ngtcp2 → ngtcp2', anchor: n16, note: noNg }),
    );

    log(`handshakes, ${seconds} s each`);
    const hs = await oursHandshakes(certs, seconds);
    const tlsHs = await nodeTlsHandshakes(certs, seconds);
    const H = { group: 'handshakes' as const, unit: 'per second', better: 'higher' as const, anchorName: 'Node TLS 1.3 / TCP' };
    rows.push(
      row({ ...H, id: 'handshakes.full', name: 'full handshakes, sequential', ours: hs.full, anchor: tlsHs.full }, 1.0),
      row({ ...H, id: 'handshakes.resumed', name: 'resumed handshakes, sequential', ours: hs.resumed, anchor: tlsHs.resumed }),
    );

    log('packet protection');
    const cs = Math.min(2, seconds);
    const C = { group: 'crypto' as const, unit: 'MB/s', better: 'higher' as const, anchorName: 'raw node:crypto' };
    const p1200 = packetProtectionMBps(1200, cs);
    const p16k = packetProtectionMBps(16384, cs);
    rows.push(
      row({ ...C, id: 'crypto.aes128gcm.1200', name: 'AES-128-GCM seal+open, 1,200 B', ours: p1200.provider, anchor: p1200.raw }, 0.7),
      row({ ...C, id: 'crypto.aes128gcm.16384', name: 'AES-128-GCM seal+open, 16 KB', ours: p16k.provider, anchor: p16k.raw }),
    );

    log(`memory, ${connections} idle connections`);
    const mem = await idleConnections(certs, connections);
    const M = { group: 'memory' as const, unit: 'KB / conn', better: 'lower' as const };
    const kb = (n: number): number => n / 1024;
    rows.push(
      row({ ...M, id: 'memory.server.heap', name: `heap per idle connection (server, ${connections})`, ours: kb(mem.serverHeapPerConn), anchorName: 'goal', anchor: 32 }, 1.0),
      row({ ...M, id: 'memory.server.rss', name: `RSS per idle connection (server, ${connections})`, ours: kb(mem.serverRssPerConn), anchorName: '-', anchor: null }),
      row({ ...M, id: 'memory.client.heap', name: `heap per idle connection (client, ${connections})`, ours: kb(mem.clientHeapPerConn), anchorName: 'goal', anchor: 32 }),
    );

    log(`HTTP/3: small GETs at 1, 16, 128 concurrent, ${seconds} s each; ${mb} through fetch`);
    const R = { group: 'http3' as const, anchorName: 'Node http2 / TLS' };
    for (const c of [1, 16, 128]) {
      const h3 = await http3Requests(certs, c, seconds);
      const h2 = await http2Requests(certs, c, seconds);
      rows.push(
        row({ ...R, id: `http3.rps.c${c}`, name: `requests/s, ${c} concurrent, one connection`, unit: 'per second', better: 'higher', ours: h3.rps, anchor: h2.rps }, c === 128 ? 1.0 : undefined),
        row({ ...R, id: `http3.p50.c${c}`, name: `p50 latency, ${c} concurrent`, unit: 'ms', better: 'lower', ours: h3.p50, anchor: h2.p50 }),
        row({ ...R, id: `http3.p99.c${c}`, name: `p99 latency, ${c} concurrent`, unit: 'ms', better: 'lower', ours: h3.p99, anchor: h2.p99 }),
      );
    }
    const viaFetch = await medianOf(runs, () => http3Download(certs, bytes));
    rows.push(row({ group: 'http3', id: 'http3.download', name: `${mb} through fetch`, unit: 'Mbit/s', better: 'higher', ours: viaFetch, anchorName: 'raw QUIC stream (this run)', anchor: o1 }, 0.9));

    const wtBytes = Math.min(bytes, o.smoke ? 2_000_000 : 20_000_000);
    log(`WebTransport, datagram round trips for ${seconds} s and ${Math.round(wtBytes / 1e6)} MB each way through an echo stream`);
    const wtNotes: string[] = [];
    const ours = await webTransportOursToOurs(seconds, wtBytes).catch((e: unknown) => (wtNotes.push(`our client: ${(e as Error).message}`), null));
    const chrome = await webTransportChromiumToOurs(seconds, wtBytes).catch((e: unknown) => (wtNotes.push(`Chromium: ${(e as Error).message.split('\n')[0]}`), null));
    const W = { group: 'webtransport' as const, better: 'higher' as const, anchorName: 'Chromium 156 → our server', ...(wtNotes.length ? { note: wtNotes.join('; ') } : {}) };
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
    rows.push(row({ group: 'security', id: 'security.path-building.worst', name: `worst hostile chain, 10 certificates: ${pb.worst}`, unit: 'ms / handshake', better: 'lower', ours: pb.worstMs, anchorName: 'goal', anchor: 50, note: `server's receive() of the client's last flight, median; ${variants}` }, 1.0));
    const many = o.smoke ? 100 : 10_000;
    log(`CPU per unroutable datagram, 10 and ${many} connections`);
    const [few, lots] = unroutableMicros(certs, [10, many], o.smoke ? 9000 : 90_000) as [number, number];
    rows.push(row({ id: 'attack.unroutable', group: 'attack', name: `CPU per unroutable datagram, ${many} connections`, unit: 'µs / datagram', better: 'lower', ours: lots, anchorName: '10 connections', anchor: few, note: 'independent of the number of connections: the ratio stays near 1' }, 2.0));

    log('CPU profile of the bulk case');
    profile = await profileBulk(certs, bytes);
  } finally {
    removeDir(dir);
  }
  return {
    schema: 'tsquic-bench/1',
    date: new Date().toISOString(),
    mode: o.smoke ? 'smoke' : 'full',
    machine: { cpus: cpus().length, cpuModel: cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(totalmem() / 2 ** 30), os: `${process.platform} ${release()}`, node: process.version },
    config: { bytes, seconds, connections, runs, ngtcp2 },
    rows,
    profile,
    durationSeconds: (performance.now() - t0) / 1000,
  };
}
