import { describe, expect, it } from 'vitest';
import { importedPackages, installedPackages, readmeExample } from '../src/readme-example.js';

const fence = '```';
const readme = [
  '# @x/a',
  '',
  '## Install',
  '',
  `${fence}sh`,
  'pnpm add @x/a @x/b zod@3   # both',
  fence,
  '',
  '## Example: two things',
  '',
  `${fence}sh`,
  'openssl req -x509 \\',
  '  -out cert.der',
  'npm install left-out',
  '# a comment',
  fence,
  '',
  `${fence}ts`,
  "import { readFileSync } from 'node:fs';",
  "import { a } from '@x/a';",
  "import { b } from '@x/b/sub';",
  "const z = await import('zod');",
  'console.log(a, b); // → 1 2',
  fence,
  `${fence}`,
  'one',
  'two',
  fence,
  '',
  `${fence}js`,
  'second();',
  fence,
].join('\n');

describe('readmeExample', () => {
  it('reads the install line, the setup commands, the first code block and the output block after it', () => {
    expect(readmeExample(readme)).toEqual({
      install: ['@x/a', '@x/b', 'zod'],
      setup: ['openssl req -x509 -out cert.der'],
      lang: 'ts',
      code: expect.stringContaining("import { a } from '@x/a';"),
      expected: ['one', 'two'],
    });
  });

  it('takes // → comments as the output when no output block follows', () => {
    const noBlock = readme.replace(`${fence}\none\ntwo\n${fence}\n`, '');
    expect(readmeExample(noBlock).expected).toEqual(['1 2']);
  });

  it('expects nothing in particular when the README states no output', () => {
    expect(readmeExample(`${fence}js\nrun();\n${fence}\n`).expected).toBeNull();
  });

  it('fails on a README without code', () => {
    expect(() => readmeExample('# nothing\n')).toThrow(/no ts or js example/);
  });

  it('ignores sh blocks of earlier sections', () => {
    const earlier = `## Build\n\n${fence}sh\nmake all\n${fence}\n\n## Example\n\n${fence}js\nx();\n${fence}\n`;
    expect(readmeExample(earlier).setup).toEqual([]);
  });
});

describe('package names', () => {
  it('on install lines: versions, flags and comments dropped', () => {
    expect(installedPackages('npm i -D @a/b@^1 c@2 --save-exact # x')).toEqual(['@a/b', 'c']);
  });

  it('in code: bare static and dynamic imports, subpaths cut, node: and relative ones left out', () => {
    const code = "import x from 'p/sub';\nimport type { T } from '@s/q/r';\nconst m = await import(\"dyn\");\nimport './local.js';\nimport 'node:fs';";
    expect(importedPackages(code)).toEqual(['@s/q', 'dyn', 'p']);
  });
});
