import { expect, it } from 'vitest';
import { startPair } from './support/quic.js';

it('serves and fetches over QUIC', async () => {
  const h = await startPair(async (req, info) => new Response(`hi ${req.method} ${info.remoteAddress.address} ${req.body ? await req.text() : ''}`));
  try {
    const r = await h.client.fetch(h.url('/x'));
    expect(await r.text()).toBe('hi GET 127.0.0.1 ');
    const big = new Uint8Array(5_000_000).fill(7);
    const p = await h.client.fetch(h.url('/y'), { method: 'POST', body: big });
    expect((await p.text()).length).toBeGreaterThan(5_000_000);
  } finally {
    await h.close();
  }
}, 60_000);
