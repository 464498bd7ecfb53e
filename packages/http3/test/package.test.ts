/**
 * Package shape and the README: the main entry's whole import graph is
 * browser-safe (no `node:*`, no `process`, no `Buffer`); `./node` is where
 * Node APIs live; the exports map lists `types` first; the README's example
 * is scripts/example.ts and prints what the README shows; its extension
 * example is scripts/extension-example.ts and takes Chromium's session request.
 */
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { Http3Connection } from '../src/connection.js';
import { FrameType } from '../src/frames.js';
import { webtransport } from '../scripts/extension-example.js';
import { memorySessionPair } from './support/memory-session.js';
import { concat, decodeSection, headersFrame, openBidi, openControl, readAtLeast } from './support/raw-peer.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const SRC = join(ROOT, 'src');
const PKG = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { exports: Record<string, Record<string, string> | string>; sideEffects: boolean; dependencies: Record<string, string> };

/** Every module reachable from `entry` through relative imports, and the bare specifiers they import. */
function graph(entry: string): { files: string[]; external: string[] } {
  const files = new Set<string>();
  const external = new Set<string>();
  const visit = (file: string): void => {
    if (files.has(file)) return;
    files.add(file);
    const code = readFileSync(file, 'utf8');
    for (const m of code.matchAll(/(?:^|\n)\s*(?:import|export)[^'";]*?from\s+'([^']+)'|import\(\s*'([^']+)'\s*\)/g)) {
      const spec = m[1] ?? m[2]!;
      if (spec.startsWith('.')) visit(resolve(dirname(file), spec.replace(/\.js$/, '.ts')));
      else external.add(spec);
    }
  };
  visit(entry);
  return { files: [...files], external: [...external].sort() };
}

describe('package shape', () => {
  it('the main entry imports nothing outside the package: no node:*, no process or Buffer anywhere in its graph', () => {
    const { files, external } = graph(join(SRC, 'index.ts'));
    expect(external).toEqual([]);
    for (const f of files) {
      expect(f).not.toMatch(/[/\\]node[/\\]/);
      expect(readFileSync(f, 'utf8'), f).not.toMatch(/\bprocess\.|\bBuffer\b|require\(/);
    }
  });

  it('./node is the Node entry (quic-transport, node:*); the exports map lists types first', () => {
    const { external } = graph(join(SRC, 'node', 'index.ts'));
    expect(external).toContain('@tsquic/quic-transport');
    expect(external.filter((e) => !e.startsWith('node:') && e !== '@tsquic/quic-transport')).toEqual([]);
    expect(PKG.dependencies).toEqual({ '@tsquic/quic-transport': 'workspace:*' });
    for (const [key, value] of Object.entries(PKG.exports)) {
      if (typeof value === 'string') continue;
      expect(Object.keys(value)[0], key).toBe('types');
    }
    expect(Object.keys(PKG.exports)).toEqual(['.', './node', './package.json']);
    expect(PKG.sideEffects).toBe(false);
  });
});

function exampleBlocks(): { code: string; output: string } {
  const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
  const section = readme.slice(readme.indexOf('## Example'));
  const code = /```ts\n([\s\S]*?)```\n/.exec(section)![1]!;
  const after = section.slice(section.indexOf(code) + code.length + 4);
  const output = /```\n([\s\S]*?)```/.exec(after)![1]!;
  return { code, output };
}

describe('the README example', () => {
  it('is scripts/example.ts', () => {
    expect(exampleBlocks().code).toBe(readFileSync(join(ROOT, 'scripts/example.ts'), 'utf8'));
  });

  it('runs (serve and fetch over QUIC on 127.0.0.1, certificate from cert-tool) and prints the README output', async () => {
    const stdout = await new Promise<string>((res, rej) => {
      execFile(process.execPath, ['--import', 'tsx', 'scripts/example.ts'], { cwd: ROOT, timeout: 30_000 }, (err, out, errOut) => (err ? rej(new Error(`${err.message}\n${errOut}`)) : res(out)));
    });
    expect(stdout).toBe(exampleBlocks().output);
  }, 40_000);
});

describe('the README extension example', () => {
  it('is scripts/extension-example.ts', () => {
    const readme = readFileSync(join(ROOT, 'README.md'), 'utf8');
    const code = /```ts\n([\s\S]*?)```\n/.exec(readme.slice(readme.indexOf('## Extensions')))![1]!;
    expect(code).toBe(readFileSync(join(ROOT, 'scripts/extension-example.ts'), 'utf8'));
  });

  // Chromium 156's SETTINGS (packages/webtransport/CHROMIUM.md): no ENABLE_CONNECT_PROTOCOL (0x08).
  const CHROMIUM_SETTINGS: Array<[number, number]> = [
    [0x01, 65536],
    [0x06, 16384],
    [0x07, 100],
    [0x33, 1],
    [0xffd277, 1],
    [0x2b603742, 1],
  ];
  const session = async (settings: Array<[number, number]>): Promise<string | undefined> => {
    const [c, s] = memorySessionPair();
    const server = Http3Connection.server(s, () => new Response('not found', { status: 404 }), { extensions: [webtransport] });
    expect(server.localSettings.get(0x2b603742n)).toBe(1n);
    await openControl(c, new Uint8Array(0), settings);
    const headers: Array<[string, string]> = [
      [':method', 'CONNECT'],
      [':protocol', 'webtransport'],
      [':scheme', 'https'],
      [':authority', 'example.test'],
      [':path', '/wt'],
      ['sec-webtransport-http3-draft02', '1'],
      ['origin', 'https://example.test'],
    ];
    const stream = await openBidi(c, headersFrame(headers), true);
    // The response's HEADERS frame: its type (one byte), its length (a short varint here), then the section.
    let bytes = await readAtLeast(stream.readable, 2);
    expect([bytes[0], bytes[1]! >> 6]).toEqual([FrameType.HEADERS, 0]);
    const end = 2 + bytes[1]!;
    if (bytes.length < end) bytes = concat(bytes, await readAtLeast(stream.readable, end - bytes.length));
    return decodeSection(bytes.subarray(2, end)).find(([name]) => name === ':status')?.[1];
  };

  it('accepts a session request with Chromium 156’s SETTINGS (no ENABLE_CONNECT_PROTOCOL), refuses one without WebTransport’s', async () => {
    expect(await session(CHROMIUM_SETTINGS)).toBe('200');
    expect(await session(CHROMIUM_SETTINGS.filter(([id]) => id !== 0x2b603742))).toBe('400');
  });
});
