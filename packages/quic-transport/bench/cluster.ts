/**
 * Every core: full handshakes per second served by a QuicCluster of 1, 2, …
 * worker threads (node/cluster.ts), the load from another process
 * (bench/cluster-client.mjs: CONCURRENCY loops, each on its own socket).
 * Beside each rate: the server process's CPU (main thread routing + workers)
 * per handshake, and the client's. On a machine whose cores are fewer than
 * workers + the client's needs, the rate stops scaling where the cores run
 * out: the CPU columns say where it went.
 *   pnpm --filter @tsquic/quic-transport exec tsx bench/cluster.ts
 * BENCH_SECONDS (default 5), BENCH_WORKERS (default "0,1,2"; 0: a plain QuicEndpoint in the main thread, the cluster's overhead), BENCH_CONCURRENCY (default 8).
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { QuicCluster, QuicEndpoint } from '../src/index.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 5);
const WORKERS = (process.env.BENCH_WORKERS ?? '0,1,2').split(',').map(Number);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 8);
const fx = (n: string) => new Uint8Array(readFileSync(new URL(`../test/fixtures/${n}`, import.meta.url)));

interface Load {
  handshakes: number;
  seconds: number;
  cpuSeconds: number;
}

function load(port: number): Promise<Load> {
  const p = spawn(process.execPath, [fileURLToPath(new URL('./cluster-client.mjs', import.meta.url)), String(port), String(SECONDS), String(CONCURRENCY)], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  p.stdout.on('data', (d: Buffer) => (out += d.toString()));
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => p.kill('SIGKILL'), (SECONDS + 30) * 1000);
    p.once('exit', (code) => {
      clearTimeout(t);
      if (code === 0) resolve(JSON.parse(out.trim().split('\n').pop()!) as Load);
      else reject(new Error(`load process exited with ${code}`));
    });
  });
}

const rows: Array<{ workers: number; rate: number; cells: string }> = [];
let base = 0;
/** A server of `workers` threads, or (0) a plain QuicEndpoint in this thread. */
async function server(workers: number): Promise<{ port: number; close(): Promise<void> }> {
  const chain = [fx('server-cert.der')];
  const key = fx('server-key.der');
  if (workers === 0) {
    const ep = await QuicEndpoint.bind({ address: '127.0.0.1' });
    ep.listen({ tls: { certificateChain: chain, privateKey: key, alpn: ['hs'] } });
    return { port: ep.address.port, close: () => ep.close({ timeoutMs: 100 }) };
  }
  const cluster = await QuicCluster.start({ module: new URL('./cluster-worker.mjs', import.meta.url), workers, workerData: { chain, key } });
  return { port: cluster.address.port, close: () => cluster.close() };
}

for (const workers of WORKERS) {
  const s = await server(workers);
  try {
    const cpu0 = process.cpuUsage();
    const r = await load(s.port);
    const cpu = process.cpuUsage(cpu0);
    const rate = r.handshakes / r.seconds;
    if (workers === 1) base = rate;
    const serverMs = ((cpu.user + cpu.system) / 1000 / r.handshakes).toFixed(2);
    const clientMs = ((r.cpuSeconds * 1000) / r.handshakes).toFixed(2);
    rows.push({ workers, rate, cells: `${serverMs} | ${clientMs}` });
  } finally {
    await s.close();
  }
}
console.log(`QuicCluster: full handshakes per second, ${CONCURRENCY} concurrent clients in another process, ${SECONDS} s each (machine: ${(await import('node:os')).availableParallelism()} cores)`);
console.log('| workers | handshakes/s | vs 1 worker | server CPU ms/handshake | client CPU ms/handshake |');
console.log('|---|---|---|---|---|');
for (const r of rows) console.log(`| ${r.workers === 0 ? '0 (plain QuicEndpoint)' : r.workers} | ${r.rate.toFixed(0)} | ${base ? `${(r.rate / base).toFixed(2)}×` : '–'} | ${r.cells} |`);
