/**
 * QPACK encode and decode of a realistic browser request (RFC 9204): the
 * static table only (what the interop example did) against the dynamic
 * table in steady state (entries inserted and acknowledged), in sections per
 * second and octets per section.
 *   tsx packages/http3/bench/qpack.ts            (BENCH_SECONDS=N per figure, default 2)
 *   tsx packages/http3/bench/qpack.ts --smoke    (a few milliseconds each, checks the results)
 */
import { type FieldLine, type IndexingPolicy, QpackDecoder, QpackEncoder } from '../src/qpack/index.js';
import { subresourceRequest } from '../test/qpack/browser-request.js';

const SMOKE = process.argv.includes('--smoke');
const SECONDS = SMOKE ? 0.02 : Number(process.env.BENCH_SECONDS ?? 2);
const BATCH = 100; // sections encoded, then delivered and decoded, then acknowledged, per round
const SETTINGS = { maxTableCapacity: 4096, maxBlockedStreams: 100 };
const requests: FieldLine[][] = Array.from({ length: 64 }, (_, i) => subresourceRequest(`/assets/img-${i}.png`));
const textOctets = requests[0]!.reduce((n, f) => n + f.name.length + f.value.length + 4, 0); // "name: value\r\n"

function measure(indexing: IndexingPolicy): { encodePerSecond: number; decodePerSecond: number; sectionOctets: number; streamOctets: number } {
  const encoder = new QpackEncoder({ ...SETTINGS, indexing });
  const decoder = new QpackDecoder(SETTINGS);
  let encodeMs = 0;
  let decodeMs = 0;
  let sections = 0;
  let sectionOctets = 0;
  let streamOctets = 0;
  let stream = 0n;
  const sent: Uint8Array[] = new Array(BATCH);
  const round = (counted: boolean) => {
    const first = stream;
    let t = performance.now();
    for (let i = 0; i < BATCH; i++) sent[i] = encoder.encodeFieldSection((stream += 4n), requests[i % requests.length]!);
    const instructions = encoder.takeEncoderStreamData();
    const t1 = performance.now();
    decoder.receiveEncoderStream(instructions);
    for (let i = 0; i < BATCH; i++) {
      const r = decoder.decodeFieldSection(first + BigInt(4 * (i + 1)), sent[i]!);
      if (SMOKE && (!('fields' in r) || r.fields.length !== requests[i % requests.length]!.length)) throw new Error('decoded a different section');
    }
    const feedback = decoder.takeDecoderStreamData();
    const t2 = performance.now();
    encoder.receiveDecoderStream(feedback);
    t = performance.now() - t2 + (t1 - t);
    if (!counted) return;
    encodeMs += t;
    decodeMs += t2 - t1;
    sections += BATCH;
    for (const s of sent) sectionOctets += s.length;
    streamOctets += instructions.length + feedback.length;
  };
  for (let i = 0; i < (SMOKE ? 2 : 200); i++) round(false); // warm-up: the table fills and is acknowledged
  const end = performance.now() + SECONDS * 1000;
  do round(true);
  while (performance.now() < end);
  return { encodePerSecond: (sections / encodeMs) * 1000, decodePerSecond: (sections / decodeMs) * 1000, sectionOctets: sectionOctets / sections, streamOctets: streamOctets / sections };
}

console.log(`qpack: a browser sub-resource request, ${requests[0]!.length} lines, ${textOctets} octets as HTTP/1.1 text${SMOKE ? ' (smoke)' : ''}`);
for (const [label, indexing] of [
  ['static only', 'never'],
  ['dynamic table', 'repeated'],
] as const) {
  const r = measure(indexing);
  const k = (n: number) => `${(n / 1000).toFixed(0).padStart(5)}k/s`;
  console.log(`${label.padEnd(14)} encode ${k(r.encodePerSecond)}  decode ${k(r.decodePerSecond)}  ${r.sectionOctets.toFixed(1).padStart(6)} octets/section  +${r.streamOctets.toFixed(2)} encoder/decoder-stream octets/section`);
  if (SMOKE && !(r.sectionOctets > 0 && r.encodePerSecond > 0 && r.decodePerSecond > 0)) throw new Error(`no figure for ${label}`);
}
