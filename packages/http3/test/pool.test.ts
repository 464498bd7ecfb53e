/** The pooled fetch client, with connections from a test connector over in-memory pairs (RFC 9114 §3.3, §5.2; 0-RTT rules). */
import { describe, expect, it } from 'vitest';
import { Http3Connection } from '../src/connection.js';
import { Http3Pool, type ConnectedSession } from '../src/pool.js';
import type { Http3Handler } from '../src/server.js';
import { memorySessionPair } from './support/memory-session.js';

/** A connector handing out in-memory connections to one server handler; `ready` is released by the test. */
function connector(handler: Http3Handler, options: { earlyData?: boolean } = {}) {
  const opened: Array<{ release: () => void; server: Http3Connection; origin: string }> = [];
  const connect = async (origin: URL): Promise<ConnectedSession> => {
    const [c, s] = memorySessionPair();
    const server = Http3Connection.server(s, handler);
    let release!: () => void;
    const ready = new Promise<void>((r) => (release = r));
    opened.push({ release, server, origin: origin.origin });
    return { session: c, ready, earlyData: options.earlyData ?? false };
  };
  return { connect, opened };
}

describe('the pool', () => {
  it('one connection per origin, shared by concurrent requests', async () => {
    const { connect, opened } = connector((req) => new Response(new URL(req.url).host));
    const pool = new Http3Pool(connect);
    const p = Promise.all([pool.fetch('https://a.test/1'), pool.fetch('https://a.test/2'), pool.fetch('https://b.test/1')]);
    await new Promise((r) => setTimeout(r, 5));
    for (const o of opened) o.release();
    const texts = await Promise.all((await p).map((r) => r.text()));
    expect(texts).toEqual(['a.test', 'a.test', 'b.test']);
    expect(opened.map((o) => o.origin)).toEqual(['https://a.test', 'https://b.test']);
    await pool.close();
  });

  it('with 0-RTT, safe requests go before the handshake completes and unsafe ones wait for it', async () => {
    const served: string[] = [];
    const { connect, opened } = connector(async (req) => (served.push(req.method), new Response(req.method)), { earlyData: true });
    const pool = new Http3Pool(connect);
    const get = pool.fetch('https://a.test/');
    const post = pool.fetch('https://a.test/', { method: 'POST', body: 'x' });
    expect(await (await get).text()).toBe('GET');
    await new Promise((r) => setTimeout(r, 20));
    expect(served).toEqual(['GET']); // the POST waits for the handshake
    opened[0]!.release();
    expect(await (await post).text()).toBe('POST');
    expect(served).toEqual(['GET', 'POST']);
    await pool.close();
  });

  it('after GOAWAY it opens a new connection, and retries requests the server did not process', async () => {
    let n = 0;
    const { connect, opened } = connector(async () => new Response(String(++n)));
    const pool = new Http3Pool(connect);
    const first = pool.fetch('https://a.test/');
    opened[0]!.release();
    expect(await (await first).text()).toBe('1');
    await opened[0]!.server.shutdown('test', { lingerMs: 10 });
    const second = pool.fetch('https://a.test/');
    await new Promise((r) => setTimeout(r, 5));
    opened[1]?.release();
    expect(await (await second).text()).toBe('2');
    expect(opened).toHaveLength(2);
    await pool.close({ graceful: true });
  });

  it('a failed connection attempt is not kept: the next request tries again', async () => {
    let attempts = 0;
    const pool = new Http3Pool(async (origin) => {
      if (++attempts === 1) throw new Error('unreachable');
      return connector(() => new Response('ok'))
        .connect(origin)
        .then((c) => ({ ...c, ready: Promise.resolve(), earlyData: false }));
    });
    await expect(pool.fetch('https://a.test/')).rejects.toThrow('unreachable');
    expect(await (await pool.fetch('https://a.test/')).text()).toBe('ok');
    await pool.close();
    await expect(pool.fetch('https://a.test/')).rejects.toThrow(/closed/);
  });
  it('on an open pooled connection, fetch() opens its request stream in the same turn: no promise turns to find the connection or to take a body at hand', async () => {
    const { connect, opened } = connector(() => new Response('ok'));
    const pool = new Http3Pool(connect);
    const first = pool.fetch('https://a.test/');
    await new Promise((r) => setTimeout(r, 5));
    opened[0]!.release();
    expect(await (await first).text()).toBe('ok');
    const conn = await pool.connection('https://a.test/');
    const open = conn.openBidirectional.bind(conn);
    let streams = 0;
    conn.openBidirectional = () => (streams++, open());
    const requests = [pool.fetch('https://a.test/x'), pool.fetch('https://a.test/y', { method: 'POST', body: 'data' }), pool.fetch('https://a.test/z', { method: 'PUT', body: new Uint8Array(3) })];
    // Before: two turns to find the pooled connection (#pooled awaited its promise's catch) and two to extract the body (async even for none).
    expect(streams).toBe(3);
    // A body the platform serialises (a Blob) still takes its turns, and still goes out.
    const blob = pool.fetch('https://a.test/b', { method: 'POST', body: new Blob(['b']) });
    expect(streams).toBe(3);
    const texts = await Promise.all([...requests, blob].map(async (r) => (await r).text()));
    expect(texts).toEqual(['ok', 'ok', 'ok', 'ok']);
    expect(streams).toBe(4);
    expect(opened).toHaveLength(1);
    await pool.close();
  });
});
