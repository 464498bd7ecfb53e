/**
 * Truncation of everything a peer sends (STYLE: every truncated prefix must
 * fail cleanly). A field section arrives whole, so one cut inside a
 * representation is QPACK_DECOMPRESSION_FAILED, and one cut between
 * representations decodes to the lines before the cut (or fails if a
 * reference the prefix needed went missing). Instruction streams have no
 * boundaries: any prefix is held without effect until the rest arrives, and
 * every split of a stream ends in the same state.
 */
import { describe, expect, it, vi } from 'vitest';
import { type FieldLine, QpackDecoder, QpackEncoder, QpackErrorCode, Reader, readFieldLine, readFieldSectionPrefix, maxEntries } from '../../src/qpack/index.js';
import { pageRequest, subresourceRequest } from './browser-request.js';
import { qpackErrorOf } from './support.js';

const SETTINGS = { maxTableCapacity: 4096, maxBlockedStreams: 16 };

/** A recorded connection: the encoder stream, each field section with its fields, and the decoder stream. */
function record(): { encoderStream: Uint8Array; sections: { id: bigint; bytes: Uint8Array; fields: FieldLine[]; inserts: number }[]; decoderStream: Uint8Array } {
  const enc = new QpackEncoder({ ...SETTINGS, huffman: 'auto' });
  const dec = new QpackDecoder(SETTINGS);
  const chunks: Uint8Array[] = [];
  const feedback: Uint8Array[] = [];
  const sections = [];
  const requests = [
    pageRequest('/'),
    subresourceRequest('/a.png'),
    subresourceRequest('/b.png'),
    subresourceRequest('/b.png'),
    [
      { name: 'x-custom', value: 'v' },
      { name: 'x-custom', value: 'v' },
      { name: 'x-custom', value: 'w' },
    ],
  ];
  requests.push(requests[4]!, requests[4]!);
  for (const [i, fields] of requests.entries()) {
    const id = BigInt(4 * i);
    const bytes = enc.encodeFieldSection(id, fields);
    const instructions = enc.takeEncoderStreamData();
    chunks.push(instructions);
    dec.receiveEncoderStream(instructions);
    sections.push({ id, bytes, fields, inserts: dec.table.insertCount });
    dec.decodeFieldSection(id, bytes);
    const f = dec.takeDecoderStreamData();
    feedback.push(f);
    enc.receiveDecoderStream(f);
  }
  const join = (list: Uint8Array[]) => Uint8Array.from(list.flatMap((c) => [...c]));
  return { encoderStream: join(chunks), sections, decoderStream: join(feedback) };
}

const recorded = record();

/** A decoder holding the table as it was when `inserts` entries had arrived. */
function decoderAt(inserts: number): QpackDecoder {
  const d = new QpackDecoder(SETTINGS);
  for (let i = 0; d.table.insertCount < inserts; i++) d.receiveEncoderStream(recorded.encoderStream.subarray(i, i + 1));
  return d;
}

/** Offsets where each representation of a section ends. */
function boundaries(section: Uint8Array, inserts: number): number[] {
  const r = new Reader(section, 0, section.length, QpackErrorCode.DECOMPRESSION_FAILED);
  readFieldSectionPrefix(r, maxEntries(SETTINGS.maxTableCapacity), inserts);
  const ends = [r.pos];
  while (!r.done) {
    readFieldLine(r);
    ends.push(r.pos);
  }
  return ends;
}

// Each case replays a recorded connection many times; generous timeouts for a loaded machine.
vi.setConfig({ testTimeout: 60_000 });

describe('truncated field sections fail cleanly', () => {
  it('the recorded sections use the dynamic table (the test is not vacuous)', () => {
    expect(recorded.sections.filter((s) => s.bytes[0] !== 0).length).toBeGreaterThanOrEqual(4);
    expect(recorded.encoderStream.length).toBeGreaterThan(100);
  });

  for (const [n, { id, bytes, fields, inserts }] of recorded.sections.entries()) {
    it(`section ${n} (${bytes.length} octets, ${fields.length} lines): every prefix`, () => {
      const ends = boundaries(bytes, inserts);
      for (let cut = 0; cut < bytes.length; cut++) {
        const d = decoderAt(inserts);
        const line = ends.indexOf(cut);
        let result: unknown;
        const e = qpackErrorOf(() => (result = d.decodeFieldSection(id, bytes.subarray(0, cut))));
        if (line < 0) {
          expect(e?.code, `cut at ${cut}`).toBe(QpackErrorCode.DECOMPRESSION_FAILED);
        } else if (e === undefined) {
          expect(result).toEqual({ fields: fields.slice(0, line) }); // the prefix is a valid section on its own
        } else {
          expect(e.reason).toMatch(/largest dynamic reference/); // it lost the reference its Required Insert Count promised
        }
      }
    });
  }
});

describe('truncated instruction streams wait for the rest', () => {
  it('the encoder stream, cut anywhere, applies only whole instructions; the rest completes it', () => {
    const whole = new QpackDecoder(SETTINGS);
    whole.receiveEncoderStream(recorded.encoderStream);
    const full = whole.table;
    const counts = new Set<number>();
    for (let cut = 0; cut <= recorded.encoderStream.length; cut++) {
      const d = new QpackDecoder(SETTINGS);
      d.receiveEncoderStream(recorded.encoderStream.subarray(0, cut));
      counts.add(d.table.insertCount);
      expect(d.table.entries).toEqual(full.entries.slice(0, d.table.insertCount));
      d.receiveEncoderStream(recorded.encoderStream.subarray(cut));
      expect(d.table).toEqual(full);
      expect(d.bufferedEncoderStreamBytes).toBe(0);
    }
    expect(counts.size).toBe(full.insertCount + 1); // every instruction boundary was crossed
  });

  it('the encoder stream in pieces of every size from 1 to 17 octets ends in the same table', () => {
    const whole = new QpackDecoder(SETTINGS);
    whole.receiveEncoderStream(recorded.encoderStream);
    for (let size = 1; size <= 17; size++) {
      const d = new QpackDecoder(SETTINGS);
      for (let i = 0; i < recorded.encoderStream.length; i += size) d.receiveEncoderStream(recorded.encoderStream.subarray(i, i + size));
      expect(d.table).toEqual(whole.table);
    }
  });

  it('the decoder stream, cut anywhere, applies only whole instructions; the rest completes it', () => {
    const replay = (cut: number) => {
      const enc = new QpackEncoder({ ...SETTINGS, huffman: 'auto' });
      for (const { id, fields } of recorded.sections) enc.encodeFieldSection(id, fields);
      enc.receiveDecoderStream(recorded.decoderStream.subarray(0, cut));
      const partial = enc.table.knownReceivedCount;
      enc.receiveDecoderStream(recorded.decoderStream.subarray(cut));
      return { partial, final: enc.table };
    };
    const whole = replay(recorded.decoderStream.length).final;
    expect(whole.knownReceivedCount).toBe(whole.insertCount);
    expect(whole.entries.every((e) => e.refs === 0)).toBe(true);
    for (let cut = 0; cut <= recorded.decoderStream.length; cut++) {
      const { partial, final } = replay(cut);
      expect(partial).toBeLessThanOrEqual(whole.knownReceivedCount);
      expect(final).toEqual(whole);
    }
  });
});
