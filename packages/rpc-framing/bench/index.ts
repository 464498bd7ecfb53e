/**
 * RPC round trips over one connection: a small unary call (16-byte payload,
 * echoed) driven by 1, 16 and 128 concurrent callers, over real QUIC on
 * 127.0.0.1 (@tsquic/quic-transport) and over the in-memory session pair for
 * comparison. Prints calls per second and p50/p99 latency per concurrency.
 *
 *   pnpm --filter @tsquic/rpc-framing bench            (BENCH_SECONDS=3 by default)
 */
import { generateSelfSigned } from '@tsquic/cert-tool';
import { QuicEndpoint, trustExactly } from '@tsquic/quic-transport';
import { RpcClient, RpcServer, createMemorySessionPair, type RpcSession } from '../src/index.js';

const SECONDS = Number(process.env['BENCH_SECONDS'] ?? 3);
const CONCURRENCY = [1, 16, 128];
const PAYLOAD = new Uint8Array(16).fill(7);
const METHOD = 1;

interface Row {
  transport: string;
  concurrency: number;
  calls: number;
  perSecond: number;
  p50: number;
  p99: number;
}

function newServer(): RpcServer {
  return new RpcServer({ maxConcurrentCalls: 256 }).handle(METHOD, (payload) => payload);
}

async function drive(transport: string, client: RpcClient, concurrency: number): Promise<Row> {
  // Warm-up: JIT, congestion window, stream credit.
  await Promise.all(Array.from({ length: concurrency * 4 }, () => client.call(METHOD, PAYLOAD)));
  const latencies: number[] = [];
  const end = performance.now() + SECONDS * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < end) {
        const s = performance.now();
        const res = await client.call(METHOD, PAYLOAD);
        latencies.push(performance.now() - s);
        if (res.payload.byteLength !== PAYLOAD.byteLength) throw new Error('bad echo');
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  latencies.sort((a, b) => a - b);
  const q = (p: number): number => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))]!;
  return { transport, concurrency, calls: latencies.length, perSecond: latencies.length / elapsed, p50: q(0.5), p99: q(0.99) };
}

async function overQuic(): Promise<Row[]> {
  const { certificate, privateKey } = await generateSelfSigned({ sans: ['localhost'] });
  const server = newServer();
  const serverEp = await QuicEndpoint.bind({ address: '127.0.0.1', port: 0 });
  serverEp.listen({ tls: { certificateChain: [certificate], privateKey, alpn: ['bench'] }, onConnection: (c) => void server.serve(c, null) });
  const clientEp = await QuicEndpoint.bind({ address: '127.0.0.1', port: 0 });
  const conn = clientEp.connect(serverEp.address, { serverName: 'localhost', alpn: ['bench'], verify: trustExactly(certificate) });
  await conn.ready;
  const client = new RpcClient(conn as RpcSession, { maxConcurrentCalls: 256 });
  const rows: Row[] = [];
  for (const c of CONCURRENCY) rows.push(await drive('QUIC 127.0.0.1', client, c));
  await conn.close({ closeCode: 0n, reason: 'bench done' });
  await Promise.all([clientEp.close({ timeoutMs: 100 }), serverEp.close({ timeoutMs: 100 })]);
  return rows;
}

async function overMemory(): Promise<Row[]> {
  const [c, s] = createMemorySessionPair({ maxBidirectionalStreams: 256 });
  newServer().serve(s, null);
  const client = new RpcClient(c, { maxConcurrentCalls: 256 });
  const rows: Row[] = [];
  for (const n of CONCURRENCY) rows.push(await drive('in-memory pair', client, n));
  c.close();
  return rows;
}

function print(rows: Row[]): void {
  const head = ['transport', 'concurrent calls', 'calls', 'round trips/s', 'p50 ms', 'p99 ms'];
  const body = rows.map((r) => [r.transport, String(r.concurrency), String(r.calls), r.perSecond.toFixed(0), r.p50.toFixed(3), r.p99.toFixed(3)]);
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((b) => b[i]!.length)));
  const line = (cells: string[]): string => `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  console.log(line(head));
  console.log(`|${widths.map((w, i) => (i === 0 ? '-'.repeat(w + 2) : `${'-'.repeat(w + 1)}:`)).join('|')}|`);
  for (const b of body) console.log(line(b));
}

console.log(`rpc-framing round trips, ${PAYLOAD.byteLength}-byte payload echoed, ${SECONDS} s per row, Node ${process.version}`);
print([...(await overQuic()), ...(await overMemory())]);
