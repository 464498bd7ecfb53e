/**
 * @module measure/netns
 * A real bottleneck for the crosstraffic row beside kernel TCP: a network
 * namespace of its own whose loopback (so traffic stays on 127.0.0.1, never
 * the host's interfaces) sends through a token bucket (`tbf`, the link's
 * rate) over a drop-tail FIFO of N packets (`pfifo`, the runner's queue),
 * with an MTU of 1,500 bytes and TCP CUBIC set on its local routes
 * (`congctl`; the namespace's default cannot be changed here). No added
 * delay: the kernel has no delay qdisc on this machine (no netem). Needs
 * root; `netnsBottleneck` says why when it cannot be made.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';

export interface NetnsBottleneck {
  readonly name: string;
  /** Start `cmd` inside the namespace (stdout piped, stderr ignored). */
  spawn(cmd: string, args: string[], env?: NodeJS.ProcessEnv): ChildProcess;
  remove(): void;
}

function run(cmd: string, args: string[]): string | undefined {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  return r.status === 0 ? undefined : `\`${cmd} ${args.join(' ')}\`: ${(r.stderr || String(r.error ?? r.status)).trim()}`;
}

/** The namespace with its loopback bottleneck, or why it could not be made (not root, no netns, no tbf, no CUBIC). */
export function netnsBottleneck(o: { mbps: number; queue: number }): NetnsBottleneck | string {
  if (process.getuid?.() !== 0) return 'needs root (a network namespace and its qdiscs)';
  let available = '';
  try {
    available = readFileSync('/proc/sys/net/ipv4/tcp_available_congestion_control', 'utf8');
  } catch {
    return 'no /proc/sys/net/ipv4/tcp_available_congestion_control';
  }
  if (!available.split(/\s+/).includes('cubic')) return `the kernel has no TCP CUBIC (available: ${available.trim()})`;
  const name = `tsquic-bench-${process.pid}`;
  const failed = run('ip', ['netns', 'add', name]);
  if (failed) return failed;
  const local = (dst: string): string[] => ['-n', name, 'route', 'change', 'local', dst, 'dev', 'lo', 'table', 'local', 'proto', 'kernel', 'scope', 'host', 'src', '127.0.0.1', 'congctl', 'cubic'];
  const steps: [string, string[]][] = [
    ['ip', ['-n', name, 'link', 'set', 'lo', 'up', 'mtu', '1500']],
    ['tc', ['-n', name, 'qdisc', 'add', 'dev', 'lo', 'root', 'handle', '1:', 'tbf', 'rate', `${o.mbps}mbit`, 'burst', '1600', 'limit', '3000']],
    ['tc', ['-n', name, 'qdisc', 'add', 'dev', 'lo', 'parent', '1:1', 'handle', '10:', 'pfifo', 'limit', String(o.queue)]],
    ['ip', local('127.0.0.1')],
    ['ip', local('127.0.0.0/8')],
  ];
  const remove = (): void => void run('ip', ['netns', 'del', name]);
  for (const [cmd, args] of steps) {
    const err = run(cmd, args);
    if (err) {
      remove();
      return err;
    }
  }
  return {
    name,
    spawn: (cmd, args, env) => spawn('ip', ['netns', 'exec', name, cmd, ...args], { stdio: ['ignore', 'pipe', 'ignore'], ...(env ? { env: { ...process.env, ...env } } : {}) }),
    remove,
  };
}
