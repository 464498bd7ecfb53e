/**
 * @module test/support/chromium
 * Debian's Chromium (`/usr/bin/chromium`, installed by `.ci/run`), launched
 * headless by playwright-core (which never downloads a browser) with a fresh
 * profile and the flags of this test: QUIC forced on for our origin, and our
 * self-signed certificate accepted by its SPKI hash. The test stops it.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = process.env.TSQUIC_CHROMIUM ?? '/usr/bin/chromium';

export function hasChromium(): boolean {
  return existsSync(CHROMIUM);
}

export interface RunningChromium {
  readonly context: BrowserContext;
  stop(): Promise<void>;
}

/** Chromium speaking HTTP/3 to `origin` (host:port) and trusting the certificate whose SPKI SHA-256 (base64) is `spki`. */
export async function startChromium(origin: string, spki: string): Promise<RunningChromium> {
  const profile = mkdtempSync(join(tmpdir(), 'http3-chromium-'));
  const remove = (): void => rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  let context: BrowserContext;
  try {
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      timeout: 30_000,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--enable-quic',
        `--origin-to-force-quic-on=${origin}`,
        `--ignore-certificate-errors-spki-list=${spki}`,
      ],
    });
  } catch (e) {
    remove();
    throw e;
  }
  return {
    context,
    async stop() {
      await context.close().catch(() => undefined);
      await gone(profile, 5000);
      remove();
    },
  };
}

/** Wait until no process names `marker` (this run's profile directory); kill by pid what is left after `timeoutMs`. */
async function gone(marker: string, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const left = readdirSync('/proc').filter((p) => {
      if (!/^\d+$/.test(p)) return false;
      try {
        return readFileSync(`/proc/${p}/cmdline`, 'latin1').includes(marker);
      } catch {
        return false;
      }
    });
    if (left.length === 0) return;
    if (Date.now() > until) {
      for (const pid of left) {
        try {
          process.kill(Number(pid), 'SIGKILL');
        } catch {
          // already gone
        }
      }
      return;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
