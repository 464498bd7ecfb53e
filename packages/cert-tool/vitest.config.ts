import { defineConfig } from 'vitest/config';

// The CLI tests run the built `dist/cli/main.js`; the global setup rebuilds it when src/ is newer.
export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    globalSetup: ['./test/global-setup.ts'],
  },
});
