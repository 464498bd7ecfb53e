import { createHash } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { generateSelfSigned, spkiSha256 } from '@tsquic/cert-tool';
import { serve } from '../src/node/index.js';

const { certificate, privateKey } = await generateSelfSigned({ sans: ['localhost', '127.0.0.1'] });
const spki = await spkiSha256(certificate);
const server = await serve({ hostname: '127.0.0.1', port: 0, cert: certificate, key: privateKey, onError: (e) => console.error('handler', e) }, async (req, info) => {
  const u = new URL(req.url);
  console.log(req.method, u.pathname, info.streamId);
  if (u.pathname === '/') return new Response('<html><body><script>window.x=1</script>hi</body></html>', { headers: { 'content-type': 'text/html' } });
  if (u.pathname === '/post') { const b = new Uint8Array(await req.arrayBuffer()); return new Response(createHash('sha256').update(b).digest('hex')); }
  return new Response('x'.repeat(100), { headers: { 'content-type': 'text/plain', 'access-control-allow-origin': '*' } });
});
const port = server.addr.port;
console.log('port', port, 'spki', spki);
const profile = mkdtempSync(join(tmpdir(), 'h3-chromium-'));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: '/usr/bin/chromium', headless: true,
  args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync',
    `--origin-to-force-quic-on=127.0.0.1:${port}`, `--ignore-certificate-errors-spki-list=${spki}`, '--enable-quic'],
});
const page = await ctx.newPage();
page.on('console', (m) => console.log('page:', m.text()));
try {
  const resp = await page.goto(`https://127.0.0.1:${port}/`, { timeout: 15000 });
  console.log('goto', resp?.status());
  const proto = await page.evaluate(() => (performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming).nextHopProtocol);
  console.log('nextHopProtocol', proto);
  const r = await page.evaluate(async () => { const rs = await Promise.all(Array.from({ length: 25 }, (_, i) => fetch(`/r${i}`).then((r) => r.text()))); return rs.length; });
  console.log('subresources', r);
} catch (e) { console.error('ERR', e); }
for (const c of server.connections) console.log(JSON.stringify(c.qpackStats), [...(c.receivedSettings ?? [])].map(([k, v]) => `0x${k.toString(16)}=${v}`).join(' '));
await ctx.close();
await server.close();
