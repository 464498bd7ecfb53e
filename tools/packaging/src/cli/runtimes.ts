/**
 * @module cli/runtimes
 * `pnpm runtimes fetch` downloads Node 22/24, Deno 2 and Bun from the npm
 * registry into .cache/runtimes; `pnpm runtimes test [--runtime id …]
 * [--package name …] [--concurrency 2]` runs every published package's suite
 * on each (see runtimes.ts for which suite), prints each run's output as it
 * ends, then a table of counts, and exits 1 if any test failed.
 */
import { parseArgs } from 'node:util';
import { run } from '../exec.js';
import { RUNTIMES, type SuiteResult, countTests, fetchRuntime, pool, suiteCommand } from '../runtimes.js';
import { publishedPackages } from '../workspace.js';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: { runtime: { type: 'string', multiple: true }, package: { type: 'string', multiple: true }, concurrency: { type: 'string', default: '2' } },
});
const command = positionals[0] ?? 'test';
const runtimes = RUNTIMES.filter((r) => !values.runtime || values.runtime.includes(r.id));
const packages = publishedPackages().filter((p) => !values.package || values.package.some((n) => p.manifest.name.endsWith(n)));

const binaries = new Map<string, string>();
for (const rt of runtimes) {
  const { bin, version } = await fetchRuntime(rt);
  binaries.set(rt.id, bin);
  console.log(`${rt.label}: ${version} (${bin})`);
}
if (command === 'fetch') process.exit(0);
if (command !== 'test') throw new Error(`unknown command ${command}: fetch | test`);

const jobs = runtimes.flatMap((rt) => packages.map((pkg) => ({ rt, pkg, cmd: suiteCommand(rt, pkg, binaries.get(rt.id)!) })));
const started = Date.now();
const results = await pool(
  jobs.filter((j) => j.cmd !== null),
  Number(values.concurrency),
  async ({ rt, pkg, cmd }): Promise<SuiteResult> => {
    const outcome = await run(cmd!.file, cmd!.args, { cwd: pkg.dir, env: cmd!.env, timeoutMs: 600_000 });
    const counts = countTests(outcome.stdout + outcome.stderr);
    // A suite that ran no test, or exited non-zero with no failed test counted, is a failure too.
    const failed = counts.failed || (outcome.code !== 0 || counts.passed === 0 ? 1 : 0);
    return { runtime: rt.label, pkg: pkg.manifest.name, ...counts, failed, outcome };
  },
  (r) => {
    console.log(`\n===== ${r.runtime} · ${r.pkg} · exit ${r.outcome.code}`);
    console.log(r.outcome.stdout.trimEnd());
    if (r.outcome.code !== 0) console.log(r.outcome.stderr.trimEnd());
  },
);

console.log(`\n${'runtime'.padEnd(10)} ${'package'.padEnd(28)} ${'passed'.padStart(7)} ${'failed'.padStart(7)} ${'skipped'.padStart(8)}`);
for (const r of results.sort((a, b) => a.runtime.localeCompare(b.runtime) || a.pkg.localeCompare(b.pkg))) {
  console.log(`${r.runtime.padEnd(10)} ${r.pkg.padEnd(28)} ${String(r.passed).padStart(7)} ${String(r.failed).padStart(7)} ${String(r.skipped).padStart(8)}`);
}
for (const { rt, pkg } of jobs.filter((j) => j.cmd === null)) console.log(`${rt.label.padEnd(10)} ${pkg.manifest.name.padEnd(28)} (no ${rt.script} script: not run)`);
const total = results.reduce((t, r) => ({ passed: t.passed + r.passed, failed: t.failed + r.failed, skipped: t.skipped + r.skipped }), { passed: 0, failed: 0, skipped: 0 });
console.log(`runtimes: ${total.passed} passed, ${total.failed} failed${total.skipped ? `, ${total.skipped} skipped` : ''} in ${((Date.now() - started) / 1000).toFixed(0)} s`);
process.exit(total.failed > 0 ? 1 : 0);
