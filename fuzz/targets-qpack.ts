/**
 * @module fuzz/targets-qpack
 * Fuzz targets for QPACK (RFC 9204, packages/http3/src/qpack): what a peer
 * sends on its encoder stream, in field sections, and on its decoder
 * stream. Each input's byte 0 picks the receiver's settings and how the
 * bytes are cut; the rest is the peer's bytes. Beyond "no unexpected
 * exception", each target checks the module's invariants: the decoder's
 * table within its capacity, a decoded section that re-encodes and decodes
 * to the same lines, reference counts never negative.
 * Seeds: fuzz/corpus/http3-qpack-* (written by fuzz/seed-qpack.ts).
 */
import { type FieldLine, FieldSectionTooLargeError, QpackDecoder, QpackEncoder, QpackError } from '../packages/http3/src/qpack/index.js';
import type { Target } from './engine.js';

/** A bug signal from inside a target. */
class Violation extends Error {
  override name = 'Violation';
}

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

/** RFC 9204 Appendix B's encoder stream, B.2 to B.4 (capacity 220, four entries), and B.5 (a fifth). */
export const APPENDIX_B_TABLE = hex('3fbd01 c00f7777772e6578616d706c652e636f6d c10c2f73616d706c652f70617468 4a637573746f6d2d6b65790c637573746f6d2d76616c7565 02');
export const APPENDIX_B_FIFTH = hex('810d637573746f6d2d76616c756532');

const CAPACITIES = [0, 64, 220, 4096];
const COVER = ['/packages/http3/src/qpack/'];
const expectedQpack = (e: unknown) => QpackError.isInstance(e) || FieldSectionTooLargeError.isInstance(e);

/** Feeds `bytes` in pieces: whole, halves, 1-octet, or 7-octet with the decoder stream taken between. */
function feed(mode: number, bytes: Uint8Array, push: (b: Uint8Array) => void, between: () => void): void {
  const size = [bytes.length || 1, Math.ceil(bytes.length / 2) || 1, 1, 7][mode & 3]!;
  for (let i = 0; i < bytes.length; i += size) {
    push(bytes.subarray(i, i + size));
    if ((mode & 3) === 3) between();
  }
}

/** Same names and values; a line sent never-indexed comes back so (the encoder adds the flag to credentials, short cookies). */
function sameLines(back: readonly FieldLine[], sent: readonly FieldLine[]): boolean {
  return back.length === sent.length && back.every((x, i) => x.name === sent[i]!.name && x.value === sent[i]!.value && (!sent[i]!.neverIndex || x.neverIndex === true));
}

/** Decoded lines must survive our own encoder and decoder (any table state). */
function roundTrip(fields: FieldLine[]): void {
  const enc = new QpackEncoder({ maxTableCapacity: 4096, maxBlockedStreams: 1, indexing: 'eager' });
  const dec = new QpackDecoder({ maxTableCapacity: 4096, maxBlockedStreams: 1 });
  const section = enc.encodeFieldSection(0n, fields);
  dec.receiveEncoderStream(enc.takeEncoderStreamData());
  const back = dec.decodeFieldSection(0n, section);
  if (!('fields' in back) || !sameLines(back.fields, fields)) throw new Violation(`re-encoded lines came back different: ${JSON.stringify(fields).slice(0, 200)}`);
}

const encoderStream: Omit<Target, 'seeds'> = {
  name: 'http3/qpack-encoder-stream',
  cover: COVER,
  // byte 0: bits 0-1 the decoder's maximum capacity, bits 2-3 how the stream is cut; then the peer's encoder stream
  run(d) {
    if (d.length === 0) return;
    const capacity = CAPACITIES[d[0]! & 3]!;
    const dec = new QpackDecoder({ maxTableCapacity: capacity, maxBlockedStreams: 2 });
    feed(
      d[0]! >> 2,
      d.subarray(1),
      (b) => {
        for (const u of dec.receiveEncoderStream(b)) if ('fields' in u) roundTrip(u.fields);
      },
      () => dec.takeDecoderStreamData(),
    );
    const t = dec.table;
    if (t.size > capacity || t.size > t.capacity) throw new Violation(`table of ${t.size} octets with capacity ${t.capacity} (maximum ${capacity})`);
    if (t.size !== t.entries.reduce((n, e) => n + e.name.length + e.value.length + 32, 0)) throw new Violation('table size is not the sum of its entries');
    if (dec.bufferedEncoderStreamBytes > 8 * Math.max(t.capacity, 32) + 32) throw new Violation(`${dec.bufferedEncoderStreamBytes} octets buffered`);
    // every entry is reachable from a field section referencing it
    if (t.entries.length > 0) {
      const newest = t.insertCount;
      const section = Uint8Array.of(((newest % (2 * Math.floor(capacity / 32))) + 1) & 0xff, 0x00, 0x80);
      if (newest < 254 && capacity >= 32) {
        const r = dec.decodeFieldSection(4n, section);
        if (!('fields' in r) || r.fields[0]!.value !== t.entries.at(-1)!.value) throw new Violation('the newest entry does not decode');
      }
    }
  },
  expected: expectedQpack,
};

const fieldSection: Omit<Target, 'seeds'> = {
  name: 'http3/qpack-field-section',
  cover: COVER,
  // byte 0: bit 0 a 256-octet SETTINGS_MAX_FIELD_SECTION_SIZE, bits 1-2 the stream; then a field section for a
  // decoder holding Appendix B's table (entries 0 to 3); a section that blocks gets B.5's fifth entry
  run(d) {
    if (d.length === 0) return;
    const dec = new QpackDecoder({ maxTableCapacity: 220, maxBlockedStreams: 1, ...(d[0]! & 1 ? { maxFieldSectionSize: 256 } : {}) });
    dec.receiveEncoderStream(APPENDIX_B_TABLE);
    dec.takeDecoderStreamData();
    const id = BigInt(4 * ((d[0]! >> 1) & 3));
    const r = dec.decodeFieldSection(id, d.subarray(1));
    if ('fields' in r) roundTrip(r.fields);
    else for (const u of dec.receiveEncoderStream(APPENDIX_B_FIFTH)) if ('fields' in u) roundTrip(u.fields);
    if (dec.blockedStreams > 1) throw new Violation('more blocked streams than allowed');
  },
  expected: expectedQpack,
  maxLength: 1024,
};

const decoderStream: Omit<Target, 'seeds'> = {
  name: 'http3/qpack-decoder-stream',
  cover: COVER,
  // byte 0: bits 0-1 how the stream is cut; then the peer's decoder stream, for an encoder that sent
  // sections with dynamic references on streams 0, 4 and 8 (and again on 0)
  run(d) {
    if (d.length === 0) return;
    const enc = new QpackEncoder({ maxTableCapacity: 220, maxBlockedStreams: 3, indexing: 'eager', huffman: 'never' });
    for (const [id, v] of [
      [0n, 'a'],
      [4n, 'b'],
      [8n, 'c'],
      [0n, 'a'],
    ] as const)
      enc.encodeFieldSection(id, [
        { name: 'x-k', value: v },
        { name: 'x-shared', value: '1' },
      ]);
    feed(
      d[0]!,
      d.subarray(1),
      (b) => enc.receiveDecoderStream(b),
      () => enc.encodeFieldSection(12n, [{ name: 'x-shared', value: '1' }]),
    );
    const t = enc.table;
    if (t.entries.some((e) => e.refs < 0)) throw new Violation('negative reference count');
    if (t.knownReceivedCount > t.insertCount) throw new Violation('Known Received Count past the insertions');
    if (enc.blockingStreams > 3) throw new Violation('more blocking streams than allowed');
  },
  expected: expectedQpack,
  maxLength: 256,
};

/** The targets, their seeds read by `corpus` from fuzz/corpus/http3-qpack-<name>/ (passed in by fuzz/targets.ts). */
export function qpackTargets(corpus: (name: string) => Uint8Array[]): Target[] {
  return [encoderStream, fieldSection, decoderStream].map((t) => ({ ...t, seeds: () => corpus(t.name.replace('/', '-')) }));
}
