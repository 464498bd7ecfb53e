import { defineConfig } from 'vitest/config';

// The core handshake suite runs once per crypto provider; the record-layer suite uses its own independent crypto.
export default defineConfig({
  test: {
    projects: [
      { test: { name: 'node-provider', include: ['test/**/*.test.ts'], env: { TSQUIC_HANDSHAKE_PROVIDER: 'node' } } },
      { test: { name: 'noble-provider', include: ['test/core/**/*.test.ts', 'test/crypto/**/*.test.ts'], env: { TSQUIC_HANDSHAKE_PROVIDER: 'noble' } } },
    ],
  },
});
