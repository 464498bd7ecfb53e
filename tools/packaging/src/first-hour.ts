/**
 * @module first-hour
 * What a new user does with an installed package, as functions over a fresh
 * project directory: load every entry point with `import` and `require`,
 * type-check them the strict way (a Node-only project, `skipLibCheck: false`,
 * no DOM library), and run the README's first example — type-checked first
 * when it is TypeScript, then compiled and run with plain `node`.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { type Outcome, run } from './exec.js';
import type { ReadmeExample } from './readme-example.js';
import { ROOT } from './workspace.js';

const TSC = join(ROOT, 'node_modules/typescript/bin/tsc');

/** A strict Node-only tsconfig that checks library types too. */
const TSCONFIG = {
  compilerOptions: {
    target: 'ES2022',
    lib: ['ES2022'],
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    strict: true,
    skipLibCheck: false,
    noEmit: true,
    types: ['node'],
  },
};

/** Loads each specifier with `import()` and with `require()`; exit 0 when every one has exports both ways. */
export async function loadEntryPoints(dir: string, specifiers: readonly string[]): Promise<Outcome> {
  const list = JSON.stringify(specifiers);
  writeFileSync(
    join(dir, 'load.cjs'),
    `for (const s of ${list}) { const m = require(s); if (Object.keys(m).length === 0) throw new Error('require(' + s + ') has no exports'); }\n` +
      `Promise.all(${list}.map((s) => import(s))).then((ms) => ms.forEach((m, i) => { if (Object.keys(m).length === 0) throw new Error('import(' + ${list}[i] + ') has no exports'); }));\n`,
  );
  return run(process.execPath, ['load.cjs'], { cwd: dir, timeoutMs: 60_000 });
}

/** Type-checks `files` (written into dir) with the strict Node-only tsconfig. */
export async function typeCheck(dir: string, files: Record<string, string>): Promise<Outcome> {
  for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
  writeFileSync(join(dir, 'tsconfig.json'), JSON.stringify({ ...TSCONFIG, files: Object.keys(files) }, null, 2));
  return run(process.execPath, [TSC, '-p', '.'], { cwd: dir, timeoutMs: 120_000 });
}

/** A module that imports every entry point, so tsc reads each one's declarations. */
export function entryPointsModule(specifiers: readonly string[]): string {
  return `${specifiers.map((s, i) => `import * as entry${i} from '${s}';`).join('\n')}\nexport const entries = [${specifiers.map((_, i) => `entry${i}`).join(', ')}];\n`;
}

/** TypeScript → the JavaScript node runs (types erased, nothing else changed). */
export function compile(code: string): string {
  return ts.transpileModule(code, { compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, verbatimModuleSyntax: true } }).outputText;
}

/** Runs the example's setup commands, then the example; resolves with the last outcome. */
export async function runExample(dir: string, example: ReadmeExample): Promise<Outcome & { step: string }> {
  const env = { ...process.env, PATH: `${join(dir, 'node_modules/.bin')}:${process.env.PATH}` };
  for (const step of example.setup) {
    const r = await run('bash', ['-c', step], { cwd: dir, env, timeoutMs: 60_000 });
    if (r.code !== 0) return { ...r, step };
  }
  writeFileSync(join(dir, 'example.mjs'), example.lang === 'ts' ? compile(example.code) : example.code);
  return { ...(await run(process.execPath, ['example.mjs'], { cwd: dir, env, timeoutMs: 60_000 })), step: 'node example.mjs' };
}
