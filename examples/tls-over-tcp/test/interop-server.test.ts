/**
 * Independent TLS 1.3 clients against our server (the `tls-serve` CLI, built
 * on @tsquic/tls13-handshake) on 127.0.0.1: Node's `tls.connect`,
 * `openssl s_client -tls1_3` and `curl --tlsv1.3`. Every cipher suite, x25519
 * and P-256, a HelloRetryRequest, ALPN, resumption, client certificates
 * verified by our server, the key log — under both crypto providers for the
 * core cases.
 */
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tlsServe } from './bins.js';
import { hasCommand, makeCerts, nodeGet, opensslClient, run, type Proc } from './peers.js';

const BODY = 'hello from @tsquic/tls13-handshake\n';
const SUITES = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'] as const;

let certs: string;
let work: string;
beforeAll(() => {
  certs = makeCerts();
  work = mkdtempSync(join(tmpdir(), 'tls-serve-'));
});
afterAll(() => {
  rmSync(certs, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

/**
 * Run `action`, then wait for tls-serve's stderr (a pipe: it may lag the TCP
 * reply) to log a line matching `re` after what was there before.
 */
async function logsAfter<T>(p: Proc, re: RegExp, action: () => Promise<T>): Promise<T> {
  const mark = p.stderr().length;
  const r = await action();
  const deadline = Date.now() + 5000;
  while (!re.test(p.stderr().slice(mark))) {
    if (Date.now() > deadline) throw new Error(`tls-serve did not log ${re}: ${p.stderr().slice(mark)}`);
    await new Promise((ok) => setTimeout(ok, 20));
  }
  return r;
}

for (const provider of ['node', 'noble'] as const) {
  describe(`tls-serve (${provider} provider) ← Node tls.connect, openssl s_client, curl`, () => {
    let srv: Proc & { port: number };
    beforeAll(async () => {
      srv = await tlsServe(certs, ['--provider', provider, '--alpn', 'x-tsquic,http/1.1', '--keylog', join(work, `serve-${provider}.keys`)]);
    });
    afterAll(() => srv.stop());

    for (const suite of SUITES) {
      it(`Node tls.connect, ${suite}`, async () => {
        const r = await nodeGet(srv.port, certs, { ciphers: suite });
        expect(r.protocol).toBe('TLSv1.3');
        expect(r.cipher).toBe(suite);
        expect(r.body).toBe(BODY);
      });
      it(`openssl s_client, ${suite}`, async () => {
        const c = opensslClient(srv.port, ['-servername', 'localhost', '-CAfile', join(certs, 'ca.pem'), '-verify_return_error', '-ciphersuites', suite, '-ign_eof'], 'GET / HTTP/1.1\r\nHost: localhost\r\n\r\n');
        try {
          await c.waitFor(/hello from @tsquic/, 8000);
          expect(c.stdout()).toContain(`New, TLSv1.3, Cipher is ${suite}`);
          expect(c.stdout()).toContain('Verify return code: 0 (ok)');
        } finally {
          await c.stop();
        }
      });
    }

    for (const [group, nodeCurve] of [
      ['x25519', 'X25519'],
      ['P-256', 'P-256'],
    ] as const) {
      it(`Node tls.connect, group ${group}`, async () => {
        const r = await nodeGet(srv.port, certs, { ecdhCurve: nodeCurve });
        expect(r.body).toBe(BODY);
        expect(r.key).toMatchObject({ type: 'ECDH', name: nodeCurve === 'P-256' ? 'prime256v1' : 'X25519' });
      });
    }

    it('ALPN: our preference among what Node offers', async () => {
      expect((await nodeGet(srv.port, certs, { ALPNProtocols: ['http/1.1', 'x-tsquic'] })).alpn).toBe('x-tsquic');
      expect((await nodeGet(srv.port, certs, { ALPNProtocols: ['http/1.1'] })).alpn).toBe('http/1.1');
    });

    it('resumption: Node offers our ticket back', async () => {
      const first = await nodeGet(srv.port, certs);
      expect(first.session).toBeDefined();
      const second = await logsAfter(srv, /resumed true/, () => nodeGet(srv.port, certs, { session: first.session! }));
      expect(second.reused).toBe(true);
    });

    it('resumption: openssl s_client -sess_out / -sess_in', async () => {
      const sess = join(work, `s-${provider}.pem`);
      const args = ['-servername', 'localhost', '-CAfile', join(certs, 'ca.pem'), '-ign_eof'];
      const a = opensslClient(srv.port, [...args, '-sess_out', sess], 'GET / HTTP/1.1\r\n\r\n');
      await a.waitFor(/hello from @tsquic/, 8000).finally(() => a.stop());
      const b = opensslClient(srv.port, [...args, '-sess_in', sess], 'GET / HTTP/1.1\r\n\r\n');
      try {
        await b.waitFor(/hello from @tsquic/, 8000);
        expect(b.stdout()).toContain('Reused, TLSv1.3');
      } finally {
        await b.stop();
      }
    });

    it('curl --tlsv1.3 verifies our certificate and gets the body', async () => {
      if (!hasCommand('curl')) throw new Error('curl is required (Debian package curl, installed by .ci/run)');
      const r = await run('curl', ['-sS', '--http1.1', '--tlsv1.3', '--cacert', join(certs, 'ca.pem'), `https://localhost:${srv.port}/any/path`]);
      expect(r.stderr).toBe('');
      expect(r.stdout).toBe(BODY);
    });

    it('the key log is what Node computed (SSLKEYLOGFILE lines equal)', async () => {
      const theirs: string[] = [];
      const socket = connect({ host: '127.0.0.1', port: srv.port, servername: 'localhost', ca: readFileSync(join(certs, 'ca.pem')) });
      socket.on('keylog', (l: Buffer) => theirs.push(l.toString().trim()));
      await once(socket, 'secureConnect');
      socket.end('GET / HTTP/1.1\r\n\r\n');
      socket.resume();
      await once(socket, 'close');
      const ours = new Set(
        readFileSync(join(work, `serve-${provider}.keys`), 'utf8')
          .trim()
          .split('\n'),
      );
      expect(theirs.length).toBe(5);
      for (const l of theirs) expect(ours.has(l), l.split(' ')[0]).toBe(true);
    });
  });
}

describe('tls-serve --group x25519: HelloRetryRequest for a P-256-first client', () => {
  let srv: Proc & { port: number };
  beforeAll(async () => {
    srv = await tlsServe(certs, ['--group', 'x25519']);
  });
  afterAll(() => srv.stop());

  it('Node sends a P-256 share, we ask for x25519', async () => {
    const r = await logsAfter(srv, /hello-retry true/, () => nodeGet(srv.port, certs, { ecdhCurve: 'P-256:X25519' }));
    expect(r.body).toBe(BODY);
    expect(r.key).toMatchObject({ name: 'X25519' });
  });
  it('openssl s_client -groups P-256:X25519', async () => {
    await logsAfter(srv, /hello-retry true/, async () => {
      const c = opensslClient(srv.port, ['-servername', 'localhost', '-CAfile', join(certs, 'ca.pem'), '-groups', 'P-256:X25519', '-ign_eof'], 'GET / HTTP/1.1\r\n\r\n');
      try {
        await c.waitFor(/hello from @tsquic/, 8000);
        expect(c.stdout()).toContain('Server Temp Key: X25519');
      } finally {
        await c.stop();
      }
    });
  });
});

describe('tls-serve --client-ca ca.pem --require-client-cert: client certificates verified by our server', () => {
  let srv: Proc & { port: number };
  beforeAll(async () => {
    srv = await tlsServe(certs, ['--client-ca', join(certs, 'ca.pem'), '--require-client-cert']);
  });
  afterAll(() => srv.stop());

  it('openssl s_client -cert client.pem: accepted', async () => {
    await logsAfter(srv, /client-certificates [1-9]/, async () => {
      const c = opensslClient(srv.port, ['-servername', 'localhost', '-CAfile', join(certs, 'ca.pem'), '-cert', join(certs, 'client.pem'), '-key', join(certs, 'client.key'), '-ign_eof'], 'GET / HTTP/1.1\r\n\r\n');
      try {
        await c.waitFor(/hello from @tsquic/, 8000);
      } finally {
        await c.stop();
      }
    });
  });
  it('Node tls.connect with a client certificate: accepted', async () => {
    const r = await logsAfter(srv, /client-certificates [1-9]/, () => nodeGet(srv.port, certs, { cert: readFileSync(join(certs, 'client.pem')), key: readFileSync(join(certs, 'client.key')) }));
    expect(r.body).toBe(BODY);
  });
  it('no client certificate → certificate_required(116)', async () => {
    const socket = connect({ host: '127.0.0.1', port: srv.port, servername: 'localhost', ca: readFileSync(join(certs, 'ca.pem')) });
    socket.on('secureConnect', () => socket.write('GET / HTTP/1.1\r\n\r\n'));
    const [err] = (await once(socket, 'error')) as [Error & { code?: string }];
    expect(err.code).toBe('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED');
    socket.destroy();
    await srv.waitFor(/sent alert 116/, 5000);
  });
  it('a server certificate (serverAuth only) as a client certificate → unsupported_certificate(43)', async () => {
    const socket = connect({ host: '127.0.0.1', port: srv.port, servername: 'localhost', ca: readFileSync(join(certs, 'ca.pem')), cert: readFileSync(join(certs, 'server.pem')), key: readFileSync(join(certs, 'server.key')) });
    socket.on('secureConnect', () => socket.write('GET / HTTP/1.1\r\n\r\n'));
    const [err] = (await once(socket, 'error')) as [Error & { code?: string }];
    expect(err.code).toBe('ERR_SSL_SSLV3_ALERT_UNSUPPORTED_CERTIFICATE');
    socket.destroy();
    await srv.waitFor(/sent alert 43/, 5000);
  });
  it('a client certificate from an untrusted root → unknown_ca(48)', async () => {
    const socket = connect({ host: '127.0.0.1', port: srv.port, servername: 'localhost', ca: readFileSync(join(certs, 'ca.pem')), cert: readFileSync(join(certs, 'untrusted.pem')), key: readFileSync(join(certs, 'untrusted.key')) });
    socket.on('secureConnect', () => socket.write('GET / HTTP/1.1\r\n\r\n'));
    const [err] = (await once(socket, 'error')) as [Error & { code?: string }];
    expect(err.code).toBe('ERR_SSL_TLSV1_ALERT_UNKNOWN_CA');
    socket.destroy();
    await srv.waitFor(/sent alert 48/, 5000);
  });
});
