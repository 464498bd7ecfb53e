/**
 * @module test/bins
 * Runs the built CLIs as real processes: `tls-get` to completion, `tls-serve`
 * until the test stops it (it prints `listening on HOST:PORT` when ready).
 */
import { fileURLToPath } from 'node:url';
import { run, startProc, type Proc } from './peers.js';

const bin = (name: string) => fileURLToPath(new URL(`../dist/bin/${name}.js`, import.meta.url));

/** `tls-get ARGS…` → exit code, stdout, stderr. */
export function tlsGet(args: string[], timeoutMs = 10_000): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return run(process.execPath, [bin('tls-get'), ...args], timeoutMs);
}

/** Start `tls-serve ARGS… --port 0`; resolves with its port once it listens. */
export async function tlsServe(certs: string, args: string[] = []): Promise<Proc & { port: number }> {
  const p = startProc(process.execPath, [bin('tls-serve'), '--cert', `${certs}/server.pem`, '--key', `${certs}/server.key`, '--port', '0', ...args]);
  try {
    const line = await p.waitFor(/listening on [^\s]+:(\d+)/, 10_000);
    return Object.assign(p, { port: Number(/:(\d+)$/.exec(line)![1]) });
  } catch (e) {
    await p.stop();
    throw e;
  }
}
