/**
 * @module proc
 * Child processes for the suite: our peers (forked, with IPC), ngtcp2's
 * gtlsserver/gtlsclient, and the certificates they all use. Every process a
 * measurement starts is bounded in time and killed by it.
 */
import { fork, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createPrivateKey, X509Certificate } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ParentMessage, PeerMessage } from './peers/ipc.js';

/** A scratch directory on tmpfs when there is one (ngtcp2's downloads must not hit a slow disk). */
export function scratch(prefix: string): string {
  const base = existsSync('/dev/shm') ? '/dev/shm' : tmpdir();
  return mkdtempSync(join(base, `${prefix}-`));
}

export interface Certs {
  dir: string;
  certPem: string;
  keyPem: string;
  certDer: string;
  keyDer: string;
}

/** A self-signed ECDSA P-256 certificate for localhost, as PEM (ngtcp2, node:tls, interop endpoint) and DER (ours). */
export function makeCerts(dir: string): Certs {
  mkdirSync(dir, { recursive: true });
  const certPem = join(dir, 'cert.pem');
  const keyPem = join(dir, 'priv.key');
  const r = spawnSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', keyPem, '-out', certPem, '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(`openssl failed: ${r.stderr ?? r.error}`);
  const certDer = join(dir, 'cert.der');
  const keyDer = join(dir, 'key.der');
  writeFileSync(certDer, new X509Certificate(readFileSync(certPem)).raw);
  writeFileSync(keyDer, createPrivateKey(readFileSync(keyPem)).export({ format: 'der', type: 'pkcs8' }));
  return { dir, certPem, keyPem, certDer, keyDer };
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/** A peer's script: next to this module when built, else (sources run by vitest) the built one in dist/. */
export function peerScript(name: string): string {
  const here = fileURLToPath(new URL(`./peers/${name}.js`, import.meta.url));
  return existsSync(here) ? here : fileURLToPath(new URL(`../dist/peers/${name}.js`, import.meta.url));
}

/** A forked peer and the messages it sends. */
export class Peer {
  private readonly queue: PeerMessage[] = [];
  private waiter: ((m: PeerMessage) => void) | undefined;
  private exitError: Error | undefined;
  readonly exited: Promise<number | null>;

  constructor(readonly proc: ChildProcess) {
    proc.on('message', (m: PeerMessage) => {
      const w = this.waiter;
      this.waiter = undefined;
      if (w) w(m);
      else this.queue.push(m);
    });
    this.exited = new Promise((resolve) => proc.once('exit', (code) => resolve(code)));
    void this.exited.then((code) => {
      this.exitError = new Error(`peer exited with ${code}`);
      const w = this.waiter;
      this.waiter = undefined;
      w?.({ type: 'error', message: this.exitError.message });
    });
  }

  /** A peer script forked under this Node, or under the Node binary at `execPath`. */
  static start(script: string, args: string[], env?: NodeJS.ProcessEnv, execPath?: string): Peer {
    return new Peer(fork(peerScript(script), args, { execArgv: ['--expose-gc'], stdio: ['ignore', 'ignore', 'inherit', 'ipc'], ...(env ? { env } : {}), ...(execPath ? { execPath } : {}) }));
  }

  /** The next message of `type` (an 'error' message or a timeout rejects). */
  async next<T extends PeerMessage['type']>(type: T, timeoutMs: number): Promise<Extract<PeerMessage, { type: T }>> {
    const m =
      this.queue.shift() ??
      (this.exitError
        ? ({ type: 'error', message: this.exitError.message } as PeerMessage)
        : await new Promise<PeerMessage>((resolve) => {
            const t = setTimeout(() => resolve({ type: 'error', message: `no ${type} within ${timeoutMs} ms` }), timeoutMs);
            this.waiter = (msg) => {
              clearTimeout(t);
              resolve(msg);
            };
          }));
    if (m.type === 'error') throw new Error(m.message);
    if (m.type !== type) throw new Error(`expected ${type}, got ${m.type}`);
    return m as Extract<PeerMessage, { type: T }>;
  }

  /**
   * Send a command if the child still listens. A child that is exiting can close its end of the
   * IPC channel between the `connected` check and the write: the write then fails with EPIPE,
   * which is harmless here (`stop` kills a child that does not exit), so it is passed to a
   * callback instead of surfacing as an uncaught exception.
   */
  send(m: ParentMessage): void {
    if (this.proc.connected) this.proc.send(m, (err) => void err);
  }

  /** Ask it to exit; kill it if it has not within `graceMs`. */
  async stop(graceMs = 2000): Promise<void> {
    if (this.proc.exitCode !== null || this.proc.signalCode !== null) return;
    this.send({ cmd: 'exit' });
    const t = setTimeout(() => this.proc.kill('SIGKILL'), graceMs);
    await this.exited;
    clearTimeout(t);
  }
}

export function haveNgtcp2(): boolean {
  return ['gtlsserver', 'gtlsclient'].every((cmd) => spawnSync(cmd, ['--help'], { stdio: 'ignore' }).status === 0);
}

/** Wait for a process to exit, killing it after `timeoutMs`; resolves with its exit code (null when killed). */
export function exited(p: ChildProcess, timeoutMs: number): Promise<number | null> {
  return new Promise((resolve) => {
    if (p.exitCode !== null || p.signalCode !== null) return resolve(p.exitCode);
    const t = setTimeout(() => p.kill('SIGKILL'), timeoutMs);
    p.once('exit', (code) => {
      clearTimeout(t);
      resolve(code);
    });
  });
}

/**
 * Datagram size settings for ngtcp2's tools: a fixed largest UDP payload
 * with path MTU discovery off (`--no-pmtud --max-udp-payload-size=N`), or
 * undefined for ngtcp2 0.12's defaults (1,200 B, then PMTUD: 1,406 and 1,444 B
 * datagrams on loopback, measured).
 */
function ngtcp2Datagrams(maxUdpPayloadSize: number | undefined): string[] {
  return maxUdpPayloadSize ? ['--no-pmtud', `--max-udp-payload-size=${maxUdpPayloadSize}`] : [];
}

/** gtlsserver serving `www` over HTTP/3 on `port` (it prints nothing with -q: give it time to bind). */
export async function gtlsserver(www: string, port: number, certs: Certs, o: { maxUdpPayloadSize?: number } = {}): Promise<ChildProcess> {
  const p = spawn('gtlsserver', ['-q', ...ngtcp2Datagrams(o.maxUdpPayloadSize), '-d', www, '127.0.0.1', String(port), certs.keyPem, certs.certPem], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 300));
  if (p.exitCode !== null) throw new Error(`gtlsserver exited with ${p.exitCode}`);
  return p;
}

/**
 * gtlsclient's arguments for fetching `paths` (concurrently, one stream
 * each): written into `downloads` when given, else discarded.
 */
export function gtlsclientArgs(port: number, paths: string[], o: { downloads?: string; maxUdpPayloadSize?: number } = {}): string[] {
  if (o.downloads) mkdirSync(o.downloads, { recursive: true });
  const urls = paths.map((f) => `https://localhost:${port}/${f}`);
  return ['-q', '--exit-on-all-streams-close', ...ngtcp2Datagrams(o.maxUdpPayloadSize), '-n', String(paths.length), ...(o.downloads ? ['--download', o.downloads] : []), '127.0.0.1', String(port), ...urls];
}

/** How long a client process took, from spawn to exit by this process's clock, and what it printed. */
export interface ClientRun {
  seconds: number;
  stdout: string;
}

/** Run a client to its end, timed from spawn to exit; a non-zero exit or a timeout throws with its stderr. */
export function runClient(command: string, args: string[], o: { env?: NodeJS.ProcessEnv; timeoutMs?: number } = {}): Promise<ClientRun> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const p = spawn(command, args, { stdio: ['ignore', 'pipe', 'pipe'], ...(o.env ? { env: o.env } : {}) });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    p.stderr.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-2000)));
    const timer = setTimeout(() => p.kill('SIGKILL'), o.timeoutMs ?? 120_000);
    let seconds = 0;
    p.once('error', reject);
    p.once('exit', () => (seconds = (performance.now() - t0) / 1000));
    p.once('close', (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolve({ seconds, stdout });
      else reject(new Error(`${command} ${signal ? `killed (${signal})` : `exited with ${code}`}: ${stderr.trim().split('\n').slice(-3).join(' | ')}`));
    });
  });
}

export { freePort } from '@tsquic/test-support/peers';
