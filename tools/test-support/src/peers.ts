/**
 * @module peers
 * Real peers for tests and benchmarks: certificates made by `openssl`,
 * child processes whose output is kept and whose life is bounded in time,
 * free loopback ports, and a wait until a peer (ngtcp2's gtlsserver prints
 * nothing when ready) has bound its UDP port. Loopback only.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';

/** Runs `openssl args…`; throws with its stderr when it fails. */
export function openssl(args: string[]): void {
  const r = spawnSync('openssl', args, { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`openssl ${args[0]} failed: ${r.stderr}`);
}

/**
 * A self-signed P-256 certificate for localhost, 127.0.0.1 and ::1, valid two
 * days: `dir/<cert>` (PEM) and `dir/<key>` (PKCS#8 PEM).
 */
export function makeCert(dir: string, files: { cert?: string; key?: string } = {}): { cert: string; key: string } {
  mkdirSync(dir, { recursive: true });
  const cert = join(dir, files.cert ?? 'cert.pem');
  const key = join(dir, files.key ?? 'priv.key');
  const subject = ['-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1,IP:::1'];
  openssl(['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '2', ...subject]);
  return { cert, key };
}

/** A port free on 127.0.0.1 a moment ago (free for TCP is almost always free for UDP; a clash fails the bind loudly). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

/** Wait (up to 10 s) until a UDP socket is bound to `port` on 127.0.0.1 or ::1 (/proc lists it). */
export async function udpBound(port: number, v6 = false): Promise<void> {
  const hex = port.toString(16).toUpperCase().padStart(4, '0');
  const needle = v6 ? `00000000000000000000000001000000:${hex} ` : `0100007F:${hex} `;
  for (let i = 0; i < 200; i++) {
    if (readFileSync(v6 ? '/proc/net/udp6' : '/proc/net/udp', 'utf8').includes(needle)) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nothing bound to UDP port ${port} after 10 s`);
}

/** A child process and everything it printed (stdout and stderr interleaved; the last `keepBytes` of it). */
export interface Proc {
  readonly child: ChildProcess;
  output(): string;
  /** Resolves with the exit code (null when killed at the deadline or by a signal). */
  readonly exited: Promise<number | null>;
}

/**
 * Starts `cmd args…`, killed with SIGKILL after `timeoutMs`; `env` adds to
 * this process's environment; the output's last `keepBytes` are kept.
 */
export function start(cmd: string, args: string[], timeoutMs: number, env?: NodeJS.ProcessEnv, keepBytes = 200_000): Proc {
  const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(env ? { env: { ...process.env, ...env } } : {}) });
  let chunks: Buffer[] = [];
  let size = 0;
  const keep = (d: Buffer): void => {
    chunks.push(d);
    size += d.length;
    if (size > 2 * keepBytes) {
      const all = Buffer.concat(chunks);
      chunks = [all.subarray(all.length - keepBytes)];
      size = keepBytes;
    }
  };
  child.stdout!.on('data', keep);
  child.stderr!.on('data', keep);
  const exited = new Promise<number | null>((resolve) => {
    const t = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
    child.once('exit', (code) => {
      clearTimeout(t);
      resolve(code);
    });
  });
  const output = (): string => {
    const all = Buffer.concat(chunks);
    return all.subarray(Math.max(0, all.length - keepBytes)).toString('utf8');
  };
  return { child, output, exited };
}
