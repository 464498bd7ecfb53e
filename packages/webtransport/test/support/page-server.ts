/**
 * Test support: pages for Debian's Chromium, served over http://127.0.0.1
 * (a secure context), from where they reach our server with
 * `serverCertificateHashes` alone — no switch that touches QUIC or
 * certificates (the browser comes from @tsquic/test-support/chromium).
 */
import { createServer, type Server } from 'node:http';

/** An HTTP server on 127.0.0.1 answering every path with `html` (and `extra` paths with their bodies). */
export async function pageServer(html: string, extra: Record<string, { type: string; body: string | Uint8Array }> = {}): Promise<{ url: string; origin: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const file = extra[req.url ?? '/'];
    if (file) return void res.writeHead(200, { 'content-type': file.type }).end(file.body);
    res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return { url: `${origin}/`, origin, close: () => new Promise((resolve) => server.close(() => resolve())) };
}
