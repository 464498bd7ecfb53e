/** fast-check arbitraries shared by the property tests and scripts/fuzz.ts. */
import fc from 'fast-check';
import {
  coalescedPackets,
  decodeFrames,
  decodeTransportParameters,
  encodeFrame,
  encodeTransportParameters,
  frameSize,
  parsePacketHeader,
  QuicWireError,
  Writer,
  type AckRange,
  type Frame,
  type PacketSpaceType,
  type TransportParameters,
} from '../src/index.js';
import { SAMPLE_FRAMES } from './samples.js';

const safe = fc.maxSafeNat();
const small = fc.nat({ max: 2 ** 30 });
const bytes = (min: number, max: number) => fc.uint8Array({ minLength: min, maxLength: max });
const code = fc.bigInt({ min: 0n, max: 2n ** 62n - 1n });

const ackArb = fc.array(fc.tuple(fc.nat({ max: 1000 }), fc.nat({ max: 1000 })), { minLength: 1, maxLength: 20 }).chain((steps) =>
  fc.nat({ max: 2 ** 40 }).map((base) => {
    // Build descending ranges from (gap, length) steps above base.
    const ranges: AckRange[] = [];
    let lo = base;
    const asc: AckRange[] = [];
    for (const [gap, len] of steps) {
      const s = lo + (asc.length === 0 ? 0 : gap + 2);
      asc.push([s, s + len]);
      lo = s + len;
    }
    for (let i = asc.length - 1; i >= 0; i--) ranges.push(asc[i]!);
    return ranges;
  }),
);

export const frameArbitrary: fc.Arbitrary<Frame> = fc
  .oneof(
    fc.record({ type: fc.constant('padding' as const), length: fc.integer({ min: 1, max: 50 }) }),
    fc.constant({ type: 'ping' as const }),
    fc.constant({ type: 'handshake_done' as const }),
    fc.tuple(ackArb, small, fc.option(fc.record({ ect0: safe, ect1: safe, ce: safe }), { nil: undefined })).map(([ranges, ackDelay, ecn]) => {
      const f: Frame = { type: 'ack', largest: ranges[0]![1], ackDelay, ranges };
      if (ecn) f.ecn = ecn;
      return f;
    }),
    fc.record({ type: fc.constant('reset_stream' as const), streamId: safe, errorCode: code, finalSize: safe }),
    fc.record({ type: fc.constant('stop_sending' as const), streamId: safe, errorCode: code }),
    fc.record({ type: fc.constant('crypto' as const), offset: small, data: bytes(0, 300) }),
    fc.record({ type: fc.constant('new_token' as const), token: bytes(1, 100) }),
    fc.record({ type: fc.constant('stream' as const), streamId: safe, offset: safe, data: bytes(0, 300), fin: fc.boolean() }),
    fc.record({ type: fc.constant('max_data' as const), maximum: safe }),
    fc.record({ type: fc.constant('max_stream_data' as const), streamId: safe, maximum: safe }),
    fc.record({ type: fc.constant('max_streams' as const), bidi: fc.boolean(), maximum: safe }),
    fc.record({ type: fc.constant('data_blocked' as const), limit: safe }),
    fc.record({ type: fc.constant('stream_data_blocked' as const), streamId: safe, limit: safe }),
    fc.record({ type: fc.constant('streams_blocked' as const), bidi: fc.boolean(), limit: safe }),
    fc.tuple(safe, safe, bytes(1, 20), bytes(16, 16)).map(([a, b, connectionId, statelessResetToken]): Frame => ({
      type: 'new_connection_id',
      sequence: Math.max(a, b),
      retirePriorTo: Math.min(a, b),
      connectionId,
      statelessResetToken,
    })),
    fc.record({ type: fc.constant('retire_connection_id' as const), sequence: safe }),
    fc.record({ type: fc.constant('path_challenge' as const), data: bytes(8, 8) }),
    fc.record({ type: fc.constant('path_response' as const), data: bytes(8, 8) }),
    fc.record({ type: fc.constant('connection_close' as const), application: fc.constant(false as const), errorCode: code, frameType: small, reason: fc.string({ maxLength: 40 }) }),
    fc.record({ type: fc.constant('connection_close' as const), application: fc.constant(true as const), errorCode: code, reason: fc.string({ maxLength: 40 }) }),
    fc.record({ type: fc.constant('datagram' as const), data: bytes(0, 300) }),
    fc.constant({ type: 'immediate_ack' as const }),
    fc.record({ type: fc.constant('ack_frequency' as const), sequence: safe, ackElicitingThreshold: safe, requestedMaxAckDelay: safe, reorderingThreshold: safe }),
  )
  .filter((f) => !(f.type === 'stream' && f.offset + f.data.length > Number.MAX_SAFE_INTEGER));

const cid = bytes(0, 20);
export const transportParametersArbitrary: fc.Arbitrary<TransportParameters> = fc.record(
  {
    originalDestinationConnectionId: cid,
    maxIdleTimeout: safe,
    statelessResetToken: bytes(16, 16),
    maxUdpPayloadSize: fc.integer({ min: 1200, max: 65527 }),
    initialMaxData: safe,
    initialMaxStreamDataBidiLocal: safe,
    initialMaxStreamDataBidiRemote: safe,
    initialMaxStreamDataUni: safe,
    initialMaxStreamsBidi: safe,
    initialMaxStreamsUni: safe,
    ackDelayExponent: fc.integer({ min: 0, max: 20 }),
    maxAckDelay: fc.integer({ min: 0, max: 16383 }),
    disableActiveMigration: fc.constant(true),
    preferredAddress: fc.record({ ipv4Address: bytes(4, 4), ipv4Port: fc.nat(65535), ipv6Address: bytes(16, 16), ipv6Port: fc.nat(65535), connectionId: bytes(1, 20), statelessResetToken: bytes(16, 16) }),
    activeConnectionIdLimit: fc.integer({ min: 2, max: 2 ** 40 }),
    initialSourceConnectionId: cid,
    retrySourceConnectionId: cid,
    versionInformation: fc.record({ chosenVersion: fc.integer({ min: 1, max: 2 ** 32 - 1 }), availableVersions: fc.array(fc.integer({ min: 1, max: 2 ** 32 - 1 }), { maxLength: 4 }) }),
    maxDatagramFrameSize: safe,
    unknown: fc.uniqueArray(fc.record({ id: fc.bigInt({ min: 0x21n, max: 2n ** 62n - 1n }), value: bytes(0, 20) }), { selector: (u) => u.id, minLength: 1, maxLength: 3 }),
  },
  { requiredKeys: [] },
);

function encodeAll(frames: Frame[]): Uint8Array {
  const w = Writer.alloc(frames.reduce((n, f) => n + frameSize(f), 0));
  for (const f of frames) encodeFrame(w, f);
  return w.buf;
}

/** Valid encodings to mutate: the realistic starting points a fuzzer needs to get past the first byte. */
export const SEEDS = {
  frames: SAMPLE_FRAMES.map((f) => encodeAll([f])),
  transportParameters: [
    encodeTransportParameters({ initialMaxData: 1000, maxIdleTimeout: 30000, initialSourceConnectionId: new Uint8Array(8), activeConnectionIdLimit: 4 }),
    encodeTransportParameters({
      preferredAddress: { ipv4Address: new Uint8Array(4), ipv4Port: 1, ipv6Address: new Uint8Array(16), ipv6Port: 2, connectionId: new Uint8Array(4), statelessResetToken: new Uint8Array(16) },
      versionInformation: { chosenVersion: 1, availableVersions: [1] },
    }),
  ],
  packets: [
    Uint8Array.from([0xc3, 0, 0, 0, 1, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0x40, 0x10, ...new Array(16).fill(0)]),
    Uint8Array.from([0x80, 0, 0, 0, 0, 1, 1, 1, 2, 0, 0, 0, 1]),
    Uint8Array.from([0xf0, 0, 0, 0, 1, 0, 1, 9, 0x74, ...new Array(16).fill(1)]),
    Uint8Array.from([0x41, 1, 2, 3, 4, 0, 0, 0, 0]),
  ],
};

/** Random bytes, or a valid seed with a few bytes flipped, truncated or extended. */
export function fuzzInput(seeds: Uint8Array[]): fc.Arbitrary<Uint8Array> {
  const mutated = fc.tuple(fc.constantFrom(...seeds), fc.array(fc.tuple(fc.nat(), fc.nat(255)), { maxLength: 4 }), fc.nat(), bytes(0, 8)).map(([seed, flips, cut, tail]) => {
    const b = seed.slice();
    for (const [i, x] of flips) if (b.length) b[i % b.length] = x;
    const kept = b.subarray(0, b.length === 0 ? 0 : cut % (b.length + 1));
    const out = new Uint8Array(kept.length + tail.length);
    out.set(kept);
    out.set(tail, kept.length);
    return out;
  });
  return fc.oneof(bytes(0, 64), mutated, mutated);
}

function quietly(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    if (!QuicWireError.isInstance(e)) throw e;
  }
}

const PACKET_TYPES: PacketSpaceType[] = ['initial', 'handshake', '0rtt', '1rtt'];

/** Every decoder entry point, with the inputs to throw at it. */
export const DECODERS: Array<{ name: string; input: fc.Arbitrary<Uint8Array>; run(b: Uint8Array): void }> = [
  ...PACKET_TYPES.map((pt) => ({ name: `decodeFrames(${pt})`, input: fuzzInput(SEEDS.frames), run: (b: Uint8Array) => quietly(() => decodeFrames(b, pt)) })),
  {
    name: 'decodeTransportParameters',
    input: fuzzInput(SEEDS.transportParameters),
    run: (b) => {
      quietly(() => decodeTransportParameters(b, 'server'));
      quietly(() => decodeTransportParameters(b, 'client'));
    },
  },
  {
    name: 'parsePacketHeader',
    input: fuzzInput(SEEDS.packets),
    run: (b) => {
      quietly(() => parsePacketHeader(b, 0, 4));
      quietly(() => parsePacketHeader(b, 0, 0));
    },
  },
  { name: 'coalescedPackets', input: fuzzInput(SEEDS.packets), run: (b) => void coalescedPackets(b, 8) },
];
