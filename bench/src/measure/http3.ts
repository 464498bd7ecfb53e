/**
 * @module measure/http3
 * HTTP/3 through @tsquic/http3 (issue 17): small GETs on one connection at a
 * given concurrency — requests per second and p50/p99 latency — beside
 * Node's `http2` over TLS with the same request on one session; and one
 * large download through `fetch` (Mbit/s), set beside the raw QUIC stream
 * figure of the same suite run. Server and client each in their own process.
 */
import { existsSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { Peer, type Certs } from '../proc.js';
import { abba, median } from './pairing.js';

/**
 * Another Node's binary for the request-rate rows, where `pnpm test:runtimes` left it (tools/packaging's
 * runtimes cache: `$TSQUIC_RUNTIMES_CACHE`, else ~/.cache/tsquic/runtimes, `<id>/bin/node`), or undefined.
 */
export function cachedNode(id: 'node22' | 'node24'): string | undefined {
  const bin = join(process.env.TSQUIC_RUNTIMES_CACHE ?? join(homedir(), '.cache', 'tsquic', 'runtimes'), id, 'bin', 'node');
  return existsSync(bin) ? bin : undefined;
}

export interface RequestRate {
  /** Requests per second. */
  rps: number;
  /** Latency percentiles, ms. */
  p50: number;
  p99: number;
  /** CPU time (user + system) per request, µs, each side over the client's measured window (after its warm-up). */
  clientCpu: number;
  serverCpu: number;
  /** The client's warm-up before the window (peers/requests.ts): requests completed and seconds. */
  warmupRequests: number;
  warmupSeconds: number;
}

/** One server and one client of `peer` (h3 or h2): `rps` small GETs at `concurrency` for `seconds`. */
async function requestRate(peer: 'h3' | 'h2', serverArgs: string[], concurrency: number, seconds: number, node?: string): Promise<RequestRate> {
  const server = Peer.start(peer, ['server', ...serverArgs], undefined, node);
  try {
    const { port } = await server.next('ready', 10_000);
    const cpu = async (): Promise<{ micros: number; requests: number }> => {
      server.send({ cmd: 'cpu' });
      const m = await server.next('cpu', 10_000);
      return { micros: m.micros, requests: m.requests ?? NaN };
    };
    const client = Peer.start(peer, ['client', String(port), 'rps', String(concurrency), String(seconds)], undefined, node);
    try {
      await client.next('window', 60_000); // after the warm-up (at most 15 s, peers/requests.ts)
      const before = await cpu();
      const r = await client.next('result', 60_000 + seconds * 1000);
      const after = await cpu();
      const serverCpu = (after.micros - before.micros) / (after.requests - before.requests);
      const stat = (k: string): number => r.stats?.[k] ?? NaN;
      return { rps: r.bytes / r.seconds, p50: stat('p50'), p99: stat('p99'), clientCpu: stat('cpuMicros'), serverCpu, warmupRequests: stat('warmupRequests'), warmupSeconds: stat('warmupSeconds') };
    } finally {
      await client.stop();
    }
  } finally {
    await server.stop();
  }
}

/** Small GETs through @tsquic/http3 (both peers under `node`, default this Node). */
export function http3Requests(certs: Certs, concurrency: number, seconds: number, node?: string): Promise<RequestRate> {
  return requestRate('h3', [certs.certDer, certs.keyDer], concurrency, seconds, node);
}

/** The same through Node's http2 over TLS. */
export function http2Requests(certs: Certs, concurrency: number, seconds: number, node?: string): Promise<RequestRate> {
  return requestRate('h2', [certs.certPem, certs.keyPem], concurrency, seconds, node);
}

/** The element-wise median of request rates (each figure's own median). */
export function medianRate(rs: RequestRate[]): RequestRate {
  const m = (k: keyof RequestRate): number => median(rs.map((r) => r[k]));
  return { rps: m('rps'), p50: m('p50'), p99: m('p99'), clientCpu: m('clientCpu'), serverCpu: m('serverCpu'), warmupRequests: m('warmupRequests'), warmupSeconds: m('warmupSeconds') };
}

/**
 * Both stacks at one concurrency in `pairs` pairs of fresh processes in ABBA order (ours, http2, http2,
 * ours, …), so that the machine's drift through the row weighs on both alike; each side's median, and
 * every sample's requests/s.
 */
export async function requestRatePairs(certs: Certs, concurrency: number, seconds: number, pairs: number, node?: string): Promise<{ h3: RequestRate; h2: RequestRate; h3Rps: number[]; h2Rps: number[] }> {
  const h3: RequestRate[] = [];
  const h2: RequestRate[] = [];
  const ours = async (): Promise<void> => void h3.push(await http3Requests(certs, concurrency, seconds, node));
  const theirs = async (): Promise<void> => void h2.push(await http2Requests(certs, concurrency, seconds, node));
  await abba(pairs, ours, theirs);
  return { h3: medianRate(h3), h2: medianRate(h2), h3Rps: h3.map((r) => r.rps), h2Rps: h2.map((r) => r.rps) };
}

/** One download as its client saw it: its own clock (request to last byte, after the handshake) and its CPU time over it. */
export interface Download {
  mbps: number;
  /** The client process's CPU time (user + system, all threads) from the request to the last byte, ms. */
  clientCpuMs: number;
  /** The server process's, from before the client started to its result (the handshake in), ms. */
  serverCpuMs: number;
}

/** A fresh server of `peer` and a fresh client of it, one transfer: what the client reports. */
async function oneDownload(peer: 'h3' | 'ours', certs: Certs, clientArgs: (port: number) => string[]): Promise<Download> {
  const server = Peer.start(peer, ['server', certs.certDer, certs.keyDer]);
  try {
    const { port } = await server.next('ready', 10_000);
    const serverCpu = async (): Promise<number> => {
      server.send({ cmd: 'cpu' });
      return (await server.next('cpu', 10_000)).micros;
    };
    const before = await serverCpu();
    const client = Peer.start(peer, ['client', ...clientArgs(port)]);
    try {
      const r = await client.next('result', 120_000);
      const serverCpuMs = ((await serverCpu()) - before) / 1000;
      return { mbps: (r.bytes * 8) / r.seconds / 1e6, clientCpuMs: (r.stats?.cpuMicros ?? NaN) / 1000, serverCpuMs };
    } finally {
      await client.stop();
    }
  } finally {
    await server.stop();
  }
}

/** One `bytes` download through @tsquic/http3's fetch (peers/h3): Mbit/s of content. */
export function http3Download(certs: Certs, bytes: number): Promise<Download> {
  return oneDownload('h3', certs, (port) => [String(port), 'download', String(bytes)]);
}

/** The same `bytes` on one raw QUIC stream between the loopback rows' peers (peers/ours), set up and timed the same way. */
export function rawStreamDownload(certs: Certs, bytes: number): Promise<Download> {
  return oneDownload('ours', certs, (port) => [String(port), String(bytes), '1', '0']);
}
