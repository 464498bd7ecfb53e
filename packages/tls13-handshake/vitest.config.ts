import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// `#default-crypto` (package.json `imports`) points at dist/; the tests run the sources, under the node condition.
const alias = { '#default-crypto': fileURLToPath(new URL('./src/crypto/node.ts', import.meta.url)) };

// The core handshake suite runs once per crypto provider; the record-layer suite uses its own independent crypto.
// isolate: false — the test files share one module graph per worker: pkijs, @noble and
// the sources are evaluated once instead of once per file (no test keeps global state).
export default defineConfig({
  resolve: { alias },
  test: {
    isolate: false,
    projects: [
      { resolve: { alias }, test: { isolate: false, name: 'node-provider', include: ['test/**/*.test.ts'], env: { TSQUIC_HANDSHAKE_PROVIDER: 'node' } } },
      {
        resolve: { alias },
        test: {
          isolate: false,
          name: 'noble-provider',
          include: ['test/core/**/*.test.ts', 'test/crypto/**/*.test.ts', 'test/certificates/**/*.test.ts'],
          exclude: ['test/crypto/default-crypto.test.ts', 'test/crypto/x25519-deadlock.test.ts', 'test/certificates/differential.test.ts'],
          env: { TSQUIC_HANDSHAKE_PROVIDER: 'noble' },
        },
      },
    ],
  },
});
