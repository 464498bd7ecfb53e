/**
 * Throughput of the application layer alone, over in-memory sessions (no
 * QUIC, no network): hq-interop and HTTP/3 file transfers from a temporary
 * www directory, and QPACK decoding of a typical request/response section.
 * Run with `pnpm --filter @tsquic/example-interop bench`.
 */
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileHandler } from '../src/endpoint/server.js';
import { H3Client } from '../src/h3/client.js';
import { serveH3 } from '../src/h3/server.js';
import { hqGet, serveHq } from '../src/hq/hq-interop.js';
import { createMemorySessionPair } from '../src/memory-session.js';
import { decodeFieldSection, encodeFieldSection, type FieldLine } from '../src/qpack/field-section.js';
import { huffmanDecode, huffmanEncode } from '../src/qpack/huffman.js';
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
          serveH3(s, fileHandler(root));
          const client = H3Client.open(c);
          n = await drain((await client.request({ authority: 'bench', path: '/big.bin' })).body);
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

    const request: FieldLine[] = [
      [':method', 'GET'],
      [':scheme', 'https'],
      [':authority', 'server4:443'],
      [':path', `/${'a'.repeat(40)}`],
      ['user-agent', 'tsquic-interop/0.0.0'],
    ];
    const section = encodeFieldSection(request);
    const n = 200_000;
    let t0 = performance.now();
    for (let i = 0; i < n; i++) decodeFieldSection(section, { maxFieldSectionSize: 65536 });
    let ms = performance.now() - t0;
    console.log(`QPACK decode, 5-line request section (${section.length} bytes): ${Math.round(n / (ms / 1000)).toLocaleString('en')} sections/s`);

    const text = new TextEncoder().encode('Mon, 21 Oct 2013 20:13:21 GMT https://www.example.com/some/path?query=1');
    const coded = huffmanEncode(text);
    t0 = performance.now();
    for (let i = 0; i < n; i++) huffmanDecode(coded);
    ms = performance.now() - t0;
    console.log(`Huffman decode: ${((n * text.length) / (ms / 1000) / 1e6).toFixed(1)} MB/s of decoded text`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

await main();
