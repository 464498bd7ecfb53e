/**
 * The page's client, run in Node with the `ws` WebSocket standing in for the
 * browser's: the same code as the page (WebSocket duplex → TlsConnection →
 * HTTP/1.1) against real servers through the relay, on both crypto
 * providers, with each failure reported as the kind the page shows.
 */
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createServer as createTlsServer, type TLSSocket } from 'node:tls';
import { nobleCrypto, type HandshakeCrypto } from '@tsquic/tls13-handshake';
import { nodeCrypto } from '@tsquic/tls13-handshake/node';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import WebSocket from 'ws';
import { startProxy, type Proxy } from '../src/node/proxy.js';
import { makeTestPki, type TestPki } from '../src/node/test-pki.js';
import { certificatesFromText } from '../src/page/pem.js';
import { httpsGet, HttpsGetError, type HttpsGetOptions } from '../src/page/https-client.js';
import type { WebSocketLike } from '../src/page/websocket-duplex.js';
import { freePort } from './servers.js';

const wsFactory = (url: string): WebSocketLike => new WebSocket(url) as unknown as WebSocketLike;

let pki: TestPki;
let anchors: Uint8Array[];
const cleanups: Array<() => unknown> = [];

beforeAll(() => {
  pki = makeTestPki();
  cleanups.push(() => pki.remove());
  anchors = certificatesFromText(pki.ca.cert);
}, 30_000);

afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
});

/** A node:tls server running `handle` per connection, behind its own relay. */
async function behindRelay(handle: (s: TLSSocket) => void, opts: { cert?: string; key?: string; ciphers?: string } = {}): Promise<Proxy> {
  const server = createTlsServer({ cert: opts.cert ?? pki.server.cert, key: opts.key ?? pki.server.key, minVersion: 'TLSv1.3', ...(opts.ciphers && { ciphers: opts.ciphers }) }, handle);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const proxy = await startProxy({ target: { host: '127.0.0.1', port: (server.address() as AddressInfo).port } });
  cleanups.push(
    () => new Promise((r) => server.close(r)),
    () => proxy.close(),
  );
  return proxy;
}

/** Reply once the request head has arrived. */
function replyWith(response: string, end: 'end' | 'destroy' = 'end') {
  return (s: TLSSocket): void => {
    let head = '';
    s.on('data', (d: Buffer) => {
      head += d.toString('latin1');
      if (!head.includes('\r\n\r\n')) return;
      if (end === 'end') s.end(response);
      else s.write(response, () => s.destroy());
    });
    s.on('error', () => {});
  };
}

function get(proxy: Proxy, extra: Partial<HttpsGetOptions> = {}): ReturnType<typeof httpsGet> {
  return httpsGet({ proxyUrl: proxy.url, serverName: 'localhost', trustAnchors: anchors, webSocket: wsFactory, ...extra });
}

async function failure(p: Promise<unknown>): Promise<HttpsGetError> {
  const e = await p.then(
    () => undefined,
    (x: unknown) => x,
  );
  if (!(e instanceof HttpsGetError)) throw new Error(`expected an HttpsGetError, got ${String(e)}`);
  return e;
}

describe.each<[string, HandshakeCrypto]>([
  ['nobleCrypto', nobleCrypto],
  ['nodeCrypto', nodeCrypto],
])('httpsGet over the relay (%s)', (_name, crypto) => {
  it.each([['TLS_AES_128_GCM_SHA256'], ['TLS_AES_256_GCM_SHA384'], ['TLS_CHACHA20_POLY1305_SHA256']])('node:https restricted to %s: status, body, suite, subject, path and Host', async (suite) => {
    const seen: Array<{ url?: string; host?: string }> = [];
    const server = createHttpsServer({ cert: pki.server.cert, key: pki.server.key, minVersion: 'TLSv1.3', ciphers: suite }, (req, res) => {
      seen.push({ url: req.url, host: req.headers.host });
      res.end('hello over a websocket');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const proxy = await startProxy({ target: { host: '127.0.0.1', port: (server.address() as AddressInfo).port } });
    try {
      const r = await get(proxy, { crypto, path: '/a/b?c=d' });
      expect(r.cipherSuite).toBe(suite);
      expect(r.response.status).toBe(200);
      expect(new TextDecoder().decode(r.response.body)).toBe('hello over a websocket');
      expect(r.serverSubject).toBe('CN=localhost, O=tsquic');
      expect(r.cryptoProvider).toBe(crypto.name);
      expect(seen).toEqual([{ url: '/a/b?c=d', host: 'localhost' }]);
    } finally {
      await proxy.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });

  it('a leaf under an intermediate CA, the server sending both', async () => {
    const proxy = await behindRelay(replyWith('HTTP/1.1 200 OK\r\nContent-Length: 4\r\n\r\npath'), { cert: pki.viaIntermediate.cert, key: pki.viaIntermediate.key });
    const r = await get(proxy, { crypto });
    expect(new TextDecoder().decode(r.response.body)).toBe('path');
    expect(r.peerCertificates).toHaveLength(2);
    expect(r.serverSubject).toBe('CN=localhost, OU=intermediate, O=tsquic');
  });

  it('an RSA server certificate (RSA-PSS CertificateVerify)', async () => {
    const proxy = await behindRelay(replyWith('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\nrsa'), { cert: pki.serverRsa.cert, key: pki.serverRsa.key });
    const r = await get(proxy, { crypto });
    expect(new TextDecoder().decode(r.response.body)).toBe('rsa');
    expect(r.serverSubject).toBe('CN=localhost, OU=openssl s_server, O=tsquic');
  });
});

describe('httpsGet failures, as the page reports them', () => {
  it('a certificate under another root: certificate error, unknown_ca (48) sent', async () => {
    const proxy = await behindRelay(replyWith('HTTP/1.1 200 OK\r\n\r\n'), { cert: pki.untrusted.cert, key: pki.untrusted.key });
    const e = await failure(get(proxy));
    expect([e.kind, e.alert]).toEqual(['certificate', 48]);
    expect(e.message).toMatch(/^Certificate error — unknown_ca/);
  });

  it('a certificate for another name: certificate error, bad_certificate (42)', async () => {
    const proxy = await behindRelay(replyWith('HTTP/1.1 200 OK\r\n\r\n'));
    const e = await failure(get(proxy, { serverName: 'example.com' }));
    expect([e.kind, e.alert]).toEqual(['certificate', 42]);
    expect(e.message).toBe('Certificate error — bad_certificate: the certificate was rejected (the certificate is not valid for example.com)');
  });

  it('a leaf for clients only (extendedKeyUsage clientAuth): certificate error, unsupported_certificate (43)', async () => {
    const proxy = await behindRelay(replyWith('HTTP/1.1 200 OK\r\n\r\n'), { cert: pki.clientAuthOnly.cert, key: pki.clientAuthOnly.key });
    const e = await failure(get(proxy));
    expect([e.kind, e.alert]).toEqual(['certificate', 43]);
    expect(e.message).toBe('Certificate error — unsupported_certificate: the certificate is not usable for a TLS server (the end-entity certificate is not valid for 1.3.6.1.5.5.7.3.1)');
  });

  it('a clock past notAfter: certificate error, certificate_expired (45)', async () => {
    const proxy = await behindRelay(replyWith('HTTP/1.1 200 OK\r\n\r\n'));
    const e = await failure(get(proxy, { now: () => Date.now() + 31 * 86_400_000 }));
    expect([e.kind, e.alert]).toEqual(['certificate', 45]);
    expect(e.message).toMatch(/^Certificate error — certificate_expired/);
  });

  it('the same certificate by IP address: 127.0.0.1 is in its iPAddress SAN', async () => {
    const proxy = await behindRelay(replyWith('HTTP/1.1 204 No Content\r\nContent-Length: 0\r\n\r\n'));
    const r = await get(proxy, { serverName: '127.0.0.1', host: '127.0.0.1' });
    expect(r.response.status).toBe(204);
  });

  it('a chunked body is reassembled', async () => {
    const proxy = await behindRelay(replyWith('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;ext=1\r\n world\r\n0\r\n\r\n'));
    expect(new TextDecoder().decode((await get(proxy)).response.body)).toBe('hello world');
  });

  it('EOF without close_notify after a Content-Length body: accepted (the length proves it whole)', async () => {
    const proxy = await behindRelay(replyWith('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nwhole', 'destroy'));
    expect(new TextDecoder().decode((await get(proxy)).response.body)).toBe('whole');
  });

  it('EOF without close_notify after a close-delimited body: refused as possibly truncated', async () => {
    const proxy = await behindRelay(replyWith('HTTP/1.1 200 OK\r\n\r\nmaybe cut', 'destroy'));
    const e = await failure(get(proxy));
    expect(e.kind).toBe('tls');
    expect(e.message).toContain('truncated');
  });

  it('a response that is not HTTP: http error', async () => {
    const proxy = await behindRelay(replyWith('SSH-2.0-nope\r\n\r\n'));
    const e = await failure(get(proxy));
    expect(e.kind).toBe('http');
    expect(e.message).toContain('bad status line');
  });

  it('no WebCrypto (a page outside a secure context): a clear error before anything is sent', async () => {
    const proxy = await behindRelay(replyWith('HTTP/1.1 200 OK\r\n\r\n'));
    vi.stubGlobal('crypto', undefined);
    try {
      const e = await failure(get(proxy));
      expect(e.kind).toBe('certificate');
      expect(e.message).toBe('Cannot check certificates: WebCrypto (crypto.subtle) is unavailable here: serve the page over https:// or from localhost (a secure context)');
    } finally {
      vi.unstubAllGlobals();
    }
    expect(proxy.connections).toBe(0);
  });

  it('a relay nobody listens on: transport error', async () => {
    const e = await failure(httpsGet({ proxyUrl: `ws://127.0.0.1:${await freePort()}/`, serverName: 'localhost', trustAnchors: anchors, webSocket: wsFactory }));
    expect(e.kind).toBe('transport');
    expect(e.message).toContain('cannot reach the relay');
  });

  it('a relay whose target is down: transport error during the handshake', async () => {
    const proxy = await startProxy({ target: { host: '127.0.0.1', port: await freePort() } });
    cleanups.push(() => proxy.close());
    const e = await failure(get(proxy));
    expect(e.kind).toBe('transport');
  });

  it('a server that is not TLS: unexpected_message (10) sent', async () => {
    const { createServer } = await import('node:net');
    const server = createServer((s) => {
      s.on('error', () => {});
      s.resume(); // read, so the relay's FIN is seen and the socket closes
      s.end('HTTP/1.1 400 Bad Request\r\n\r\n');
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const proxy = await startProxy({ target: { host: '127.0.0.1', port: (server.address() as AddressInfo).port } });
    cleanups.push(
      () => new Promise((r) => server.close(r)),
      () => proxy.close(),
    );
    const e = await failure(get(proxy));
    expect([e.kind, e.alert, e.message]).toEqual(['tls', 10, 'TLS alert unexpected_message (10) sent to the server']);
  });
});
