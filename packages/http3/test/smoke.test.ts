import { describe, expect, it } from 'vitest';
import { Http3Connection } from '../src/connection.js';
import { memorySessionPair } from './support/memory-session.js';

describe('smoke', () => {
  it('GET and POST round trip', async () => {
    const [c, s] = memorySessionPair();
    Http3Connection.server(s, async (req) => {
      const body = req.body ? await req.text() : '';
      return new Response(`${req.method} ${new URL(req.url).pathname} ${body}`, { headers: { 'x-a': '1' } });
    });
    const client = Http3Connection.client(c);
    const r = await client.fetch('https://example.test/hello');
    expect(r.status).toBe(200);
    expect(await r.text()).toBe('GET /hello ');
    const p = await client.fetch('https://example.test/p', { method: 'POST', body: 'xyz' });
    expect(await p.text()).toBe('POST /p xyz');
    expect(p.headers.get('x-a')).toBe('1');
  });
});
