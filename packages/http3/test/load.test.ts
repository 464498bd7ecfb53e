/**
 * Our client and our server over real QUIC on 127.0.0.1 (quic-transport's
 * QuicEndpoint): 1,000 concurrent requests on one connection, bodies with
 * trailers both ways, cancellation both ways, and GOAWAY during load with no
 * request lost (RFC 9114 §4.1, §4.1.1, §5.2).
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { isRetryable } from '../src/client.js';
import { H3ErrorCode, Http3Error } from '../src/errors.js';
import { withTrailers } from '../src/response.js';
import { startPair } from './support/quic.js';

const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

describe('our client and server over QUIC', () => {
  it('1,000 concurrent requests on one connection, every response right', async () => {
    const h = await startPair(async (req, info) => new Response(`${new URL(req.url).pathname} on ${info.streamId}`), { server: { maxConcurrentRequests: 1000 } });
    try {
      const started = performance.now();
      const responses = await Promise.all(Array.from({ length: 1000 }, (_, i) => h.client.fetch(h.url(`/r/${i}`)).then(async (r) => ({ status: r.status, text: await r.text(), id: r.streamId }))));
      const ms = performance.now() - started;
      expect(responses.every((r, i) => r.status === 200 && r.text === `/r/${i} on ${r.id}`)).toBe(true);
      expect(new Set(responses.map((r) => r.id)).size).toBe(1000);
      expect(h.server.connections.size).toBe(1); // one connection for all of them
      const [conn] = h.server.connections;
      // Encoded before any acknowledgment: only the blocked-stream allowance may reference new entries (RFC 9204 §2.1.2).
      expect(conn!.qpackStats.decoder.dynamicReferences).toBeGreaterThan(0);
      console.log(`1,000 concurrent requests in ${ms.toFixed(0)} ms (shared machine)`);
    } finally {
      await h.close();
    }
  }, 60_000);

  it('more requests than MAX_STREAMS wait for credit instead of failing', async () => {
    const h = await startPair(async () => new Response('ok'), { server: { maxConcurrentRequests: 10 } });
    try {
      const texts = await Promise.all(Array.from({ length: 200 }, () => h.client.fetch(h.url('/')).then((r) => r.text())));
      expect(texts.every((t) => t === 'ok')).toBe(true);
    } finally {
      await h.close();
    }
  }, 60_000);

  it('request and response bodies with trailers, streamed both ways, checked by hash', async () => {
    const h = await startPair(async (req, info) => {
      const body = new Uint8Array(await req.arrayBuffer());
      const trailers = await info.trailers;
      const ok = trailers.get('x-sha256') === sha(body);
      const reply = new Uint8Array(3_000_000).map((_, i) => (i * 7) & 0xff);
      return withTrailers(new Response(reply, { headers: { 'x-request-ok': String(ok) } }), { 'x-sha256': sha(reply) });
    });
    try {
      const upload = new Uint8Array(2_000_000).map((_, i) => (i * 13) & 0xff);
      const chunks = new ReadableStream<Uint8Array>({
        start(c) {
          for (let i = 0; i < upload.length; i += 100_000) c.enqueue(upload.subarray(i, i + 100_000));
          c.close();
        },
      });
      const res = await h.client.fetch(h.url('/upload'), { method: 'POST', body: chunks, duplex: 'half', trailers: () => ({ 'x-sha256': sha(upload) }) } as RequestInit);
      expect(res.headers.get('x-request-ok')).toBe('true');
      const body = new Uint8Array(await res.arrayBuffer());
      expect(body.length).toBe(3_000_000);
      expect((await res.trailers).get('x-sha256')).toBe(sha(body));
    } finally {
      await h.close();
    }
  }, 60_000);

  it('cancellation both ways: the client aborts (the handler sees it), the server resets (the client sees its code)', async () => {
    let serverSaw: unknown;
    let sawAbort!: () => void;
    const aborted = new Promise<void>((r) => (sawAbort = r));
    const h = await startPair(async (req) => {
      const path = new URL(req.url).pathname;
      if (path === '/reset') {
        // A body that fails half way: the stream is reset with H3_INTERNAL_ERROR.
        let n = 0;
        return new Response(new ReadableStream({ pull: (c) => (++n > 3 ? c.error(new Error('disk gone')) : c.enqueue(new Uint8Array(10_000))) }));
      }
      req.signal.addEventListener('abort', () => ((serverSaw = req.signal.reason), sawAbort()));
      return new Response(new ReadableStream({ pull: async (c) => (await new Promise((r) => setTimeout(r, 5)), c.enqueue(new Uint8Array(1000))) }));
    });
    try {
      const ac = new AbortController();
      const res = await h.client.fetch(h.url('/endless'), { signal: ac.signal });
      const reader = res.body!.getReader();
      await reader.read();
      ac.abort();
      await expect(reader.read()).rejects.toMatchObject({ name: 'AbortError' });
      await aborted;
      expect(Number((serverSaw as { code?: bigint }).code)).toBe(H3ErrorCode.H3_REQUEST_CANCELLED);

      // The reset may overtake the response HEADERS (RFC 9000 §3.2: a reset stream's data may be discarded): it fails the fetch or the body.
      const e = await h.client.fetch(h.url('/reset')).then(
        (broken) =>
          broken.arrayBuffer().then(
            () => undefined,
            (err: unknown) => err,
          ),
        (err: unknown) => err,
      );
      expect(Http3Error.isInstance(e) && [e.code, e.remote]).toEqual([H3ErrorCode.H3_INTERNAL_ERROR, true]);
      expect((await h.client.fetch(h.url('/reset-free'), { signal: AbortSignal.timeout(5000) }).then((r) => r.body!.getReader().read())).done).toBe(false);
    } finally {
      await h.close();
    }
  }, 60_000);

  it('GOAWAY during load: every request completes, or fails retryable and succeeds when retried on a new connection', async () => {
    let served = 0;
    const h = await startPair(async () => {
      served++;
      await new Promise((r) => setTimeout(r, 20));
      return new Response('done');
    });
    const started = performance.now();
    try {
      const first = await h.client.connection(h.url('/'));
      const outcomes: Array<'ok' | 'retryable' | 'lost'> = [];
      const load = Array.from({ length: 300 }, async (_, i) => {
        try {
          // Sent on the first connection directly, so nothing retries behind our back.
          const r = await first.fetch(h.url(`/${i}`));
          outcomes.push((await r.text()) === 'done' ? 'ok' : 'lost');
        } catch (e) {
          outcomes.push(isRetryable(e) ? 'retryable' : 'lost');
          if (!isRetryable(e)) console.log('lost:', e);
          if (isRetryable(e)) expect(await (await h.client.fetch(h.url(`/${i}`))).text()).toBe('done');
        }
      });
      // GOAWAY while requests are being served (20 of them at least) and more are on their way.
      while (served < 20) await new Promise((r) => setTimeout(r, 2));
      const [serverSide] = h.server.connections;
      await serverSide!.shutdown(); // GOAWAY, drain, H3_NO_ERROR
      await Promise.all(load);
      const count = (k: string) => outcomes.filter((o) => o === k).length;
      console.log(`GOAWAY under load: ${count('ok')} completed on the old connection, ${count('retryable')} retried on a new one`);
      console.log(`(${(performance.now() - started).toFixed(0)} ms)`);
      expect(count('lost')).toBe(0);
      expect(count('ok') + count('retryable')).toBe(300);
      expect(count('ok')).toBeGreaterThan(0);
      expect(count('retryable')).toBeGreaterThan(0);
      expect(served).toBeGreaterThanOrEqual(300);
      expect(first.isClosing).toBe(true);
      // The pool moved on: a new connection serves new requests.
      expect(await (await h.client.fetch(h.url('/after'))).text()).toBe('done');
    } finally {
      await h.close();
    }
  }, 60_000);
});
