/**
 * @module readme-example
 * A package README's first example, read from the README itself so that the
 * text a user copies is the text CI runs:
 *
 * - the install line: the `pnpm add …` / `npm install …` command of the
 *   `## Install` section (every package the example imports must be on it);
 * - setup commands: `sh` blocks between the example's heading and its code
 *   (e.g. making a certificate with openssl), install lines excepted;
 * - the code: the README's first `ts` or `js` block;
 * - what it prints: a plain fenced block right after the code, or else the
 *   code's `// → …` comments, one output line each (none: only exit 0 counts).
 */

export interface ReadmeExample {
  /** Packages named by the install line, in its order. */
  install: string[];
  /** Shell commands to run, in order, in the project directory before the code. */
  setup: string[];
  lang: 'ts' | 'js';
  code: string;
  /** Expected stdout lines, or null when the README states none. */
  expected: string[] | null;
}

interface Block {
  lang: string;
  body: string;
  start: number;
  end: number;
}

function fencedBlocks(markdown: string): Block[] {
  return [...markdown.matchAll(/^```([\w-]*)[^\n]*\n([\s\S]*?)^```[ \t]*$/gm)].map((m) => ({
    lang: m[1]!,
    body: m[2]!,
    start: m.index,
    end: m.index + m[0].length,
  }));
}

const INSTALL = /^\s*(?:pnpm add|npm (?:install|i)|yarn add|bun add|deno add)\s+(.*)$/;

/** Packages on an install command line (flags and comments dropped, `npm:`/`jsr:` prefixes kept off). */
export function installedPackages(line: string): string[] {
  const args = INSTALL.exec(line)?.[1]?.replace(/#.*$/, '') ?? '';
  return args
    .split(/\s+/)
    .filter((a) => a && !a.startsWith('-'))
    .map((a) => a.replace(/^npm:/, ''))
    .map((a) => (a.startsWith('@') ? a.split('@').slice(0, 2).join('@') : a.split('@')[0]!));
}

/** The package names the code imports (bare specifiers, `node:` built-ins excluded), without subpaths. */
export function importedPackages(code: string): string[] {
  const specs = [...code.matchAll(/(?:\bfrom\s*|\bimport\s*\(?\s*)['"]([^'"]+)['"]/g)].map((m) => m[1]!);
  const names = specs.filter((s) => !s.startsWith('.') && !s.startsWith('/') && !s.startsWith('node:')).map((s) => (s.startsWith('@') ? s.split('/').slice(0, 2).join('/') : s.split('/')[0]!));
  return [...new Set(names)].sort();
}

export function readmeExample(markdown: string): ReadmeExample {
  const blocks = fencedBlocks(markdown);
  const installSection = /^## Install\b[^\n]*$/m.exec(markdown);
  const installBlock = installSection ? blocks.find((b) => b.start > installSection.index && b.lang === 'sh') : undefined;
  const install = (installBlock?.body.split('\n') ?? []).flatMap((l) => (INSTALL.test(l) ? installedPackages(l) : []));

  const codeIndex = blocks.findIndex((b) => b.lang === 'ts' || b.lang === 'js');
  if (codeIndex < 0) throw new Error('the README has no ts or js example');
  const code = blocks[codeIndex]!;
  const headings = [...markdown.slice(0, code.start).matchAll(/^#{2,3} .*$/gm)];
  const sectionStart = headings.at(-1)?.index ?? 0;
  const setup = blocks
    .filter((b) => b.lang === 'sh' && b.start > sectionStart && b.end < code.start && b !== installBlock)
    .flatMap((b) => b.body.replace(/\s*\\\n\s*/g, ' ').split('\n'))
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#') && !INSTALL.test(l));

  const next = blocks[codeIndex + 1];
  const outputBlock = next && next.lang === '' && /^\s*$/.test(markdown.slice(code.end, next.start)) ? next : undefined;
  const arrows = [...code.body.matchAll(/\/\/ → (.*)$/gm)].map((m) => m[1]!.trimEnd());
  const expected = outputBlock ? outputBlock.body.replace(/\n$/, '').split('\n') : arrows.length > 0 ? arrows : null;
  return { install, setup, lang: code.lang as 'ts' | 'js', code: code.body, expected };
}
