import { defineConfig } from 'vitest/config';

// The CLI tests run the built `dist/cli/main.js`; the global setup rebuilds it when src/ is newer.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['./test/global-setup.ts'],
    // The CLI suites start many processes at once; on a loaded 2-core machine 5 s is not enough.
    testTimeout: 60_000,
  },
});
