/**
 * @module measure/bulk
 * Bulk throughput over loopback, in Mbit/s of application payload: ours →
 * ours (two processes), ours (server) → gtlsclient, gtlsserver → ours
 * (client), ngtcp2 → ngtcp2 (HTTP/3, files on tmpfs), and Node's TLS 1.3
 * over TCP; by size (one or 16 streams) or bounded in time.
 */
import { statSync, truncateSync, writeFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import { runEndpoint } from '@tsquic/example-interop/dist/endpoint/run.js';
import { createQuicTransport } from '@tsquic/example-interop/dist/transport.js';
import { exited, freePort, gtlsclient, gtlsserver, Peer, type Certs } from '../proc.js';

const mbps = (bytes: number, seconds: number): number => (bytes * 8) / seconds / 1e6;

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** `runs` timings of `f` (seconds), as the median rate for `bytes`. */
async function medianRate(runs: number, bytes: number, f: () => Promise<number>): Promise<number> {
  const xs: number[] = [];
  for (let i = 0; i < runs; i++) xs.push(mbps(bytes, await f()));
  return median(xs);
}

/** Ours → ours: server and client each in their own process; `seconds` > 0 bounds the transfer in time instead. */
export async function oursToOurs(certs: Certs, o: { bytes: number; streams: number; seconds: number; profileDir?: string }): Promise<number> {
  const prof = (name: string): NodeJS.ProcessEnv | undefined => (o.profileDir ? { ...process.env, BENCH_CPU_PROFILE: join(o.profileDir, `${name}.cpuprofile`) } : undefined);
  const server = Peer.start('ours', ['server', certs.certDer, certs.keyDer], prof('server'));
  try {
    const { port } = await server.next('ready', 10_000);
    const client = Peer.start('ours', ['client', String(port), String(o.bytes), String(o.streams), String(o.seconds)], prof('client'));
    try {
      const r = await client.next('result', 120_000);
      await client.exited;
      return mbps(r.bytes, r.seconds);
    } finally {
      await client.stop();
    }
  } finally {
    await server.stop();
  }
}

/** Node's TLS 1.3 over TCP, server and client each in their own process. */
export async function nodeTls(certs: Certs, o: { bytes: number; seconds: number }): Promise<number> {
  const server = Peer.start('tls', ['server', certs.certPem, certs.keyPem]);
  try {
    const { port } = await server.next('ready', 10_000);
    const client = Peer.start('tls', ['client', String(port), String(o.bytes), String(o.seconds)]);
    try {
      const r = await client.next('result', 120_000);
      return mbps(r.bytes, r.seconds);
    } finally {
      await client.stop();
    }
  } finally {
    await server.stop();
  }
}

/** The files ngtcp2 and our interop server serve: `big` (bytes), `s0`..`s15` (bytes/16), `huge` (2 GB, sparse, for the timed runs). */
export function makeWww(www: string, bytes: number, streams: number): void {
  writeFileSync(join(www, 'big'), new Uint8Array(bytes).fill(0x61));
  for (let i = 0; i < streams; i++) writeFileSync(join(www, `s${i}`), new Uint8Array(Math.ceil(bytes / streams)).fill(0x61));
  writeFileSync(join(www, 'huge'), '');
  truncateSync(join(www, 'huge'), 2e9);
}

/** Time one gtlsclient run fetching `files` (from spawn to exit). */
async function timeGtlsclient(port: number, files: string[], downloads: string): Promise<number> {
  const t0 = performance.now();
  const code = await exited(gtlsclient(port, files, downloads), 120_000);
  if (code !== 0) throw new Error(`gtlsclient exited with ${code}`);
  return (performance.now() - t0) / 1000;
}

/**
 * ngtcp2 → ngtcp2: gtlsserver serving, gtlsclient downloading onto tmpfs.
 * gtlsserver caches a file's contents the first time it serves it: the
 * files are fetched once before the timed runs (the median of `runs`).
 */
export async function ngtcp2ToNgtcp2(www: string, dl: string, certs: Certs, o: { bytes: number; streams: number; seconds: number; runs: number }): Promise<number> {
  const port = await freePort();
  const srv = await gtlsserver(www, port, certs);
  try {
    if (o.seconds > 0) return await timedDownload(port, dl, o.seconds);
    const files = o.streams === 1 ? ['big'] : Array.from({ length: o.streams }, (_, i) => `s${i}`);
    await timeGtlsclient(port, files, dl);
    return await medianRate(o.runs, o.streams === 1 ? o.bytes : Math.ceil(o.bytes / o.streams) * o.streams, () => timeGtlsclient(port, files, dl));
  } finally {
    srv.kill('SIGKILL');
    await exited(srv, 2000);
  }
}

/** Fetch `huge` and measure how fast the download grows over `seconds`, after half a second of ramp-up. */
async function timedDownload(port: number, dl: string, seconds: number): Promise<number> {
  const p = gtlsclient(port, ['huge'], dl);
  const size = (): number => (existsSync(join(dl, 'huge')) ? statSync(join(dl, 'huge')).size : 0);
  try {
    await new Promise((r) => setTimeout(r, 500));
    const a = size();
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, seconds * 1000));
    const b = size();
    return mbps(b - a, (performance.now() - t0) / 1000);
  } finally {
    p.kill('SIGKILL');
    await exited(p, 2000);
  }
}

/** Ours (the interop endpoint's HTTP/3 server, in this process) → gtlsclient. */
export async function oursToGtlsclient(www: string, dl: string, certs: Certs, bytes: number, runs: number): Promise<number> {
  const port = await freePort();
  const ac = new AbortController();
  let ready!: () => void;
  const listening = new Promise<void>((r) => (ready = r));
  const done = runEndpoint({ ROLE: 'server', TESTCASE: 'http3', WWW: www, CERTS: certs.dir, PORT: String(port) }, createQuicTransport(), {
    log: (l) => (l.startsWith('serving') ? ready() : undefined),
    signal: ac.signal,
  });
  await Promise.race([listening, done]);
  try {
    await timeGtlsclient(port, ['big'], dl);
    return await medianRate(runs, bytes, () => timeGtlsclient(port, ['big'], dl));
  } finally {
    ac.abort();
    await done;
  }
}

/** gtlsserver → ours (the interop endpoint's HTTP/3 client, in this process). */
export async function gtlsserverToOurs(www: string, dl: string, certs: Certs, bytes: number, runs: number): Promise<number> {
  const port = await freePort();
  const srv = await gtlsserver(www, port, certs);
  const fetchOne = async (file: string): Promise<number> => {
    const t0 = performance.now();
    const status = await runEndpoint({ ROLE: 'client', TESTCASE: 'http3', REQUESTS: `https://127.0.0.1:${port}/${file}`, DOWNLOADS: dl, CERTS: join(dl, 'no-certs') }, createQuicTransport(), { log: () => {} });
    if (status !== 0) throw new Error(`our interop client exited with ${status}`);
    return (performance.now() - t0) / 1000;
  };
  try {
    await fetchOne('big');
    return await medianRate(runs, bytes, () => fetchOne('big'));
  } finally {
    srv.kill('SIGKILL');
    await exited(srv, 2000);
  }
}
