/**
 * @module chromium
 * Debian's Chromium (`/usr/bin/chromium`, or $TSQUIC_CHROMIUM; `.ci/run`
 * installs it), headless through playwright-core (which never downloads a
 * browser here), with a fresh profile directory per run and only the switches
 * every headless run needs; callers add their own (e.g. QUIC forced on for an
 * origin). `stop()` closes the browser, kills any process of this profile
 * that outlived it, and removes the profile.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM = process.env.TSQUIC_CHROMIUM ?? '/usr/bin/chromium';

/** The switches of every run; playwright-core adds its own (--remote-debugging-pipe, --user-data-dir, …). */
export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

export function hasChromium(): boolean {
  return existsSync(CHROMIUM);
}

export interface ChromiumOptions {
  /** Switches after CHROMIUM_FLAGS. */
  args?: string[];
  /** Launch timeout and the context's default timeout (ms); 30 s when absent. */
  timeoutMs?: number;
  viewport?: { width: number; height: number };
}

export interface RunningChromium {
  /** The persistent context of the fresh profile (one browser, one profile). */
  readonly context: BrowserContext;
  /** The fresh --user-data-dir. */
  readonly profile: string;
  /** A new page at `url`. */
  open(url: string): Promise<Page>;
  /** Closes the browser and removes the profile; resolves with the pids that outlived the close (killed). */
  stop(): Promise<number[]>;
}

export async function startChromium(options: ChromiumOptions = {}): Promise<RunningChromium> {
  if (!hasChromium()) throw new Error(`Chromium not found at ${CHROMIUM} (Debian package "chromium"; .ci/run installs it)`);
  const profile = mkdtempSync(join(tmpdir(), 'tsquic-chromium-'));
  const removeProfile = (): void => rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  const timeout = options.timeoutMs ?? 30_000;
  let context: BrowserContext;
  try {
    // launchPersistentContext is how playwright takes a --user-data-dir: a fresh, empty directory here.
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [...CHROMIUM_FLAGS, ...(options.args ?? [])],
      timeout,
      ...(options.viewport && { viewport: options.viewport }),
    });
  } catch (e) {
    removeProfile();
    throw e;
  }
  context.setDefaultTimeout(timeout);
  return {
    context,
    profile,
    async open(url) {
      const page = await context.newPage();
      await page.goto(url);
      return page;
    },
    async stop() {
      await context.close().catch(() => undefined);
      const left = await processesGone(profile, 5000);
      removeProfile();
      return left;
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
      // exited meanwhile
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
          // already gone
        }
      }
      return left;
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}
