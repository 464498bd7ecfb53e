/**
 * Property tests (fast-check): valid values round-trip, and arbitrary bytes
 * given to every decoder either decode or raise QuicWireError — nothing else.
 * The long-run variant with 100k inputs per decoder is scripts/fuzz.ts.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeFrame, frameSize, Reader, Writer, type Frame } from '../src/index.js';
import { DECODERS, frameArbitrary, transportParametersArbitrary } from './arbitraries.js';
import { decodeTransportParameters, encodeTransportParameters } from '../src/index.js';

const RUNS = Number(process.env.QUIC_WIRE_PROPERTY_RUNS ?? 3000);

describe('properties', () => {
  it('decode(encode(frame)) == frame for arbitrary valid frames', () => {
    fc.assert(
      fc.property(frameArbitrary, fc.boolean(), (f: Frame, omitLength) => {
        const omit = omitLength && (f.type === 'stream' || f.type === 'datagram');
        const w = Writer.alloc(frameSize(f, { omitLength: omit }));
        encodeFrame(w, f, { omitLength: omit });
        expect(w.remaining).toBe(0);
        const r = new Reader(w.buf);
        expect(decodeFrame(r)).toEqual(f);
        expect(r.atEnd).toBe(true);
      }),
      { numRuns: RUNS },
    );
  });

  it('decode(encode(tp)) == tp for arbitrary transport parameters', () => {
    fc.assert(
      fc.property(transportParametersArbitrary, (tp) => {
        expect(decodeTransportParameters(encodeTransportParameters(tp), 'server')).toEqual(tp);
      }),
      { numRuns: RUNS },
    );
  });

  for (const d of DECODERS) {
    it(`${d.name}: arbitrary bytes decode or raise QuicWireError, nothing else`, () => {
      fc.assert(
        fc.property(d.input, (bytes) => {
          d.run(bytes); // run() rethrows anything that is not a QuicWireError
        }),
        { numRuns: RUNS },
      );
    });
  }
});
