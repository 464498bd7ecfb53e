// Type-aware lint rules the async network code relies on (typescript-eslint's type-checked rules):
// a promise nobody awaits or handles, a promise where a callback's result is ignored, `await` on
// what is not a thenable. Formatting is Prettier's business (pnpm format:check), not the linter's.
import tseslint from 'typescript-eslint';

export default tseslint.config(
  {
    ignores: [
      '**/node_modules/**',
      '**/dist/**',
      '**/*.js',
      '**/*.mjs',
      '**/*.cjs',
      '**/*.d.ts',
      '**/vitest.config.ts',
      'examples/qpc-chat/web/**',
      // Not yet linted (each has findings to fix in its own package first; widen this list's end when they are):
      // packages/http3/test (hostile.test.ts: 4 floating promises; chromium.test.ts, load.test.ts: await of a
      // non-thenable), examples/qpc-chat (returning-client.test.ts: a non-promise to Promise.all), and
      // packages/webtransport/scripts/example.ts (in no tsconfig).
      'packages/http3/test/**',
      'examples/qpc-chat/**',
      'packages/webtransport/scripts/**',
    ],
  },
  {
    files: ['**/*.ts'],
    languageOptions: {
      parser: tseslint.parser,
      parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname },
    },
    plugins: { '@typescript-eslint': tseslint.plugin },
    // Generated code carries directives for other linters' rules.
    linterOptions: { reportUnusedDisableDirectives: 'off' },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
    },
  },
);
