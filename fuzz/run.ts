/**
 * @module fuzz/run
 * `pnpm fuzz`: fuzz every target for a bounded time and print executions,
 * coverage and crashes per target. Crashing inputs are written to
 * fuzz/crashes/<target>/<hash>.bin (not committed) for replay:
 *   pnpm fuzz                        # every target, FUZZ_SECONDS (default 15) each
 *   pnpm fuzz -- --seconds 60 tls    # targets whose name contains "tls"
 *   pnpm fuzz -- --replay fuzz/crashes/quic-wire-frames/abc.bin quic-wire/frames
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fuzz, hashOf, type FuzzResult } from './engine.js';
import { TARGETS } from './targets.js';

const args = process.argv.slice(2).filter((a) => a !== '--');
let seconds = Number(process.env.FUZZ_SECONDS ?? 15);
let seed = Number(process.env.FUZZ_SEED ?? Date.now() % 100_000);
let replay: string | undefined;
const filters: string[] = [];
for (let i = 0; i < args.length; i++) {
  if (args[i] === '--seconds') seconds = Number(args[++i]);
  else if (args[i] === '--seed') seed = Number(args[++i]);
  else if (args[i] === '--replay') replay = args[++i];
  else filters.push(args[i]!);
}
const targets = TARGETS.filter((t) => filters.length === 0 || filters.some((f) => t.name.includes(f)));
if (targets.length === 0) {
  console.error(`no target matches ${filters.join(', ')}; targets: ${TARGETS.map((t) => t.name).join(', ')}`);
  process.exit(2);
}

if (replay) {
  const input = new Uint8Array(readFileSync(replay));
  for (const t of targets) {
    try {
      t.run(input);
      console.log(`${t.name}: no exception`);
    } catch (e) {
      console.log(`${t.name}: ${t.expected(e) ? 'expected rejection' : 'CRASH'}`, e);
    }
  }
  process.exit(0);
}

console.log(`fuzzing ${targets.length} target(s), ${seconds} s each, seed ${seed}`);
console.log(`${'target'.padEnd(30)} ${'execs'.padStart(9)} ${'execs/s'.padStart(8)} ${'seeds'.padStart(5)} ${'corpus'.padStart(6)} ${'blocks'.padStart(6)} ${'funcs'.padStart(5)} crashes`);
const results: FuzzResult[] = [];
for (const t of targets) {
  const r = fuzz(t, seconds, seed);
  results.push(r);
  console.log(
    `${r.name.padEnd(30)} ${String(r.executions).padStart(9)} ${String(Math.round(r.executions / r.seconds)).padStart(8)} ${String(r.seeds).padStart(5)} ${String(r.corpus).padStart(6)} ${String(r.blocks).padStart(6)} ${String(r.functions).padStart(5)} ${r.crashes.length}`,
  );
  for (const c of r.crashes) {
    const dir = fileURLToPath(new URL(`./crashes/${r.name.replace(/\//g, '-')}/`, import.meta.url));
    mkdirSync(dir, { recursive: true });
    const file = `${dir}${hashOf(c.input)}.bin`;
    writeFileSync(file, c.input);
    console.log(`  CRASH ${c.key}\n    ${c.error.split('\n').join('\n    ')}\n    input (${c.input.length} bytes): ${file}`);
  }
}
const total = results.reduce((n, r) => n + r.executions, 0);
const crashes = results.reduce((n, r) => n + r.crashes.length, 0);
console.log(`total: ${total} executions, ${crashes} crash(es)`);
process.exit(crashes > 0 ? 1 : 0);
