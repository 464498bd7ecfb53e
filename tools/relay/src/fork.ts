/**
 * @module fork
 * The relay in a child process of its own (the CLI in IPC mode), so that
 * its timers do not share an event loop with the endpoints it carries: the
 * way the benchmarks and the interop matrix use it. Same options as
 * `Relay.start` except the packet hook, which cannot cross processes; the
 * counters (amplification per binding included) come back with `stats()`.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { HostPort, RelayOptions, RelayStats } from './relay.js';

export type ForkedRelayOptions = Omit<RelayOptions, 'onPacket'>;

/** Messages between a parent and a relay child (`relay --ipc`). */
export type RelayRequest = { cmd: 'start'; options: ForkedRelayOptions } | { cmd: 'stats' } | { cmd: 'rebind' } | { cmd: 'stop' };
export type RelayReply = { event: 'ready'; address: HostPort } | { event: 'stats'; stats: RelayStats } | { event: 'error'; message: string };

export interface ForkedRelay {
  readonly address: HostPort;
  readonly process: ChildProcess;
  stats(): Promise<RelayStats>;
  /** Rebind every binding now (as the `rebind` scenario does on its timer). */
  rebind(): Promise<void>;
  /** Stop the child; its final counters. */
  stop(): Promise<RelayStats>;
}

function cliPath(): string {
  const here = fileURLToPath(new URL('./cli.js', import.meta.url));
  return existsSync(here) ? here : fileURLToPath(new URL('../dist/cli.js', import.meta.url));
}

/** Start a relay in a child process; resolves once it is bound. */
export async function forkRelay(options: ForkedRelayOptions, timeoutMs = 10_000): Promise<ForkedRelay> {
  const child = fork(cliPath(), ['--ipc'], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const waiters: ((m: RelayReply) => void)[] = [];
  let exited = false;
  child.on('message', (m: RelayReply) => waiters.shift()?.(m));
  child.once('exit', (code) => {
    exited = true;
    for (const w of waiters.splice(0)) w({ event: 'error', message: `relay exited with ${code}` });
  });
  const ask = <E extends RelayReply['event']>(req: RelayRequest, event: E): Promise<Extract<RelayReply, { event: E }>> =>
    new Promise((resolve, reject) => {
      if (exited) return reject(new Error('relay process has exited'));
      const t = setTimeout(() => reject(new Error(`relay: no ${event} within ${timeoutMs} ms`)), timeoutMs);
      waiters.push((m) => {
        clearTimeout(t);
        if (m.event === event) resolve(m as Extract<RelayReply, { event: E }>);
        else reject(new Error(m.event === 'error' ? m.message : `relay: expected ${event}, got ${m.event}`));
      });
      child.send(req);
    });
  let ready;
  try {
    ready = await ask({ cmd: 'start', options }, 'ready');
  } catch (e) {
    child.kill('SIGKILL');
    throw e;
  }
  return {
    address: ready.address,
    process: child,
    stats: async () => (await ask({ cmd: 'stats' }, 'stats')).stats,
    rebind: async () => void (await ask({ cmd: 'rebind' }, 'stats')),
    stop: async () => {
      const final = await ask({ cmd: 'stop' }, 'stats');
      await new Promise<void>((r) => (exited ? r() : child.once('exit', () => r())));
      return final.stats;
    },
  };
}
