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
import { spawnSync } from 'node:child_process';
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

/** Fuzz one target in this process; crashing inputs go to fuzz/crashes/<target>/. */
function runHere(name: string): FuzzResult & { crashFiles: string[] } {
  const t = TARGETS.find((x) => x.name === name)!;
  const r = fuzz(t, seconds, seed);
  const crashFiles: string[] = [];
  for (const c of r.crashes) {
    const dir = fileURLToPath(new URL(`./crashes/${r.name.replace(/\//g, '-')}/`, import.meta.url));
    mkdirSync(dir, { recursive: true });
    const file = `${dir}${hashOf(c.input)}.bin`;
    writeFileSync(file, c.input);
    crashFiles.push(file);
  }
  return { ...r, crashFiles };
}

if (process.env.FUZZ_CHILD) {
  const r = runHere(process.env.FUZZ_CHILD);
  process.stdout.write(`FUZZRESULT ${JSON.stringify({ ...r, crashes: r.crashes.map((c) => ({ key: c.key, error: c.error, length: c.input.length })) })}\n`);
  process.exit(0);
}

console.log(`fuzzing ${targets.length} target(s), ${seconds} s each, seed ${seed}`);
console.log(`${'target'.padEnd(34)} ${'execs'.padStart(9)} ${'execs/s'.padStart(8)} ${'seeds'.padStart(5)} ${'corpus'.padStart(6)} ${'blocks'.padStart(6)} ${'funcs'.padStart(5)} crashes`);
let total = 0;
let crashes = 0;
let hung = 0;
for (const t of targets) {
  // Each target runs in its own process under a watchdog: a hang (an input that never returns, or
  // a stall of the tooling) is reported and killed instead of stopping the whole run.
  const child = spawnSync(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url)], {
    env: { ...process.env, FUZZ_CHILD: t.name, FUZZ_SECONDS: String(seconds), FUZZ_SEED: String(seed) },
    stdio: ['ignore', 'pipe', 'inherit'],
    timeout: (seconds + 60) * 1000,
    killSignal: 'SIGKILL',
    maxBuffer: 64 << 20,
  });
  const line = child.stdout
    ?.toString()
    .split('\n')
    .find((l) => l.startsWith('FUZZRESULT '));
  if (!line) {
    hung++;
    console.log(`${t.name.padEnd(34)} ${child.error || child.signal ? `HUNG (killed after ${seconds + 60} s)` : `exited ${child.status} without a result`}`);
    continue;
  }
  const r = JSON.parse(line.slice('FUZZRESULT '.length)) as Omit<FuzzResult, 'crashes'> & { crashFiles: string[]; crashes: Array<{ key: string; error: string; length: number }> };
  total += r.executions;
  crashes += r.crashes.length;
  console.log(
    `${r.name.padEnd(34)} ${String(r.executions).padStart(9)} ${String(Math.round(r.executions / r.seconds)).padStart(8)} ${String(r.seeds).padStart(5)} ${String(r.corpus).padStart(6)} ${String(r.blocks).padStart(6)} ${String(r.functions).padStart(5)} ${r.crashes.length}`,
  );
  r.crashes.forEach((c, i) => console.log(`  CRASH ${c.key}\n    ${c.error.split('\n').join('\n    ')}\n    input (${c.length} bytes): ${r.crashFiles[i]}`));
}
console.log(`total: ${total} executions, ${crashes} crash(es)${hung ? `, ${hung} target(s) hung` : ''}`);
process.exit(crashes > 0 || hung > 0 ? 1 : 0);
