/**
 * Issue 21's findings in quic-transport's Node API, written down as tests before the fix: each is an
 * expected failure (`it.fails`) today, because the fix waits for the core rebuild (branch t16-core).
 * Whoever applies a fix removes its `.fails`; a fix that lands without that turns this suite red,
 * so none is forgotten. The behaviour each test wants is the one docs/vocabulary.md describes.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import * as api from '../../src/index.js';
import { QuicConnectionError, QuicEndpoint } from '../../src/index.js';

const open: QuicEndpoint[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((e) => e.close({ timeoutMs: 200 })));
});

/** A self-signed certificate for localhost, as `openssl req` writes it: DER certificate, PEM and DER keys. */
const dir = mkdtempSync(join(tmpdir(), 'quic-first-hour-'));
execFileSync(
  'openssl',
  ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-days', '2', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost', '-keyout', 'key.pem', '-outform', 'DER', '-out', 'cert.der'],
  { cwd: dir, stdio: 'ignore' },
);
execFileSync('openssl', ['pkcs8', '-topk8', '-nocrypt', '-in', 'key.pem', '-outform', 'DER', '-out', 'key.der'], { cwd: dir, stdio: 'ignore' });
const cert = new Uint8Array(readFileSync(join(dir, 'cert.der')));
const keyDer = new Uint8Array(readFileSync(join(dir, 'key.der')));
const keyPem = new Uint8Array(readFileSync(join(dir, 'key.pem'))); // what users pass: the file openssl wrote
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function bind(): Promise<QuicEndpoint> {
  const ep = await QuicEndpoint.bind({ address: '127.0.0.1', port: 0 });
  open.push(ep);
  return ep;
}

const closeError = (p: Promise<unknown>): Promise<QuicConnectionError> =>
  p.then(
    () => {
      throw new Error('expected the connection to fail');
    },
    (e: unknown) => {
      if (!QuicConnectionError.isInstance(e)) throw e;
      return e;
    },
  );

describe('issue 21: configuration found wrong at construction', () => {
  it.fails('a PEM private key given to listen() is accepted as PEM (or refused right there with a TypeError)', async () => {
    const server = await bind();
    let refused: unknown;
    try {
      server.listen({ tls: { certificateChain: [cert], privateKey: keyPem, alpn: ['a'] } });
    } catch (e) {
      refused = e;
    }
    if (refused !== undefined) {
      expect(refused).toBeInstanceOf(TypeError);
      expect(String(refused)).toMatch(/privateKey.*PEM|PEM.*privateKey/);
      return;
    }
    const client = await bind();
    const conn = client.connect(server.address, { serverName: 'localhost', alpn: ['a'], verifyPeer: 'none' });
    await expect(conn.ready).resolves.toMatchObject({ alpn: 'a' }); // today: peer closed: close code 0x1
  });

  it('alpn: [] is a TypeError at listen(), not a handshake failure later', async () => {
    const server = await bind();
    expect(() => server.listen({ tls: { certificateChain: [cert], privateKey: keyDer, alpn: [] } })).toThrow(TypeError);
  });
});

describe('issue 21: the host names the server, as node:tls does', () => {
  it("connect('localhost:port') checks the certificate against localhost without a serverName option", async () => {
    const server = await bind();
    server.listen({ tls: { certificateChain: [cert], privateKey: keyDer, alpn: ['a'] } });
    const client = await bind();
    const conn = client.connect(`localhost:${server.address.port}`, { alpn: ['a'], trustAnchors: [cert] });
    await expect(conn.ready).resolves.toMatchObject({ alpn: 'a' }); // today: "verify: 'chain' needs serverName"
  });
});

describe('issue 21: close codes decoded on both sides', () => {
  it('the client, which did not detect the ALPN mismatch, reads CRYPTO_ERROR … no_application_protocol', async () => {
    const server = await bind();
    server.listen({ tls: { certificateChain: [cert], privateKey: keyDer, alpn: ['a'] } });
    const client = await bind();
    const conn = client.connect(server.address, { serverName: 'localhost', alpn: ['b'], verifyPeer: 'none' });
    const err = await closeError(conn.ready);
    expect(err.code).toBe(0x178n);
    expect(err.message).toMatch(/CRYPTO_ERROR.*120.*no_application_protocol/); // today: "peer closed: close code 0x178"
  });

  it.fails('a handshake that times out has a code of its own, not the 0 of a clean close', async () => {
    const silent = await bind(); // bound, never listening: the Initial goes unanswered
    const client = await bind();
    const conn = client.connect(silent.address, { serverName: 'localhost', alpn: ['a'], verifyPeer: 'none', transport: { handshakeTimeoutMs: 300 } });
    const err = await closeError(conn.ready);
    expect(err.info.kind).toBe('handshake-timeout');
    expect(err.code).not.toBe(0n); // today: 0n, the code of a clean close
    expect(err.message).toMatch(/handshake.*timed out.*300 ?ms/);
  });
});

describe('issue 21: one vocabulary (docs/vocabulary.md)', () => {
  it.fails('verify: trustExactly(cert) is how a client trusts exactly one certificate', async () => {
    const { trustExactly } = api as unknown as { trustExactly?: (der: Uint8Array) => unknown };
    expect(typeof trustExactly).toBe('function'); // today: trustCertificate, passed as verifyPeer
    const server = await bind();
    server.listen({ tls: { certificateChain: [cert], privateKey: keyDer, alpn: ['a'] } });
    const client = await bind();
    const conn = client.connect(server.address, { serverName: 'localhost', alpn: ['a'], verify: trustExactly!(cert) } as Parameters<QuicEndpoint['connect']>[1]);
    await expect(conn.ready).resolves.toMatchObject({ alpn: 'a' });
  });

  it('ready reports the cipher suite by name too', async () => {
    const server = await bind();
    server.listen({ tls: { certificateChain: [cert], privateKey: keyDer, alpn: ['a'] } });
    const client = await bind();
    const info = await client.connect(server.address, { serverName: 'localhost', alpn: ['a'], verifyPeer: 'none' }).ready;
    expect(info).toMatchObject({ cipherSuite: 0x1301, cipherSuiteName: 'TLS_AES_128_GCM_SHA256' });
  });
});
