import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    globalSetup: ['test/global-setup.ts'],
    // Real processes on 127.0.0.1: every test is bounded and stops what it starts.
    testTimeout: 20_000,
    hookTimeout: 20_000,
  },
});
