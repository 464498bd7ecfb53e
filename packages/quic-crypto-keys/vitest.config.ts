import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vitest/config';

// `#default-provider` (package.json `imports`) points at dist/; the tests run the sources, under the node condition.
export default defineConfig({
  resolve: { alias: { '#default-provider': fileURLToPath(new URL('./src/provider/node.ts', import.meta.url)) } },
});
