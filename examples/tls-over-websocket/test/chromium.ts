/**
 * @module test/chromium
 * Debian's Chromium, started headless by the test itself with a fresh
 * profile directory and driven over CDP by playwright-core (which never
 * downloads a browser here). The test owns the process and stops it.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM = process.env.TSQUIC_CHROMIUM ?? '/usr/bin/chromium';

export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export interface RunningChromium {
  browser: Browser;
  /** Disconnect, stop the process (SIGTERM, then SIGKILL) and remove the profile. */
  stop(): Promise<void>;
}

export function hasChromium(): boolean {
  return existsSync(CHROMIUM);
}

export async function startChromium(timeoutMs = 20_000): Promise<RunningChromium> {
  const profile = mkdtempSync(join(tmpdir(), 'tls-over-websocket-chromium-'));
  const proc = spawn(CHROMIUM, [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`, '--remote-debugging-address=127.0.0.1', '--remote-debugging-port=0', 'about:blank'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  let stderr = '';
  const stop = async (browser?: Browser): Promise<void> => {
    // CDP Browser.close shuts Chromium down with its helper processes; the signals are the fallback.
    if (browser) {
      await browser.newBrowserCDPSession().then((s) => s.send('Browser.close')).catch(() => {});
      await Promise.race([exited, new Promise((r) => setTimeout(r, 5000).unref())]);
      await browser.close().catch(() => {});
    }
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      const killer = setTimeout(() => proc.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(killer);
    }
    rmSync(profile, { recursive: true, force: true, maxRetries: 10, retryDelay: 100 });
  };
  try {
    // Chromium announces its CDP endpoint on stderr: "DevTools listening on ws://127.0.0.1:PORT/devtools/browser/ID".
    const endpoint = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`Chromium did not start in ${timeoutMs} ms: ${stderr.slice(-1000)}`)), timeoutMs);
      proc.stderr.setEncoding('utf8').on('data', (d: string) => {
        stderr += d;
        const m = /DevTools listening on (ws:\/\/\S+)/.exec(stderr);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`Chromium exited (${code}) before listening: ${stderr.slice(-1000)}`));
      });
    });
    const browser = await chromium.connectOverCDP(endpoint, { timeout: timeoutMs });
    return { browser, stop: () => stop(browser) };
  } catch (e) {
    await stop();
    throw e;
  }
}
