// The README example: build a 1-RTT packet's header and frames, then parse them back.
import { decodeFrames, encodeFrame, frameSize, parsePacketHeader, Writer, writeShortHeader, type Frame } from '@tsquic/quic-wire';

const frames: Frame[] = [
  {
    type: 'ack',
    largest: 42,
    ackDelay: 10,
    ranges: [
      [40, 42],
      [30, 35],
    ],
  },
  { type: 'stream', streamId: 0, offset: 0, data: new TextEncoder().encode('hello'), fin: true },
];
const dcid = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8);
const w = Writer.alloc(1200);
const pnOffset = writeShortHeader(w, { dcid, pnLength: 2, truncatedPn: 7, keyPhase: false });
const payloadStart = w.pos;
for (const f of frames) encodeFrame(w, f);
console.log(`packet: ${w.pos} bytes, frames ${frameSize(frames[0]!)} + ${frameSize(frames[1]!)} bytes`);

const header = parsePacketHeader(w.written(), 0, dcid.length); // (header protection would be removed here)
console.log(header.form, 'pn at', pnOffset);
const decoded = decodeFrames(w.buf.subarray(payloadStart, w.pos), '1rtt');
console.log(decoded.map((f) => f.type).join(', '));
export { decoded };
