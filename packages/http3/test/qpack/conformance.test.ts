/**
 * RFC 9204 conformance, one row per rule, grouped by the section that states
 * it (§2.1.1 to §2.2, §3, §4.3 to §4.5, §7.4): the decoder against
 * hand-built encoder streams and field sections, the encoder against
 * hand-built decoder streams. Every peer fault must end in the §6 code the
 * rule names.
 */
import { describe, expect, it, vi } from 'vitest';
import { decodeRequiredInsertCount, encodeEncoderInstruction, ByteWriter, QpackDecoder, type QpackDecoderOptions, QpackEncoder, QpackErrorCode } from '../../src/qpack/index.js';
import { capacity, decoderStream, encoderStream, fieldSection, indexed, insert, literal, nameRef } from './builders.js';
import { hex, qpackErrorOf, toHex } from './support.js';

// Loops and property runs: generous timeouts for a loaded machine.
vi.setConfig({ testTimeout: 60_000 });

const { DECOMPRESSION_FAILED: DF, ENCODER_STREAM_ERROR: ESE, DECODER_STREAM_ERROR: DSE } = QpackErrorCode;

function decoder(options: Partial<QpackDecoderOptions> = {}, ...setup: Uint8Array[]): QpackDecoder {
  const d = new QpackDecoder({ maxTableCapacity: 220, maxBlockedStreams: 2, ...options });
  for (const bytes of setup) d.receiveEncoderStream(bytes);
  return d;
}

function fails(code: number, f: () => unknown, reason?: RegExp): void {
  const e = qpackErrorOf(f);
  expect(e?.code, 'QpackError code').toBe(code);
  if (reason) expect(e!.reason).toMatch(reason);
}

/** A decoder whose table holds a=1, b=2, c=3, d=4 (absolute 0..3), all acknowledged. */
function abcd(options: Partial<QpackDecoderOptions> = {}): QpackDecoder {
  const d = decoder(options, encoderStream(capacity(220), insert('a', '1'), insert('b', '2'), insert('c', '3'), insert('d', '4')));
  d.takeDecoderStreamData();
  return d;
}

const names = (d: QpackDecoder) => d.table.entries.map((e) => `${e.absolute}:${e.name}=${e.value}`);

type Row = [section: string, rule: string, check: () => void];

// prettier-ignore
const DECODER_ROWS: Row[] = [
  ['2.1.2', 'a section that would block more streams than SETTINGS_QPACK_BLOCKED_STREAMS is QPACK_DECOMPRESSION_FAILED', () => {
    const d = decoder({ maxBlockedStreams: 1 }, encoderStream(capacity(220)));
    expect(d.decodeFieldSection(0n, fieldSection(1, 0, [indexed('post-base', 0)]))).toEqual({ blocked: true });
    fails(DF, () => d.decodeFieldSection(4n, fieldSection(1, 0, [indexed('post-base', 0)])), /SETTINGS_QPACK_BLOCKED_STREAMS is 1/);
  }],
  ['2.1.2', 'with SETTINGS_QPACK_BLOCKED_STREAMS 0, any section that would block fails', () => {
    fails(DF, () => decoder({ maxBlockedStreams: 0 }).decodeFieldSection(0n, fieldSection(1, 0, [indexed('post-base', 0)])));
  }],
  ['2.2.1', 'a later section on a blocked stream waits behind the first, counts once, and both come out in order', () => {
    const d = decoder({ maxBlockedStreams: 1 }, encoderStream(capacity(220)));
    expect(d.decodeFieldSection(0n, fieldSection(2, 0, [indexed('post-base', 1)]))).toEqual({ blocked: true });
    expect(d.decodeFieldSection(0n, fieldSection(1, 0, [indexed('post-base', 0)]))).toEqual({ blocked: true });
    expect(d.blockedStreams).toBe(1);
    expect(d.receiveEncoderStream(encoderStream(insert('a', '1')))).toEqual([]);
    expect(d.receiveEncoderStream(encoderStream(insert('b', '2')))).toEqual([
      { streamId: 0n, fields: [{ name: 'b', value: '2' }] },
      { streamId: 0n, fields: [{ name: 'a', value: '1' }] },
    ]);
    expect(d.blockedStreams).toBe(0);
  }],
  ['2.2.1', 'a blocked section decodes once the Insert Count reaches its Required Insert Count, and not before', () => {
    const d = decoder({}, encoderStream(capacity(220)));
    const s = fieldSection(2, 0, [indexed('post-base', 0), indexed('static', 17), indexed('post-base', 1)]);
    expect(d.decodeFieldSection(8n, s)).toEqual({ blocked: true });
    s.fill(0); // the decoder kept its own copy
    expect(d.receiveEncoderStream(encoderStream(insert('a', '1')))).toEqual([]);
    expect(d.receiveEncoderStream(encoderStream(insert('b', '2')))).toEqual([{ streamId: 8n, fields: [{ name: 'a', value: '1' }, { name: ':method', value: 'GET' }, { name: 'b', value: '2' }] }]);
  }],
  ['2.2.1', 'a Required Insert Count smaller than the references need (one at or past it) is QPACK_DECOMPRESSION_FAILED', () => {
    fails(DF, () => abcd().decodeFieldSection(0n, fieldSection(1, 1, [indexed('post-base', 0)])), /outside the Required Insert Count 1/);
    fails(DF, () => abcd().decodeFieldSection(0n, fieldSection(2, 3, [indexed('dynamic', 0)])), /absolute index 2, outside/);
  }],
  ['2.2.1', 'a Required Insert Count larger than the references need is QPACK_DECOMPRESSION_FAILED (the RFC allows it)', () => {
    fails(DF, () => abcd().decodeFieldSection(0n, fieldSection(2, 2, [indexed('dynamic', 1)])), /largest dynamic reference is 0/);
    fails(DF, () => abcd().decodeFieldSection(0n, fieldSection(1, 1, [indexed('static', 1)])), /largest dynamic reference is none/);
  }],
  ['2.2.2.1', 'each decoded section with dynamic references is acknowledged, in decoding order; one without is not', () => {
    const d = abcd();
    d.decodeFieldSection(4n, fieldSection(0, 0, [indexed('static', 1)]));
    expect(toHex(d.takeDecoderStreamData())).toBe('');
    d.decodeFieldSection(4n, fieldSection(1, 1, [indexed('dynamic', 0)]));
    d.decodeFieldSection(200n, fieldSection(4, 4, [nameRef('dynamic', 0, 'x')]));
    d.decodeFieldSection(4n, fieldSection(2, 2, [indexed('dynamic', 0)]));
    expect(toHex(d.takeDecoderStreamData())).toBe(`84 ff49 84`.replace(/ /g, ''));
  }],
  ['2.2.2.2', 'cancelStream drops the stream\'s blocked sections and queues a Stream Cancellation after what was queued before', () => {
    const d = abcd();
    d.decodeFieldSection(0n, fieldSection(1, 1, [indexed('dynamic', 0)]));
    expect(d.decodeFieldSection(4n, fieldSection(5, 4, [indexed('post-base', 0)]))).toEqual({ blocked: true });
    d.cancelStream(4n);
    d.cancelStream(0n);
    expect(d.blockedStreams).toBe(0);
    expect(d.receiveEncoderStream(encoderStream(insert('e', '5')))).toEqual([]);
    expect(toHex(d.takeDecoderStreamData())).toBe('80 44 40 01'.replace(/ /g, ''));
  }],
  ['2.2.2.2', 'a decoder whose maximum capacity is 0 omits Stream Cancellation', () => {
    const d = decoder({ maxTableCapacity: 0 });
    d.cancelStream(4n);
    expect(d.takeDecoderStreamData().length).toBe(0);
  }],
  ['2.2.2.3', 'insertions no acknowledgment covers are acknowledged by one Insert Count Increment', () => {
    const d = decoder({}, encoderStream(capacity(220), insert('a', '1'), insert('b', '2'), insert('c', '3')));
    d.decodeFieldSection(0n, fieldSection(2, 2, [indexed('dynamic', 0)]));
    expect(toHex(d.takeDecoderStreamData())).toBe('8001');
    expect(toHex(d.takeDecoderStreamData())).toBe('');
    d.receiveEncoderStream(encoderStream(insert('d', '4'), insert('e', '5')));
    expect(toHex(d.takeDecoderStreamData())).toBe('02');
    expect(d.table.knownReceivedCount).toBe(5);
  }],
  ['2.2.3', 'a field line referencing an evicted entry is QPACK_DECOMPRESSION_FAILED', () => {
    const d = decoder({}, encoderStream(capacity(68), insert('a', '1'), insert('b', '2')));
    d.takeDecoderStreamData();
    d.receiveEncoderStream(encoderStream(insert('c', '3')));
    expect(names(d)).toEqual(['1:b=2', '2:c=3']);
    fails(DF, () => d.decodeFieldSection(0n, fieldSection(3, 3, [indexed('dynamic', 0), indexed('dynamic', 2)])), /absolute index 0, evicted/);
  }],
  ['2.2.3', 'an encoder instruction referencing an evicted entry is QPACK_ENCODER_STREAM_ERROR', () => {
    const d = decoder({}, encoderStream(capacity(68), insert('a', '1'), insert('b', '2')));
    d.takeDecoderStreamData();
    d.receiveEncoderStream(encoderStream(insert('c', '3')));
    fails(ESE, () => d.receiveEncoderStream(encoderStream({ type: 'duplicate', index: 2 })), /an evicted entry/);
  }],
  ['2.2.3', 'an encoder instruction referencing an entry never inserted is QPACK_ENCODER_STREAM_ERROR', () => {
    fails(ESE, () => decoder({}, encoderStream(capacity(220))).receiveEncoderStream(encoderStream({ type: 'duplicate', index: 0 })), /only 0 entries/);
    fails(ESE, () => abcd().receiveEncoderStream(encoderStream({ type: 'insert-name-reference', table: 'dynamic', index: 4, value: 'v' })), /only 4 entries/);
  }],
  ['3.1', 'an invalid static index in a field line is QPACK_DECOMPRESSION_FAILED', () => {
    fails(DF, () => decoder().decodeFieldSection(0n, fieldSection(0, 0, [indexed('static', 99)])), /static index 99/);
    fails(DF, () => decoder().decodeFieldSection(0n, fieldSection(0, 0, [nameRef('static', 1000, 'x')])), /static index 1000/);
  }],
  ['3.1', 'an invalid static index on the encoder stream is QPACK_ENCODER_STREAM_ERROR', () => {
    fails(ESE, () => decoder({}, encoderStream(capacity(220))).receiveEncoderStream(encoderStream({ type: 'insert-name-reference', table: 'static', index: 99, value: 'v' })), /static index 99/);
  }],
  ['3.2', 'duplicate entries are not an error', () => {
    const d = decoder({}, encoderStream(capacity(220), insert('a', '1'), insert('a', '1'), { type: 'duplicate', index: 1 }));
    expect(names(d)).toEqual(['0:a=1', '1:a=1', '2:a=1']);
  }],
  ['3.2.1', 'an entry\'s size is name + value + 32 octets, counted before Huffman coding', () => {
    const w = new ByteWriter();
    encodeEncoderInstruction(w, capacity(220), 'auto');
    encodeEncoderInstruction(w, { type: 'insert-literal-name', name: 'www.example.com', value: 'www.example.com' }, 'auto');
    const bytes = w.take();
    expect(bytes.length).toBeLessThan(1 + 2 + 15 + 15); // the strings went Huffman-coded
    expect(decoder({}, bytes).table.size).toBe(15 + 15 + 32);
  }],
  ['3.2.2', 'an entry larger than the capacity is QPACK_ENCODER_STREAM_ERROR; one exactly as large fits', () => {
    expect(decoder({}, encoderStream(capacity(40), insert('abcd', 'efgh'))).table.size).toBe(40);
    fails(ESE, () => decoder({}, encoderStream(capacity(40), insert('abcd', 'efghi'))), /41 octets into a table of capacity 40/);
    fails(ESE, () => decoder().receiveEncoderStream(encoderStream(insert('', ''))), /cannot fit the dynamic table capacity/); // the initial capacity is 0
  }],
  ['3.2.2', 'an insertion evicts the oldest entries until the new one fits', () => {
    const d = decoder({}, encoderStream(capacity(100), insert('a', '1'), insert('b', '2')));
    d.takeDecoderStreamData();
    d.receiveEncoderStream(encoderStream(insert('c', '3')));
    expect(names(d)).toEqual(['1:b=2', '2:c=3']);
    expect(d.table.size).toBe(68);
  }],
  ['3.2.2', 'a new entry may reference the entry its own insertion evicts', () => {
    const d = decoder({}, encoderStream(capacity(68), insert('n', '1'), insert('n', '2')));
    d.takeDecoderStreamData();
    d.receiveEncoderStream(encoderStream({ type: 'insert-name-reference', table: 'dynamic', index: 1, value: '3' }));
    expect(names(d)).toEqual(['1:n=2', '2:n=3']);
    const one = decoder({}, encoderStream(capacity(34), insert('a', '1')));
    one.takeDecoderStreamData();
    one.receiveEncoderStream(encoderStream({ type: 'duplicate', index: 0 }));
    expect(names(one)).toEqual(['1:a=1']);
  }],
  ['3.2.2', 'reducing the capacity evicts; capacity 0 empties the table, and it can be restored', () => {
    const d = abcd();
    d.receiveEncoderStream(encoderStream(capacity(70)));
    expect(names(d)).toEqual(['2:c=3', '3:d=4']);
    d.receiveEncoderStream(encoderStream(capacity(0)));
    expect(d.table).toMatchObject({ size: 0, insertCount: 4, entries: [] });
    d.receiveEncoderStream(encoderStream(capacity(220), insert('e', '5')));
    expect(names(d)).toEqual(['4:e=5']);
  }],
  ['3.2.3', 'a capacity above SETTINGS_QPACK_MAX_TABLE_CAPACITY is QPACK_ENCODER_STREAM_ERROR', () => {
    fails(ESE, () => decoder().receiveEncoderStream(encoderStream(capacity(221))), /221 exceeds SETTINGS_QPACK_MAX_TABLE_CAPACITY 220/);
    expect(decoder({ maxTableCapacity: 0 }, encoderStream(capacity(0))).table.capacity).toBe(0);
    fails(ESE, () => decoder({ maxTableCapacity: 0 }).receiveEncoderStream(hex('21')));
  }],
  ['3.2.5, 3.2.6', 'relative indices count down from Base - 1, post-Base indices up from Base', () => {
    const d = abcd();
    expect(d.decodeFieldSection(0n, fieldSection(4, 2, [indexed('dynamic', 0), indexed('dynamic', 1), indexed('post-base', 0), nameRef('post-base', 1, 'x')]))).toEqual({
      fields: [{ name: 'b', value: '2' }, { name: 'a', value: '1' }, { name: 'c', value: '3' }, { name: 'd', value: 'x' }],
    });
  }],
  ['4.4.2', 'Stream Cancellation for a stream the decoder knows nothing of is still sent (the encoder may have sections in flight)', () => {
    const d = abcd();
    d.cancelStream(1000n);
    expect(toHex(d.takeDecoderStreamData())).toBe('7fa907');
  }],
  ['4.5.1.1', 'the RFC example: 100-octet table, 10 inserts, encoded 4 means Required Insert Count 9', () => {
    expect(decodeRequiredInsertCount(4, Math.floor(100 / 32), 10)).toBe(9);
  }],
  ['4.5.1.1', 'an encoded value past 2 * MaxEntries, or one no encoder could produce, is QPACK_DECOMPRESSION_FAILED', () => {
    fails(DF, () => decoder().decodeFieldSection(0n, hex('0d 00 80')), /Encoded Required Insert Count 13 is impossible/); // FullRange 12
    fails(DF, () => decoder().decodeFieldSection(0n, hex('01 00 80'))); // would be Required Insert Count 0
    fails(DF, () => decoder({ maxTableCapacity: 0 }).decodeFieldSection(0n, hex('01 00 80')));
    expect(decodeRequiredInsertCount(8, 6, 0)).toBeUndefined(); // 7 > MaxValue 6 and 7 <= FullRange
  }],
  ['4.5.1.1', 'every Required Insert Count an encoder can send decodes back, across wrap-arounds', () => {
    const entries = 6;
    for (let total = 0; total < 60; total++) {
      for (let ric = Math.max(1, total - entries + 1); ric <= total + entries; ric++) {
        expect(decodeRequiredInsertCount((ric % (2 * entries)) + 1, entries, total), `RIC ${ric}, ${total} inserts`).toBe(ric);
      }
    }
  }],
  ['4.5.1.2', 'Sign 1 with Delta Base >= Required Insert Count (negative Base) is QPACK_DECOMPRESSION_FAILED', () => {
    fails(DF, () => abcd().decodeFieldSection(0n, hex('02 81 10')), /negative Base/);
    fails(DF, () => decoder().decodeFieldSection(0n, hex('00 80')), /Encoded Required Insert Count|negative Base/);
  }],
  ['4.5.1.2', 'the RFC example: Required Insert Count 9, Sign 1, Delta Base 2 is Base 6; relative 1 is the 5th entry, post-Base 1 the 8th', () => {
    const d = decoder({ maxTableCapacity: 400 }, encoderStream(capacity(400), ...Array.from({ length: 9 }, (_, i) => insert(`e${i + 1}`, 'v'))));
    expect(d.decodeFieldSection(0n, hex('0a 82 81 11 12'))).toEqual({ fields: [{ name: 'e5', value: 'v' }, { name: 'e8', value: 'v' }, { name: 'e9', value: 'v' }] });
  }],
  ['4.5.2 to 4.5.6', 'every representation decodes; the N bit survives on literals and name references', () => {
    const d = abcd();
    const s = fieldSection(4, 3, [indexed('static', 25), indexed('dynamic', 2), indexed('post-base', 0), nameRef('static', 5, 'c=1', true), nameRef('dynamic', 0, 'x'), nameRef('post-base', 0, 'y', true), literal('x-a', 'z', true), literal('x-b', '')]);
    expect(d.decodeFieldSection(0n, s)).toEqual({ fields: [
      { name: ':status', value: '200' }, { name: 'a', value: '1' }, { name: 'd', value: '4' },
      { name: 'cookie', value: 'c=1', neverIndex: true }, { name: 'c', value: 'x' }, { name: 'd', value: 'y', neverIndex: true },
      { name: 'x-a', value: 'z', neverIndex: true }, { name: 'x-b', value: '' },
    ] });
  }],
  ['7.4', 'integers past 2^53 - 1 are errors of the stream they arrive on', () => {
    fails(DF, () => decoder().decodeFieldSection(0n, hex('00 00 ff ffffffffffffffff 7f')), /larger than 2\^53/);
    fails(ESE, () => decoder().receiveEncoderStream(hex('3f ffffffffffffffff 7f')), /larger than 2\^53/);
  }],
  ['7.4', 'a string longer than the table capacity allows is refused from its length, before its bytes arrive', () => {
    const d = decoder({ maxTableCapacity: 4096 }, encoderStream(capacity(4096)));
    fails(ESE, () => d.receiveEncoderStream(hex('5f 80 80 04')), /65567 octets: the entry cannot fit/); // literal name of 65,567 octets
    const h = decoder({ maxTableCapacity: 4096 }, encoderStream(capacity(4096)));
    fails(ESE, () => h.receiveEncoderStream(hex('c0 ff 80 80 01')), /16511 octets/); // a Huffman value may not exceed 4 x capacity
    expect(decoder({ maxTableCapacity: 4096 }, encoderStream(capacity(4096))).bufferedEncoderStreamBytes).toBe(0);
  }],
  ['2.1.1, 3.2.2', 'an eviction of an entry whose insertion we have not acknowledged is QPACK_ENCODER_STREAM_ERROR (insert and Duplicate floods)', () => {
    fails(ESE, () => decoder({}, encoderStream(capacity(68), insert('a', '1'), insert('b', '2'), insert('c', '3'))), /evicts entry 0 before its insertion was acknowledged/);
    const d = decoder({}, encoderStream(capacity(68), insert('a', '1')));
    d.takeDecoderStreamData();
    fails(ESE, () => d.receiveEncoderStream(encoderStream(...Array.from({ length: 100 }, () => ({ type: 'duplicate' as const, index: 0 })))), /evicts entry 1 before/);
  }],
  ['2.1.1, 3.2.2', 'an eviction of an entry a decoded section references, before our acknowledgment went out, is QPACK_ENCODER_STREAM_ERROR', () => {
    const d = decoder({}, encoderStream(capacity(68), insert('a', '1'), insert('b', '2')));
    d.takeDecoderStreamData();
    d.decodeFieldSection(0n, fieldSection(1, 1, [indexed('dynamic', 0)]));
    fails(ESE, () => d.receiveEncoderStream(encoderStream(insert('c', '3'))), /evicts entry 0 while a field section references it/);
    const ok = decoder({}, encoderStream(capacity(68), insert('a', '1'), insert('b', '2')));
    ok.takeDecoderStreamData();
    ok.decodeFieldSection(0n, fieldSection(1, 1, [indexed('dynamic', 0)]));
    expect(toHex(ok.takeDecoderStreamData())).toBe('80');
    expect(ok.receiveEncoderStream(encoderStream(insert('c', '3')))).toEqual([]);
  }],
  ['2.1.1, 7.3', 'Duplicates within what was acknowledged are legal however many; the table stays within its capacity', () => {
    const d = decoder({}, encoderStream(capacity(220), insert('a', '1')));
    for (let i = 0; i < 1000; i++) {
      d.takeDecoderStreamData();
      d.receiveEncoderStream(encoderStream({ type: 'duplicate', index: 0 }));
      expect(d.table.size).toBeLessThanOrEqual(220);
    }
    expect(d.table.insertCount).toBe(1001);
    expect(d.stats.duplicates).toBe(1000);
  }],
  ['6', 'after a connection error, every later call throws the same error', () => {
    const d = decoder();
    const e = qpackErrorOf(() => d.receiveEncoderStream(hex('21')));
    expect(qpackErrorOf(() => d.decodeFieldSection(0n, hex('0000')))).toBe(e);
    expect(qpackErrorOf(() => d.receiveEncoderStream(hex('20')))).toBe(e);
  }],
];

/** An encoder with capacity 220 (eager), after encoding one section on stream 0 that inserted and referenced a=1 and b=2. */
function encoderWithSection(options: { maxBlockedStreams?: number } = {}): QpackEncoder {
  const e = new QpackEncoder({ maxTableCapacity: 220, maxBlockedStreams: options.maxBlockedStreams ?? 2, indexing: 'eager', huffman: 'never' });
  e.encodeFieldSection(0n, [
    { name: 'a', value: '1' },
    { name: 'b', value: '2' },
  ]);
  e.takeEncoderStreamData();
  return e;
}

// prettier-ignore
const ENCODER_ROWS: Row[] = [
  ['4.4.1', 'a Section Acknowledgment for a stream with nothing unacknowledged is QPACK_DECODER_STREAM_ERROR', () => {
    fails(DSE, () => new QpackEncoder({ maxTableCapacity: 220, maxBlockedStreams: 2 }).receiveDecoderStream(hex('80')), /stream 0, which has no unacknowledged/);
    const e = encoderWithSection();
    e.receiveDecoderStream(hex('80'));
    fails(DSE, () => e.receiveDecoderStream(hex('80')));
  }],
  ['4.4.1, 2.1.4', 'a Section Acknowledgment releases the section\'s references and raises the Known Received Count to its Required Insert Count', () => {
    const e = encoderWithSection();
    expect(e.table.entries.map((x) => x.refs)).toEqual([1, 1]);
    e.receiveDecoderStream(hex('80'));
    expect(e.table).toMatchObject({ knownReceivedCount: 2 });
    expect(e.table.entries.map((x) => x.refs)).toEqual([0, 0]);
  }],
  ['4.4.2', 'Stream Cancellation releases every reference on the stream, implies no insertion, and is accepted for unknown streams', () => {
    const e = encoderWithSection();
    e.encodeFieldSection(0n, [{ name: 'a', value: '1' }]);
    e.receiveDecoderStream(decoderStream(['stream-cancellation', 0], ['stream-cancellation', 12]));
    expect(e.table.entries.map((x) => x.refs)).toEqual([0, 0]);
    expect(e.table.knownReceivedCount).toBe(0);
    fails(DSE, () => e.receiveDecoderStream(hex('80')));
  }],
  ['4.4.3', 'an Insert Count Increment of 0 is QPACK_DECODER_STREAM_ERROR', () => {
    fails(DSE, () => encoderWithSection().receiveDecoderStream(hex('00')), /Increment of 0/);
  }],
  ['4.4.3', 'an Insert Count Increment past the insertions sent is QPACK_DECODER_STREAM_ERROR', () => {
    const e = encoderWithSection();
    e.receiveDecoderStream(hex('01'));
    fails(DSE, () => e.receiveDecoderStream(hex('02')), /past the 2 insertions sent/);
    fails(DSE, () => new QpackEncoder({ maxTableCapacity: 0, maxBlockedStreams: 0 }).receiveDecoderStream(hex('01')));
  }],
  ['7.4', 'a decoder-stream integer past 2^53 - 1 is QPACK_DECODER_STREAM_ERROR', () => {
    fails(DSE, () => encoderWithSection().receiveDecoderStream(hex('3f ffffffffffffffff 7f')), /larger than 2\^53/);
  }],
  ['2.1.1', 'the encoder never evicts an entry that is unacknowledged or referenced: the line goes out as a literal instead', () => {
    const e = new QpackEncoder({ maxTableCapacity: 68, maxBlockedStreams: 2, indexing: 'eager', huffman: 'never' });
    e.encodeFieldSection(0n, [{ name: 'a', value: '1' }, { name: 'b', value: '2' }]);
    expect(e.table.insertCount).toBe(2);
    e.encodeFieldSection(4n, [{ name: 'c', value: '3' }]);
    expect(e.table.insertCount).toBe(2); // a and b are referenced and unacknowledged
    e.receiveDecoderStream(hex('80')); // stream 0 acknowledged: a and b evictable
    e.encodeFieldSection(4n, [{ name: 'c', value: '3' }]);
    expect(e.table.entries.map((x) => x.name)).toEqual(['b', 'c']);
  }],
  ['2.1.2', 'the encoder lets at most SETTINGS_QPACK_BLOCKED_STREAMS streams risk blocking; other streams reference only acknowledged entries', () => {
    const e = encoderWithSection({ maxBlockedStreams: 1 });
    expect(e.blockingStreams).toBe(1);
    const other = e.encodeFieldSection(4n, [{ name: 'a', value: '1' }]);
    expect(toHex(other.subarray(0, 2))).toBe('0000'); // no dynamic reference
    const same = e.encodeFieldSection(0n, [{ name: 'a', value: '1' }]); // stream 0 is already counted
    expect(same[0]).not.toBe(0);
    e.receiveDecoderStream(hex('02')); // Insert Count Increment: both entries acknowledged
    expect(e.blockingStreams).toBe(0);
    expect(e.encodeFieldSection(8n, [{ name: 'a', value: '1' }])[0]).not.toBe(0);
  }],
  ['3.2.3', 'with the peer\'s maximum capacity 0 the encoder sends no encoder instruction at all', () => {
    const e = new QpackEncoder({ maxTableCapacity: 0, maxBlockedStreams: 100, indexing: 'eager' });
    for (let i = 0; i < 3; i++) e.encodeFieldSection(BigInt(4 * i), [{ name: 'x-a', value: 'v' }, { name: 'user-agent', value: 'u' }]);
    expect(e.takeEncoderStreamData().length).toBe(0);
    expect(e.prime([{ name: 'x', value: 'y' }])).toBe(0);
  }],
  ['3.2.3', 'a peer SETTINGS maximum other than the remembered non-zero one (0-RTT) is QPACK_DECODER_STREAM_ERROR', () => {
    const e = new QpackEncoder({ maxTableCapacity: 4096, maxBlockedStreams: 10 });
    e.applyPeerSettings({ maxTableCapacity: 4096, maxBlockedStreams: 20 });
    fails(DSE, () => e.applyPeerSettings({ maxTableCapacity: 0, maxBlockedStreams: 20 }), /remembered 4096/);
  }],
  ['3.2.2', 'the encoder announces its capacity before its first insertion, once', () => {
    const e = new QpackEncoder({ maxTableCapacity: 1000, maxBlockedStreams: 1, tableCapacityLimit: 300, indexing: 'eager', huffman: 'never' });
    e.encodeFieldSection(0n, [{ name: 'x', value: '1' }]);
    e.encodeFieldSection(4n, [{ name: 'y', value: '2' }]);
    expect(toHex(e.takeEncoderStreamData())).toBe(`3f8d02 41 78 01 31 41 79 01 32`.replace(/ /g, ''));
  }],
];

describe('RFC 9204 conformance: the decoder', () => {
  it.each(DECODER_ROWS)('§%s: %s', (_, __, check) => check());
});

describe('RFC 9204 conformance: the encoder', () => {
  it.each(ENCODER_ROWS)('§%s: %s', (_, __, check) => check());
});
