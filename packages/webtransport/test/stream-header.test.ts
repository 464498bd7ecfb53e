import { describe, expect, it } from 'vitest';
import { encodeSessionId, isValidSessionId, readSessionId, SessionIdReader } from '../src/stream-header.js';

const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** RFC 9000 §A.1's varint examples, as session IDs would be written. */
const RFC9000_A1: ReadonlyArray<[bigint, string]> = [
  [151288809941952652n, 'c2197c5eff14e88c'],
  [494878333n, '9d7f3e7d'],
  [15293n, '7bbd'],
  [37n, '25'],
];

function stream(...chunks: Uint8Array[]): ReadableStream<Uint8Array> {
  return new ReadableStream({
    start(c) {
      for (const x of chunks) c.enqueue(x);
      c.close();
    },
  });
}

describe('the session ID after 0x54 / 0x41 (draft-ietf-webtrans-http3 §4.1, §4.2)', () => {
  it.each(RFC9000_A1)('encodes %s as RFC 9000 §A.1 does (%s)', (id, encoded) => {
    expect(hex(encodeSessionId(id))).toBe(encoded);
  });

  it('refuses IDs outside 62 bits', () => {
    expect(() => encodeSessionId(-4n)).toThrow(RangeError);
    expect(() => encodeSessionId(1n << 62n)).toThrow(RangeError);
  });

  it('reads the ID in any fragmentation and returns the payload bytes that followed', () => {
    for (const [id, encoded] of RFC9000_A1) {
      const bytes = Buffer.concat([Buffer.from(encoded, 'hex'), Buffer.from('payload')]);
      for (let split = 0; split <= bytes.length; split++) {
        const r = new SessionIdReader();
        const first = r.push(bytes.subarray(0, split));
        const got = first ?? r.push(bytes.subarray(split));
        expect(got?.sessionId).toBe(id);
        const rest = first ? Buffer.concat([first.rest, bytes.subarray(split)]) : got!.rest;
        expect(Buffer.from(rest).toString()).toBe('payload');
      }
    }
  });

  it('reads byte by byte', () => {
    const r = new SessionIdReader();
    const bytes = Buffer.from('c2197c5eff14e88c', 'hex');
    for (let i = 0; i < 7; i++) expect(r.push(bytes.subarray(i, i + 1))).toBeUndefined();
    const got = r.push(bytes.subarray(7));
    expect(got?.sessionId).toBe(151288809941952652n);
    expect(got?.rest.length).toBe(0);
  });

  it('only client-initiated bidirectional stream IDs are session IDs (§4)', () => {
    expect([0n, 4n, 8n, 1000n].every(isValidSessionId)).toBe(true);
    expect([1n, 2n, 3n, 5n, 6n, 7n, -4n].some(isValidSessionId)).toBe(false);
  });

  it('readSessionId: the ID and a reader positioned after it; undefined for a stream that ends inside it', async () => {
    const got = await readSessionId(stream(new Uint8Array([0x40]), new Uint8Array([0x08, 1, 2]), new Uint8Array([3])));
    expect(got?.sessionId).toBe(8n);
    expect([...got!.head]).toEqual([1, 2]);
    expect([...(await got!.reader.read()).value!]).toEqual([3]);
    expect(await readSessionId(stream(new Uint8Array([0x40])))).toBeUndefined();
    expect(await readSessionId(stream())).toBeUndefined();
    const reset = new ReadableStream<Uint8Array>({ pull: (c) => c.error(Object.assign(new Error('reset'), { code: 5n })) });
    expect(await readSessionId(reset)).toBeUndefined();
  });
});
