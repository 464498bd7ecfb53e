/**
 * @module node/static-server
 * A tiny HTTP server for the built page (`dist/page`): files by path, GET and
 * HEAD only, nothing outside the root, plus optional JSON documents at fixed
 * paths (the page's `config.json`).
 */
import { readFile, stat } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import { extname, join, normalize, sep } from 'node:path';

export interface StaticServerOptions {
  /** Directory to serve (the Vite build output). */
  root: string;
  host?: string;
  port?: number;
  /** Extra JSON documents by absolute path, e.g. `{ '/config.json': {...} }`. */
  json?: Record<string, unknown>;
}

export interface StaticServer {
  /** http://host:port/ */
  readonly url: string;
  readonly port: number;
  close(): Promise<void>;
}

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
};

export function startStaticServer(options: StaticServerOptions): Promise<StaticServer> {
  const root = normalize(options.root);
  const host = options.host ?? '127.0.0.1';
  const server: Server = createServer((req, res) => {
    void (async () => {
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD' }).end();
        return;
      }
      const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
      const doc = options.json?.[path];
      if (doc !== undefined) {
        res.writeHead(200, { 'content-type': TYPES['.json']!, 'cache-control': 'no-store' }).end(req.method === 'HEAD' ? undefined : JSON.stringify(doc));
        return;
      }
      const file = normalize(join(root, path.endsWith('/') ? `${path}index.html` : path));
      if (file !== root && !file.startsWith(root.endsWith(sep) ? root : root + sep)) {
        res.writeHead(403).end();
        return;
      }
      const info = await stat(file).catch(() => undefined);
      if (!info?.isFile()) {
        res.writeHead(404, { 'content-type': 'text/plain' }).end('not found');
        return;
      }
      const body = await readFile(file);
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream', 'content-length': body.length });
      res.end(req.method === 'HEAD' ? undefined : body);
    })().catch(() => {
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      const addr = server.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      resolve({
        url: `http://${host.includes(':') ? `[${host}]` : host}:${port}/`,
        port,
        close: () =>
          new Promise<void>((done) => {
            server.close(() => done());
            server.closeAllConnections();
          }),
      });
    });
  });
}
