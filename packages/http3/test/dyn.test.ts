import { expect, it } from 'vitest';
import { Http3Connection } from '../src/connection.js';
import { memorySessionPair } from './support/memory-session.js';
it('dynamic', async () => {
  const [c, s] = memorySessionPair();
  const server = Http3Connection.server(s, async (req) => new Response(req.headers.get('x-token'), { headers: { 'x-server-thing': 'abcdefghijklmnop' } }));
  const client = Http3Connection.client(c);
  for (let i = 0; i < 20; i++) {
    const r = await client.fetch('https://example.test/hello', { headers: { 'x-token': 'secret-value-1234567890', 'user-agent': 'tsquic-test' } });
    expect(await r.text()).toBe('secret-value-1234567890');
  }
  console.log(JSON.stringify(client.qpackStats), JSON.stringify(server.qpackStats));
});
