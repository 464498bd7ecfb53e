/**
 * The README shows real output: every `console` block is re-run in a fresh directory (cert-tool and
 * openssl commands) and compared line by line, with fingerprints, serials, key ids and dates — which
 * differ per run — masked; `# exit N` lines assert the exit status. The library example is run too,
 * and its `// →` comments are its expected output.
 */
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { HAVE_OPENSSL, tempDir } from './helpers.js';

const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const MAIN = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));

const blocks = (lang: string): string[] => [...README.matchAll(new RegExp('```' + lang + '\\n([\\s\\S]*?)```', 'g'))].map((m) => m[1]!);

/** Split a command line on spaces, honouring double quotes. */
function argv(line: string): string[] {
  return [...line.matchAll(/"([^"]*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

function exec(file: string, args: string[], cwd: string): Promise<{ code: number; out: string }> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd, timeout: 20_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err);
      resolve({ code: err ? (err.code as number) : 0, out: stdout + stderr });
    });
  });
}

/** Mask what differs from run to run. */
function mask(s: string): string {
  return s
    .replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ/g, '<date>')
    .replace(/[A-Za-z0-9+/]{43}=/g, '<base64>')
    .replace(/\b[0-9a-f]{32,64}\b/g, '<hex>');
}

interface Step {
  line: string;
  expected: string[];
  exit: number;
}

function steps(block: string): Step[] {
  const out: Step[] = [];
  for (const line of block.trimEnd().split('\n')) {
    if (line.startsWith('$ ')) out.push({ line: line.slice(2), expected: [], exit: 0 });
    else if (/^# exit \d+$/.test(line)) out.at(-1)!.exit = Number(line.slice(7));
    else out.at(-1)!.expected.push(line);
  }
  return out;
}

const tmp = tempDir();
afterAll(() => tmp.cleanup());

describe('README', () => {
  it('has console examples and a library example', () => {
    expect(blocks('console').length).toBeGreaterThanOrEqual(3);
    expect(blocks('ts')).toHaveLength(1);
  });

  it('console examples print exactly what the README shows', async () => {
    for (const block of blocks('console')) {
      for (const step of steps(block)) {
        const [cmd, ...args] = argv(step.line);
        if (cmd === 'openssl' && !HAVE_OPENSSL) continue;
        expect(['cert-tool', 'openssl']).toContain(cmd);
        const r = cmd === 'cert-tool' ? await exec(process.execPath, [MAIN, ...args], tmp.dir) : await exec('openssl', args, tmp.dir);
        expect({ command: step.line, exit: r.code, out: mask(r.out) }).toEqual({ command: step.line, exit: step.exit, out: mask(step.expected.map((l) => `${l}\n`).join('')) });
      }
    }
  }, 60_000);

  it('the library example runs and prints its // → comments', async () => {
    const code = blocks('ts')[0]!;
    const expected = [...code.matchAll(/\/\/ → (.*)$/gm)].map((m) => m[1]!);
    const dist = (p: string): string => pathToFileURL(fileURLToPath(new URL(`../dist/${p}`, import.meta.url))).href;
    const js = code.replace("'@tsquic/cert-tool/node'", `'${dist('node/index.js')}'`).replace("'@tsquic/cert-tool'", `'${dist('index.js')}'`);
    const dir = join(tmp.dir, 'lib-example');
    const { mkdirSync } = await import('node:fs');
    mkdirSync(dir);
    writeFileSync(join(dir, 'example.mjs'), js);
    const r = await exec(process.execPath, ['example.mjs'], dir);
    expect(r.code).toBe(0);
    expect(r.out.trimEnd().split('\n')).toEqual(expected);
  }, 30_000);
});
