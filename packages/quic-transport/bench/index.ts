/**
 * QUIC over loopback, side by side with ngtcp2 in the same run:
 * 1. bulk throughput, one connection, one stream (BENCH_MB, default 100):
 *    ours → ours, and ngtcp2 gtlsserver → gtlsclient (HTTP/3, file on /dev/shm) as the anchor;
 * 2. full handshakes per second, sequential (BENCH_SECONDS, default 3):
 *    ours (connect → ready → close), and ngtcp2 (one gtlsclient process per handshake,
 *    so its figure includes process start-up — printed as measured).
 * Prints a table with the ratios ours / ngtcp2 and writes bench-results/quic-transport.json.
 *   pnpm --filter @tsquic/quic-transport bench
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';

import { join } from 'node:path';
import { QuicEndpoint } from '../src/index.js';

const MB = Number(process.env.BENCH_MB ?? 100);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 3);
const fx = (n: string) => new Uint8Array(readFileSync(new URL(`../test/fixtures/${n}`, import.meta.url)));
const cert = fx('server-cert.der');
const key = fx('server-key.der');
const TRANSPORT = {
  maxDatagramSize: 1452,
  streams: {
    maxStreamsBidi: 100,
    maxStreamsUni: 100,
    streamWindowBidiLocal: 8 << 20,
    streamWindowBidiRemote: 8 << 20,
    streamWindowUni: 8 << 20,
    maxStreamWindow: 32 << 20,
    connWindow: 16 << 20,
    maxConnWindow: 64 << 20,
    sendBufferSize: 8 << 20,
  },
};

async function oursThroughput(bytes: number): Promise<number> {
  const server = await QuicEndpoint.bind({ address: '127.0.0.1', transport: TRANSPORT });
  const chunk = new Uint8Array(256 * 1024).fill(7);
  server.listen({
    tls: { certificateChain: [cert], privateKey: key, alpn: ['bench'] },
    onConnection: async (c) => {
      for await (const s of c.incomingBidirectionalStreams) {
        void (async () => {
          const w = s.writable.getWriter();
          for (let sent = 0; sent < bytes; sent += chunk.length) await w.write(sent + chunk.length <= bytes ? chunk : chunk.subarray(0, bytes - sent));
          await w.close();
        })();
      }
    },
  });
  const client = await QuicEndpoint.bind({ address: '127.0.0.1', transport: TRANSPORT });
  const conn = client.connect(server.address, { alpn: ['bench'], verifyPeer: 'none' });
  await conn.ready;
  const t0 = performance.now();
  const s = await conn.createBidirectionalStream();
  await s.writable.getWriter().close();
  let got = 0;
  for await (const c of s.readable) got += c.length;
  const seconds = (performance.now() - t0) / 1000;
  if (got !== bytes) throw new Error(`received ${got} of ${bytes}`);
  await conn.close();
  await Promise.all([client.close({ timeoutMs: 100 }), server.close({ timeoutMs: 100 })]);
  return (bytes * 8) / seconds / 1e6;
}

async function oursHandshakes(seconds: number): Promise<number> {
  const server = await QuicEndpoint.bind({ address: '127.0.0.1' });
  server.listen({ tls: { certificateChain: [cert], privateKey: key, alpn: ['bench'] } });
  const client = await QuicEndpoint.bind({ address: '127.0.0.1' });
  const end = performance.now() + seconds * 1000;
  let n = 0;
  const t0 = performance.now();
  while (performance.now() < end) {
    const c = client.connect(server.address, { alpn: ['bench'], verifyPeer: 'none' });
    await c.ready;
    void c.close();
    n++;
  }
  const rate = n / ((performance.now() - t0) / 1000);
  await Promise.all([client.close({ timeoutMs: 100 }), server.close({ timeoutMs: 100 })]);
  return rate;
}

function haveNgtcp2(): boolean {
  return spawnSync('gtlsserver', ['--help']).status !== null && spawnSync('gtlsclient', ['--help']).status !== null;
}

async function withNgtcp2Server<T>(dir: string, port: number, f: () => Promise<T>): Promise<T> {
  const srv = spawn('gtlsserver', ['-q', '-d', join(dir, 'www'), '127.0.0.1', String(port), join(dir, 'key.pem'), join(dir, 'cert.pem')], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 300));
  try {
    return await f();
  } finally {
    srv.kill('SIGKILL');
  }
}

function runClient(port: number, file: string, dl: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const c = spawn('gtlsclient', ['-q', '--exit-on-all-streams-close', '--download', dl, '127.0.0.1', String(port), `https://localhost:${port}/${file}`], { stdio: 'ignore' });
    c.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`gtlsclient exited ${code}`))));
  });
}

async function ngtcp2(bytes: number, seconds: number): Promise<{ mbps: number; hps: number }> {
  const base = mkdtempSync(join('/dev/shm', 'quic-bench-'));
  try {
    mkdirSync(join(base, 'www'));
    mkdirSync(join(base, 'dl'));
    spawnSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', join(base, 'key.pem'), '-out', join(base, 'cert.pem'), '-days', '1', '-subj', '/CN=localhost']);
    writeFileSync(join(base, 'www/big'), new Uint8Array(bytes).fill(7));
    writeFileSync(join(base, 'www/small'), new Uint8Array(100));
    const port = 20000 + Math.floor(Math.random() * 20000);
    return await withNgtcp2Server(base, port, async () => {
      await runClient(port, 'small', join(base, 'dl')); // warm-up (gtlsserver caches files)
      const t0 = performance.now();
      await runClient(port, 'big', join(base, 'dl'));
      const mbps = (bytes * 8) / ((performance.now() - t0) / 1000) / 1e6;
      let n = 0;
      const t1 = performance.now();
      const end = t1 + seconds * 1000;
      while (performance.now() < end) {
        await runClient(port, 'small', join(base, 'dl'));
        n++;
      }
      return { mbps, hps: n / ((performance.now() - t1) / 1000) };
    });
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

const bytes = MB * 1_000_000;
const ours = { mbps: await oursThroughput(bytes), hps: await oursHandshakes(SECONDS) };
const anchor = haveNgtcp2() ? await ngtcp2(bytes, SECONDS) : undefined;
const row = (name: string, o: number, a: number | undefined, unit: string) =>
  console.log(`${name.padEnd(34)} ${o.toFixed(1).padStart(9)} ${a === undefined ? '        -' : a.toFixed(1).padStart(9)} ${unit.padEnd(13)} ${a ? (o / a).toFixed(2) : '-'}`);
console.log(`QUIC over loopback, ${MB} MB bulk, ${SECONDS} s of handshakes (${process.version}, ${process.arch})`);
console.log(`${''.padEnd(34)} ${'ours'.padStart(9)} ${'ngtcp2'.padStart(9)} ${'unit'.padEnd(13)} ours/ngtcp2`);
row('bulk, 1 connection, 1 stream', ours.mbps, anchor?.mbps, 'Mbit/s');
row('full handshakes, sequential', ours.hps, anchor?.hps, 'per second');
if (!anchor) console.log('(ngtcp2 not installed: apt-get install ngtcp2-client ngtcp2-server)');
mkdirSync(join(process.cwd(), 'bench-results'), { recursive: true });
writeFileSync(join(process.cwd(), 'bench-results', 'quic-transport.json'), JSON.stringify({ date: new Date().toISOString(), mb: MB, ours, ngtcp2: anchor }, null, 2));
