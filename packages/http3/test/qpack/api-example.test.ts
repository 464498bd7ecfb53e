/** The example in src/qpack/API.md runs as written. */
import { readFileSync } from 'node:fs';
import ts from 'typescript';
import { expect, it } from 'vitest';
import * as qpack from '../../src/qpack/index.js';

it('API.md: the example runs and its checks hold', () => {
  const doc = readFileSync(new URL('../../src/qpack/API.md', import.meta.url), 'utf8');
  const block = /## Example[\s\S]*?```ts\n([\s\S]*?)```/.exec(doc)![1]!;
  const body = ts.transpileModule(block.replace(/^import .*$/m, ''), { compilerOptions: { target: ts.ScriptTarget.ES2022 } }).outputText;
  const names = Object.keys(qpack);
  expect(() => new Function(...names, body)(...names.map((n) => (qpack as Record<string, unknown>)[n]))).not.toThrow();
  expect(block).toContain("from './index.js'");
});
