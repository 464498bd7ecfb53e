/**
 * Our client (the `tls-get` CLI, built on @tsquic/tls13-handshake) against
 * independent TLS 1.3 servers on 127.0.0.1: `openssl s_server -tls1_3` and
 * Node's own `https` server. Every cipher suite, x25519 and P-256, a
 * HelloRetryRequest, ALPN, resumption, client certificates, the key log, and
 * the certificate failures with the alert each must end in — under both
 * crypto providers for the core cases.
 */
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer as httpsServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { tlsGet, tlsServe } from './bins.js';
import { makeCerts, opensslServer } from './peers.js';

let certs: string;
let work: string;
beforeAll(() => {
  certs = makeCerts();
  work = mkdtempSync(join(tmpdir(), 'tls-get-'));
});
afterAll(() => {
  rmSync(certs, { recursive: true, force: true });
  rmSync(work, { recursive: true, force: true });
});

const SUITES = ['TLS_AES_128_GCM_SHA256', 'TLS_AES_256_GCM_SHA384', 'TLS_CHACHA20_POLY1305_SHA256'] as const;
const ca = () => ['--ca', join(certs, 'ca.pem')];

describe('tls-get → openssl s_server -tls1_3 -www', () => {
  for (const provider of ['node', 'noble'] as const) {
    for (const suite of SUITES) {
      it(`${suite}, ${provider} provider`, async () => {
        const srv = await opensslServer(certs, ['-ciphersuites', suite]);
        try {
          const r = await tlsGet([...ca(), '-v', '--cipher', suite, '--provider', provider, `https://localhost:${srv.port}/`]);
          expect(r.stderr).toContain(`TLSv1.3 ${suite}`);
          expect(r.code).toBe(0);
          // s_server -www describes the connection it served
          expect(r.stdout).toContain(`Cipher    : ${suite}`);
          expect(r.stdout).toContain('Protocol  : TLSv1.3');
        } finally {
          await srv.stop();
        }
      });
    }
  }

  for (const [group, openssl] of [
    ['x25519', 'X25519'],
    ['P-256', 'P-256'],
  ] as const) {
    it(`group ${group} only`, async () => {
      const srv = await opensslServer(certs, ['-groups', openssl]);
      try {
        const r = await tlsGet([...ca(), '-v', '--group', group, `https://localhost:${srv.port}/`]);
        expect(r.code).toBe(0);
        expect(r.stderr).toContain('hello-retry false');
      } finally {
        await srv.stop();
      }
    });
  }

  it('HelloRetryRequest: an x25519-first client, a P-256-only server', async () => {
    const srv = await opensslServer(certs, ['-groups', 'P-256']);
    try {
      const r = await tlsGet([...ca(), '-v', '--group', 'x25519,P-256', `https://localhost:${srv.port}/`]);
      expect(r.code).toBe(0);
      expect(r.stderr).toContain('hello-retry true');
    } finally {
      await srv.stop();
    }
  });

  it('resumption with the server’s ticket (PSK with (EC)DHE), and the key log matches OpenSSL’s', async () => {
    const srvKeys = join(work, 'sserver-keys.txt');
    const ours = join(work, 'tls-get-keys.txt');
    const session = join(work, 'openssl.session');
    const srv = await opensslServer(certs, ['-keylogfile', srvKeys]);
    try {
      const first = await tlsGet([...ca(), '-v', '--session', session, '--keylog', ours, `https://localhost:${srv.port}/`]);
      expect(first.code).toBe(0);
      expect(first.stderr).toContain('resumed false');
      const second = await tlsGet([...ca(), '-v', '--session', session, `https://localhost:${srv.port}/`]);
      expect(second.code).toBe(0);
      expect(second.stderr).toContain('resumed true');
      expect(second.stdout).toContain('Reused, TLSv1.3');
      // Our first connection's traffic secrets are OpenSSL's, line for line.
      const lines = (f: string) => readFileSync(f, 'utf8').trim().split('\n');
      const mine = lines(ours);
      expect(mine.map((l) => l.split(' ')[0])).toEqual(['CLIENT_HANDSHAKE_TRAFFIC_SECRET', 'SERVER_HANDSHAKE_TRAFFIC_SECRET', 'EXPORTER_SECRET', 'CLIENT_TRAFFIC_SECRET_0', 'SERVER_TRAFFIC_SECRET_0']);
      const theirs = new Set(lines(srvKeys));
      for (const l of mine) expect(theirs.has(l), l.split(' ')[0]).toBe(true);
    } finally {
      await srv.stop();
    }
  });

  it('client certificate: presented when the server requires one; certificate_required(116) without', async () => {
    const srv = await opensslServer(certs, ['-Verify', '1', '-CAfile', join(certs, 'ca.pem')]);
    try {
      const ok = await tlsGet([...ca(), '--cert', join(certs, 'client.pem'), '--key', join(certs, 'client.key'), `https://localhost:${srv.port}/`]);
      expect(ok.code).toBe(0);
      expect(ok.stdout).toContain('Protocol  : TLSv1.3');
      const without = await tlsGet([...ca(), `https://localhost:${srv.port}/`]);
      expect(without.code).toBe(1);
      expect(without.stderr).toContain('certificate_required (116) received');
    } finally {
      await srv.stop();
    }
  });

  const BAD: Array<[string, string, string, number]> = [
    ['a certificate for another name', 'wrong-name', 'bad_certificate', 42],
    ['an untrusted root', 'untrusted', 'unknown_ca', 48],
    ['an expired certificate', 'expired', 'certificate_expired', 45],
  ];
  for (const [what, name, alert, code] of BAD) {
    it(`${what} → ${alert}(${code}), sent to the server`, async () => {
      const srv = await opensslServer(certs, ['-cert', join(certs, `${name}.pem`), '-key', join(certs, `${name}.key`)]);
      try {
        const r = await tlsGet([...ca(), `https://localhost:${srv.port}/`]);
        expect(r.code).toBe(1);
        expect(r.stderr).toContain(`TLS alert ${alert} (${code}) sent`);
        // OpenSSL received exactly that alert.
        await srv.waitFor(new RegExp(`alert number ${code}\\b`), 5000);
      } finally {
        await srv.stop();
      }
    });
  }
});

describe("tls-get → Node's https server (OpenSSL inside Node)", () => {
  let server: Server;
  let port: number;
  beforeAll(async () => {
    server = httpsServer({ cert: readFileSync(join(certs, 'server.pem')), key: readFileSync(join(certs, 'server.key')), minVersion: 'TLSv1.3', ALPNProtocols: ['h2', 'http/1.1'] }, (req, res) =>
      res.end(`node https: ${req.method} ${req.url} over ${(req.socket as import('node:tls').TLSSocket).getCipher().name}`),
    );
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  });
  afterAll(async () => {
    server.closeAllConnections();
    await new Promise<void>((r) => server.close(() => r()));
  });

  for (const provider of ['node', 'noble'] as const) {
    for (const suite of SUITES) {
      it(`${suite}, ${provider} provider`, async () => {
        const r = await tlsGet([...ca(), '-v', '--cipher', suite, '--provider', provider, `https://localhost:${port}/path?q=1`]);
        expect(r.code).toBe(0);
        expect(r.stdout).toBe(`node https: GET /path?q=1 over ${suite}`);
      });
    }
  }

  it('x25519 and P-256, by IP address (iPAddress SAN, no SNI)', async () => {
    for (const group of ['x25519', 'P-256']) {
      const r = await tlsGet([...ca(), '-v', '--group', group, `https://127.0.0.1:${port}/`]);
      expect(r.code, r.stderr).toBe(0);
    }
  });

  it('ALPN: the server picks from what we offer', async () => {
    const r = await tlsGet([...ca(), '-v', '--alpn', 'http/1.1,h2', `https://localhost:${port}/`]);
    expect(r.stderr).toContain('alpn h2'); // server preference order
    const one = await tlsGet([...ca(), '-v', '--alpn', 'http/1.1', `https://localhost:${port}/`]);
    expect(one.stderr).toContain('alpn http/1.1');
  });

  it('resumption with a Node ticket', async () => {
    const session = join(work, 'node.session');
    const first = await tlsGet([...ca(), '-v', '--session', session, `https://localhost:${port}/`]);
    expect(first.stderr).toContain('resumed false');
    const second = await tlsGet([...ca(), '-v', '--session', session, `https://localhost:${port}/`]);
    expect(second.code).toBe(0);
    expect(second.stderr).toContain('resumed true');
  });
});

describe('tls-get → tls-serve (both ours), from DER files', () => {
  it('--cert/--key/--ca as DER; a wrong --servername fails with bad_certificate(42), which tls-serve receives', async () => {
    const srv = await tlsServe(certs, ['--cert', join(certs, 'server.der'), '--key', join(certs, 'server.key.der'), '--provider', 'noble']);
    try {
      const ok = await tlsGet(['--ca', join(certs, 'ca.der'), '-v', `https://127.0.0.1:${srv.port}/`]);
      expect(ok.code, ok.stderr).toBe(0);
      expect(ok.stdout).toBe('hello from @tsquic/tls13-handshake\n');
      const bad = await tlsGet(['--ca', join(certs, 'ca.der'), '--servername', 'nothere.test', `https://127.0.0.1:${srv.port}/`]);
      expect(bad.code).toBe(1);
      expect(bad.stderr).toContain('bad_certificate (42) sent');
      await srv.waitFor(/received alert 42/, 5000);
    } finally {
      await srv.stop();
    }
  });

  it('usage errors exit 2 with a message', async () => {
    const r = await tlsGet(['--cipher', 'TLS_NOPE', 'https://localhost:1/']);
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('unknown cipher suite TLS_NOPE');
    expect((await tlsGet([])).code).toBe(2);
  });
});
