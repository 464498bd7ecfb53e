/**
 * @module fuzz/seed-http3
 * Writes the seed corpora of the HTTP/3 fuzz targets (fuzz/targets-http3.ts):
 * the frames our connection writes on control and request streams (SETTINGS
 * with GREASE, GOAWAY, requests and responses with interim responses, DATA
 * and trailers, QPACK sections with dynamic references), capsules and HTTP/3
 * datagrams of a WebTransport-style session, and Alt-Svc values.
 * Run: `pnpm exec tsx fuzz/seed-http3.ts` (idempotent).
 */
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { altSvc } from '../packages/http3/src/alt-svc.js';
import { encodeCapsule } from '../packages/http3/src/capsule.js';
import { encodeHttpDatagram } from '../packages/http3/src/datagram.js';
import { reservedCodePoint } from '../packages/http3/src/errors.js';
import { encodeFrame, encodeIdPayload, FrameType } from '../packages/http3/src/frames.js';
import { QpackEncoder, type FieldLine } from '../packages/http3/src/qpack/index.js';
import { encodeSettings } from '../packages/http3/src/settings.js';

const cat = (...parts: ArrayLike<number>[]) => Uint8Array.from(parts.flatMap((p) => Array.from(p)));
const out = new Map<string, Uint8Array[]>();
const add = (name: string, ...bytes: Uint8Array[]) => out.set(name, [...(out.get(name) ?? []), ...bytes]);
const F = (pairs: Array<[string, string]>): FieldLine[] => pairs.map(([name, value]) => ({ name, value }));
const text = (s: string) => new TextEncoder().encode(s);

const staticOnly = new QpackEncoder({ maxTableCapacity: 0, maxBlockedStreams: 0 });
const section = (pairs: Array<[string, string]>) => staticOnly.encodeFieldSection(0n, F(pairs));
const headers = (pairs: Array<[string, string]>) => encodeFrame(FrameType.HEADERS, section(pairs));
const data = (s: string) => encodeFrame(FrameType.DATA, text(s));
const grease = reservedCodePoint(0.25);

// frames: byte 0 = receiver (bit 0: server) | control (bit 1) | cut << 2
const settings = encodeFrame(
  FrameType.SETTINGS,
  encodeSettings([
    [0x01n, 4096n],
    [0x07n, 16n],
    [0x06n, 65536n],
    [0x08n, 1n],
    [0x33n, 1n],
    [grease, 7n],
  ]),
);
add('http3-frames', cat([0b0011], settings, encodeFrame(grease, new Uint8Array(0)), encodeFrame(FrameType.GOAWAY, encodeIdPayload(8))));
add('http3-frames', cat([0b0010 | (2 << 2)], settings, encodeFrame(FrameType.GOAWAY, encodeIdPayload(4)), encodeFrame(FrameType.GOAWAY, encodeIdPayload(0))));
add('http3-frames', cat([0b0011 | (3 << 2)], settings, encodeFrame(FrameType.MAX_PUSH_ID, encodeIdPayload(3))));
const get: Array<[string, string]> = [
  [':method', 'GET'],
  [':scheme', 'https'],
  [':authority', 'localhost:443'],
  [':path', '/index.html'],
  ['user-agent', 'tsquic'],
  ['accept', '*/*'],
];
add('http3-frames', cat([0b0001], headers(get)));
add('http3-frames', cat([0b0001 | (1 << 2)], headers([[':method', 'POST'], ...get.slice(1), ['content-length', '5']]), encodeFrame(0x21, text('x')), data('hel'), data('lo'), headers([['x-checksum', 'abc']])));
add(
  'http3-frames',
  cat(
    [0b0001],
    headers([
      [':method', 'CONNECT'],
      [':protocol', 'webtransport'],
      [':scheme', 'https'],
      [':authority', 'a:443'],
      [':path', '/wt'],
      ['origin', 'https://a'],
    ]),
    data('\u0000'),
  ),
);
add(
  'http3-frames',
  cat(
    [0b0000 | (2 << 2)],
    headers([
      [':status', '103'],
      ['link', '</a.css>; rel=preload'],
    ]),
    headers([
      [':status', '200'],
      ['content-length', '5'],
      ['content-type', 'text/plain'],
    ]),
    data('hello'),
    headers([['x-trailer', '1']]),
  ),
);
add('http3-frames', cat([0b0000], headers([[':status', '204']])));
// A section with dynamic references (Required Insert Count above 0): blocks in the target's fresh decoder.
const dynamic = new QpackEncoder({ maxTableCapacity: 4096, maxBlockedStreams: 4, indexing: 'eager' });
add('http3-frames', cat([0b0001], encodeFrame(FrameType.HEADERS, dynamic.encodeFieldSection(0n, F(get)))));

// capsules: byte 0 = wanted mask (bit i: type % 8 == i) | cut << 6
add('http3-capsules', cat([0xff], encodeCapsule(0x00n, text('datagram')), encodeCapsule(0x78aen, new Uint8Array(0)), encodeCapsule(0x2843n, cat([0, 0, 0, 1], text('bye')))));
add('http3-capsules', cat([0x01 | (2 << 6)], encodeCapsule(grease, new Uint8Array(300)), encodeCapsule(0x00n, text('after a skipped one'))));
add('http3-capsules', cat([0x00], encodeHttpDatagram(4n, text('payload'))), cat([0x00], encodeHttpDatagram(400n * 4n, new Uint8Array(0))));

// alt-svc: header values
add(
  'http3-alt-svc',
  text(altSvc({ port: 443 })),
  text(
    altSvc([
      { port: 8443, maxAge: 86400 },
      { host: 'alt.example', port: 443, persist: true },
    ]),
  ),
  text('h3-29=":443"; ma=3600, h3="[::1]:8443"'),
  text('clear'),
);

for (const [name, files] of out) {
  const dir = fileURLToPath(new URL(`./corpus/${name}/`, import.meta.url));
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  files.forEach((bytes, i) => writeFileSync(`${dir}/${String(i).padStart(3, '0')}.bin`, bytes));
  console.log(`${name}: ${files.length} seeds`);
}
