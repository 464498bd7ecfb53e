/**
 * @module demo
 * The one-command demo (`pnpm demo` at the repository root): starts
 * `qpc-server` in a fresh temporary directory (its defaults, except the
 * address: 127.0.0.1 on a free port), runs two `qpc` clients — bob watches
 * the lobby, ann sends — prints the exchange as a transcript, stops the
 * server, removes the directory, and exits 0 only if bob received ann's
 * messages as pushes.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const BIN = fileURLToPath(new URL('./bin/', import.meta.url));

interface Child {
  readonly proc: ChildProcess;
  readonly exited: Promise<number | null>;
  waitFor(re: RegExp, ms?: number): Promise<RegExpMatchArray>;
}

function start(bin: string, args: string[], cwd: string, env: NodeJS.ProcessEnv, label: string): Child {
  const proc = spawn(process.execPath, [join(BIN, `${bin}.js`), ...args], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (d: string): void => {
    out += d;
    for (const line of d.split('\n')) if (line !== '') process.stdout.write(`${label}${line}\n`);
    for (const l of [...listeners]) l();
  };
  proc.stdout!.setEncoding('utf8').on('data', onData);
  proc.stderr!.setEncoding('utf8').on('data', onData);
  const exited = new Promise<number | null>((resolve) => proc.once('exit', resolve));
  return {
    proc,
    exited,
    waitFor: (re, ms = 15_000) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${bin}: no ${re} within ${ms} ms`)), ms);
        const check = (): void => {
          const m = out.match(re);
          if (!m) return;
          clearTimeout(timer);
          listeners.delete(check);
          resolve(m);
        };
        listeners.add(check);
        check();
      }),
  };
}

async function client(args: string[], cwd: string, env: NodeJS.ProcessEnv): Promise<void> {
  process.stdout.write(`$ qpc ${args.map((a) => (a.includes(' ') ? `"${a}"` : a)).join(' ')}\n`);
  const c = start('qpc', args, cwd, env, '  ');
  const code = await c.exited;
  if (code !== 0) throw new Error(`qpc ${args[0]} exited with ${code}`);
}

async function main(): Promise<void> {
  const dir = await mkdtemp(join(tmpdir(), 'qpc-demo-'));
  const env: NodeJS.ProcessEnv = { ...process.env, QPC_LISTEN: '127.0.0.1:0' };
  let server: Child | undefined;
  let watcher: Child | undefined;
  try {
    process.stdout.write(`qpc demo in ${dir}\n$ QPC_LISTEN=127.0.0.1:0 qpc-server\n`);
    server = start('qpc-server', [], dir, env, '  ');
    const port = (await server.waitFor(/listening on 127\.0\.0\.1:(\d+)/))[1]!;
    const clientEnv = { ...process.env, QPC_SERVER: `127.0.0.1:${port}` };
    process.stdout.write(`$ export QPC_SERVER=127.0.0.1:${port}   # the client trusts data/server-cert.der, for 'localhost'\n`);
    process.stdout.write(`$ qpc watch --nick bob --room lobby --count 2 &\n`);
    watcher = start('qpc', ['watch', '--nick', 'bob', '--room', 'lobby', '--count', '2'], dir, clientEnv, '  [bob] ');
    await watcher.waitFor(/watching lobby as bob/);
    await client(['send', '--nick', 'ann', '--room', 'lobby', 'hello bob, this came over QUIC'], dir, clientEnv);
    await watcher.waitFor(/ann: hello bob/);
    await client(['send', '--nick', 'ann', '--room', 'lobby', 'each call has its own stream; this reached you as a push'], dir, clientEnv);
    if ((await watcher.exited) !== 0) throw new Error('the watching client failed');
    await client(['history', '--room', 'lobby'], dir, clientEnv);
    process.stdout.write('demo done: bob received both messages as server pushes\n');
  } finally {
    watcher?.proc.kill();
    if (server) {
      server.proc.kill('SIGTERM');
      await server.exited;
    }
    await rm(dir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`demo failed: ${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
