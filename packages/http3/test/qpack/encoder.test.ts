/**
 * The encoder's strategy (RFC 9204 §2.1): what it inserts, when it
 * references, when it duplicates, what it never indexes, and the bounds it
 * keeps, each shown through the bytes and the peer decoder's view.
 */
import { describe, expect, it, vi } from 'vitest';
import { ByteWriter, encodeEncoderInstruction, type FieldLine, QpackEncoder, readFieldLine, readFieldSectionPrefix, Reader, QpackErrorCode, maxEntries, QpackDecoder } from '../../src/qpack/index.js';
import { pageRequest, subresourceRequest } from './browser-request.js';
import { Pair } from './pair.js';
import { qpackErrorOf, toHex } from './support.js';

// Loops and property runs: generous timeouts for a loaded machine.
vi.setConfig({ testTimeout: 60_000 });

const SETTINGS = { maxTableCapacity: 4096, maxBlockedStreams: 16 };

/** The representations of a section, as 'static'/'dynamic'/'post-base'/'literal' per line, and its prefix. */
function shape(section: Uint8Array, inserts: number, maxTableCapacity = 4096): { requiredInsertCount: number; base: number; lines: string[] } {
  const r = new Reader(section, 0, section.length, QpackErrorCode.DECOMPRESSION_FAILED);
  const prefix = readFieldSectionPrefix(r, maxEntries(maxTableCapacity), inserts);
  const lines: string[] = [];
  while (!r.done) {
    const rep = readFieldLine(r);
    lines.push(rep.kind === 'literal' ? `literal${rep.neverIndex ? '/N' : ''}` : `${rep.kind}/${rep.table}${rep.kind === 'name-reference' && rep.neverIndex ? '/N' : ''}`);
  }
  return { ...prefix, lines };
}

describe('the encoder strategy: repeated field lines get indexed', () => {
  // Found with gtlsclient (nghttp3 0.8) under load: every small response referenced an inserted
  // 'content-length: 32', so each cost the client a Section Acknowledgment; read ~700 at once and
  // nghttp3's decoder buffer (2,000 octets) overflowed — QPACK_FATAL, connection closed, files missing.
  it('fields that change per message (content-length, etag, location, set-cookie, age) are never indexed: no Section Acknowledgment per response', () => {
    const pair = new Pair(SETTINGS);
    const perMessage = [
      { name: 'content-length', value: '32' },
      { name: 'etag', value: '"abc"' },
      { name: 'location', value: '/next' },
      { name: 'set-cookie', value: 'id=1234567890abcdefghij' },
      { name: 'age', value: '10' },
    ];
    for (let i = 0; i < 20; i++) {
      const response = pair.exchange(BigInt(i * 4), [{ name: ':status', value: '200' }, ...perMessage]);
      const { requiredInsertCount, lines } = shape(response, pair.decoder.table.insertCount);
      expect(requiredInsertCount).toBe(0);
      expect(lines).toEqual(['indexed/static', ...perMessage.map(() => 'name-reference/static')]);
    }
    expect(pair.encoder.stats.inserts).toBe(0);
    // what repeats and is not per-message is still indexed
    pair.exchange(100n, [
      { name: ':status', value: '200' },
      { name: 'server', value: 'tsquic' },
    ]);
    pair.exchange(104n, [
      { name: ':status', value: '200' },
      { name: 'server', value: 'tsquic' },
    ]);
    expect(pair.decoder.table.entries.map((e) => e.name)).toEqual(['server']);
  });

  it('a browser request: literals the first time, inserted and referenced the second, one or two octets a line after', () => {
    const pair = new Pair(SETTINGS);
    const first = pair.exchange(0n, pageRequest('/'));
    expect(pair.encoder.stats.inserts).toBe(0);
    const second = pair.exchange(4n, subresourceRequest('/a.png'));
    const third = pair.exchange(8n, subresourceRequest('/b.png'));
    const fourth = pair.exchange(12n, subresourceRequest('/b.png'));
    // lines both requests share were inserted at their second sighting; the third request references them
    expect(pair.encoder.stats.inserts).toBeGreaterThan(5);
    expect(shape(third, pair.decoder.table.insertCount).lines.filter((l) => l === 'indexed/dynamic').length).toBeGreaterThanOrEqual(8);
    expect(third.length).toBeLessThan(second.length / 2);
    expect(fourth.length).toBeLessThan(third.length);
    expect(shape(fourth, pair.decoder.table.insertCount).lines.every((l) => l.startsWith('indexed') || l.endsWith('/N'))).toBe(true);
    expect(fourth.length).toBeLessThan(40);
    expect(first.length).toBeGreaterThan(300);
  });

  it('inserts by static name reference, by dynamic name reference, or with a literal name', () => {
    const e = new QpackEncoder({ ...SETTINGS, huffman: 'never', indexing: 'eager' });
    e.encodeFieldSection(0n, [
      { name: 'user-agent', value: 'u1' },
      { name: 'x-id', value: '1' },
      { name: 'x-id', value: '2' },
    ]);
    // Set Dynamic Table Capacity 4096; Insert With Name Reference static 95; Insert With Literal Name; Insert With Name Reference dynamic relative 0
    expect(toHex(e.takeEncoderStreamData())).toBe('3fe11f ff20 02 7531 44 782d6964 01 31 80 01 32'.replace(/ /g, ''));
  });

  it('references entries the decoder has not acknowledged yet only while the blocked-streams allowance lasts', () => {
    const pair = new Pair({ maxTableCapacity: 4096, maxBlockedStreams: 0 }, { indexing: 'eager' });
    const section = pair.exchange(0n, [{ name: 'x-a', value: '1' }]);
    expect(shape(section, 1).lines).toEqual(['literal']); // inserted, not referenced: it could block
    expect(pair.encoder.stats.inserts).toBe(1);
    expect(shape(pair.exchange(4n, [{ name: 'x-a', value: '1' }]), 1).lines).toEqual(['indexed/dynamic']); // acknowledged by now
    expect(pair.encoder.stats.blockedSections).toBe(0);
  });

  it('uses post-Base indices for entries inserted while encoding the section (Base = Insert Count at the start)', () => {
    const pair = new Pair(SETTINGS, { indexing: 'eager' });
    pair.exchange(0n, [{ name: 'x-a', value: '1' }]);
    const s = pair.exchange(4n, [
      { name: 'x-a', value: '1' },
      { name: 'x-b', value: '2' },
      { name: 'x-b', value: '3' },
    ]);
    expect(shape(s, 3)).toEqual({ requiredInsertCount: 3, base: 1, lines: ['indexed/dynamic', 'indexed/post-base', 'indexed/post-base'] });
  });

  it('duplicates an entry about to be evicted instead of referencing it, and references the copy (RFC 9204 §2.1.1.1)', () => {
    // capacity 200: x-keep=1 (39 octets) first, then fill past three quarters so x-keep is in the draining zone
    const pair = new Pair({ maxTableCapacity: 200, maxBlockedStreams: 4 }, { indexing: 'eager', huffman: 'never' });
    pair.exchange(0n, [{ name: 'x-keep', value: '1' }]);
    expect(shape(pair.exchange(2n, [{ name: 'x-keep', value: '1' }]), 1, 200).lines).toEqual(['indexed/dynamic']); // referenced while it is not draining
    pair.exchange(4n, [
      { name: 'x-fill-1', value: '12345678901234567890' },
      { name: 'x-fill-2', value: '12345678901234567890' },
    ]);
    expect(pair.decoder.table.size).toBe(39 + 60 + 60);
    const section = pair.encoder.encodeFieldSection(8n, [{ name: 'x-keep', value: '1' }]);
    expect(toHex(pair.encoder.takeEncoderStreamData())).toBe('02'); // Duplicate, relative index 2: x-keep
    expect(shape(section, 4, 200)).toMatchObject({ requiredInsertCount: 4, lines: ['indexed/post-base'] });
    expect(pair.encoder.stats.duplicates).toBe(1);
  });

  it('never indexes credentials or short cookies, nor a line marked neverIndex: literals with the N bit, never inserted', () => {
    const pair = new Pair(SETTINGS, { indexing: 'eager' });
    const fields: FieldLine[] = [
      { name: 'authorization', value: 'Bearer abc' },
      { name: 'cookie', value: 'id=1' },
      { name: 'x-secret', value: 's', neverIndex: true },
      { name: 'cookie', value: 'a-long-enough-cookie-value=1234567890' },
    ];
    for (let i = 0; i < 3; i++) pair.exchange(BigInt(4 * i), fields);
    const s = pair.encoder.encodeFieldSection(100n, fields);
    expect(shape(s, pair.decoder.table.insertCount).lines).toEqual(['name-reference/static/N', 'name-reference/static/N', 'literal/N', 'indexed/dynamic']);
    expect(pair.encoder.table.entries.map((e) => e.name)).toEqual(['cookie']);
  });

  it('a section of exact static matches (a bare :status 200) is Required Insert Count 0, Base 0, one byte a line, whatever the table holds; it touches no table state', () => {
    const pair = new Pair(SETTINGS, { indexing: 'eager' });
    pair.exchange(0n, [{ name: 'x-filled', value: 'so the Base is not 0' }]);
    const before = { table: pair.encoder.table, blocking: pair.encoder.blockingStreams, references: pair.encoder.stats.dynamicReferences };
    const fields: FieldLine[] = [
      { name: ':status', value: '200' }, // static 25
      { name: 'content-type', value: 'text/plain;charset=utf-8' }, // static 54
    ];
    const section = pair.exchange(4n, fields);
    expect(toHex(section)).toBe(`0000${(0xc0 | 25).toString(16)}${(0xc0 | 54).toString(16)}`);
    expect({ table: pair.encoder.table, blocking: pair.encoder.blockingStreams, references: pair.encoder.stats.dynamicReferences }).toEqual(before);
    // Past index 62 the index takes two bytes: the general path writes it (static 'x-frame-options: sameorigin' is 98).
    expect(
      shape(
        pair.exchange(8n, [
          { name: ':status', value: '200' },
          { name: 'x-frame-options', value: 'sameorigin' },
        ]),
        1,
      ).lines,
    ).toEqual(['indexed/static', 'indexed/static']);
    // A failed encoder fails every section, this one too.
    expect(() => pair.encoder.receiveDecoderStream(Uint8Array.of(0x80 | 0x7f, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f))).toThrow();
    expect(() => pair.encoder.encodeFieldSection(12n, [{ name: ':status', value: '200' }])).toThrow();
  });

  it("'never' keeps to the static table; 'repeated' waits for a second sighting; lines above 3/4 of the capacity are not inserted", () => {
    const never = new Pair(SETTINGS, { indexing: 'never' });
    for (let i = 0; i < 3; i++) never.exchange(BigInt(4 * i), pageRequest());
    expect(never.encoder.stats.inserts).toBe(0);
    expect(never.octets.encoderStream).toBe(0);
    const big = new Pair({ maxTableCapacity: 400, maxBlockedStreams: 4 }, { indexing: 'eager' });
    big.exchange(0n, [
      { name: 'x-big', value: 'v'.repeat(400 * 0.75 - 32 - 5 + 1) },
      { name: 'x-ok', value: 'v'.repeat(400 * 0.75 - 32 - 4) },
    ]);
    expect(big.encoder.table.entries.map((e) => e.name)).toEqual(['x-ok']);
  });

  it('keeps its table within min(tableCapacityLimit, the peer maximum)', () => {
    const pair = new Pair(SETTINGS, { tableCapacityLimit: 300, indexing: 'eager' });
    for (let i = 0; i < 50; i++) {
      pair.exchange(BigInt(4 * i), [
        { name: `x-h${i % 7}`, value: `value-${i}` },
        { name: 'x-same', value: 'same' },
      ]);
      expect(pair.encoder.table.size).toBeLessThanOrEqual(300);
    }
    expect(pair.decoder.table.capacity).toBe(300);
  });

  it('stops inserting while more than a table capacity of encoder-stream octets waits to be taken', () => {
    const e = new QpackEncoder({ maxTableCapacity: 200, maxBlockedStreams: 1, indexing: 'eager', huffman: 'never' });
    for (let i = 0; i < 20; i++) e.encodeFieldSection(0n, [{ name: 'x', value: `${i}`.padStart(3, '0') }]);
    expect(e.stats.inserts).toBeLessThan(20);
    expect(e.takeEncoderStreamData().length).toBeLessThanOrEqual(200 + 40);
  });

  it('tracks at most 4096 unacknowledged sections; past that, sections use no dynamic references', () => {
    const e = new QpackEncoder({ ...SETTINGS, indexing: 'eager' });
    e.encodeFieldSection(0n, [{ name: 'x-a', value: '1' }]);
    e.receiveDecoderStream(Uint8Array.of(0x80)); // acknowledged: referencing it never blocks
    for (let i = 1; i <= 4096; i++) e.encodeFieldSection(BigInt(4 * i), [{ name: 'x-a', value: '1' }]);
    expect(e.encodeFieldSection(1_000_000n, [{ name: 'x-a', value: '1' }])[0]).toBe(0);
    e.receiveDecoderStream(Uint8Array.of(0x84)); // one acknowledged: room for one more
    expect(e.encodeFieldSection(1_000_004n, [{ name: 'x-a', value: '1' }])[0]).not.toBe(0);
  });

  it('refuses a field with a character above 0xff (RangeError) and changes nothing', () => {
    const e = new QpackEncoder({ ...SETTINGS, indexing: 'eager' });
    expect(() =>
      e.encodeFieldSection(0n, [
        { name: 'x-a', value: '1' },
        { name: 'x-b', value: '\u20ac' },
      ]),
    ).toThrow(RangeError);
    expect(e.table.insertCount).toBe(0);
    expect(e.takeEncoderStreamData().length).toBe(0);
    expect(() => e.prime([{ name: '\u0100', value: '' }])).toThrow(RangeError);
    e.encodeFieldSection(0n, [{ name: 'x-c', value: '\u00e9' }]); // 0xe9 is an octet: fine
    expect(e.table.entries).toEqual([{ absolute: 0, name: 'x-c', value: '\u00e9', refs: 1 }]);
  });

  it("Huffman 'auto' shortens literals; 'never' writes them plain", () => {
    const auto = new QpackEncoder({ ...SETTINGS, indexing: 'never' }).encodeFieldSection(0n, pageRequest());
    const plain = new QpackEncoder({ ...SETTINGS, indexing: 'never', huffman: 'never' }).encodeFieldSection(0n, pageRequest());
    expect(auto.length).toBeLessThan(plain.length * 0.85);
    const w = new ByteWriter();
    encodeEncoderInstruction(w, { type: 'insert-literal-name', name: 'x', value: 'y' }, 'never');
    expect(toHex(w.take())).toBe('41780179');
  });

  it("maxTableCapacity must be the peer's exact setting: a smaller one wraps the Required Insert Count where the peer does not", () => {
    // The trap API.md warns of: bounding our table through maxTableCapacity instead of tableCapacityLimit.
    const decoder = new QpackDecoder({ maxTableCapacity: 4096, maxBlockedStreams: 0 });
    const wrong = new QpackEncoder({ maxTableCapacity: 100, maxBlockedStreams: 0, indexing: 'eager' }); // MaxEntries 3: wraps at 6
    const right = new QpackEncoder({ maxTableCapacity: 4096, maxBlockedStreams: 0, indexing: 'eager', tableCapacityLimit: 100 });
    const run = (encoder: QpackEncoder, d: QpackDecoder) => {
      for (let i = 0; i < 12; i++) {
        const fields = [{ name: 'x-a', value: `${i}` }];
        encoder.encodeFieldSection(BigInt(8 * i), fields); // inserts; cannot reference yet (no blocking allowed)
        d.receiveEncoderStream(encoder.takeEncoderStreamData());
        encoder.receiveDecoderStream(d.takeDecoderStreamData());
        const section = encoder.encodeFieldSection(BigInt(8 * i + 4), fields); // references the acknowledged entry
        d.decodeFieldSection(BigInt(8 * i + 4), section);
        encoder.receiveDecoderStream(d.takeDecoderStreamData());
      }
    };
    expect(() => run(right, decoder)).not.toThrow();
    expect(right.table.capacity).toBe(100);
    const e = qpackErrorOf(() => run(wrong, new QpackDecoder({ maxTableCapacity: 4096, maxBlockedStreams: 0 })));
    expect(e?.code).toBe(QpackErrorCode.DECOMPRESSION_FAILED);
  });
});
