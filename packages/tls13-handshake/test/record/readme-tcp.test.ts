/**
 * The README's TLS-over-TCP programs, read from the README and run as written (package imports pointed
 * at dist/): the client against `openssl s_server -www`, the server under `curl`. A certificate for
 * localhost is made with openssl first, as the README's first example does.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const README = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
const dist = (p: string): string => pathToFileURL(fileURLToPath(new URL(`../../dist/${p}`, import.meta.url))).href;

/** The js block under a `### heading`, with the package's imports pointed at dist/. */
function program(heading: string): string {
  const section = README.slice(README.indexOf(`### ${heading}\n`));
  const code = /```js\n([\s\S]*?)```/.exec(section)![1]!;
  return code
    .replace("'@tsquic/tls13-handshake/node'", `'${dist('crypto/node.js')}'`)
    .replace("'@tsquic/tls13-handshake/record'", `'${dist('record/index.js')}'`)
    .replace("'@tsquic/tls13-handshake'", `'${dist('index.js')}'`);
}

function run(file: string, args: string[], cwd: string): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve, reject) => {
    execFile(file, args, { cwd, timeout: 30_000, encoding: 'utf8' }, (e, out, err) => {
      if (e && typeof e.code !== 'number') return reject(e);
      resolve({ code: e ? (e.code as number) : 0, out, err });
    });
  });
}

const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as { port: number };
      s.close(() => resolve(port));
    });
  });

/** Starts a process and resolves once its output matches `ready`. */
function start(file: string, args: string[], cwd: string, ready: RegExp): Promise<{ child: ChildProcess; output: () => string }> {
  const child = spawn(file, args, { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  let output = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${file} did not start: ${output}`)), 15_000);
    const onData = (d: Buffer): void => {
      output += d.toString();
      if (ready.test(output)) {
        clearTimeout(timer);
        resolve({ child, output: () => output });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', (code) => reject(new Error(`${file} exited ${code}: ${output}`)));
  });
}

const dir = mkdtempSync(join(tmpdir(), 'tls13-readme-tcp-'));
const children: ChildProcess[] = [];
beforeAll(async () => {
  for (const args of [
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '30', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost', '-keyout', 'key.pem', '-out', 'cert.pem'],
    ['x509', '-in', 'cert.pem', '-outform', 'DER', '-out', 'cert.der'],
    ['pkcs8', '-topk8', '-nocrypt', '-in', 'key.pem', '-outform', 'DER', '-out', 'key.der'],
  ]) {
    const r = await run('openssl', args, dir);
    expect(r.code, r.err).toBe(0);
  }
  writeFileSync(join(dir, 'client.mjs'), program('A client over TCP'));
  writeFileSync(join(dir, 'server.mjs'), program('A server over TCP'));
}, 60_000);
afterAll(() => {
  for (const c of children) c.kill();
  rmSync(dir, { recursive: true, force: true });
});

describe('README: TLS 1.3 over TCP', () => {
  it('the client fetches a page from openssl s_server -www', async () => {
    const port = await freePort();
    const s = await start('openssl', ['s_server', '-accept', String(port), '-tls1_3', '-cert', 'cert.pem', '-key', 'key.pem', '-www'], dir, /ACCEPT/);
    children.push(s.child);
    const r = await run(process.execPath, ['client.mjs', `https://localhost:${port}/`, 'cert.der'], dir);
    expect({ code: r.code, out: r.out, err: r.err }).toEqual({ code: 0, out: 'TLS_AES_128_GCM_SHA256 HTTP/1.0 200 ok\n', err: '' });
  }, 60_000);

  it('the server answers curl', async () => {
    const port = await freePort();
    const s = await start(process.execPath, ['server.mjs', String(port), 'cert.der', 'key.der'], dir, /listening on/);
    children.push(s.child);
    const r = await run('curl', ['--silent', '--show-error', '--tlsv1.3', '--http1.1', '--cacert', 'cert.pem', `https://localhost:${port}/`], dir);
    expect({ code: r.code, out: r.out, err: r.err }).toEqual({ code: 0, out: 'hello over TLS 1.3 (TLS_AES_128_GCM_SHA256)\n', err: '' });
    // A client that does not trust the certificate: the server reports the peer's alert by name.
    const bad = await run('curl', ['--silent', '--tlsv1.3', `https://localhost:${port}/`], dir);
    expect(bad.code).not.toBe(0);
    await new Promise((r) => setTimeout(r, 200));
    expect(s.output()).toMatch(/connection failed: received unknown_ca \(48\) from the peer/);
  }, 60_000);
});
