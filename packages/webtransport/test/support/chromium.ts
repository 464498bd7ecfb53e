/**
 * Test support: Debian's Chromium (`/usr/bin/chromium`, or $TSQUIC_CHROMIUM)
 * headless through playwright-core, with a fresh profile and only the
 * switches every headless run here needs — nothing that touches QUIC or
 * certificates: pages reach our server with `serverCertificateHashes` alone.
 * Pages are served over http://127.0.0.1 (a secure context) by `pageServer`.
 */
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.TSQUIC_CHROMIUM ?? '/usr/bin/chromium';

const SWITCHES = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface Browser {
  readonly context: BrowserContext;
  /** A new page at `url`. */
  open(url: string): Promise<Page>;
  /** Closes the browser, makes sure no process of its profile is left, removes the profile. */
  stop(): Promise<void>;
}

export async function launch(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`Chromium not found at ${CHROMIUM} (Debian package "chromium")`);
  const profile = mkdtempSync(join(tmpdir(), 'webtransport-chromium-'));
  const context = await chromium.launchPersistentContext(profile, { executablePath: CHROMIUM, headless: true, args: SWITCHES, timeout: 30_000 });
  context.setDefaultTimeout(30_000);
  return {
    context,
    async open(url) {
      const page = await context.newPage();
      await page.goto(url);
      return page;
    },
    async stop() {
      await context.close().catch(() => undefined);
      for (const pid of profileProcesses(profile)) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          // gone meanwhile
        }
      }
      rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
    },
  };
}

/** Processes whose command line names the profile directory (this run's Chromium only). */
function profileProcesses(profile: string): number[] {
  if (!existsSync('/proc/self')) return [];
  return readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p))
    .filter((p) => {
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'latin1').includes(profile);
      } catch {
        return false;
      }
    })
    .map(Number);
}

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
