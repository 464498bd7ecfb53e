/** Shared test helpers: temp dirs, openssl, and a bounded Node TLS 1.3 handshake. */
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { CertToolError } from '../src/index.js';

export function tempDir(): { dir: string; file(name: string, data?: string | Uint8Array): string; cleanup(): void } {
  const dir = mkdtempSync(join(tmpdir(), 'cert-tool-test-'));
  return {
    dir,
    file(name, data) {
      const p = join(dir, name);
      if (data !== undefined) writeFileSync(p, data);
      return p;
    },
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Run openssl; status and combined output. */
export function openssl(args: string[]): { status: number; out: string } {
  const r = spawnSync('openssl', args, { encoding: 'utf8', timeout: 10_000 });
  if (r.error) throw r.error;
  return { status: r.status ?? -1, out: `${r.stdout}${r.stderr}` };
}

export const HAVE_OPENSSL = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

export type HandshakeResult = { ok: true; protocol: string | null; authorized: boolean; peerSubjectCN?: string } | { ok: false; code: string; message: string };

/**
 * One TLS 1.3 handshake between a Node server and a Node client on `host` (127.0.0.1 or ::1), bounded at 5 s;
 * the server is closed afterwards. Resolves with the client's view.
 */
export async function tlsHandshake(server: tls.TlsOptions, client: tls.ConnectionOptions, host = '127.0.0.1'): Promise<HandshakeResult> {
  const srv = tls.createServer({ ...server, minVersion: 'TLSv1.3', maxVersion: 'TLSv1.3' }, (s) => {
    s.on('error', () => undefined);
    s.end('hello');
  });
  srv.on('tlsClientError', () => undefined);
  await new Promise<void>((res, rej) => srv.listen(0, host, res).once('error', rej));
  const { port } = srv.address() as AddressInfo;
  try {
    return await new Promise<HandshakeResult>((resolve) => {
      const timer = setTimeout(() => {
        sock.destroy();
        resolve({ ok: false, code: 'TIMEOUT', message: 'handshake timed out' });
      }, 5000);
      const sock = tls.connect({ ...client, host, port, minVersion: 'TLSv1.3' }, () => {
        clearTimeout(timer);
        const peer = sock.getPeerCertificate();
        resolve({ ok: true, protocol: sock.getProtocol(), authorized: sock.authorized, peerSubjectCN: peer?.subject?.CN as string | undefined });
        sock.destroy();
      });
      sock.on('error', (e: NodeJS.ErrnoException) => {
        clearTimeout(timer);
        resolve({ ok: false, code: e.code ?? 'ERROR', message: e.message });
      });
    });
  } finally {
    await new Promise<void>((res) => srv.close(() => res()));
  }
}

/** 'ok', or the CertToolError code a promise rejects with (anything else as text). */
export async function codeOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
    return 'ok';
  } catch (e) {
    return CertToolError.isInstance(e) ? e.code : String(e);
  }
}
