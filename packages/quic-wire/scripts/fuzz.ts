/**
 * Long-run fuzzing of every quic-wire decoder with fast-check: random bytes
 * and mutated valid encodings, QUIC_WIRE_FUZZ_RUNS inputs per decoder
 * (default 100,000). Anything but a QuicWireError fails the run.
 *   pnpm --filter @tsquic/quic-wire fuzz
 */
import fc from 'fast-check';
import { DECODERS } from '../test/arbitraries.js';

const runs = Number(process.env.QUIC_WIRE_FUZZ_RUNS ?? 100_000);
let failed = false;
console.log(`decoder                          inputs    seconds   inputs/s`);
for (const d of DECODERS) {
  const t0 = performance.now();
  const res = fc.check(
    fc.property(d.input, (b) => d.run(b)),
    { numRuns: runs },
  );
  const s = (performance.now() - t0) / 1000;
  console.log(
    `${d.name.padEnd(32)} ${String(res.numRuns).padStart(7)} ${s.toFixed(2).padStart(9)} ${Math.round(res.numRuns / s)
      .toString()
      .padStart(10)}${res.failed ? '  FAILED' : ''}`,
  );
  if (res.failed) {
    failed = true;
    console.log(fc.defaultReportMessage(res));
  }
}
process.exit(failed ? 1 : 0);
