/**
 * Issue 21's findings in quic-transport's Node API, as a new user meets them: configuration that cannot
 * work refused at listen()/connect(), PEM accepted, the server named by the host, close codes decoded on
 * both sides, a handshake timeout that says so, one vocabulary for trust (docs/vocabulary.md). Each was
 * written as an expected failure (`it.fails`) before the fix.
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
execFileSync('openssl', ['x509', '-inform', 'DER', '-in', 'cert.der', '-out', 'cert.pem'], { cwd: dir, stdio: 'ignore' });
execFileSync('openssl', ['ec', '-in', 'key.pem', '-out', 'sec1.pem'], { cwd: dir, stdio: 'ignore' }); // the legacy "EC PRIVATE KEY"
const certPem = new Uint8Array(readFileSync(join(dir, 'cert.pem')));
const sec1Pem = new Uint8Array(readFileSync(join(dir, 'sec1.pem')));
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
  it('a PEM private key and certificate given to listen() are read as PEM', async () => {
    const server = await bind();
    server.listen({ tls: { certificateChain: [certPem], privateKey: keyPem, alpn: ['a'] } });
    const client = await bind();
    const conn = client.connect(server.address, { serverName: 'localhost', alpn: ['a'], trustAnchors: [cert] });
    await expect(conn.ready).resolves.toMatchObject({ alpn: 'a' }); // before: peer closed: close code 0x1
  });

  it('a key that cannot sign is refused by listen() with a TypeError that says what to do', async () => {
    const server = await bind();
    const tls = { certificateChain: [cert], alpn: ['a'] };
    expect(() => server.listen({ tls: { ...tls, privateKey: sec1Pem } })).toThrow(/SEC1.*openssl pkcs8 -topk8 -nocrypt/);
    expect(() => server.listen({ tls: { ...tls, privateKey: new Uint8Array([0x30, 3, 2, 1, 0]) } })).toThrow(/listen: tls.privateKey cannot sign/);
  });

  it('alpn: [] or no alpn is a TypeError at listen() and connect(), not a handshake failure later', async () => {
    const server = await bind();
    expect(() => server.listen({ tls: { certificateChain: [cert], privateKey: keyDer, alpn: [] } })).toThrow(/listen: tls.alpn must name at least one application protocol/);
    expect(() => server.listen({ tls: { certificateChain: [cert], privateKey: keyDer } as never })).toThrow(/listen: tls.alpn/);
    expect(() => server.connect(`localhost:1`, { alpn: [], verify: 'none' })).toThrow(/connect: alpn must name at least one/);
  });
});

describe('issue 21: the host names the server, as node:tls does', () => {
  it("connect('localhost:port') checks the certificate against localhost without a serverName option", async () => {
    const server = await bind();
    server.listen({ tls: { certificateChain: [cert], privateKey: keyDer, alpn: ['a'] } });
    const client = await bind();
    const conn = client.connect(`localhost:${server.address.port}`, { alpn: ['a'], trustAnchors: [cert] });
    await expect(conn.ready).resolves.toMatchObject({ alpn: 'a' }); // before: "verify: 'chain' needs serverName"
  });

  it('an { address, port } target has no host name: the TypeError names the options of this package', async () => {
    const client = await bind();
    expect(() => client.connect({ address: '127.0.0.1', port: 1 }, { alpn: ['a'], trustAnchors: [cert] })).toThrow(/verify: 'chain' needs serverName/);
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
    expect(err.message).toMatch(/CRYPTO_ERROR.*120.*no_application_protocol/); // before: "peer closed: close code 0x178"
  });

  it('a handshake that times out says so, with the timeout and the option that sets it', async () => {
    const silent = await bind(); // bound, never listening: the Initial goes unanswered
    const client = await bind();
    const conn = client.connect(silent.address, { serverName: 'localhost', alpn: ['a'], verifyPeer: 'none', transport: { handshakeTimeoutMs: 300 } });
    const err = await closeError(conn.ready);
    expect(err.info).toMatchObject({ kind: 'handshake-timeout', remote: false });
    expect(err.message).toBe('closed: handshake-timeout (handshake not complete within transport.handshakeTimeoutMs = 300 ms)'); // before: "(handshake timeout)"
  });
});

describe('issue 21: one vocabulary (docs/vocabulary.md)', () => {
  it('verify: trustExactly(cert) is how a client trusts exactly one certificate', async () => {
    const server = await bind();
    server.listen({ tls: { certificateChain: [cert], privateKey: keyDer, alpn: ['a'] } });
    const client = await bind();
    const conn = client.connect(server.address, { serverName: 'localhost', alpn: ['a'], verify: api.trustExactly(cert) });
    await expect(conn.ready).resolves.toMatchObject({ alpn: 'a' });
    const other = client.connect(server.address, { serverName: 'localhost', alpn: ['a'], verify: api.trustExactly(keyDer) });
    expect((await closeError(other.ready)).message).toMatch(/CRYPTO_ERROR \(0x12a\): TLS alert 42 bad_certificate/);
  });

  it('the old spellings still work (verifyPeer, verifier, trustCertificate), a mix of them is a TypeError', async () => {
    const server = await bind();
    server.listen({ tls: { certificateChain: [cert], privateKey: keyDer, alpn: ['a'] } });
    const client = await bind();
    const c = { serverName: 'localhost', alpn: ['a'] };
    await expect(client.connect(server.address, { ...c, verifyPeer: api.trustCertificate(cert) }).ready).resolves.toMatchObject({ alpn: 'a' });
    await expect(client.connect(server.address, { ...c, verifier: api.trustExactly(cert) }).ready).resolves.toMatchObject({ alpn: 'a' });
    expect(() => client.connect(server.address, { ...c, verify: 'none', verifyPeer: 'none' })).toThrow(/give verify alone/);
    expect(() => client.connect(server.address, c)).toThrow(/trustAnchors .*verify: a PeerVerifier.*trustExactly/);
  });

  it('ready reports the cipher suite by name too', async () => {
    const server = await bind();
    server.listen({ tls: { certificateChain: [cert], privateKey: keyDer, alpn: ['a'] } });
    const client = await bind();
    const info = await client.connect(server.address, { serverName: 'localhost', alpn: ['a'], verifyPeer: 'none' }).ready;
    expect(info).toMatchObject({ cipherSuite: 0x1301, cipherSuiteName: 'TLS_AES_128_GCM_SHA256' });
  });
});
