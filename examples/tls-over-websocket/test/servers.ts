/**
 * @module test/servers
 * The real TLS 1.3 servers behind the relay, each on 127.0.0.1 and stopped
 * by the test that started it: Node's https server and `openssl s_server
 * -tls1_3 -www`.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { createServer as createHttpsServer } from 'node:https';
import { createServer as createTcpServer, type AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { KeyPair } from '../src/node/test-pki.js';

export interface NodeHttpsServer {
  port: number;
  /** A random token in every response body: it must never cross the relay in clear. */
  nonce: string;
  /** Each request seen: path, Host header, the cipher suite the server negotiated. */
  requests: Array<{ path: string; host: string | undefined; cipher: string }>;
  close(): Promise<void>;
}

/** node:https (TLS 1.3 only) answering every GET with a text body carrying `nonce` and the negotiated suite. */
export async function startNodeHttps(pair: KeyPair): Promise<NodeHttpsServer> {
  const nonce = randomUUID();
  const requests: NodeHttpsServer['requests'] = [];
  const server = createHttpsServer({ cert: pair.cert, key: pair.key, minVersion: 'TLSv1.3' }, (req, res) => {
    const cipher = (req.socket as TLSSocket).getCipher().standardName;
    requests.push({ path: req.url ?? '', host: req.headers.host, cipher });
    res.setHeader('content-type', 'text/plain; charset=utf-8');
    res.end(`Hello from node:https over TLS 1.3 (${cipher}); secret ${nonce}\n`);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    nonce,
    requests,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createTcpServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export interface OpensslServer {
  port: number;
  output(): string;
  stop(): Promise<void>;
}

/** `openssl s_server -tls1_3 -www` on a free 127.0.0.1 port; resolves once it accepts. */
export async function startOpensslServer(pair: KeyPair, timeoutMs = 10_000): Promise<OpensslServer> {
  const port = await freePort();
  const proc = spawn('openssl', ['s_server', '-accept', `127.0.0.1:${port}`, '-tls1_3', '-www', '-cert', pair.certFile, '-key', pair.keyFile], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const stop = async (): Promise<void> => {
    if (proc.exitCode === null && proc.signalCode === null) {
      proc.kill('SIGTERM');
      await exited;
    }
  };
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`openssl s_server did not start: ${out}`)), timeoutMs);
      const onData = (d: Buffer): void => {
        out += d.toString('latin1');
        if (out.includes('ACCEPT')) {
          clearTimeout(timer);
          resolve();
        }
      };
      proc.stdout.on('data', onData);
      proc.stderr.on('data', onData);
      proc.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`openssl s_server exited (${code}): ${out}`));
      });
    });
  } catch (e) {
    await stop();
    throw e;
  }
  return { port, output: () => out, stop };
}
