/**
 * @module fuzz/engine
 * A small coverage-guided mutational fuzzer for in-process JS targets.
 *
 * Jazzer.js 4.0 (the only release with prebuilt binaries reachable from here)
 * needs glibc 2.38 and Debian 12 has 2.36; 2.1.0 downloads its binary from
 * GitHub at install time. So the guidance comes from V8 itself: block
 * coverage (`Profiler.startPreciseCoverage({ detailed: true })` through
 * `node:inspector`), restricted to the target's own source files.
 *
 * The loop (like libFuzzer, batched because taking coverage costs ~1 ms):
 * mutate corpus entries into a batch, run it, take coverage; when the batch
 * reached a block never seen before, replay its inputs one by one and keep
 * each that adds coverage in the corpus. A crash is any exception the target
 * does not classify as an expected, typed rejection of bad input.
 */
import { createHash } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { Session } from 'node:inspector';
import { mutate, prng } from './mutate.js';

export interface Target {
  name: string;
  /** Source files (URL substrings) whose blocks count as coverage. */
  cover: string[];
  /** Starting inputs (captures, RFC vectors, valid encodings). */
  seeds(): Uint8Array[];
  /** Run one input; throw only on a bug (the engine calls `expected` first). */
  run(data: Uint8Array): void;
  /** True for a rejection that is the correct answer to bad input. */
  expected(e: unknown): boolean;
  /** Largest input to generate. */
  maxLength?: number;
}

export interface Crash {
  input: Uint8Array;
  error: string;
  key: string;
}

export interface FuzzResult {
  name: string;
  executions: number;
  seconds: number;
  corpus: number;
  seeds: number;
  blocks: number;
  functions: number;
  crashes: Crash[];
}

interface CoverageRange {
  startOffset: number;
  endOffset: number;
  count: number;
}
interface ScriptCoverage {
  url: string;
  functions: Array<{ functionName: string; ranges: CoverageRange[] }>;
}

class Coverage {
  private readonly session = new Session();

  private readonly off = process.env.FUZZ_NOCOV === '1';

  constructor() {
    if (this.off) return;
    this.session.connect();
    this.post('Profiler.enable');
    this.post('Profiler.startPreciseCoverage', { callCount: true, detailed: true });
  }

  private post(method: string, params: object = {}): unknown {
    let result: unknown;
    let error: unknown;
    // An in-thread inspector session answers synchronously.
    this.session.post(method, params, (e, r) => {
      error = e;
      result = r;
    });
    if (error) throw error;
    return result;
  }

  /** Blocks and functions executed since the last call, as stable keys, in files matching `cover`. */
  take(cover: string[]): { blocks: Set<string>; functions: Set<string> } {
    if (this.off) return { blocks: new Set(), functions: new Set() };
    const r = this.post('Profiler.takePreciseCoverage') as { result: ScriptCoverage[] };
    const blocks = new Set<string>();
    const functions = new Set<string>();
    for (const s of r.result) {
      if (!cover.some((c) => s.url.includes(c))) continue;
      for (const f of s.functions) {
        const [whole, ...inner] = f.ranges;
        if (!whole || whole.count === 0) continue;
        functions.add(`${s.url}#${whole.startOffset}`);
        blocks.add(`${s.url}#${whole.startOffset}-${whole.endOffset}`);
        for (const b of inner) if (b.count > 0) blocks.add(`${s.url}#${b.startOffset}-${b.endOffset}`);
      }
    }
    return { blocks, functions };
  }

  close(): void {
    this.post('Profiler.stopPreciseCoverage');
    this.session.disconnect();
  }
}

/**
 * One session for the whole run, started when this module is evaluated, before any target's code
 * is compiled: V8 only instruments blocks of functions compiled while precise coverage is on.
 */
const coverage = new Coverage();

function describe(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}\n${(e.stack ?? '').split('\n').slice(1, 6).join('\n')}`;
  return String(e);
}

/** A crash's identity: the error class and the first stack frame (so one bug is reported once). */
function crashKey(e: unknown): string {
  if (!(e instanceof Error)) return String(e).slice(0, 80);
  const frame = (e.stack ?? '').split('\n').find((l) => l.trim().startsWith('at ')) ?? '';
  return `${e.name} ${frame.trim()}`;
}

export function hashOf(b: Uint8Array): string {
  return createHash('sha1').update(b).digest('hex').slice(0, 16);
}

/** Fuzz `t` for `seconds`; `seed` makes the mutation sequence reproducible. */
export function fuzz(t: Target, seconds: number, seed = 1): FuzzResult {
  const rnd = prng(seed);
  const cov = coverage;
  const seeds = t.seeds();
  const corpus: Uint8Array[] = [];
  const seenBlocks = new Set<string>();
  const seenFunctions = new Set<string>();
  const crashes = new Map<string, Crash>();
  let executions = 0;
  const trace = process.env.FUZZ_TRACE;
  const once = (data: Uint8Array): void => {
    executions++;
    // FUZZ_TRACE=<file>: the input about to run, to find one that hangs
    if (trace) writeFileSync(trace, data);
    try {
      t.run(data);
    } catch (e) {
      if (t.expected(e)) return;
      const key = crashKey(e);
      if (!crashes.has(key)) crashes.set(key, { input: data.slice(), error: describe(e), key });
    }
  };
  const merge = (c: { blocks: Set<string>; functions: Set<string> }): boolean => {
    let fresh = false;
    for (const b of c.blocks) if (!seenBlocks.has(b)) (seenBlocks.add(b), (fresh = true));
    for (const f of c.functions) seenFunctions.add(f);
    return fresh;
  };
  cov.take(t.cover); // reset counters from set-up work
  // Seeds always enter the corpus when they add coverage (and the first one regardless).
  for (const s of seeds) {
    once(s);
    if (merge(cov.take(t.cover)) || corpus.length === 0) corpus.push(s);
  }
  if (corpus.length === 0) corpus.push(new Uint8Array(0));
  const t0 = performance.now();
  const deadline = t0 + seconds * 1000;
  const maxLength = t.maxLength ?? 4096;
  // Batches grow while they find nothing new (taking coverage is the fixed cost) and shrink when they do.
  let batchSize = 64;
  let takeMs = 0;
  let takes = 0;
  let lastTake = 0;
  const timedTake = () => {
    const t1 = performance.now();
    const c = cov.take(t.cover);
    lastTake = performance.now() - t1;
    takeMs += lastTake;
    takes++;
    return c;
  };
  const hasFresh = (c: { blocks: Set<string> }) => {
    for (const b of c.blocks) if (!seenBlocks.has(b)) return true;
    return false;
  };
  /** Find the inputs of `batch` that reach unseen blocks by bisection; keep each in the corpus. */
  const isolate = (batch: Uint8Array[]): void => {
    if (batch.length === 1) {
      once(batch[0]!);
      if (merge(timedTake())) corpus.push(batch[0]!);
      return;
    }
    const mid = batch.length >> 1;
    for (const half of [batch.slice(0, mid), batch.slice(mid)]) {
      for (const b of half) once(b);
      if (hasFresh(timedTake())) isolate(half);
    }
  };
  while (performance.now() < deadline) {
    const batch: Uint8Array[] = [];
    for (let i = 0; i < batchSize; i++) {
      const base = corpus[Math.floor(rnd() * corpus.length)]!;
      const other = corpus[Math.floor(rnd() * corpus.length)]!;
      batch.push(mutate(base, other, rnd, maxLength));
    }
    const t1 = performance.now();
    let ran = 0;
    // A batch never runs past the deadline (stateful targets can slow down as their state grows).
    for (const b of batch) {
      once(b);
      if ((++ran & 15) === 0 && performance.now() >= deadline) break;
    }
    batch.length = ran;
    const execMs = performance.now() - t1;
    const c = timedTake();
    const fresh = hasFresh(c);
    // Keep the coverage cost at most about the execution cost; shrink while new blocks keep coming.
    // ...and batches stay under about a second of execution.
    if ((!fresh || execMs < lastTake) && execMs < 500) batchSize = Math.min(16_384, batchSize * 2);
    else batchSize = Math.max(16, batchSize >> 1);
    if (fresh) {
      isolate(batch);
      // Blocks no single input reproduces (first-use initialisation, state left by earlier inputs) are seen now.
      merge(c);
    }
  }
  if (process.env.FUZZ_DEBUG) console.log(`  ${t.name}: ${takeMs.toFixed(0)} ms in ${takes} coverage takes`);
  return {
    name: t.name,
    executions,
    seconds: (performance.now() - t0) / 1000,
    corpus: corpus.length,
    seeds: seeds.length,
    blocks: seenBlocks.size,
    functions: seenFunctions.size,
    crashes: [...crashes.values()],
  };
}
