/**
 * @module test/peers
 * Drives the independent TLS 1.3 peers the interop tests talk to: OpenSSL's
 * s_server / s_client, curl, and Node's own TLS — all on 127.0.0.1, each
 * process or server owned and stopped by the test that started it.
 */
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync } from 'node:fs';
import { connect, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort } from '@tsquic/test-support/peers';

export { freePort };

/** Generate the test PKI (scripts/make-certs.sh) into a fresh temp dir. */
export function makeCerts(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tls-over-tcp-'));
  const script = fileURLToPath(new URL('../scripts/make-certs.sh', import.meta.url));
  const r = spawnSync('bash', [script, dir], { encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`make-certs.sh failed: ${r.stderr}`);
  return dir;
}

export interface Proc {
  proc: ChildProcessWithoutNullStreams;
  /** Everything written to stdout so far. */
  stdout(): string;
  stderr(): string;
  /** Resolve when stdout matches `re` (rejects after timeoutMs). */
  waitFor(re: RegExp, timeoutMs?: number): Promise<string>;
  /** Resolve with the exit code. */
  exited: Promise<number | null>;
  stop(): Promise<void>;
}

export function startProc(cmd: string, args: string[], opts: { stdin?: string } = {}): Proc {
  const proc = spawn(cmd, args, { stdio: 'pipe' });
  let out = '';
  let err = '';
  const waiters: Array<() => void> = [];
  proc.stdout.setEncoding('latin1').on('data', (d: string) => {
    out += d;
    for (const w of waiters.splice(0)) w();
  });
  proc.stderr.setEncoding('latin1').on('data', (d: string) => {
    err += d;
    for (const w of waiters.splice(0)) w();
  });
  proc.stdin.on('error', () => {});
  const exited = new Promise<number | null>((resolve) =>
    proc.once('close', (code) => {
      for (const w of waiters.splice(0)) w();
      resolve(code);
    }),
  );
  if (opts.stdin !== undefined) proc.stdin.end(opts.stdin);
  let done = false;
  void exited.then(() => (done = true));
  return {
    proc,
    stdout: () => out,
    stderr: () => err,
    exited,
    waitFor(re, timeoutMs = 5000) {
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`timeout waiting for ${re} in ${cmd}: stdout=${out.slice(-500)} stderr=${err.slice(-500)}`)), timeoutMs);
        const check = () => {
          const m = re.exec(out) ?? re.exec(err);
          if (m) {
            clearTimeout(timer);
            resolve(m[0]);
          } else if (done) {
            clearTimeout(timer);
            reject(new Error(`${cmd} exited before ${re}: stdout=${out.slice(-500)} stderr=${err.slice(-500)}`));
          } else waiters.push(check);
        };
        check();
      });
    },
    async stop() {
      if (!done) {
        proc.kill('SIGTERM');
        // A process that ignores SIGTERM is killed after 2 s: a test never leaves one behind.
        const hard = setTimeout(() => proc.kill('SIGKILL'), 2000);
        await exited;
        clearTimeout(hard);
      }
    },
  };
}

/** `openssl s_server -tls1_3` on a free port; resolves once it accepts. */
export async function opensslServer(certs: string, extra: string[] = [], www = true): Promise<Proc & { port: number }> {
  const port = await freePort();
  const p = startProc('openssl', ['s_server', '-accept', `127.0.0.1:${port}`, '-tls1_3', '-cert', join(certs, 'server.pem'), '-key', join(certs, 'server.key'), ...(www ? ['-www'] : []), ...extra]);
  await p.waitFor(/ACCEPT/);
  return Object.assign(p, { port });
}

/** Run `openssl s_client -tls1_3` against 127.0.0.1:port. */
export function opensslClient(port: number, extra: string[], stdin?: string): Proc {
  return startProc('openssl', ['s_client', '-connect', `127.0.0.1:${port}`, '-tls1_3', ...extra], stdin === undefined ? {} : { stdin });
}

/** Run a command to completion. */
export async function run(cmd: string, args: string[], timeoutMs = 8000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = startProc(cmd, args, { stdin: '' });
  const timer = setTimeout(() => p.proc.kill('SIGKILL'), timeoutMs);
  const code = await p.exited;
  clearTimeout(timer);
  return { code, stdout: p.stdout(), stderr: p.stderr() };
}

export function hasCommand(cmd: string): boolean {
  return spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
}

export interface NodeResult {
  body: string;
  protocol: string | null;
  cipher: string;
  alpn: string | false | null;
  key: object | null;
  reused: boolean;
  session?: Buffer;
}

/** Node's TLS client trusting `${certs}/ca.pem`: GET / and collect the response and what Node negotiated. */
export async function nodeGet(port: number, certs: string, opts: ConnectionOptions = {}): Promise<NodeResult> {
  const socket: TLSSocket = connect({ host: '127.0.0.1', port, servername: 'localhost', ca: readFileSync(join(certs, 'ca.pem')), minVersion: 'TLSv1.3', ...opts });
  let session: Buffer | undefined;
  socket.on('session', (s: Buffer) => (session = s));
  const chunks: Buffer[] = [];
  socket.on('data', (d: Buffer) => chunks.push(d));
  await once(socket, 'secureConnect');
  const r = { protocol: socket.getProtocol(), cipher: socket.getCipher().name, alpn: socket.alpnProtocol, key: socket.getEphemeralKeyInfo(), reused: socket.isSessionReused() };
  socket.write('GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
  await once(socket, 'end');
  socket.destroy();
  const text = Buffer.concat(chunks).toString();
  return { body: text.slice(text.indexOf('\r\n\r\n') + 4), ...r, ...(session && { session }) };
}
