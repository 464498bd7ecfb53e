/**
 * Frames encoded + decoded per second for a realistic 1-RTT mix: an ACK with
 * several ranges, a 1 KB STREAM frame, MAX_STREAM_DATA and PADDING.
 *   pnpm --filter @tsquic/quic-wire bench   (BENCH_SECONDS=N, default 2)
 */
import { decodeFrames, encodeFrame, frameSize, Writer, type Frame } from '../src/index.js';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 2);
const payload = new Uint8Array(1024).fill(7);
const MIX: Frame[] = [
  {
    type: 'ack',
    largest: 123456,
    ackDelay: 40,
    ranges: [
      [123400, 123456],
      [123300, 123390],
      [123000, 123200],
      [122000, 122900],
    ],
  },
  { type: 'stream', streamId: 4, offset: 1 << 20, data: payload, fin: false },
  { type: 'max_stream_data', streamId: 4, maximum: 1 << 22 },
  { type: 'padding', length: 32 },
];
const size = MIX.reduce((n, f) => n + frameSize(f), 0);
const buf = new Uint8Array(size);

function run(label: string, body: () => void): void {
  for (let i = 0; i < 20000; i++) body(); // warm-up
  let n = 0;
  const t0 = performance.now();
  const end = t0 + SECONDS * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < 1000; i++) body();
    n += 1000;
  }
  const s = (performance.now() - t0) / 1000;
  const frames = (n * MIX.length) / s;
  console.log(`${label.padEnd(22)} ${(frames / 1e6).toFixed(2).padStart(7)} M frames/s  ${((n * size * 8) / s / 1e9).toFixed(2).padStart(6)} Gbit/s of frames`);
}

console.log(`quic-wire frame codec, mix of ${MIX.length} frames (${size} bytes) per packet`);
run('encode', () => {
  const w = new Writer(buf);
  for (const f of MIX) encodeFrame(w, f);
});
run('decode', () => {
  decodeFrames(buf, '1rtt');
});
run('encode + decode', () => {
  const w = new Writer(buf);
  for (const f of MIX) encodeFrame(w, f);
  decodeFrames(buf, '1rtt');
});
