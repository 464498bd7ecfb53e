#!/usr/bin/env node
/**
 * @module cli
 * `pnpm bench` (root) or `node bench/dist/cli.js`: runs the whole suite,
 * prints the table and writes the JSON (default bench-results/bench.json).
 *   --smoke           tiny sizes, a few seconds
 *   --json <file>     where to write the JSON
 *   --markdown        also print the table as Markdown (for the READMEs)
 *   --only handshakes just the handshake rows (a lever measured alone)
 * Sizes can be overridden with BENCH_MB, BENCH_SECONDS, BENCH_CONNECTIONS, BENCH_RUNS.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { markdownTable, textTable } from './report.js';
import { runSuite } from './suite.js';

const args = process.argv.slice(2);
const smoke = args.includes('--smoke');
const ji = args.indexOf('--json');
const jsonFile = resolve(ji >= 0 && args[ji + 1] ? args[ji + 1]! : 'bench-results/bench.json');
const env = (name: string): number | undefined => (process.env[name] ? Number(process.env[name]) : undefined);
const mb = env('BENCH_MB');
const oi = args.indexOf('--only');
const only = oi >= 0 ? args[oi + 1] : undefined;

const result = await runSuite({
  smoke,
  ...(only ? { only } : {}),
  ...(mb !== undefined ? { bytes: mb * 1e6 } : {}),
  ...(env('BENCH_SECONDS') !== undefined ? { seconds: env('BENCH_SECONDS')! } : {}),
  ...(env('BENCH_CONNECTIONS') !== undefined ? { connections: env('BENCH_CONNECTIONS')! } : {}),
  ...(env('BENCH_RUNS') !== undefined ? { runs: env('BENCH_RUNS')! } : {}),
});
console.log(textTable(result));
if (args.includes('--markdown')) console.log(`\n${markdownTable(result)}`);
mkdirSync(dirname(jsonFile), { recursive: true });
writeFileSync(jsonFile, `${JSON.stringify(result, null, 2)}\n`);
console.log(`\nJSON: ${jsonFile}`);
