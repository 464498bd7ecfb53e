/**
 * RFC 9204 Appendix B, byte for byte: the encoder stream, field sections and
 * decoder stream of B.1 to B.5, with the RFC's table after each step (Abs,
 * Ref, Name, Value, the 'acknowledged' line, Size). The decoder side
 * reproduces every decoded field and table state; the encoder side is our
 * QpackEncoder driven into the same states, producing the RFC's bytes where
 * the RFC's choice follows from a rule (B.1, B.2, B.3); for B.4 and B.5,
 * whose Duplicate is the example's free choice, the instruction and
 * representation codecs reproduce the RFC's bytes and our encoder's own
 * choice is shown to decode to the same fields.
 */
import { describe, expect, it } from 'vitest';
import { ByteWriter, encodeDecoderInstruction, encodeEncoderInstruction, encodeFieldLine, encodeFieldSectionPrefix, maxEntries, QpackDecoder, QpackEncoder } from '../../src/qpack/index.js';
import { hex, toHex } from './support.js';

/** The RFC's vectors, as extracted from the text of Appendix B (hex before each '|'). */
const B = {
  b1Section0: '0000 510b 2f69 6e64 6578 2e68 746d 6c',
  b2Encoder: '3fbd01 c00f 7777 772e 6578 616d 706c 652e 636f 6d c10c 2f73 616d 706c 652f 7061 7468',
  b2Section4: '0381 10 11',
  b2Decoder: '84',
  b3Encoder: '4a63 7573 746f 6d2d 6b65 790c 6375 7374 6f6d 2d76 616c 7565',
  b3Decoder: '01',
  b4Encoder: '02',
  b4Section8: '0500 80 c1 81',
  b4Decoder: '48',
  b5Encoder: '810d 6375 7374 6f6d 2d76 616c 7565 32',
};

/** An RFC table: rows of [Abs, Ref, Name, Value], the number of rows above the 'acknowledged' line, Size. */
type RfcTable = { rows: [number, number, string, string][]; acknowledged: number; size: number };

const AUTHORITY: [string, string] = [':authority', 'www.example.com'];
const SAMPLE_PATH: [string, string] = [':path', '/sample/path'];
const CUSTOM: [string, string] = ['custom-key', 'custom-value'];

// prettier-ignore
const TABLES: Record<string, RfcTable> = {
  'B.1': { rows: [], acknowledged: 0, size: 0 },
  'B.2 inserts': { rows: [[0, 0, ...AUTHORITY], [1, 0, ...SAMPLE_PATH]], acknowledged: 0, size: 106 },
  'B.2 section': { rows: [[0, 1, ...AUTHORITY], [1, 1, ...SAMPLE_PATH]], acknowledged: 0, size: 106 },
  'B.2 ack': { rows: [[0, 0, ...AUTHORITY], [1, 0, ...SAMPLE_PATH]], acknowledged: 2, size: 106 },
  'B.3 insert': { rows: [[0, 0, ...AUTHORITY], [1, 0, ...SAMPLE_PATH], [2, 0, ...CUSTOM]], acknowledged: 2, size: 160 },
  'B.3 increment': { rows: [[0, 0, ...AUTHORITY], [1, 0, ...SAMPLE_PATH], [2, 0, ...CUSTOM]], acknowledged: 3, size: 160 },
  'B.4 duplicate': { rows: [[0, 0, ...AUTHORITY], [1, 0, ...SAMPLE_PATH], [2, 0, ...CUSTOM], [3, 0, ...AUTHORITY]], acknowledged: 3, size: 217 },
  'B.4 section': { rows: [[0, 0, ...AUTHORITY], [1, 0, ...SAMPLE_PATH], [2, 1, ...CUSTOM], [3, 1, ...AUTHORITY]], acknowledged: 3, size: 217 },
  'B.4 cancel': { rows: [[0, 0, ...AUTHORITY], [1, 0, ...SAMPLE_PATH], [2, 0, ...CUSTOM], [3, 0, ...AUTHORITY]], acknowledged: 3, size: 217 },
  'B.5 insert': { rows: [[1, 0, ...SAMPLE_PATH], [2, 0, ...CUSTOM], [3, 0, ...AUTHORITY], [4, 0, 'custom-key', 'custom-value2']], acknowledged: 2, size: 215 },
};

/** The acknowledged line sits below the rows whose Abs is under the Known Received Count. */
function encoderView(enc: QpackEncoder): RfcTable {
  const t = enc.table;
  const rows = t.entries.map((e): [number, number, string, string] => [e.absolute, e.refs, e.name, e.value]);
  return { rows, acknowledged: rows.filter(([abs]) => abs < t.knownReceivedCount).length, size: t.size };
}

/** The decoder's table has no Ref column: compare Abs, Name, Value and Size. */
function decoderView(dec: QpackDecoder): { rows: [number, string, string][]; size: number } {
  const t = dec.table;
  return { rows: t.entries.map((e): [number, string, string] => [e.absolute, e.name, e.value]), size: t.size };
}

function withoutRefs(t: RfcTable): { rows: [number, string, string][]; size: number } {
  return { rows: t.rows.map(([abs, , name, value]): [number, string, string] => [abs, name, value]), size: t.size };
}

/** The decoder is ours with SETTINGS_QPACK_MAX_TABLE_CAPACITY 220 (B.2 sets exactly that) and one blocked stream. */
const DECODER = { maxTableCapacity: 220, maxBlockedStreams: 1 };

describe('RFC 9204 Appendix B: our decoder', () => {
  it('B.1 to B.5: decodes every section to the RFC fields, writes the RFC decoder stream, keeps the RFC table', () => {
    const dec = new QpackDecoder(DECODER);
    // B.1: Literal Field Line with Name Reference, static index 1
    expect(dec.decodeFieldSection(0n, hex(B.b1Section0))).toEqual({ fields: [{ name: ':path', value: '/index.html' }] });
    expect(decoderView(dec)).toEqual(withoutRefs(TABLES['B.1']!));
    expect(toHex(dec.takeDecoderStreamData())).toBe(''); // Required Insert Count 0: nothing to acknowledge

    // B.2: capacity 220, two inserts by static name reference; a section with post-Base indices
    expect(dec.receiveEncoderStream(hex(B.b2Encoder))).toEqual([]);
    expect(decoderView(dec)).toEqual(withoutRefs(TABLES['B.2 inserts']!));
    expect(dec.table.capacity).toBe(220);
    expect(dec.decodeFieldSection(4n, hex(B.b2Section4))).toEqual({
      fields: [
        { name: ':authority', value: 'www.example.com' },
        { name: ':path', value: '/sample/path' },
      ],
    });
    expect(toHex(dec.takeDecoderStreamData())).toBe(B.b2Decoder); // Section Acknowledgment covers both inserts
    expect(dec.table.knownReceivedCount).toBe(TABLES['B.2 ack']!.acknowledged);

    // B.3: speculative insert with a literal name, acknowledged by an Insert Count Increment
    expect(dec.receiveEncoderStream(hex(B.b3Encoder))).toEqual([]);
    expect(decoderView(dec)).toEqual(withoutRefs(TABLES['B.3 insert']!));
    expect(toHex(dec.takeDecoderStreamData())).toBe(B.b3Decoder);
    expect(dec.table.knownReceivedCount).toBe(TABLES['B.3 increment']!.acknowledged);

    // B.4: the section on stream 8 arrives before the delayed Duplicate: it blocks; the stream is cancelled
    expect(dec.decodeFieldSection(8n, hex(B.b4Section8))).toEqual({ blocked: true });
    expect(dec.blockedStreams).toBe(1);
    dec.cancelStream(8n);
    expect(toHex(dec.takeDecoderStreamData())).toBe(B.b4Decoder);
    expect(dec.blockedStreams).toBe(0);
    expect(dec.receiveEncoderStream(hex(B.b4Encoder))).toEqual([]); // the section was dropped with its stream
    expect(decoderView(dec)).toEqual(withoutRefs(TABLES['B.4 cancel']!));

    // B.5: an insert with a dynamic name reference evicts the oldest entry
    expect(dec.receiveEncoderStream(hex(B.b5Encoder))).toEqual([]);
    expect(decoderView(dec)).toEqual(withoutRefs(TABLES['B.5 insert']!));
    expect(dec.stats).toEqual({ inserts: 5, duplicates: 1, dynamicReferences: 2, blockedSections: 1 });
  });

  it('B.4 without the cancellation: the Duplicate unblocks the section, which decodes to the RFC fields', () => {
    const dec = new QpackDecoder(DECODER);
    dec.receiveEncoderStream(hex(B.b2Encoder));
    dec.decodeFieldSection(4n, hex(B.b2Section4));
    dec.receiveEncoderStream(hex(B.b3Encoder));
    expect(toHex(dec.takeDecoderStreamData())).toBe(`${B.b2Decoder}${B.b3Decoder}`);
    expect(dec.decodeFieldSection(8n, hex(B.b4Section8))).toEqual({ blocked: true });
    expect(dec.receiveEncoderStream(hex(B.b4Encoder))).toEqual([
      {
        streamId: 8n,
        fields: [
          { name: ':authority', value: 'www.example.com' },
          { name: ':path', value: '/' },
          { name: 'custom-key', value: 'custom-value' },
        ],
      },
    ]);
    // Section Acknowledgment for stream 8 (Required Insert Count 4 covers the Duplicate: no Increment needed)
    expect(toHex(dec.takeDecoderStreamData())).toBe('88');
  });

  it('B.1 to B.5 delivered one byte at a time on every stream: the same fields, decoder stream and table', () => {
    const dec = new QpackDecoder(DECODER);
    const trickle = (s: string) => hex(s).forEach((b) => expect(dec.receiveEncoderStream(Uint8Array.of(b))).toEqual([]));
    trickle(B.b2Encoder);
    expect(dec.decodeFieldSection(4n, hex(B.b2Section4))).toHaveProperty('fields');
    trickle(B.b3Encoder);
    expect(toHex(dec.takeDecoderStreamData())).toBe(`${B.b2Decoder}${B.b3Decoder}`);
    expect(dec.decodeFieldSection(8n, hex(B.b4Section8))).toEqual({ blocked: true });
    dec.cancelStream(8n);
    trickle(B.b4Encoder);
    trickle(B.b5Encoder);
    expect(decoderView(dec)).toEqual(withoutRefs(TABLES['B.5 insert']!));
  });
});

describe('RFC 9204 Appendix B: our encoder', () => {
  it('B.1 to B.3: the encoder, driven through the same exchanges, writes the RFC bytes and holds the RFC table', () => {
    // B.1 is sent before the peer's SETTINGS (maximum capacity 0: static table only, RFC 9204 §3.2.3).
    const enc = new QpackEncoder({ maxTableCapacity: 0, maxBlockedStreams: 0, huffman: 'never', indexing: 'eager' });
    expect(toHex(enc.encodeFieldSection(0n, [{ name: ':path', value: '/index.html' }]))).toBe(toHex(hex(B.b1Section0)));
    expect(toHex(enc.takeEncoderStreamData())).toBe('');
    expect(encoderView(enc)).toEqual(TABLES['B.1']);

    enc.applyPeerSettings({ maxTableCapacity: 220, maxBlockedStreams: 1 });
    const section4 = enc.encodeFieldSection(4n, [
      { name: ':authority', value: 'www.example.com' },
      { name: ':path', value: '/sample/path' },
    ]);
    expect(toHex(enc.takeEncoderStreamData())).toBe(toHex(hex(B.b2Encoder)));
    expect(toHex(section4)).toBe(toHex(hex(B.b2Section4)));
    expect(encoderView(enc)).toEqual(TABLES['B.2 section']);
    expect(enc.stats.blockedSections).toBe(1); // it referenced entries not yet acknowledged
    enc.receiveDecoderStream(hex(B.b2Decoder));
    expect(encoderView(enc)).toEqual(TABLES['B.2 ack']);

    expect(enc.prime([{ name: 'custom-key', value: 'custom-value' }])).toBe(1);
    expect(toHex(enc.takeEncoderStreamData())).toBe(toHex(hex(B.b3Encoder)));
    expect(encoderView(enc)).toEqual(TABLES['B.3 insert']);
    enc.receiveDecoderStream(hex(B.b3Decoder));
    expect(encoderView(enc)).toEqual(TABLES['B.3 increment']);

    // B.4: at 160 of 220 octets, entry 0 is outside our draining quarter, so our encoder references it rather
    // than duplicate it (the RFC's Duplicate is the example's choice); the section decodes to the same fields.
    const section8 = enc.encodeFieldSection(8n, [
      { name: ':authority', value: 'www.example.com' },
      { name: ':path', value: '/' },
      { name: 'custom-key', value: 'custom-value' },
    ]);
    expect(toHex(section8)).toBe('040082c180'); // RIC 3, Base 3; relative 2 (abs 0), static 1, relative 0 (abs 2)
    expect(enc.takeEncoderStreamData().length).toBe(0);
    enc.receiveDecoderStream(hex(B.b4Decoder)); // Stream Cancellation releases the references
    expect(encoderView(enc).rows.every(([, refs]) => refs === 0)).toBe(true);
  });

  it('B.4 and B.5: the instruction and representation codecs write the RFC bytes for the RFC choices', () => {
    const w = new ByteWriter();
    encodeEncoderInstruction(w, { type: 'duplicate', index: 2 }, 'never');
    expect(toHex(w.take())).toBe(toHex(hex(B.b4Encoder)));

    encodeFieldSectionPrefix(w, { requiredInsertCount: 4, base: 4 }, maxEntries(220));
    encodeFieldLine(w, { kind: 'indexed', table: 'dynamic', index: 0 }, 'never');
    encodeFieldLine(w, { kind: 'indexed', table: 'static', index: 1 }, 'never');
    encodeFieldLine(w, { kind: 'indexed', table: 'dynamic', index: 1 }, 'never');
    expect(toHex(w.take())).toBe(toHex(hex(B.b4Section8)));

    encodeDecoderInstruction(w, 'stream-cancellation', 8);
    expect(toHex(w.take())).toBe(B.b4Decoder);

    encodeEncoderInstruction(w, { type: 'insert-name-reference', table: 'dynamic', index: 1, value: 'custom-value2' }, 'never');
    expect(toHex(w.take())).toBe(toHex(hex(B.b5Encoder)));
  });

  it('B.5 after our B.4: the same choice (Insert With Name Reference to the newest custom-key entry), one index lower without the Duplicate', () => {
    const enc = new QpackEncoder({ maxTableCapacity: 220, maxBlockedStreams: 1, huffman: 'never', indexing: 'eager' });
    const dec = new QpackDecoder(DECODER);
    const exchange = (streamId: bigint, fields: { name: string; value: string }[]) => {
      const section = enc.encodeFieldSection(streamId, fields);
      dec.receiveEncoderStream(enc.takeEncoderStreamData());
      expect(dec.decodeFieldSection(streamId, section)).toEqual({ fields });
      enc.receiveDecoderStream(dec.takeDecoderStreamData());
    };
    exchange(4n, [
      { name: ':authority', value: 'www.example.com' },
      { name: ':path', value: '/sample/path' },
    ]);
    enc.prime([{ name: 'custom-key', value: 'custom-value' }]);
    dec.receiveEncoderStream(enc.takeEncoderStreamData());
    enc.receiveDecoderStream(dec.takeDecoderStreamData());
    exchange(8n, [
      { name: ':authority', value: 'www.example.com' },
      { name: ':path', value: '/' },
      { name: 'custom-key', value: 'custom-value' },
    ]);
    expect(enc.prime([{ name: 'custom-key', value: 'custom-value2' }])).toBe(1);
    const b5 = enc.takeEncoderStreamData();
    expect(toHex(b5)).toBe(`80${toHex(hex(B.b5Encoder)).slice(2)}`); // relative index 0 where the RFC, after its Duplicate, has 1
    dec.receiveEncoderStream(b5);
    expect(decoderView(dec)).toEqual({
      rows: [
        [0, ...AUTHORITY],
        [1, ...SAMPLE_PATH],
        [2, ...CUSTOM],
        [3, 'custom-key', 'custom-value2'],
      ],
      size: 215,
    });
  });
});
