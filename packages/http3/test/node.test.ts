/**
 * The Node entry over real QUIC on 127.0.0.1: `serve()` (PEM or DER, the
 * handler's `info`, graceful shutdown, the abort signal) and the pooled
 * client (trust by CA with the URL's name, 0-RTT by default for safe
 * requests on a resumed connection, redirects), and Alt-Svc from an HTTPS-over-TCP server.
 */
import { once } from 'node:events';
import { createServer } from 'node:https';
import { certificatesToPem, createCa, issueCertificate, privateKeyToPem } from '@tsquic/cert-tool';
import { describe, expect, it } from 'vitest';
import { altSvc, parseAltSvc } from '../src/alt-svc.js';
import { createClient, serve } from '../src/node/index.js';
import { startPair } from './support/quic.js';

describe('serve() and the pooled client', () => {
  it('gives the handler the remote address, the QUIC connection and the stream; accepts PEM certificates', async () => {
    const ca = await createCa({ commonName: 'Test CA' });
    const leaf = await issueCertificate(ca, { sans: ['localhost', '127.0.0.1'] });
    const server = await serve({ hostname: '127.0.0.1', port: 0, cert: certificatesToPem([leaf.certificate]), key: privateKeyToPem(leaf.privateKey) }, (req, info) =>
      Response.json({ address: info.remoteAddress.address, alpn: info.quic.handshakeInfo?.alpn, stream: String(info.streamId), host: new URL(req.url).host }),
    );
    // Trust by CA, the name from the URL (RFC 5280 path validation and the SAN check happen in quic-transport).
    const client = createClient({ trustAnchors: [certificatesToPem([ca.certificate])], resolve: async () => '127.0.0.1' });
    try {
      const r = await client.fetch(`https://localhost:${server.addr.port}/who`);
      expect(await r.json()).toEqual({ address: '127.0.0.1', alpn: 'h3', stream: '0', host: `localhost:${server.addr.port}` });
      expect(r.url).toBe(`https://localhost:${server.addr.port}/who`);
      // A name the certificate does not carry fails the handshake with the TLS alert as the close code.
      const wrongName = createClient({ trustAnchors: [ca.certificate], resolve: async () => '127.0.0.1' });
      await expect(wrongName.fetch(`https://other.test:${server.addr.port}/`)).rejects.toMatchObject({ code: 0x100n + 42n });
      await wrongName.close();
    } finally {
      await client.close();
      await server.close();
    }
  }, 30_000);

  /** A harness whose client holds a session ticket from a first connection, now closed. */
  async function resumable(handler: Parameters<typeof startPair>[0], options: Parameters<typeof startPair>[1]) {
    const h = await startPair(handler, options);
    expect((await h.client.fetch(h.url('/first'))).status).toBe(200);
    // The session ticket arrives after the handshake.
    for (let i = 0; i < 1000 && !h.client.hasSessionTicket(h.url('/')); i++) await new Promise((r) => setTimeout(r, 5));
    expect(h.client.hasSessionTicket(h.url('/'))).toBe(true);
    const first = await h.client.connection(h.url('/'));
    first.close();
    await first.closed;
    return h;
  }

  /** The client's QUIC handshake result on its pooled connection. */
  async function handshakeOf(h: Awaited<ReturnType<typeof startPair>>): Promise<{ resumed: boolean; earlyData: string }> {
    return ((await h.client.connection(h.url('/'))).session as unknown as { ready: Promise<{ resumed: boolean; earlyData: string }> }).ready;
  }

  it('sends a safe request as 0-RTT early data on a resumed connection by default; the handshake completes on both sides', async () => {
    const seen: Array<{ path: string; before: boolean; stream: string }> = [];
    const h = await resumable(
      async (req, info) => {
        // A request served before the server's handshake completed arrived in 0-RTT.
        seen.push({ path: new URL(req.url).pathname, before: info.quic.handshakeInfo === undefined, stream: String(info.streamId) });
        return new Response(req.method);
      },
      { server: { ticketKey: new Uint8Array(32).fill(7), earlyData: true } },
    );
    try {
      expect(await (await h.client.fetch(h.url('/early'))).text()).toBe('GET');
      // RFC 9001 §4.1.2: the resumed handshake completes (the server accepted the early data), and the connection serves on.
      expect(await handshakeOf(h)).toMatchObject({ resumed: true, earlyData: 'accepted' });
      expect(await (await h.client.fetch(h.url('/after'), { method: 'POST', body: 'x' })).text()).toBe('POST');
      expect(seen).toEqual([
        { path: '/first', before: false, stream: '0' },
        { path: '/early', before: true, stream: '0' },
        { path: '/after', before: false, stream: '4' },
      ]);
    } finally {
      await h.close();
    }
  }, 30_000);

  it('resumes without early data with earlyData: false, and sends an unsafe request only after the handshake', async () => {
    const seen: boolean[] = [];
    const h = await resumable((_req, info) => (seen.push(info.quic.handshakeInfo === undefined), new Response('ok')), { server: { ticketKey: new Uint8Array(32).fill(9), earlyData: true }, client: { earlyData: false } });
    try {
      expect(await (await h.client.fetch(h.url('/again'))).text()).toBe('ok');
      expect(await handshakeOf(h)).toMatchObject({ resumed: true, earlyData: 'not-offered' });
      expect(seen).toEqual([false, false]);
    } finally {
      await h.close();
    }
  }, 30_000);

  it('follows redirects as Fetch does (303 to GET, 307 keeps the method and body), or not', async () => {
    const h = await startPair(async (req) => {
      const path = new URL(req.url).pathname;
      if (path === '/303') return new Response(null, { status: 303, headers: { location: '/final' } });
      if (path === '/307') return new Response(null, { status: 307, headers: { location: '/final' } });
      if (path === '/loop') return new Response(null, { status: 302, headers: { location: '/loop' } });
      return new Response(`${req.method} ${req.body ? await req.text() : ''}`);
    });
    try {
      const a = await h.client.fetch(h.url('/303'), { method: 'POST', body: 'payload' });
      expect([await a.text(), a.redirected, a.url]).toEqual(['GET ', true, h.url('/final')]);
      expect(await (await h.client.fetch(h.url('/307'), { method: 'POST', body: 'payload' })).text()).toBe('POST payload');
      expect((await h.client.fetch(h.url('/303'), { redirect: 'manual' })).status).toBe(303);
      await expect(h.client.fetch(h.url('/303'), { redirect: 'error' })).rejects.toThrow(TypeError);
      await expect(h.client.fetch(h.url('/loop'))).rejects.toThrow(/more than 20 redirects/);
    } finally {
      await h.close();
    }
  }, 30_000);

  it('shutdown() finishes the requests in flight (GOAWAY, drain) and stops the server; the abort signal does the same', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let started!: () => void;
    const inHandler = new Promise<void>((r) => (started = r));
    const ac = new AbortController();
    const h = await startPair(async () => (started(), await gate, new Response('finished')), { server: { signal: ac.signal } });
    const pending = h.client.fetch(h.url('/slow'));
    await inHandler; // the request is being served when the stop comes
    ac.abort();
    await new Promise((r) => setTimeout(r, 20));
    release();
    expect(await (await pending).text()).toBe('finished');
    await h.server.finished;
    await h.client.close();
  }, 30_000);
});

describe('Alt-Svc from an HTTPS-over-TCP server (RFC 7838, RFC 9114 §3.1.1)', () => {
  it('advertises h3 on the QUIC port, and the advertised endpoint answers over HTTP/3', async () => {
    const h = await startPair(() => new Response('over h3'));
    const { certificate, privateKey } = await import('./support/quic.js').then((m) => m.testCertificate());
    const tcp = createServer({ cert: certificatesToPem([certificate]), key: privateKeyToPem(privateKey) }, (_req, res) => {
      res.setHeader('alt-svc', altSvc({ port: h.server.addr.port, maxAge: 86400 }));
      res.end('over tcp');
    }).listen(0, '127.0.0.1');
    await once(tcp, 'listening');
    try {
      const port = (tcp.address() as { port: number }).port;
      const res = await new Promise<import('node:http').IncomingMessage>((resolve, reject) => {
        import('node:https').then(({ get }) => get({ host: '127.0.0.1', port, rejectUnauthorized: false }, resolve).on('error', reject), reject);
      });
      res.resume();
      const [alt] = parseAltSvc(String(res.headers['alt-svc'])) as Array<{ protocol: string; port: number; maxAge: number }>;
      expect(alt).toEqual({ protocol: 'h3', host: '', port: h.server.addr.port, maxAge: 86400 });
      expect(await (await h.client.fetch(`https://127.0.0.1:${alt!.port}/`)).text()).toBe('over h3');
    } finally {
      tcp.close();
      await h.close();
    }
  }, 30_000);
});
