/**
 * @module fuzz/seed-qpack
 * Writes the seed corpora of the QPACK fuzz targets (fuzz/targets-qpack.ts):
 * RFC 9204 Appendix B's encoder stream, field sections and decoder stream,
 * and what our own encoder and decoder write for browser requests.
 * Run: `pnpm exec tsx fuzz/seed-qpack.ts` (idempotent).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { QpackDecoder, QpackEncoder } from '../packages/http3/src/qpack/index.js';
import { fieldSection, indexed, literal, nameRef } from '../packages/http3/test/qpack/builders.js';
import { pageRequest, subresourceRequest } from '../packages/http3/test/qpack/browser-request.js';
import { APPENDIX_B_FIFTH, APPENDIX_B_TABLE } from './targets-qpack.js';

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const cat = (...parts: ArrayLike<number>[]) => Uint8Array.from(parts.flatMap((p) => Array.from(p)));
const out = new Map<string, Uint8Array[]>();
const add = (name: string, ...bytes: Uint8Array[]) => out.set(name, [...(out.get(name) ?? []), ...bytes]);

// Our encoder and decoder over a browser page load: the encoder stream, the sections, the decoder stream.
const enc = new QpackEncoder({ maxTableCapacity: 4096, maxBlockedStreams: 16 });
const dec = new QpackDecoder({ maxTableCapacity: 4096, maxBlockedStreams: 16 });
let encoderStream = new Uint8Array(0);
let decoderStream = new Uint8Array(0);
const requests = [pageRequest('/'), subresourceRequest('/a.png'), subresourceRequest('/b.png'), subresourceRequest('/c.png')];
for (const [i, fields] of requests.entries()) {
  const section = enc.encodeFieldSection(BigInt(4 * i), fields);
  const instructions = enc.takeEncoderStreamData();
  encoderStream = cat(encoderStream, instructions);
  dec.receiveEncoderStream(instructions);
  dec.decodeFieldSection(BigInt(4 * i), section);
  const feedback = dec.takeDecoderStreamData();
  decoderStream = cat(decoderStream, feedback);
  enc.receiveDecoderStream(feedback);
}

// encoder stream: byte 0 = capacity index (0, 64, 220, 4096) | cut mode << 2
add('http3-qpack-encoder-stream', cat([2 | (3 << 2)], APPENDIX_B_TABLE, APPENDIX_B_FIFTH), cat([2], APPENDIX_B_TABLE), cat([3 | (1 << 2)], encoderStream), cat([3 | (3 << 2)], encoderStream));
add('http3-qpack-encoder-stream', cat([0], hex('20')), cat([1 | (2 << 2)], hex('3f21 4178 0179 00 00 3f01')));

// field sections for a decoder holding Appendix B's table; byte 0 = size-limit bit | stream << 1
add(
  'http3-qpack-field-section',
  cat([0], hex('0000 510b 2f69 6e64 6578 2e68 746d 6c')), // B.1
  cat([2], hex('0381 10 11')), // B.2
  cat([4], hex('0500 80 c1 81')), // B.4
  cat([6], fieldSection(5, 4, [indexed('post-base', 0), nameRef('post-base', 0, 'v2', true), nameRef('dynamic', 1, 'x'), literal('authorization', 'secret', true)])), // blocks until B.5
  cat([1], new QpackEncoder({ maxTableCapacity: 0, maxBlockedStreams: 0 }).encodeFieldSection(0n, pageRequest('/'))),
  cat([0], new QpackEncoder({ maxTableCapacity: 0, maxBlockedStreams: 0, huffman: 'never' }).encodeFieldSection(0n, subresourceRequest('/x.png'))),
);

// decoder stream: byte 0 = cut mode
add('http3-qpack-decoder-stream', cat([0], hex('80 84 88 80')), cat([2], hex('40 44 48 02')), cat([3], hex('01 80 44 01 88')), cat([1], decoderStream), cat([0], hex('80 3f e2 00')));

for (const [name, files] of out) {
  const dir = fileURLToPath(new URL(`./corpus/${name}/`, import.meta.url));
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  files.forEach((b, i) => writeFileSync(`${dir}${String(i).padStart(3, '0')}.bin`, b));
  console.log(`${name.padEnd(28)} ${files.length} files, ${files.reduce((n, b) => n + b.length, 0)} bytes`);
}
