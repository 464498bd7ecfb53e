/**
 * Throughput of the application layer alone, over in-memory sessions (no
 * QUIC, no network): hq-interop and HTTP/3 (@tsquic/http3) file transfers
 * from a temporary www directory. QPACK's own micro-benchmark is
 * packages/http3/bench/qpack.ts.
 * Run with `pnpm --filter @tsquic/example-interop bench`.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Http3Connection } from '@tsquic/http3';
import { fileHandler } from '../src/endpoint/server.js';
import { hqGet, serveHq } from '../src/hq/hq-interop.js';
import { createMemorySessionPair } from '../src/memory-session.js';
import { WwwRoot } from '../src/www.js';

async function drain(stream: ReadableStream<Uint8Array>): Promise<number> {
  const reader = stream.getReader();
  let n = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) return n;
    n += value.length;
  }
}

function rate(bytes: number, ms: number): string {
  return `${((bytes * 8) / (ms / 1000) / 1e9).toFixed(2)} Gbit/s`;
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'interop-bench-'));
  try {
    const size = 32 * 1024 * 1024;
    await writeFile(join(dir, 'big.bin'), randomBytes(size));
    const root = await WwwRoot.open(dir);

    for (const protocol of ['hq-interop', 'h3'] as const) {
      const runs: number[] = [];
      for (let i = 0; i < 3; i++) {
        const [c, s] = createMemorySessionPair({ highWaterMark: 256 * 1024 });
        const t0 = performance.now();
        let n: number;
        if (protocol === 'h3') {
          Http3Connection.server(s, fileHandler(root));
          const client = Http3Connection.client(c);
          n = await drain((await client.fetch('https://bench/big.bin')).body!);
          client.close();
        } else {
          void serveHq(s, root);
          n = await drain(await hqGet(c, '/big.bin'));
          c.close();
        }
        if (n !== size) throw new Error(`short transfer: ${n}`);
        runs.push(performance.now() - t0);
      }
      const best = Math.min(...runs);
      console.log(`${protocol.padEnd(10)} 32 MiB file, in memory: best ${best.toFixed(0)} ms = ${rate(size, best)}`);
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
