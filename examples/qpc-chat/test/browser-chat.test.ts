/**
 * The chat in a browser, end to end with the real programs: `qpc-server`
 * (a process), the built page (`web/` → `dist/web`, served over
 * http://127.0.0.1 with the server's `webtransport.json`) in Debian's
 * Chromium 156 — no switch that touches QUIC or certificates, the page uses
 * `serverCertificateHashes` — and the `qpc` CLI. The page and the CLI join
 * the same room; the page's message reaches the CLI's watch, the CLI's
 * message appears in the page as a push. A screenshot of the page is kept in
 * test-results/.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'vite';
import { afterEach, expect, test } from 'vitest';
import { startChromium } from '@tsquic/test-support/chromium';
import { cleanUp, qpc, run, tempDir } from './harness.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const pageDir = join(root, 'dist/web');
const results = join(root, 'test-results');
const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json' };

const stops: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const s of stops.splice(0).reverse()) await s().catch(() => undefined);
  await cleanUp();
});

/** The built page, and `/webtransport.json` from the server's data directory (read per request, as the Vite dev server does). */
async function servePage(dataDir: string): Promise<string> {
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    const file = path === '/webtransport.json' ? join(dataDir, 'webtransport.json') : join(pageDir, normalize(path === '/' ? '/index.html' : path));
    if (!file.startsWith(pageDir) && !file.startsWith(dataDir)) return void res.writeHead(403).end();
    try {
      res.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/json' }).end(readFileSync(file));
    } catch {
      res.writeHead(404).end();
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  stops.push(() => new Promise((resolve) => server.close(resolve)));
  return `http://127.0.0.1:${(server.address() as { port: number }).port}`;
}

test('a Chromium page and the qpc CLI chat in one room, both ways, with pushes', async () => {
  // turbo builds before testing; a bare `vitest run` builds the page here.
  if (!existsSync(join(pageDir, 'index.html'))) await build({ root, configFile: join(root, 'vite.config.ts'), logLevel: 'warn' });
  const dir = await tempDir();
  const dataDir = join(dir, 'data');
  mkdirSync(dataDir, { recursive: true });
  const origin = await servePage(dataDir);
  const server = run('qpc-server', [], { cwd: dir, env: { QPC_LISTEN: '127.0.0.1:0', QPC_WEB_ORIGINS: origin }, timeoutMs: 60_000 });
  const port = Number((await server.waitFor(/listening on 127\.0\.0\.1:(\d+)/))[1]);
  await server.waitFor(/WebTransport for pages/);
  const env = { QPC_SERVER: `127.0.0.1:${port}` };

  const browser = await startChromium({ viewport: { width: 1000, height: 640 } });
  stops.push(() => browser.stop());
  const context = browser.context;
  const page = await context.newPage();
  await page.goto(`${origin}/`);
  await page.waitForSelector('body[data-state="ready"]');
  await page.fill('#nick', 'page');
  await page.click('#nick-form button');
  await page.waitForSelector('text=Connected as page');
  await page.click('#join-form button'); // the room field says lobby
  await page.waitForSelector('#rooms li[aria-current="true"]:text("lobby")');

  // The CLI watches lobby; the page speaks.
  const watcher = run('qpc', ['watch', '--nick', 'cli', '--room', 'lobby', '--count', '1'], { cwd: dir, env });
  await watcher.waitFor(/watching lobby as cli/);
  await page.fill('#text', 'hello from the page');
  await page.click('#send-form button');
  await watcher.waitFor(/\[lobby\] page: hello from the page/);
  expect(await watcher.exited).toBe(0);

  // The CLI speaks; the page gets it as a push on its watch.
  expect(await qpc(['send', '--nick', 'ann', '--room', 'lobby', 'hello from the CLI'], { cwd: dir, env })).toMatchObject({ code: 0 });
  await page.waitForSelector('#messages li[data-nick="ann"]:text("hello from the CLI")');
  const lines = await page.$$eval('#messages li', (items) => items.map((li) => li.textContent));
  expect(lines).toEqual(['[lobby]page:hello from the page', '[lobby]ann:hello from the CLI']);
  expect(await page.$$eval('#members li', (items) => items.map((li) => li.textContent))).toContain('page');

  mkdirSync(results, { recursive: true });
  await page.screenshot({ path: join(results, 'browser-chat.png') });
  expect(existsSync(join(results, 'browser-chat.png'))).toBe(true);
});
