/**
 * Real Chromium (Debian's 156, headless, no switch that touches QUIC or
 * certificates) against our server on 127.0.0.1: the page calls
 * `new WebTransport(url, { serverCertificateHashes })` with the hash of a
 * certificate from cert-tool's WebTransport profile — no
 * --origin-to-force-quic-on, no SPKI list — and echoes on a bidirectional
 * stream, on unidirectional streams both ways and on datagrams, moves 10 MB
 * each way byte-identical, receives server-initiated streams, sees the close
 * code and reason the server chose (and the server sees the page's), and is
 * refused cleanly for a path the server does not serve.
 */
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isOriginAllowed, type WebTransportSession } from '../src/index.js';
import { startChromium, type RunningChromium } from '@tsquic/test-support/chromium';
import { pageServer } from './support/page-server.js';
import { echo, readText, startServer, stopAll, writeAll, type TestServer } from './support/servers.js';

let browser: RunningChromium;
let site: Awaited<ReturnType<typeof pageServer>>;
let srv: TestServer;
let page: Page;
let hash: string;
const closedByPage: Array<Promise<unknown>> = [];

beforeAll(async () => {
  site = await pageServer('<!doctype html><meta charset="utf-8"><title>WebTransport tests</title><p>WebTransport tests</p>');
  srv = await startServer((req) => {
    // The page's origin only (draft §3.2: the server checks Origin).
    if (!isOriginAllowed(req, [site.origin], { requireOrigin: true })) return void req.reject(403);
    if (req.path === '/echo') return serveEcho(req.accept());
    if (req.path === '/close') return void closeAfterFirstStream(req.accept());
    if (req.path === '/page-closes') return void closedByPage.push(req.accept().closed);
    void req.reject(404);
  });
  hash = Buffer.from(srv.cert.hash.value).toString('hex');
  browser = await startChromium();
  page = await browser.open(site.url);
}, 60_000);

afterAll(async () => {
  await browser?.stop();
  await site?.close();
  await stopAll();
});

function serveEcho(s: WebTransportSession): void {
  echo(s);
  void (async () => {
    await s.ready;
    await writeAll(await s.createUnidirectionalStream(), 'pushed by the server');
    const b = await s.createBidirectionalStream();
    await writeAll(b.writable, 'asked by the server');
    expect(await readText(b.readable)).toBe('answered by the page');
  })().catch(() => undefined);
}

async function closeAfterFirstStream(s: WebTransportSession): Promise<void> {
  for await (const b of s.incomingBidirectionalStreams) {
    await readText(b.readable);
    s.close({ closeCode: 4242, reason: 'the server chose this ✓' });
  }
}

/** What the page sees when Chromium 156 loses a clean close by the server (CHROMIUM.md). */
const CHROMIUM_CLOSE_RACE = 'WebTransportError (session): Connection lost.';

/** Runs `fn` in the page with the server's base URL and certificate hash (hex). */
function inPage<T>(fn: (args: { base: string; hash: string }) => Promise<T>): Promise<T> {
  return page.evaluate(fn, { base: `https://127.0.0.1:${srv.port}`, hash });
}

describe('Chromium 156, no flags, serverCertificateHashes only', () => {
  it("echoes on streams of both kinds and on datagrams, and takes the server's streams", async () => {
    const result = await inPage(async ({ base, hash }) => {
      const value = new Uint8Array(hash.match(/../g)!.map((h) => parseInt(h, 16)));
      const text = async (r: ReadableStream<Uint8Array>): Promise<string> => {
        let t = '';
        for await (const c of r as unknown as AsyncIterable<Uint8Array>) t += new TextDecoder().decode(c);
        return t;
      };
      const send = async (w: WritableStream<Uint8Array>, t: string): Promise<void> => {
        const writer = w.getWriter();
        await writer.write(new TextEncoder().encode(t));
        await writer.close();
      };
      const wt = new WebTransport(`${base}/echo`, { serverCertificateHashes: [{ algorithm: 'sha-256', value }] });
      await wt.ready;
      const bidi = await wt.createBidirectionalStream();
      await send(bidi.writable, 'bidirectional');
      const bidiEcho = await text(bidi.readable);
      await send(await wt.createUnidirectionalStream(), 'unidirectional');
      const unis = wt.incomingUnidirectionalStreams.getReader();
      const uniTexts = [await text((await unis.read()).value!), await text((await unis.read()).value!)].sort();
      const serverBidi = (await wt.incomingBidirectionalStreams.getReader().read()).value!;
      const asked = await text(serverBidi.readable);
      await send(serverBidi.writable, 'answered by the page');
      const dw = wt.datagrams.writable.getWriter();
      const dr = wt.datagrams.readable.getReader();
      let datagram = '';
      for (let i = 0; i < 20 && !datagram; i++) {
        await dw.write(new TextEncoder().encode(`datagram ${i}`));
        const got = await Promise.race([dr.read(), new Promise<undefined>((r) => setTimeout(r, 200))]);
        if (got?.value) datagram = new TextDecoder().decode(got.value);
      }
      wt.close();
      return { bidiEcho, uniTexts, asked, datagram };
    });
    expect(result).toEqual({ bidiEcho: 'bidirectional', uniTexts: ['pushed by the server', 'unidirectional'], asked: 'asked by the server', datagram: expect.stringMatching(/^datagram \d+$/) });
  });

  it('moves 10 MB each way byte-identical', async () => {
    const result = await inPage(async ({ base, hash }) => {
      const value = new Uint8Array(hash.match(/../g)!.map((h) => parseInt(h, 16)));
      const wt = new WebTransport(`${base}/echo`, { serverCertificateHashes: [{ algorithm: 'sha-256', value }] });
      await wt.ready;
      const size = 10 * 1024 * 1024;
      const byte = (i: number): number => (i * 7 + (i >>> 13)) & 0xff;
      const data = new Uint8Array(size);
      for (let i = 0; i < size; i++) data[i] = byte(i);
      const t0 = performance.now();
      const b = await wt.createBidirectionalStream();
      const w = b.writable.getWriter();
      const sending = (async () => {
        for (let o = 0; o < size; o += 64 * 1024) await w.write(data.subarray(o, o + 64 * 1024));
        await w.close();
      })();
      let received = 0;
      let mismatches = 0;
      for await (const c of b.readable as unknown as AsyncIterable<Uint8Array>) {
        for (let i = 0; i < c.length; i++) if (c[i] !== byte(received + i)) mismatches++;
        received += c.length;
      }
      await sending;
      const ms = performance.now() - t0;
      wt.close();
      return { received, mismatches, ms };
    });
    expect(result.received).toBe(10 * 1024 * 1024);
    expect(result.mismatches).toBe(0);
    console.log(`Chromium: 10 MB each way through an echo stream in ${result.ms.toFixed(0)} ms (loopback, shared machine)`);
  });

  it("sees the close code and reason the server chose; the server sees the page's", async () => {
    const serverCloses = () =>
      inPage(async ({ base, hash }) => {
        const value = new Uint8Array(hash.match(/../g)!.map((h) => parseInt(h, 16)));
        const wt = new WebTransport(`${base}/close`, { serverCertificateHashes: [{ algorithm: 'sha-256', value }] });
        await wt.ready;
        const w = (await wt.createBidirectionalStream()).writable.getWriter();
        await w.write(new TextEncoder().encode('close, please'));
        await w.close();
        return wt.closed.then(
          (info) => ({ info }),
          (e: { name: string; message: string; source: string }) => ({ error: `${e.name} (${e.source}): ${e.message}` }),
        );
      });
    // Chromium 156 reports about 1 in 100 clean server closes as a lost connection: when our ACK of its FIN on
    // the CONNECT stream is read before its own posted CLOSED transition (CHROMIUM.md, "A clean close by the
    // server seen as Connection lost"); the window is widest on a loaded machine. That outcome, and only that
    // one, is repeated, at most twice.
    let closed = await serverCloses();
    for (let attempt = 2; attempt <= 3 && 'error' in closed && closed.error === CHROMIUM_CLOSE_RACE; attempt++) {
      console.log(`Chromium's close race (CHROMIUM.md) on server close ${attempt - 1}; repeated`);
      closed = await serverCloses();
    }
    expect(closed).toEqual({ info: { closeCode: 4242, reason: 'the server chose this ✓' } });
    await inPage(async ({ base, hash }) => {
      const value = new Uint8Array(hash.match(/../g)!.map((h) => parseInt(h, 16)));
      const wt = new WebTransport(`${base}/page-closes`, { serverCertificateHashes: [{ algorithm: 'sha-256', value }] });
      await wt.ready;
      wt.close({ closeCode: 77, reason: 'the page is done' });
      await wt.closed;
    });
    expect(await closedByPage[0]).toEqual({ closeCode: 77, reason: 'the page is done' });
  });

  it('is refused cleanly for a path the server does not serve', async () => {
    const refused = await inPage(async ({ base, hash }) => {
      const value = new Uint8Array(hash.match(/../g)!.map((h) => parseInt(h, 16)));
      const wt = new WebTransport(`${base}/not-served`, { serverCertificateHashes: [{ algorithm: 'sha-256', value }] });
      const ready = await wt.ready.then(
        () => 'ready',
        (e: { name: string; source: string }) => `${e.name} ${e.source}`,
      );
      const closed = await wt.closed.then(
        () => 'closed',
        (e: { name: string; source: string }) => `${e.name} ${e.source}`,
      );
      return { ready, closed };
    });
    expect(refused).toEqual({ ready: 'WebTransportError session', closed: 'WebTransportError session' });
    // And the server serves the next session as before.
    const again = await inPage(async ({ base, hash }) => {
      const value = new Uint8Array(hash.match(/../g)!.map((h) => parseInt(h, 16)));
      const wt = new WebTransport(`${base}/echo`, { serverCertificateHashes: [{ algorithm: 'sha-256', value }] });
      await wt.ready;
      wt.close();
      return 'ready';
    });
    expect(again).toBe('ready');
  });
});
