/**
 * The README's example is the file scripts/example.ts, and running it prints
 * exactly the output block that follows it in the README.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, test } from 'vitest';

const root = fileURLToPath(new URL('..', import.meta.url));

function exampleBlocks(): { code: string; output: string } {
  const readme = readFileSync(`${root}README.md`, 'utf8');
  const section = readme.slice(readme.indexOf('## Example'));
  const code = /```ts\n([\s\S]*?)```\n/.exec(section)![1]!;
  const after = section.slice(section.indexOf(code) + code.length + 4);
  const output = /```\n([\s\S]*?)```/.exec(after)![1]!;
  return { code, output };
}

test('the README example is scripts/example.ts', () => {
  expect(exampleBlocks().code).toBe(readFileSync(`${root}scripts/example.ts`, 'utf8'));
});

test('the README example runs over QUIC loopback and prints the README output', async () => {
  const stdout = await new Promise<string>((resolve, reject) => {
    execFile(process.execPath, ['--import', 'tsx', 'scripts/example.ts'], { cwd: root, timeout: 30_000 }, (err, out, errOut) => (err ? reject(new Error(`${err.message}\n${errOut}`)) : resolve(out)));
  });
  expect(stdout).toBe(exampleBlocks().output);
}, 40_000);
