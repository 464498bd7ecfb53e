/** RFC 9297: the Capsule Protocol (§3.2, §3.3), the DATAGRAM capsule (§3.5) and HTTP/3 datagrams (§2.1). */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { CapsuleDecoder, CapsuleType, encodeCapsule } from '../src/capsule.js';
import { decodeHttpDatagram, encodeHttpDatagram, httpDatagramOverhead, MAX_QUARTER_STREAM_ID } from '../src/datagram.js';
import { H3ErrorCode, Http3Error } from '../src/errors.js';
import { http3ErrorOf } from './support/errors.js';
import { hex, toHex } from '@tsquic/test-support/hex';

describe('capsules (RFC 9297 §3.2)', () => {
  it('encodes Type (i), Length (i), Value', () => {
    expect(toHex(encodeCapsule(0x2843n, hex('00000000')))).toBe('6843' + '04' + '00000000');
    expect(toHex(encodeCapsule(CapsuleType.DATAGRAM, new Uint8Array(0)))).toBe('0000');
  });

  it('decodes any sequence in any fragmentation, skipping unwanted types without buffering them', () => {
    const capsule = fc.record({ type: fc.bigInt({ min: 0n, max: (1n << 62n) - 1n }), value: fc.uint8Array({ maxLength: 300 }) });
    fc.assert(
      fc.property(fc.array(capsule, { maxLength: 6 }), fc.array(fc.nat(), { maxLength: 10 }), (list, cuts) => {
        const bytes = new Uint8Array(list.flatMap((c) => [...encodeCapsule(c.type, c.value)]));
        const wanted = (t: bigint) => t % 2n === 0n;
        const d = new CapsuleDecoder({ wanted, maxCapsuleSize: 200 });
        const points = [0, ...[...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b), bytes.length];
        const out: string[] = [];
        const expected = list.filter((c) => wanted(c.type));
        const tooLarge = expected.some((c) => c.value.length > 200);
        try {
          for (let i = 0; i + 1 < points.length; i++) for (const c of d.push(bytes.subarray(points[i], points[i + 1]))) out.push(`${c.type}:${toHex(c.value)}`);
          d.finish();
        } catch (e) {
          expect(tooLarge).toBe(true);
          expect(Http3Error.isInstance(e) && e.code === H3ErrorCode.H3_MESSAGE_ERROR && e.scope === 'stream').toBe(true);
          return;
        }
        expect(tooLarge).toBe(false);
        expect(out).toEqual(expected.map((c) => `${c.type}:${toHex(c.value)}`));
      }),
      { numRuns: 400 },
    );
  });

  it('skips a huge unknown capsule while holding nothing of it', () => {
    const d = new CapsuleDecoder({ wanted: (t) => t === 1n, maxCapsuleSize: 10 });
    expect(d.push(hex('21 80100000'))).toEqual([]); // type 0x21, length 1 MiB
    for (let i = 0; i < 16; i++) expect(d.push(new Uint8Array(64 * 1024))).toEqual([]);
    expect(d.push(hex('01 02 abcd'))).toEqual([{ type: 1n, value: hex('abcd') }]);
    d.finish();
  });

  it.each([
    ['inside the type', '40'],
    ['inside the length', '00 40'],
    ['inside the value', '00 03 0102'],
  ])('a stream ending %s is a malformed message (§3.3): H3_MESSAGE_ERROR', (_, bytes) => {
    const d = new CapsuleDecoder();
    d.push(hex(bytes));
    const e = http3ErrorOf(() => d.finish());
    expect([e.code, e.scope]).toEqual([H3ErrorCode.H3_MESSAGE_ERROR, 'stream']);
  });
});

describe('HTTP/3 datagrams (RFC 9297 §2.1)', () => {
  it('prefix the payload with the quarter stream ID', () => {
    expect(toHex(encodeHttpDatagram(8n, hex('aabb')))).toBe('02aabb');
    expect(toHex(encodeHttpDatagram(4n * 100n, hex('')))).toBe('4064');
    expect(httpDatagramOverhead(4n * 100n)).toBe(2);
    expect(decodeHttpDatagram(hex('02aabb'))).toEqual({ streamId: 8n, payload: hex('aabb') });
    expect(decodeHttpDatagram(encodeHttpDatagram(MAX_QUARTER_STREAM_ID * 4n, hex('01'))).streamId).toBe(MAX_QUARTER_STREAM_ID * 4n);
  });

  it.each([
    ['an empty datagram', ''],
    ['a truncated quarter stream ID', '40'],
    ['a quarter stream ID of 2^60', 'd000000000000000'],
  ])('%s is H3_DATAGRAM_ERROR on the connection', (_, bytes) => {
    const e = http3ErrorOf(() => decodeHttpDatagram(hex(bytes)));
    expect([e.code, e.scope]).toEqual([H3ErrorCode.H3_DATAGRAM_ERROR, 'connection']);
  });
});
