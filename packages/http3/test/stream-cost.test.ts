/**
 * What a request costs in Web Streams (issue 17's request rate): over
 * quic-transport, a request stream is read and written through the QUIC
 * stream's direct sides (quic-transport's STREAM_IO), so neither end makes a
 * ReadableStream or WritableStream for it — on Node 20 making them is most of
 * a small request's CPU. The Web Streams left per request are the bodies the
 * Fetch API asks for: the handler's `Response` makes one, the client's
 * `Response` one. Real QUIC on 127.0.0.1.
 */
import { describe, expect, it } from 'vitest';
import { MessageWriter } from '../src/message-io.js';
import { startPair } from './support/quic.js';
import { firstChunkAtHand } from './support/first-chunk.js';

/** Counts `new ReadableStream` / `new WritableStream` through the globals while `body` runs. */
async function countingStreams(body: () => Promise<void>): Promise<{ readable: number; writable: number }> {
  const g = globalThis as { ReadableStream: typeof ReadableStream; WritableStream: typeof WritableStream };
  const saved = { ReadableStream: g.ReadableStream, WritableStream: g.WritableStream };
  const n = { readable: 0, writable: 0 };
  const counting = <T extends object>(c: T, key: keyof typeof n): T =>
    new Proxy(c, {
      construct(target, args, newTarget) {
        n[key]++;
        return Reflect.construct(target as new (...a: unknown[]) => object, args, newTarget) as object;
      },
    });
  g.ReadableStream = counting(saved.ReadableStream, 'readable');
  g.WritableStream = counting(saved.WritableStream, 'writable');
  try {
    await body();
  } finally {
    Object.assign(g, saved);
  }
  return n;
}

describe('Web Streams per request', () => {
  it('a GET over quic-transport makes no Web Stream for its QUIC stream on either side: only the bodies', async () => {
    const h = await startPair(() => new Response('x'.repeat(100)));
    try {
      const get = async (): Promise<void> => {
        const r = await h.client.fetch(h.url('/small'));
        expect(await r.text()).toBe('x'.repeat(100));
      };
      await get(); // the connection, its control and QPACK streams
      const requests = 40;
      const n = await countingStreams(async () => {
        for (let i = 0; i < requests / 2; i++) await get();
        await Promise.all(Array.from({ length: requests / 2 }, get));
      });
      // Before: a ReadableStream and a WritableStream per QUIC stream on each side, besides the two bodies (4 and 2 per request).
      expect(n.writable).toBe(0);
      expect(n.readable).toBeLessThanOrEqual(2 * requests);
    } finally {
      await h.close();
    }
  }, 30_000);

  it('a small response leaves in one write on the server: HEADERS and DATA in one buffer, no DATA frame written apart', async () => {
    const h = await startPair(() => new Response('x'.repeat(100)));
    const proto = MessageWriter.prototype;
    const saved = { headers: proto.headers, data: proto.data };
    const calls = { headers: 0, data: 0 };
    const server = (w: MessageWriter): boolean => (w.codec as unknown as { role: string }).role === 'server';
    try {
      await (await h.client.fetch(h.url('/small'))).text(); // the connection first
      proto.headers = function (this: MessageWriter, ...a: Parameters<typeof saved.headers>) {
        if (server(this)) calls.headers++;
        return saved.headers.apply(this, a);
      };
      proto.data = function (this: MessageWriter, ...a: Parameters<typeof saved.data>) {
        if (server(this)) calls.data++;
        return saved.data.apply(this, a);
      };
      const texts = await Promise.all(Array.from({ length: 20 }, async () => (await h.client.fetch(h.url('/small'))).text()));
      expect(texts.every((t) => t === 'x'.repeat(100))).toBe(true);
      // Before: a HEADERS write and a DATA write per response (and on Deno, whose body gives its first chunk a turn later, until sendContent waited a second turn for it).
      expect(calls).toEqual({ headers: 20, data: (await firstChunkAtHand()) ? 0 : 20 });
    } finally {
      Object.assign(proto, saved);
      await h.close();
    }
  }, 30_000);

  it('per request the server makes no Headers, reads no connection-level info and writes nothing through a Web Streams writer unless the handler asks', async () => {
    const h = await startPair(() => new Response('x'.repeat(100)));
    const g = globalThis as { Headers: typeof Headers };
    const saved = { Headers: g.Headers, write: WritableStreamDefaultWriter.prototype.write };
    const n = { headers: 0, writerWrites: 0, remoteAddress: 0 };
    let restoreRemote = (): void => undefined;
    try {
      let quic: object | undefined;
      const h2 = await startPair((_req, info) => ((quic = info.quic), new Response('x')));
      await (await h2.client.fetch(h2.url('/'))).text();
      await h2.close();
      // The connection-level `info` fields (the Node server's `remoteAddress`, a getter) are read only by a handler that asks.
      const proto = Object.getPrototypeOf(quic) as object;
      const remote = Object.getOwnPropertyDescriptor(proto, 'remoteAddress')!;
      Object.defineProperty(proto, 'remoteAddress', {
        ...remote,
        get(this: object) {
          n.remoteAddress++;
          return remote.get!.call(this);
        },
      });
      restoreRemote = () => Object.defineProperty(proto, 'remoteAddress', remote);
      await (await h.client.fetch(h.url('/small'))).text(); // the connection, its control and QPACK streams
      g.Headers = new Proxy(saved.Headers, {
        construct(target, args, newTarget) {
          // The server's only: the client (client.ts) makes its own for a response's trailers.
          if (new Error().stack?.includes('/src/server.ts')) n.headers++;
          return Reflect.construct(target, args, newTarget) as object;
        },
      });
      WritableStreamDefaultWriter.prototype.write = function (this: WritableStreamDefaultWriter, ...a: [unknown?]) {
        n.writerWrites++;
        return saved.write.apply(this, a);
      };
      const texts = await Promise.all(Array.from({ length: 40 }, async () => (await h.client.fetch(h.url('/small'))).text()));
      expect(texts.every((t) => t === 'x'.repeat(100))).toBe(true);
      // Before: a `Headers` for the trailers of every GET, `{ ...conn.info }` reading `remoteAddress` for every request,
      // and a Section Acknowledgment per request written through the decoder stream's WritableStream writer.
      expect(n).toEqual({ headers: 0, writerWrites: 0, remoteAddress: 0 });
    } finally {
      g.Headers = saved.Headers;
      WritableStreamDefaultWriter.prototype.write = saved.write;
      restoreRemote();
      await h.close();
    }
  }, 30_000);
});
