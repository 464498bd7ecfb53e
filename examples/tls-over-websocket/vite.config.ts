import { defineConfig } from 'vite';

// The page: index.html + src/page → dist/page (relative URLs, so any static server can host it).
export default defineConfig({
  base: './',
  build: {
    outDir: 'dist/page',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: true,
    // pkijs + noble (curves, ML-KEM) + the handshake: about 550 kB minified, 140 kB gzipped.
    chunkSizeWarningLimit: 800,
  },
  server: { host: '127.0.0.1' },
  preview: { host: '127.0.0.1' },
});
