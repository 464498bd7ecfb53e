/**
 * Soak test (issue 11): N client connections against one server endpoint in
 * a child process, over real UDP on 127.0.0.1 through a lossy relay, for a
 * bounded time. Each connection makes request/response calls, one bidi
 * stream per call (small echoes, and every `--transfer-every`th call a
 * larger download), reconnecting if a connection fails. Reports calls
 * completed, errors, and the server's heap (after a forced GC) before the
 * load, at its peak, and after every connection has closed.
 *
 *   pnpm --filter @tsquic/quic-transport soak                    # 500 connections, 60 s, 2% loss
 *   pnpm --filter @tsquic/quic-transport soak -- --connections 50 --seconds 10 --loss 0.05
 *
 * Exit code 1 when a call returned wrong bytes or the heap after the run
 * grew beyond `--heap-bound-mb` (default 8) over the heap before it.
 * `--loss -1` connects directly (no relay). Environment: SOAK_SNAPSHOT=<file>
 * writes a server heap snapshot at the end, SOAK_DEBUG=1 logs the server
 * core's connection states, SOAK_PROF=1 CPU-profiles the server.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { QuicEndpoint, trustCertificate, type QuicConnection } from '../src/index.js';

const fixture = (n: string) => new Uint8Array(readFileSync(fileURLToPath(new URL(`../test/fixtures/${n}`, import.meta.url))));
const CERT = fixture('server-cert.der');
const KEY = fixture('server-key.der');
const ALPN = ['soak'];

export interface SoakOptions {
  connections: number;
  seconds: number;
  loss: number;
  /** Every n-th call is a download of `transferBytes`; the rest echo 16–1024 bytes. */
  transferEvery: number;
  transferBytes: number;
  heapBoundMb: number;
  quiet: boolean;
}

const DEFAULTS: SoakOptions = { connections: 500, seconds: 60, loss: 0.02, transferEvery: 25, transferBytes: 256 * 1024, heapBoundMb: 8, quiet: false };

// ------------------------------------------------------------------ server (child process)

type ToServer = { cmd: 'heap' } | { cmd: 'stop' } | { cmd: 'snapshot'; file: string };
type FromServer = { port: number } | { heap: number; rss: number; connections: number; handshakes: number; stats: Record<string, number> };

async function serverMain(): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  const ep = await QuicEndpoint.bind({ address: '127.0.0.1', port: 0, maxConnections: 10_000 });
  let active = 0;
  ep.listen({
    tls: { certificateChain: [CERT], privateKey: KEY, alpn: ALPN },
    transport: { idleTimeoutMs: 15_000, ...(process.env.SOAK_NOPACE ? { pacing: false } : {}) },
    onConnection: async (conn) => {
      active++;
      void conn.closed.catch(() => {}).finally(() => active--);
      try {
        for await (const stream of conn.incomingBidirectionalStreams) void serveCall(stream).catch(() => {});
      } catch {
        // the connection ended; its streams error with it
      }
    },
  });
  process.on('message', (m: ToServer) => void onMessage(m));
  async function onMessage(m: ToServer): Promise<void> {
    if (m.cmd === 'stop') {
      await ep.close().catch(() => {});
      process.exit(0);
    }
    if (m.cmd === 'snapshot') {
      gc?.();
      (await import('node:v8')).writeHeapSnapshot(m.file);
      process.send!({ heap: 0, rss: 0, connections: active, handshakes: 0, stats: {} } satisfies FromServer);
    }
    if (m.cmd === 'heap') {
      for (let i = 0; i < 3; i++) gc?.();
      await new Promise((r) => setTimeout(r, 50));
      gc?.();
      const mu = process.memoryUsage();
      const states: Record<string, number> = {};
      for (const c of ep.core.connections) states[c.state] = (states[c.state] ?? 0) + 1;
      if (process.env.SOAK_DEBUG) console.log('server core', ep.core.connections.size, states, 'shells', (ep as unknown as { shells: Map<unknown, unknown> }).shells.size, 'timeout', ep.core.pollTimeout(), performance.now());
      // Connections the core still holds (draining ones included), not just those the application sees open.
      process.send!({ heap: mu.heapUsed, rss: mu.rss, connections: ep.core.connections.size, handshakes: ep.core.handshakesInFlight, stats: { open: active } } satisfies FromServer);
    }
  }
  process.send!({ port: ep.address.port } satisfies FromServer);
}

/** One call: a request (kind byte, then either a 4-byte size to download or bytes to echo), then the response. */
async function serveCall(stream: { readable: ReadableStream<Uint8Array>; writable: WritableStream<Uint8Array> }): Promise<void> {
  const parts: Uint8Array[] = [];
  for await (const chunk of stream.readable) parts.push(chunk);
  const req = Buffer.concat(parts);
  const w = stream.writable.getWriter();
  if (req[0] === 1 && req.length >= 5) {
    let left = req.readUInt32BE(1);
    const block = new Uint8Array(16 * 1024).fill(0x5a);
    while (left > 0) {
      const n = Math.min(left, block.length);
      await w.write(block.subarray(0, n));
      left -= n;
    }
  } else await w.write(req.subarray(1));
  await w.close();
}

// ------------------------------------------------------------------ relay

/** A UDP relay between one client socket and the server, dropping `loss` of the datagrams each way. */
class LossyRelay {
  readonly socket: Socket;
  client: { address: string; port: number } | undefined;
  forwarded = 0;
  dropped = 0;
  private seed = 0x9e3779b9;

  constructor(
    readonly server: { address: string; port: number },
    readonly loss: number,
  ) {
    // Buffers as large as the endpoints' own (4 MiB): the relay models the network, not a bottleneck.
    this.socket = createSocket({ type: 'udp4', recvBufferSize: 4 << 20, sendBufferSize: 4 << 20 });
    this.socket.on('message', (msg, rinfo) => {
      const fromServer = rinfo.port === server.port && rinfo.address === server.address;
      if (!fromServer) this.client = { address: rinfo.address, port: rinfo.port };
      const to = fromServer ? this.client : server;
      if (!to) return;
      if (this.random() < loss) {
        this.dropped++;
        return;
      }
      this.forwarded++;
      this.socket.send(msg, to.port, to.address);
    });
  }

  private random(): number {
    let s = this.seed;
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    this.seed = s;
    return s / 2 ** 32;
  }

  async bind(): Promise<number> {
    await new Promise<void>((r) => this.socket.bind(0, '127.0.0.1', r));
    return this.socket.address().port;
  }

  close(): void {
    this.socket.close();
  }
}

// ------------------------------------------------------------------ clients

export interface SoakReport {
  connections: number;
  seconds: number;
  loss: number;
  calls: number;
  transfers: number;
  bytesDownloaded: number;
  callErrors: number;
  connectErrors: number;
  reconnects: number;
  wrongBytes: number;
  errorKinds: Record<string, number>;
  relay: { forwarded: number; dropped: number };
  heap: { coldMb: number; beforeMb: number; peakMb: number; afterMb: number; growthMb: number; boundMb: number; rssAfterMb: number };
  serverConnectionsAfter: number;
}

async function readAll(r: ReadableStream<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const c of r) parts.push(c);
  return Buffer.concat(parts);
}

function ask(child: ChildProcess, m: ToServer): Promise<FromServer> {
  return new Promise((resolve) => {
    child.once('message', (x: FromServer) => resolve(x));
    child.send(m);
  });
}

const mb = (b: number) => Math.round((b / 1024 / 1024) * 100) / 100;

export async function soak(partial: Partial<SoakOptions> = {}): Promise<SoakReport> {
  const o = { ...DEFAULTS, ...partial };
  const log = (...a: unknown[]) => o.quiet || console.log(...a);
  const child = fork(fileURLToPath(import.meta.url), [], {
    env: { ...process.env, SOAK_ROLE: 'server' },
    execArgv: ['--expose-gc', '--import', 'tsx', ...(process.env.SOAK_PROF ? ['--cpu-prof', '--cpu-prof-dir=/tmp/soakprof'] : [])],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const { port } = (await new Promise<FromServer>((r) => child.once('message', r))) as { port: number };
  const relay = new LossyRelay({ address: '127.0.0.1', port }, o.loss);
  const relayPort = o.loss < 0 ? port : await relay.bind();
  const cold = (await ask(child, { cmd: 'heap' })) as { heap: number };
  const client = await QuicEndpoint.bind({ address: '127.0.0.1', port: 0 });
  // Warm-up (one connection, a few calls and a transfer, no loss) so that the baseline includes
  // compiled code and lazily built tables: what is left is what the load itself leaves behind.
  {
    const conn = client.connect({ address: '127.0.0.1', port }, { serverName: 'core-server.test', alpn: ALPN, verifyPeer: trustCertificate(CERT) });
    await conn.ready;
    for (let i = 0; i < 30; i++) await warmCall(conn, i);
    await conn.close({ closeCode: 0n, reason: 'warm-up done' });
    for (let i = 0; i < 20 && ((await ask(child, { cmd: 'heap' })) as { connections: number }).connections > 0; i++) await new Promise((res) => setTimeout(res, 100));
  }
  const before = (await ask(child, { cmd: 'heap' })) as { heap: number };
  log(`server heap: ${mb(cold.heap)} MB cold, ${mb(before.heap)} MB after warm-up; ${o.connections} connections for ${o.seconds} s at ${o.loss * 100}% loss each way`);
  const r: SoakReport = {
    connections: o.connections,
    seconds: o.seconds,
    loss: o.loss,
    calls: 0,
    transfers: 0,
    bytesDownloaded: 0,
    callErrors: 0,
    connectErrors: 0,
    reconnects: 0,
    wrongBytes: 0,
    errorKinds: {},
    relay: { forwarded: 0, dropped: 0 },
    heap: { coldMb: mb(cold.heap), beforeMb: mb(before.heap), peakMb: 0, afterMb: 0, growthMb: 0, boundMb: o.heapBoundMb, rssAfterMb: 0 },
    serverConnectionsAfter: 0,
  };
  const kind = (e: unknown) => {
    const k = e instanceof Error ? `${e.name}: ${e.message.replace(/\d+/g, 'N').slice(0, 60)}` : String(e);
    r.errorKinds[k] = (r.errorKinds[k] ?? 0) + 1;
  };
  const deadline = performance.now() + o.seconds * 1000;
  const connectOpts = { serverName: 'core-server.test', alpn: ALPN, verifyPeer: trustCertificate(CERT), transport: { idleTimeoutMs: 15_000, ...(process.env.SOAK_NOPACE ? { pacing: false } : {}) } };

  async function warmCall(conn: QuicConnection, i: number): Promise<void> {
    const stream = await conn.createBidirectionalStream();
    const w = stream.writable.getWriter();
    await w.write(i % 10 === 9 ? Buffer.from([1, 0, 4, 0, 0]) : Buffer.alloc(100 + i, 0));
    await w.close();
    await readAll(stream.readable);
  }

  async function oneCall(conn: QuicConnection, n: number, callNo: number): Promise<void> {
    const stream = await conn.createBidirectionalStream();
    const w = stream.writable.getWriter();
    const transfer = callNo % o.transferEvery === o.transferEvery - 1;
    if (transfer) {
      const req = Buffer.alloc(5);
      req[0] = 1;
      req.writeUInt32BE(o.transferBytes, 1);
      await w.write(req);
    } else {
      const body = Buffer.alloc(16 + ((n * 7919 + callNo * 104729) % 1008), (n + callNo) & 0xff);
      await w.write(Buffer.concat([Buffer.of(0), body]));
      await w.close();
      const got = await readAll(stream.readable);
      if (!got.equals(body)) r.wrongBytes++;
      return;
    }
    await w.close();
    const got = await readAll(stream.readable);
    if (got.length !== o.transferBytes || got.some((b) => b !== 0x5a)) r.wrongBytes++;
    r.transfers++;
    r.bytesDownloaded += got.length;
  }

  async function worker(n: number): Promise<void> {
    // Spread the arrivals over the first tenth of the run (at most 5 s), as real clients would arrive.
    await new Promise((res) => setTimeout(res, (n * Math.min(5000, o.seconds * 100)) / o.connections));
    let callNo = 0;
    while (performance.now() < deadline) {
      const conn = client.connect({ address: '127.0.0.1', port: relayPort }, connectOpts);
      try {
        await conn.ready;
      } catch (e) {
        r.connectErrors++;
        kind(e);
        continue;
      }
      try {
        while (performance.now() < deadline) {
          await oneCall(conn, n, callNo++);
          r.calls++;
        }
        await conn.close({ closeCode: 0n, reason: 'done' });
        return;
      } catch (e) {
        r.callErrors++;
        kind(e);
        r.reconnects++;
        await conn.close({ closeCode: 1n, reason: 'error' }).catch(() => {});
      }
    }
  }

  const progress = setInterval(() => log(`  ${Math.round((deadline - performance.now()) / 1000)} s left: ${r.calls} calls, ${r.transfers} transfers, ${r.callErrors + r.connectErrors} errors`), 10_000);
  const workers = Array.from({ length: o.connections }, (_, n) => worker(n));
  // Peak heap: sampled midway (GC'd, so it is live memory with every connection open).
  const peakAt = setTimeout(
    () =>
      void ask(child, { cmd: 'heap' }).then((p) => {
        const h = p as { heap: number; connections: number };
        r.heap.peakMb = mb(h.heap);
        log(`  server heap at peak (${h.connections} connections): ${mb(h.heap)} MB`);
      }),
    (o.seconds * 1000) / 2,
  );
  await Promise.all(workers);
  clearInterval(progress);
  clearTimeout(peakAt);
  await client.close().catch(() => {});
  // Let the server's connections pass their closing/draining period (3 PTO) and idle timeouts of any orphaned by loss.
  let after = (await ask(child, { cmd: 'heap' })) as { heap: number; rss: number; connections: number };
  for (let i = 0; i < 60 && after.connections > 0; i++) {
    log(`  waiting for ${after.connections} server connection(s) to close`);
    await new Promise((res) => setTimeout(res, 500));
    after = (await ask(child, { cmd: 'heap' })) as { heap: number; rss: number; connections: number };
  }
  if (process.env.SOAK_SNAPSHOT) await ask(child, { cmd: 'snapshot', file: process.env.SOAK_SNAPSHOT });
  r.heap.afterMb = mb(after.heap);
  r.heap.rssAfterMb = mb(after.rss);
  r.heap.growthMb = mb(after.heap - before.heap);
  r.serverConnectionsAfter = after.connections;
  r.relay = { forwarded: relay.forwarded, dropped: relay.dropped };
  relay.close();
  await new Promise<void>((res) => {
    child.once('exit', () => res());
    child.send({ cmd: 'stop' } satisfies ToServer);
    setTimeout(() => child.kill(), 5000).unref();
  });
  return r;
}

async function main(): Promise<void> {
  const args = process.argv.slice(2).filter((a) => a !== '--');
  const o: Partial<SoakOptions> = {};
  for (let i = 0; i < args.length; i += 2) {
    const k = args[i]!.replace(/^--/, '').replace(/-([a-z])/g, (_, c: string) => c.toUpperCase()) as keyof SoakOptions;
    (o as Record<string, number>)[k] = Number(args[i + 1]);
  }
  const r = await soak(o);
  console.log(JSON.stringify(r, null, 2));
  const ok = r.wrongBytes === 0 && r.heap.growthMb <= r.heap.boundMb;
  console.log(
    `${ok ? 'OK' : 'FAILED'}: ${r.calls} calls (${r.transfers} transfers, ${mb(r.bytesDownloaded)} MB) over ${r.connections} connections in ${r.seconds} s; errors: ${r.callErrors} call, ${r.connectErrors} connect; server heap ${r.heap.beforeMb} → ${r.heap.peakMb} (peak) → ${r.heap.afterMb} MB after GC (growth ${r.heap.growthMb} MB, bound ${r.heap.boundMb} MB)`,
  );
  process.exit(ok ? 0 : 1);
}

if (process.env.SOAK_ROLE === 'server') void serverMain();
else if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) void main();
