import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { defineConfig, type Plugin } from 'vite';

/**
 * `webtransport.json` beside the page, read from the qpc-server's data directory (QPC_DATA_DIR,
 * default `data`) on every request: the server re-issues its certificate, and the hash changes.
 */
function webTransportInfo(): Plugin {
  const file = join(process.env.QPC_DATA_DIR ?? 'data', 'webtransport.json');
  return {
    name: 'qpc-webtransport-info',
    configureServer(server) {
      server.middlewares.use('/webtransport.json', (_req, res) => {
        readFile(file).then(
          (body) => res.writeHead(200, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(body),
          () => res.writeHead(404, { 'content-type': 'text/plain' }).end(`no ${file}: start qpc-server first`),
        );
      });
    },
  };
}

// The page: web/ → dist/web (relative URLs: any static server can host it, next to webtransport.json).
export default defineConfig({
  root: 'web',
  base: './',
  plugins: [webTransportInfo()],
  build: { outDir: '../dist/web', emptyOutDir: true, target: 'es2022', sourcemap: true },
  server: { host: '127.0.0.1', port: 5173, strictPort: true },
  preview: { host: '127.0.0.1' },
});
