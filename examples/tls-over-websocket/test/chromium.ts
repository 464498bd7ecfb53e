/**
 * @module test/chromium
 * Debian's Chromium (`/usr/bin/chromium`, installed by `.ci/run`), launched
 * headless by playwright-core (which never downloads a browser here) with a
 * fresh profile directory per run. The test owns the process and stops it.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = process.env.TSQUIC_CHROMIUM ?? '/usr/bin/chromium';

/** The switches the issue fixes; playwright-core adds its own (--remote-debugging-pipe, --user-data-dir, …). */
export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export interface RunningChromium {
  /** The persistent context of the fresh profile (one browser, one profile). */
  context: BrowserContext;
  /** The fresh --user-data-dir. */
  profile: string;
  /** Close the browser (playwright stops the process and its helpers) and remove the profile. */
  stop(): Promise<void>;
}

export function hasChromium(): boolean {
  return existsSync(CHROMIUM);
}

export async function startChromium(options: { timeoutMs?: number; viewport?: { width: number; height: number } } = {}): Promise<RunningChromium> {
  const profile = mkdtempSync(join(tmpdir(), 'tls-over-websocket-chromium-'));
  const removeProfile = (): void => rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  let context: BrowserContext;
  try {
    // launchPersistentContext is how playwright takes a --user-data-dir: a fresh, empty directory here.
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: CHROMIUM_FLAGS,
      timeout: options.timeoutMs ?? 20_000,
      ...(options.viewport && { viewport: options.viewport }),
    });
  } catch (e) {
    removeProfile();
    throw e;
  }
  return {
    context,
    profile,
    stop: async () => {
      await context.close().catch(() => {});
      const left = await processesGone(profile, 5000);
      removeProfile();
      if (left.length > 0) throw new Error(`Chromium processes outlived the test (killed): ${left.join(', ')}`);
    },
  };
}

/** Pids whose command line names `marker` (the unique profile directory: only this run's Chromium). */
function processesWith(marker: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, 'latin1').includes(marker)) pids.push(Number(entry));
    } catch {
      /* exited meanwhile */
    }
  }
  return pids;
}

/** Wait until no process names `marker`; kill (by pid) and return any still there after `timeoutMs`. */
async function processesGone(marker: string, timeoutMs: number): Promise<number[]> {
  if (!existsSync('/proc/self/cmdline')) return [];
  const until = Date.now() + timeoutMs;
  for (;;) {
    const left = processesWith(marker);
    if (left.length === 0) return [];
    if (Date.now() > until) {
      for (const pid of left) {
        try {
          process.kill(pid, 'SIGKILL');
        } catch {
          /* already gone */
        }
      }
      return left;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
