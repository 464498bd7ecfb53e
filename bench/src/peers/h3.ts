/**
 * @module peers/h3
 * One side of @tsquic/http3 in its own process, driven over IPC by the
 * suite (as peers/ours for raw QUIC streams). The server answers `/small`
 * with 100 bytes, and `/big?n=N` and `/bytes/N` (a path gtlsclient can ask
 * for) with N bytes streamed in 256 KiB chunks from memory. The client
 * measures requests per second and their latency at a given concurrency on
 * one connection (`rps`), or one download through `fetch` (`download`:
 * its own clock and CPU time from the request to the last byte, after the
 * connection's handshake);
 * `get` is one spawned download, body discarded, timed by the parent from
 * spawn to exit (as gtlsclient is).
 *   node peers/h3.js server <cert.der> <key.der>
 *   node peers/h3.js client <port> rps <concurrency> <seconds>
 *   node peers/h3.js client <port> download <bytes>
 *   node peers/h3.js get <url> <bytes>
 * BENCH_TRANSPORT (JSON) sets QUIC transport settings on both sides.
 */
import { readFileSync } from 'node:fs';
import { createClient, serve } from '@tsquic/http3/node';
import type { TransportSettings } from '@tsquic/quic-transport';
import { cpuMicros, type ClientReport, type ParentMessage, type PeerMessage } from './ipc.js';
import { measureRequests, requestsResult } from './requests.js';

const SMALL = new Uint8Array(100).fill(0x61);
/** Requests the server has answered (its CPU per request, asked for with `cpu`). */
let served = 0;
const CHUNK = new Uint8Array(256 * 1024).fill(0x61);
const TRANSPORT = process.env.BENCH_TRANSPORT ? { transport: JSON.parse(process.env.BENCH_TRANSPORT) as Partial<TransportSettings> } : {};

function send(m: PeerMessage): void {
  process.send!(m);
}

async function server(certFile: string, keyFile: string): Promise<void> {
  const s = await serve({ hostname: '127.0.0.1', port: 0, cert: new Uint8Array(readFileSync(certFile)), key: new Uint8Array(readFileSync(keyFile)), maxConcurrentRequests: 256, ...TRANSPORT }, (req) => {
    served++;
    // /small without parsing the URL: http2's handler (peers/h2) does no routing at all.
    if (req.url.endsWith('/small')) return new Response(SMALL);
    const url = new URL(req.url);
    let left = Number(/^\/bytes\/(\d+)$/.exec(url.pathname)?.[1] ?? url.searchParams.get('n') ?? 0);
    return new Response(
      new ReadableStream<Uint8Array>(
        {
          pull(c) {
            if (left <= 0) return c.close();
            const piece = left >= CHUNK.length ? CHUNK : CHUNK.subarray(0, left);
            left -= piece.length;
            c.enqueue(piece);
          },
        },
        { highWaterMark: 0 },
      ),
    );
  });
  send({ type: 'ready', port: s.addr.port });
  process.on('message', (m: ParentMessage) => {
    if (m.cmd === 'cpu') send({ type: 'cpu', micros: cpuMicros(), requests: served });
    if (m.cmd === 'exit') void s.close().then(() => process.exit(0));
  });
}

/** Spawned (no IPC): fetch `url`, read and discard the body, print its own figure; exit 0 when every byte came. */
async function get(url: string, bytes: number): Promise<void> {
  const c = createClient({ verifyPeer: 'none', ...TRANSPORT });
  const t0 = performance.now();
  const res = await c.fetch(url);
  let n = 0;
  for await (const chunk of res.body!) n += chunk.length;
  const seconds = (performance.now() - t0) / 1000;
  if (n !== bytes) throw new Error(`received ${n} of ${bytes} bytes (status ${res.status})`);
  process.stdout.write(`${JSON.stringify({ bytes: n, seconds } satisfies ClientReport)}\n`);
  await c.close();
  process.exit(0);
}

async function client(port: number, mode: string, a: number, b: number): Promise<void> {
  const c = createClient({ verifyPeer: 'none', ...TRANSPORT });
  const base = `https://127.0.0.1:${port}`;
  if (mode === 'download') {
    // The handshake outside the timing, and nothing else: the raw-stream client (peers/ours) is warmed the same way.
    await c.connection(base);
    const cpu0 = cpuMicros();
    const t0 = performance.now();
    const res = await c.fetch(`${base}/big?n=${a}`);
    let n = 0;
    for await (const chunk of res.body!) n += chunk.length;
    const seconds = (performance.now() - t0) / 1000;
    const stats = { cpuMicros: cpuMicros() - cpu0 };
    if (n !== a) throw new Error(`received ${n} of ${a} bytes`);
    send({ type: 'result', bytes: n, seconds, stats });
  } else {
    const r = await measureRequests(
      async () => {
        const res = await c.fetch(`${base}/small`);
        if ((await res.arrayBuffer()).byteLength !== 100) throw new Error('short response');
      },
      a,
      b,
    );
    send(requestsResult(r));
  }
  await c.close();
  setImmediate(() => process.exit(0));
}

function fail(e: unknown): void {
  const message = e instanceof Error ? (e.stack ?? e.message) : String(e);
  if (process.send) send({ type: 'error', message });
  else process.stderr.write(`${message}\n`);
  process.exit(1);
}

const [role, ...rest] = process.argv.slice(2);
if (role === 'server') server(rest[0]!, rest[1]!).catch(fail);
else if (role === 'get') get(rest[0]!, Number(rest[1])).catch(fail);
else client(Number(rest[0]), rest[1]!, Number(rest[2]), Number(rest[3] ?? 0)).catch(fail);
