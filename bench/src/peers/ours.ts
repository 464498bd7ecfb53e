/**
 * @module peers/ours
 * One side of our QUIC in its own process (so client and server each get a
 * core, as ngtcp2's gtlsclient and gtlsserver do), driven over IPC by the
 * suite. The benchmark protocol (ALPN `tsquic-bench`): the client opens a
 * bidirectional stream, writes the number of bytes it wants as 8 bytes
 * (big-endian; 0 means "until I stop reading") and its FIN; the server
 * answers with that many bytes and a FIN.
 *   node peers/ours.js server <cert.der> <key.der>
 *   node peers/ours.js client <port> <bytes> <streams> <seconds>
 *   node peers/ours.js get <port> <bytes> <streams>    (spawned, no IPC: timed from spawn to exit)
 *   node peers/ours.js noop                            (start-up only: loads the modules and exits)
 *   node peers/ours.js idle <port> <connections>
 * BENCH_TRANSPORT (JSON) sets transport settings on both sides, e.g.
 * '{"maxDatagramSize":1452,"pmtuDiscovery":false}' for Internet-sized datagrams.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { QuicEndpoint, type QuicConnection } from '@tsquic/quic-transport';
import { cpuMicros, heapAfterGc, type ClientReport, type PeerMessage, type ParentMessage } from './ipc.js';

export const ALPN = 'tsquic-bench';
/** Default transport settings unless BENCH_TRANSPORT (JSON, e.g. '{"pacing":false}') overrides some, for experiments. */
const TRANSPORT = process.env.BENCH_TRANSPORT ? (JSON.parse(process.env.BENCH_TRANSPORT) as Record<string, unknown>) : undefined;
const BIND = { address: '127.0.0.1', ...(TRANSPORT ? { transport: TRANSPORT } : {}) };
const CHUNK = new Uint8Array(256 * 1024).fill(0x61);
const RAMP_MS = 500;

function send(m: PeerMessage): void {
  process.send!(m);
}

/**
 * CPU profile of the transfer alone (not of start-up and module loading):
 * with BENCH_CPU_PROFILE=<file>, the V8 profiler runs from `startProfile`
 * to `stopProfile`, which writes the .cpuprofile.
 */
let profiler: Session | undefined;
async function startProfile(): Promise<void> {
  if (!process.env.BENCH_CPU_PROFILE) return;
  profiler = new Session();
  profiler.connect();
  await profiler.post('Profiler.enable');
  await profiler.post('Profiler.setSamplingInterval', { interval: 200 });
  await profiler.post('Profiler.start');
}
async function stopProfile(): Promise<void> {
  if (!profiler) return;
  const { profile } = await profiler.post('Profiler.stop');
  writeFileSync(process.env.BENCH_CPU_PROFILE!, JSON.stringify(profile));
  profiler.disconnect();
  profiler = undefined;
}

async function serve(certFile: string, keyFile: string): Promise<void> {
  const ep = await QuicEndpoint.bind(BIND);
  let open = 0;
  ep.listen({
    tls: { certificateChain: [new Uint8Array(readFileSync(certFile))], privateKey: new Uint8Array(readFileSync(keyFile)), alpn: [ALPN] },
    onConnection: (c) => {
      open++;
      void c.closed.catch(() => {}).finally(() => open--);
      void answerStreams(c);
    },
  });
  process.on('message', (m: ParentMessage) => {
    if (m.cmd === 'mem') send({ type: 'mem', ...heapAfterGc(), connections: open });
    else if (m.cmd === 'cpu') send({ type: 'cpu', micros: cpuMicros(), userMicros: process.cpuUsage().user });
    else if (m.cmd === 'exit')
      void stopProfile()
        .then(() => ep.close({ timeoutMs: 50 }))
        .then(() => process.exit(0));
  });
  await startProfile();
  send({ type: 'ready', port: ep.address.port });
}

async function answerStreams(c: QuicConnection): Promise<void> {
  try {
    for await (const s of c.incomingBidirectionalStreams) {
      void (async () => {
        const req = new Uint8Array(8);
        let got = 0;
        for await (const piece of s.readable) {
          req.set(piece.subarray(0, 8 - got), got);
          got += Math.min(piece.length, 8 - got);
        }
        const view = new DataView(req.buffer);
        const want = view.getUint32(0) * 2 ** 32 + view.getUint32(4);
        const w = s.writable.getWriter();
        for (let sent = 0; want === 0 || sent < want; sent += CHUNK.length) {
          await w.write(want === 0 || sent + CHUNK.length <= want ? CHUNK : CHUNK.subarray(0, want - sent));
        }
        await w.close();
      })().catch(() => {});
    }
  } catch {
    // the connection ended
  }
}

function request(bytes: number): Uint8Array {
  const r = new Uint8Array(8);
  const v = new DataView(r.buffer);
  v.setUint32(0, Math.floor(bytes / 2 ** 32));
  v.setUint32(4, bytes >>> 0);
  return r;
}

/** Read one stream to its end, or until `deadline` (performance.now()). */
async function fetchStream(c: QuicConnection, bytes: number, deadline: number, counter: { n: number }): Promise<void> {
  const s = await c.createBidirectionalStream();
  const w = s.writable.getWriter();
  await w.write(request(bytes));
  await w.close();
  const reader = s.readable.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return;
    counter.n += value.length;
    if (performance.now() >= deadline) {
      await reader.cancel();
      return;
    }
  }
}

/** One download of `bytes` over `streams` streams (or `seconds` of one unbounded stream), timed here from the request to the last byte. */
async function download(port: number, bytes: number, streams: number, seconds: number): Promise<ClientReport> {
  const ep = await QuicEndpoint.bind(BIND);
  const c = ep.connect({ address: '127.0.0.1', port }, { alpn: [ALPN], verifyPeer: 'none' });
  await c.ready;
  await startProfile();
  const counter = { n: 0 };
  const cpu0 = cpuMicros();
  const user0 = process.cpuUsage().user;
  const t0 = performance.now();
  // Time-bounded: measure `seconds` of steady state after RAMP_MS of ramp-up (as for ngtcp2).
  const deadline = seconds > 0 ? t0 + RAMP_MS + seconds * 1000 : Infinity;
  const mark = { n: 0, t: t0 };
  const ramp = seconds > 0 ? setTimeout(() => ((mark.n = counter.n), (mark.t = performance.now())), RAMP_MS) : undefined;
  const each = seconds > 0 ? 0 : Math.ceil(bytes / streams);
  await Promise.all(Array.from({ length: streams }, (_, i) => fetchStream(c, seconds > 0 ? 0 : Math.min(each, bytes - i * each), deadline, counter)));
  clearTimeout(ramp);
  const elapsed = (performance.now() - mark.t) / 1000;
  const cpuMicrosUsed = cpuMicros() - cpu0;
  const cpuUserMicros = process.cpuUsage().user - user0;
  counter.n -= mark.n;
  await stopProfile();
  if (seconds === 0 && counter.n !== bytes) throw new Error(`received ${counter.n} of ${bytes} bytes`);
  // cpuMicros (cpuUserMicros: user time only): this process's CPU time from the request to the last byte (all of it, also with `seconds`).
  const stats = { packetsReceived: c.stats.packetsReceived, packetsSent: c.stats.packetsSent, bytesReceived: c.stats.bytesReceived, packetsLost: c.stats.packetsLost, cpuMicros: cpuMicrosUsed, cpuUserMicros };
  await c.close();
  await ep.close({ timeoutMs: 50 });
  return { bytes: counter.n, seconds: elapsed, stats };
}

async function client(port: number, bytes: number, streams: number, seconds: number): Promise<void> {
  send({ type: 'result', ...(await download(port, bytes, streams, seconds)) });
}

/** Spawned (no IPC), timed by the parent from spawn to exit: one line of JSON (its own figure) on stdout, exit 0 when every byte came. */
async function get(port: number, bytes: number, streams: number): Promise<void> {
  process.stdout.write(`${JSON.stringify(await download(port, bytes, streams, 0))}\n`);
  process.exit(0);
}

async function idle(port: number, n: number): Promise<void> {
  const ep = await QuicEndpoint.bind(BIND);
  const conns: QuicConnection[] = [];
  const before = heapAfterGc();
  for (let i = 0; i < n; i += 8) {
    const batch = Array.from({ length: Math.min(8, n - i) }, () => ep.connect({ address: '127.0.0.1', port }, { alpn: [ALPN], verifyPeer: 'none' }));
    await Promise.all(batch.map((c) => c.ready));
    conns.push(...batch);
  }
  // Let the handshakes settle (HANDSHAKE_DONE, ACKs, NEW_CONNECTION_ID) before measuring.
  await new Promise((r) => setTimeout(r, 300));
  const after = heapAfterGc();
  send({ type: 'opened', connections: conns.length, before, after });
  process.on('message', (m: ParentMessage) => {
    if (m.cmd === 'exit') void ep.close({ timeoutMs: 50 }).then(() => process.exit(0));
  });
}

const [role, a, b, c, d] = process.argv.slice(2);
const ROLES: Record<string, () => Promise<void>> = {
  server: () => serve(a!, b!),
  client: () => client(Number(a), Number(b), Number(c), Number(d)),
  get: () => get(Number(a), Number(b), Number(c)),
  noop: () => Promise.resolve(process.exit(0)),
  idle: () => idle(Number(a), Number(b)),
};
(ROLES[role!] ?? (() => Promise.reject(new Error(`unknown role ${role}`))))().catch((e: unknown) => {
  const message = e instanceof Error ? (e.stack ?? e.message) : String(e);
  if (process.send) send({ type: 'error', message });
  else process.stderr.write(`${message}\n`);
  process.exit(1);
});
