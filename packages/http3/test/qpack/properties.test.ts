/**
 * Property tests of the encoder/decoder pair over a simulated connection:
 * random header lists (drawn from a pool so lines repeat, plus random octet
 * strings), random table capacities and blocked-stream limits on both sides,
 * and a random interleaving of everything that can happen: encoding,
 * encoder-stream bytes arriving in random pieces and late, field sections
 * arriving before the instructions they need, decoder-stream feedback
 * delayed, streams cancelled. Every section decodes to what was sent, no
 * side ever raises a QPACK error, the decoder's table stays within its
 * capacity, blocked streams stay within the setting, and once everything is
 * delivered the encoder holds no references.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { type FieldLine, QpackDecoder, QpackEncoder, type UnblockedSection } from '../../src/qpack/index.js';
import { sameFields } from './pair.js';

const octets = (maxLength: number) => fc.string({ unit: fc.integer({ min: 0, max: 255 }).map((c) => String.fromCharCode(c)), maxLength });
const NAMES = [':path', ':authority', 'user-agent', 'accept', 'cookie', 'authorization', 'x-a', 'x-b', 'x-c', 'content-type', 'etag'];
const VALUES = ['', '/', 'a', 'text/html', 'gzip, deflate, br', 'x'.repeat(90), 'some-longer-value-that-repeats'];

const field: fc.Arbitrary<FieldLine> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ name: fc.constantFrom(...NAMES), value: fc.constantFrom(...VALUES) }) },
  { weight: 1, arbitrary: fc.record({ name: fc.oneof(fc.constantFrom(...NAMES), octets(12)), value: octets(40) }) },
  { weight: 1, arbitrary: fc.record({ name: fc.constantFrom('x-a', 'x-big'), value: octets(600) }) },
  { weight: 1, arbitrary: fc.record({ name: fc.constantFrom('x-a', 'x-secret'), value: octets(10), neverIndex: fc.constant(true) }) },
);

const scenario = fc.record({
  decoderCapacity: fc.oneof(fc.constant(0), fc.integer({ min: 0, max: 300 }), fc.integer({ min: 300, max: 4096 })),
  encoderLimit: fc.oneof(fc.constant(4096), fc.integer({ min: 0, max: 4096 })),
  maxBlockedStreams: fc.integer({ min: 0, max: 4 }),
  indexing: fc.constantFrom('repeated' as const, 'eager' as const),
  huffman: fc.constantFrom('auto' as const, 'never' as const),
  // sections: [stream index, fields]; several sections on one stream are headers, then trailers
  sections: fc.array(fc.tuple(fc.integer({ min: 0, max: 9 }), fc.array(field, { maxLength: 10 })), { minLength: 1, maxLength: 30 }),
  seed: fc.integer(),
  cancelPercent: fc.constantFrom(0, 0, 5, 20),
});

/** mulberry32: the run's random choices come from the scenario's seed, so a failure replays exactly. */
function prng(seed: number): (n: number) => number {
  let a = seed >>> 0;
  return (n) => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) % n;
  };
}

type Scenario = typeof scenario extends fc.Arbitrary<infer T> ? T : never;

function run(s: Scenario): void {
  const random = prng(s.seed);
  const decoder = new QpackDecoder({ maxTableCapacity: s.decoderCapacity, maxBlockedStreams: s.maxBlockedStreams });
  const encoder = new QpackEncoder({ maxTableCapacity: s.decoderCapacity, maxBlockedStreams: s.maxBlockedStreams, tableCapacityLimit: s.encoderLimit, indexing: s.indexing, huffman: s.huffman });
  const streamId = (i: number) => BigInt(4 * i);
  let encoderPipe = new Uint8Array(0); // encoder-stream bytes in flight, in order
  let decoderPipe = new Uint8Array(0);
  const inFlight = new Map<bigint, { section: Uint8Array; fields: FieldLine[] }[]>(); // per stream, in order
  const expected = new Map<bigint, FieldLine[][]>(); // sections sent but not decoded yet, per stream, in order
  const cancelled = new Set<bigint>();
  let next = 0;

  const append = (a: Uint8Array, b: Uint8Array) => {
    const out = new Uint8Array(a.length + b.length);
    out.set(a);
    out.set(b, a.length);
    return out;
  };
  const decoded = (id: bigint, fields: FieldLine[]) => {
    const want = expected.get(id)?.shift();
    expect(want, `a section for stream ${id} nobody sent or one cancelled`).toBeDefined();
    expect(sameFields(fields, want!), `stream ${id}: ${JSON.stringify(fields)} != ${JSON.stringify(want)}`).toBe(true);
  };
  const unblocked = (list: UnblockedSection[]) => {
    for (const u of list) {
      expect('fields' in u).toBe(true);
      if ('fields' in u) decoded(u.streamId, u.fields);
    }
  };
  const feedback = () => (decoderPipe = append(decoderPipe, decoder.takeDecoderStreamData()));
  const checkBounds = () => {
    expect(decoder.table.size).toBeLessThanOrEqual(s.decoderCapacity);
    expect(decoder.bufferedEncoderStreamBytes).toBeLessThanOrEqual(8 * Math.max(decoder.table.capacity, 32) + 32);
    expect(decoder.blockedStreams).toBeLessThanOrEqual(s.maxBlockedStreams);
    expect(encoder.blockingStreams).toBeLessThanOrEqual(s.maxBlockedStreams);
    expect(encoder.table.size).toBeLessThanOrEqual(Math.min(s.decoderCapacity, s.encoderLimit));
  };

  const actions: (() => boolean)[] = [
    // encode the next section (skipping streams already reset)
    () => {
      while (next < s.sections.length && cancelled.has(streamId(s.sections[next]![0]))) next++;
      if (next >= s.sections.length) return false;
      const [i, fields] = s.sections[next++]!;
      const id = streamId(i);
      const section = encoder.encodeFieldSection(id, fields);
      encoderPipe = append(encoderPipe, encoder.takeEncoderStreamData());
      if (!inFlight.has(id)) inFlight.set(id, []);
      inFlight.get(id)!.push({ section, fields });
      if (!expected.has(id)) expected.set(id, []);
      expected.get(id)!.push(fields);
      return true;
    },
    // deliver a random-sized piece of the encoder stream
    () => {
      if (encoderPipe.length === 0) return false;
      const n = 1 + random(encoderPipe.length);
      unblocked(decoder.receiveEncoderStream(encoderPipe.subarray(0, n)));
      encoderPipe = encoderPipe.subarray(n);
      if (random(2) === 0) feedback();
      return true;
    },
    // deliver the oldest section of a random stream
    () => {
      const ids = [...inFlight.keys()].filter((id) => inFlight.get(id)!.length > 0);
      if (ids.length === 0) return false;
      const id = ids[random(ids.length)]!;
      const { section } = inFlight.get(id)!.shift()!;
      const r = decoder.decodeFieldSection(id, section);
      if ('fields' in r) decoded(id, r.fields);
      if (random(2) === 0) feedback();
      return true;
    },
    // deliver a random-sized piece of the decoder stream
    () => {
      feedback();
      if (decoderPipe.length === 0) return false;
      const n = 1 + random(decoderPipe.length);
      encoder.receiveDecoderStream(decoderPipe.subarray(0, n));
      decoderPipe = decoderPipe.subarray(n);
      return true;
    },
    // reset a random stream: its undelivered sections are lost, the decoder cancels it
    () => {
      if (random(100) >= s.cancelPercent) return false;
      const ids = [...expected.keys()].filter((id) => !cancelled.has(id));
      if (ids.length === 0) return false;
      const id = ids[random(ids.length)]!;
      cancelled.add(id);
      inFlight.delete(id);
      expected.delete(id);
      decoder.cancelStream(id);
      return true;
    },
  ];

  for (let steps = 0; steps < 100_000; steps++) {
    const done = next >= s.sections.length && encoderPipe.length === 0 && decoderPipe.length === 0 && [...inFlight.values()].every((q) => q.length === 0);
    if (done) {
      feedback();
      if (decoderPipe.length === 0) break;
    }
    actions[random(actions.length)]!();
    checkBounds();
  }
  // Everything was delivered: every section decoded, every reference released by an acknowledgment or a cancellation.
  for (const [id, rest] of expected) expect(rest, `stream ${id} still waits`).toEqual([]);
  expect(decoder.blockedStreams).toBe(0);
  expect(encoder.blockingStreams).toBe(0);
  expect(encoder.table.entries.every((e) => e.refs === 0)).toBe(true);
  expect(encoder.table.knownReceivedCount).toBe(encoder.table.insertCount);
  expect(decoder.table.entries).toEqual(encoder.table.entries.map(({ absolute, name, value }) => ({ absolute, name, value })));
}

describe('QPACK encoder/decoder pair: decode(encode(x)) = x over any interleaving (fast-check)', () => {
  it('random header lists, capacities, blocked-stream limits, delays, fragmentation and cancellations', () => {
    fc.assert(
      fc.property(scenario, (s) => run(s)),
      { numRuns: 300 },
    );
  }, 120_000);

  it('a long connection with a tiny table wraps the Required Insert Count encoding many times', () => {
    fc.assert(
      fc.property(fc.integer({ min: 64, max: 200 }), fc.integer(), (capacity, seed) => {
        const sections = Array.from({ length: 150 }, (_, i): [number, FieldLine[]] => [
          i % 10,
          [
            { name: 'x-a', value: `${i % 13}` },
            { name: 'x-b', value: `${i % 4}` },
          ],
        ]);
        run({ decoderCapacity: capacity, encoderLimit: 4096, maxBlockedStreams: 3, indexing: 'eager', huffman: 'auto', sections, seed, cancelPercent: 0 });
      }),
      { numRuns: 30 },
    );
  }, 120_000);
});
