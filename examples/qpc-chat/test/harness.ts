/**
 * Test harness: temporary directories, the built `qpc-server` and `qpc` bins
 * run as child processes on 127.0.0.1 with port 0, each bounded in time and
 * stopped by the test that started it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('../dist/bin/', import.meta.url));

const cleanups: (() => Promise<void>)[] = [];

/** Runs every registered clean-up (call it in afterEach). */
export async function cleanUp(): Promise<void> {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
}

export async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'qpc-test-'));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  return dir;
}

/** Environment for a child: no QPC_* from the outer environment. */
function childEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('QPC_')) env[k] = v;
  return { ...env, ...extra };
}

export interface Proc {
  readonly child: ChildProcess;
  stdout: string;
  stderr: string;
  /** Resolves with the exit code. */
  readonly exited: Promise<number | null>;
  /** Resolves when `re` matches the output so far (stdout + stderr), rejects after `ms`. */
  waitFor(re: RegExp, ms?: number): Promise<RegExpMatchArray>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export function run(bin: 'qpc-server' | 'qpc', args: string[], opts: { cwd: string; env?: Record<string, string>; input?: string | null; timeoutMs?: number }): Proc {
  const child = spawn(process.execPath, [join(BIN, `${bin}.js`), ...args], { cwd: opts.cwd, env: childEnv(opts.env ?? {}), stdio: ['pipe', 'pipe', 'pipe'] });
  const timer = setTimeout(() => child.kill('SIGKILL'), opts.timeoutMs ?? 20_000);
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => (clearTimeout(timer), resolve(code))));
  const waiters = new Set<() => void>();
  const p: Proc = {
    child,
    stdout: '',
    stderr: '',
    exited,
    waitFor(re, ms = 10_000) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const m = (p.stdout + p.stderr).match(re);
          if (m) resolve(m);
          return m !== null;
        };
        if (check()) return;
        const t = setTimeout(() => {
          waiters.delete(w);
          reject(new Error(`${bin}: no ${re} within ${ms} ms; stdout: ${p.stdout}\nstderr: ${p.stderr}`));
        }, ms);
        const w = (): void => {
          if (check()) {
            clearTimeout(t);
            waiters.delete(w);
          }
        };
        waiters.add(w);
        void exited.then(() => {
          if (waiters.has(w)) {
            clearTimeout(t);
            waiters.delete(w);
            reject(new Error(`${bin} exited before ${re}; stdout: ${p.stdout}\nstderr: ${p.stderr}`));
          }
        });
      });
    },
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      return exited;
    },
  };
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    p.stdout += d;
    for (const w of [...waiters]) w();
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => {
    p.stderr += d;
    for (const w of [...waiters]) w();
  });
  // `input: null` keeps stdin open for the test to write to.
  if (opts.input !== null) child.stdin!.end(opts.input ?? '');
  cleanups.push(async () => void (await p.stop('SIGKILL')));
  return p;
}

/** A client command run to its end. */
export async function qpc(args: string[], opts: { cwd: string; env?: Record<string, string>; input?: string }): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const p = run('qpc', args, { ...opts, timeoutMs: 15_000 });
  const code = await p.exited;
  return { code, stdout: p.stdout, stderr: p.stderr };
}

/** Starts `qpc-server` in `cwd` with its defaults except the address (env QPC_LISTEN=127.0.0.1:0); resolves with its port. */
export async function server(cwd: string, args: string[] = []): Promise<{ proc: Proc; port: number; env: Record<string, string> }> {
  const proc = run('qpc-server', args, { cwd, env: { QPC_LISTEN: '127.0.0.1:0' }, timeoutMs: 60_000 });
  const m = await proc.waitFor(/listening on 127\.0\.0\.1:(\d+)/);
  const port = Number(m[1]);
  return { proc, port, env: { QPC_SERVER: `127.0.0.1:${port}` } };
}
