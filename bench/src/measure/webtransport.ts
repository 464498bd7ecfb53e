/**
 * @module measure/webtransport
 * WebTransport (draft-02 over HTTP/3, @tsquic/webtransport) against our
 * server on 127.0.0.1: datagram round trips per second (one datagram echoed
 * at a time, for `seconds`) and stream echo throughput (`bytes` each way
 * through one bidirectional echo stream, full duplex), from our Node client
 * and from Debian's Chromium (headless, `serverCertificateHashes` only — the
 * client most WebTransport servers exist for).
 */
import { createServer } from 'node:http';
import { generateWebTransportCertificate, type WebTransportCertificate } from '@tsquic/cert-tool';
import { serve, type Http3Server } from '@tsquic/http3/node';
import { webTransportServer, type WebTransportSession } from '@tsquic/webtransport';
import { WebTransport } from '@tsquic/webtransport/node';
import { startChromium } from '@tsquic/test-support/chromium';

export { CHROMIUM } from '@tsquic/test-support/chromium';

export interface WebTransportFigures {
  /** Datagram round trips per second. */
  datagramRoundTrips: number;
  /** Mbit/s each way through one echo stream. */
  echoMbps: number;
}

/** The echo server: bidirectional streams and datagrams echoed. */
async function echoServer(cert: WebTransportCertificate): Promise<Http3Server> {
  const echo = (s: WebTransportSession): void => {
    void (async () => {
      for await (const b of s.incomingBidirectionalStreams) void b.readable.pipeTo(b.writable).catch(() => undefined);
    })().catch(() => undefined);
    void (async () => {
      const w = s.datagrams.writable.getWriter();
      for await (const d of s.datagrams.readable) await w.write(d);
    })().catch(() => undefined);
  };
  return serve({ hostname: '127.0.0.1', port: 0, cert: cert.certificate, key: cert.privateKey, extensions: [webTransportServer({ onSession: (r) => echo(r.accept()) })] }, () => new Response('', { status: 404 }));
}

/**
 * The measurement loop, written once and run in Node or in the page (it uses only what the W3C API
 * offers). A lost datagram is given up after 200 ms; only completed round trips count.
 */
async function measure(
  wt: {
    ready: Promise<unknown>;
    datagrams: { readable: ReadableStream<Uint8Array>; writable: WritableStream<Uint8Array> };
    createBidirectionalStream(): Promise<{ readable: ReadableStream<Uint8Array>; writable: WritableStream<Uint8Array> }>;
    close(): void;
  },
  seconds: number,
  bytes: number,
): Promise<{ datagramRoundTrips: number; echoMbps: number }> {
  await wt.ready;
  const dw = wt.datagrams.writable.getWriter();
  const dr = wt.datagrams.readable.getReader();
  const payload = new Uint8Array(64);
  let trips = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  while (performance.now() < end) {
    await dw.write(payload);
    const got = await Promise.race([dr.read(), new Promise<undefined>((r) => setTimeout(r, 200))]);
    if (got?.value) trips++;
  }
  const datagramRoundTrips = trips / ((performance.now() - t0) / 1000);
  const b = await wt.createBidirectionalStream();
  const w = b.writable.getWriter();
  const chunk = new Uint8Array(64 * 1024);
  const s0 = performance.now();
  const sending = (async () => {
    for (let o = 0; o < bytes; o += chunk.length) await w.write(chunk.subarray(0, Math.min(chunk.length, bytes - o)));
    await w.close();
  })();
  let received = 0;
  const reader = b.readable.getReader();
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    received += value.length;
  }
  await sending;
  if (received !== bytes) throw new Error(`echoed ${received} of ${bytes} bytes`);
  const echoMbps = (bytes * 8) / 1e6 / ((performance.now() - s0) / 1000);
  wt.close();
  return { datagramRoundTrips, echoMbps };
}

/** Our Node client against our server. */
export async function webTransportOursToOurs(seconds: number, bytes: number): Promise<WebTransportFigures> {
  const cert = await generateWebTransportCertificate({ sans: ['127.0.0.1'] });
  const server = await echoServer(cert);
  try {
    const wt = new WebTransport(`https://127.0.0.1:${server.addr.port}/`, { serverCertificateHashes: [cert.hash] });
    const figures = await measure(wt, seconds, bytes);
    await wt.closed.catch(() => undefined);
    return figures;
  } finally {
    await server.close();
  }
}

/** Chromium against our server (throws when Chromium is not installed). */
export async function webTransportChromiumToOurs(seconds: number, bytes: number): Promise<WebTransportFigures> {
  const cert = await generateWebTransportCertificate({ sans: ['127.0.0.1'] });
  const server = await echoServer(cert);
  const site = createServer((_q, r) => r.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>bench</title>'));
  await new Promise<void>((r) => site.listen(0, '127.0.0.1', r));
  const browser = await startChromium();
  try {
    const page = await browser.open(`http://127.0.0.1:${(site.address() as { port: number }).port}/`);
    const source = measure.toString();
    return await page.evaluate(
      async ({ url, hash, seconds, bytes, source }) => {
        const value = new Uint8Array(hash.match(/../g)!.map((h) => parseInt(h, 16)));
        const run = new Function(`return (${source})`)() as typeof measure;
        return run(new WebTransport(url, { serverCertificateHashes: [{ algorithm: 'sha-256', value }] }), seconds, bytes);
      },
      { url: `https://127.0.0.1:${server.addr.port}/`, hash: Buffer.from(cert.hash.value).toString('hex'), seconds, bytes, source },
    );
  } finally {
    await browser.stop();
    site.close();
    await server.close();
  }
}
