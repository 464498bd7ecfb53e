/**
 * Chromium (Debian's, headless, driven by playwright-core) loads a page from
 * our HTTP/3 server: the page and 24 sub-resources, one of them 10 MB checked
 * by SHA-256 in the page; then POSTs 10 MB that the handler checks by
 * SHA-256. Every resource reports `nextHopProtocol` "h3". Chromium's QPACK
 * encoder uses the dynamic table we offer: the test counts the insertions
 * and dynamic references our decoder handled.
 */
import { createHash } from 'node:crypto';
import { generateSelfSigned, spkiSha256 } from '@tsquic/cert-tool';
import { describe, expect, it } from 'vitest';
import type { Http3Connection } from '../src/connection.js';
import { serve } from '../src/node/index.js';
import { hasChromium, startChromium } from '@tsquic/test-support/chromium';

const MB10 = 10 * 1024 * 1024;
/** The page's 10 MB body and the 10 MB file: a pattern both sides can make (the page makes its POST body itself). */
const pattern = (n: number, seed: number) => Uint8Array.from({ length: n }, (_, i) => (i * seed + (i >>> 8)) & 0xff);
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

const PAGE = (bigSha: string) => `<!doctype html>
<html><head><meta charset="utf-8"><title>h3</title>
<link rel="stylesheet" href="/style.css">
${Array.from({ length: 10 }, (_, i) => `<script src="/js/${i}.js"></script>`).join('\n')}
</head><body>
${Array.from({ length: 12 }, (_, i) => `<img src="/img/${i}.svg" alt="">`).join('\n')}
<script>
const hex = (b) => Array.from(new Uint8Array(b), (x) => x.toString(16).padStart(2, '0')).join('');
window.run = async () => {
  const big = await (await fetch('/big.bin')).arrayBuffer();
  const bigOk = big.byteLength === ${MB10} && hex(await crypto.subtle.digest('SHA-256', big)) === '${bigSha}';
  const body = new Uint8Array(${MB10});
  for (let i = 0; i < body.length; i++) body[i] = (i * 7 + (i >>> 8)) & 0xff;
  const post = await (await fetch('/upload', { method: 'POST', body, headers: { 'content-type': 'application/octet-stream' } })).json();
  const resources = performance.getEntriesByType('resource').map((e) => [new URL(e.name).pathname, e.nextHopProtocol]);
  const nav = performance.getEntriesByType('navigation')[0].nextHopProtocol;
  return { bigOk, post, resources, nav, scripts: window.loaded };
};
</script>
</body></html>`;

describe.runIf(hasChromium())('Chromium over HTTP/3', () => {
  it('loads a page with 24 sub-resources (10 MB by hash), POSTs 10 MB (checked by hash), all over h3; uses our QPACK dynamic table', async () => {
    const { certificate, privateKey } = await generateSelfSigned({ sans: ['localhost', '127.0.0.1'] });
    const big = pattern(MB10, 13);
    const expectedPost = sha(pattern(MB10, 7));
    const conns = new Set<Http3Connection>();
    const requests: string[] = [];
    const server = await serve({ hostname: '127.0.0.1', port: 0, cert: certificate, key: privateKey }, async (req, info) => {
      conns.add(info.connection);
      const path = new URL(req.url).pathname;
      requests.push(`${req.method} ${path}`);
      if (path === '/') return new Response(PAGE(sha(big)), { headers: { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' } });
      if (path === '/style.css') return new Response('img { width: 8px }', { headers: { 'content-type': 'text/css' } });
      if (path.startsWith('/js/')) return new Response(`(window.loaded ??= []).push(${JSON.stringify(path)});`, { headers: { 'content-type': 'text/javascript', 'cache-control': 'no-store' } });
      if (path.startsWith('/img/'))
        return new Response(`<svg xmlns="http://www.w3.org/2000/svg" width="8" height="8"><rect width="8" height="8" fill="#${path.length.toString(16).padStart(6, '0')}"/></svg>`, { headers: { 'content-type': 'image/svg+xml' } });
      if (path === '/big.bin') return new Response(big, { headers: { 'content-type': 'application/octet-stream' } });
      if (path === '/upload') {
        const body = new Uint8Array(await req.arrayBuffer());
        return Response.json({ length: body.length, ok: sha(body) === expectedPost });
      }
      return new Response('not found', { status: 404 });
    });
    // QUIC forced on for our origin, and our self-signed certificate accepted by its SPKI hash.
    const origin = `127.0.0.1:${server.addr.port}`;
    const browser = await startChromium({ args: ['--enable-quic', `--origin-to-force-quic-on=${origin}`, `--ignore-certificate-errors-spki-list=${spkiSha256(certificate)}`] });
    try {
      const page = await browser.context.newPage();
      const response = await page.goto(`https://127.0.0.1:${server.addr.port}/`, { timeout: 30_000, waitUntil: 'load' });
      expect(response?.status()).toBe(200);
      const result = (await page.evaluate('window.run()')) as { bigOk: boolean; post: { length: number; ok: boolean }; resources: [string, string][]; nav: string; scripts: string[] };
      expect(result.nav).toBe('h3');
      expect(result.bigOk).toBe(true);
      expect(result.post).toEqual({ length: MB10, ok: true });
      expect(result.scripts).toHaveLength(10);
      const subresources = result.resources.filter(([p]) => p !== '/favicon.ico');
      expect(subresources.length).toBeGreaterThanOrEqual(24); // css, 10 scripts, 12 images, big.bin, upload
      expect(subresources.every(([, proto]) => proto === 'h3')).toBe(true);
      expect(requests.filter((r) => r.startsWith('GET /img/'))).toHaveLength(12);
      // Chromium's encoder and our decoder: how much of the dynamic table we offered it used.
      const stats = [...conns].map((c) => c.qpackStats.decoder);
      const inserts = stats.reduce((n, s) => n + s.inserts, 0);
      const refs = stats.reduce((n, s) => n + s.dynamicReferences, 0);
      console.log(
        `Chromium over h3: ${requests.length} requests on ${conns.size} connection(s); Chromium's QPACK encoder made ${inserts} insertions, our decoder resolved ${refs} dynamic-table references (${stats.reduce((n, s) => n + s.blockedSections, 0)} blocked sections)`,
      );
      expect(inserts).toBeGreaterThan(0);
      expect(refs).toBeGreaterThan(0);
    } finally {
      await browser.stop();
      await server.close();
    }
  }, 120_000);
});
