/**
 * Test support: a WebTransport server on 127.0.0.1 (port 0) with a
 * certificate in cert-tool's WebTransport profile, the applications the tests
 * run on sessions (echo, server-initiated streams), and stream helpers.
 * Everything a test starts is stopped by `stopAll()`.
 */
import { generateWebTransportCertificate, type WebTransportCertificate } from '@tsquic/cert-tool';
import { serve, type Http3Server } from '@tsquic/http3/node';
import { webTransportServer, type WebTransportRequest, type WebTransportServerOptions, type WebTransportSession } from '../../src/index.js';
import { WebTransport, type WebTransportOptions } from '../../src/node/index.js';

const stops: Array<() => Promise<unknown>> = [];

export async function stopAll(): Promise<void> {
  for (const s of stops.splice(0).reverse()) await s().catch(() => undefined);
}

let certificate: Promise<WebTransportCertificate> | undefined;

/** One certificate per test file (ECDSA P-256, 14 days). */
export function testCertificate(): Promise<WebTransportCertificate> {
  return (certificate ??= generateWebTransportCertificate({ sans: ['127.0.0.1', 'localhost'] }));
}

export interface TestServer {
  readonly server: Http3Server;
  readonly port: number;
  readonly cert: WebTransportCertificate;
  url(path: string): string;
  /** A Node client with the server's certificate hash. */
  client(path: string, options?: WebTransportOptions): WebTransport;
}

/** A server whose `onSession` is the test's; plain HTTP/3 requests get 404. */
export async function startServer(onSession: (request: WebTransportRequest) => void | Promise<void>, options: Omit<WebTransportServerOptions, 'onSession'> = {}): Promise<TestServer> {
  const cert = await testCertificate();
  const server = await serve({ hostname: '127.0.0.1', port: 0, cert: cert.certificate, key: cert.privateKey, extensions: [webTransportServer({ ...options, onSession })] }, () => new Response('not found', { status: 404 }));
  stops.push(() => server.close());
  const url = (path: string): string => `https://127.0.0.1:${server.addr.port}${path}`;
  return {
    server,
    port: server.addr.port,
    cert,
    url,
    client(path, options = {}) {
      const wt = new WebTransport(url(path), { serverCertificateHashes: [cert.hash], ...options });
      stops.push(async () => {
        wt.close();
        await wt.closed.catch(() => undefined);
      });
      return wt;
    },
  };
}

/** The echo application: bidirectional streams echoed, each unidirectional stream answered on a new one, datagrams echoed. */
export function echo(session: WebTransportSession): void {
  void (async () => {
    for await (const b of session.incomingBidirectionalStreams) void b.readable.pipeTo(b.writable).catch(() => undefined);
  })().catch(() => undefined);
  void (async () => {
    for await (const u of session.incomingUnidirectionalStreams)
      void session
        .createUnidirectionalStream()
        .then((w) => u.pipeTo(w))
        .catch(() => undefined);
  })().catch(() => undefined);
  void (async () => {
    const w = session.datagrams.writable.getWriter();
    for await (const d of session.datagrams.readable) await w.write(d);
  })().catch(() => undefined);
}

export async function readAll(readable: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of readable) parts.push(c);
  return Buffer.concat(parts);
}

export async function readText(readable: ReadableStream<Uint8Array>): Promise<string> {
  return new TextDecoder().decode(await readAll(readable));
}

export async function writeAll(writable: WritableStream<Uint8Array>, data: string | Uint8Array, chunk = 64 * 1024): Promise<void> {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  const w = writable.getWriter();
  for (let o = 0; o < bytes.length; o += chunk) await w.write(bytes.subarray(o, o + chunk));
  await w.close();
}

/** `n` bytes of a pattern a test can recognise. */
export function pattern(n: number, seed = 7): Uint8Array {
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = (i * seed + (i >>> 13)) & 0xff;
  return out;
}

/** The error a promise rejects with (fails the test if it resolves). */
export async function rejection(p: Promise<unknown>): Promise<Error & Record<string, unknown>> {
  try {
    await p;
  } catch (e) {
    return e as Error & Record<string, unknown>;
  }
  throw new Error('expected a rejection');
}

/**
 * Sends `text` as a datagram until one comes back on `session` (datagrams are unreliable; loopback
 * loses none in practice), at most 20 tries 200 ms apart; the answer's text, or undefined.
 */
export async function datagramRoundTrip(session: Pick<WebTransportSession, 'datagrams'>, text: (attempt: number) => string): Promise<string | undefined> {
  const w = session.datagrams.writable.getWriter();
  const r = session.datagrams.readable.getReader();
  try {
    for (let i = 0; i < 20; i++) {
      await w.write(new TextEncoder().encode(text(i)));
      const got = await Promise.race([r.read().then((x) => x.value), new Promise<undefined>((res) => setTimeout(res, 200))]);
      if (got) return new TextDecoder().decode(got);
    }
    return undefined;
  } finally {
    w.releaseLock();
    r.releaseLock();
  }
}

/** Writes to `writable` until the peer stops or resets it; the error that ended the writing. */
export function writeUntilStopped(writable: WritableStream<Uint8Array> | WritableStreamDefaultWriter<Uint8Array>): Promise<Error & Record<string, unknown>> {
  const w = writable instanceof WritableStream ? writable.getWriter() : writable;
  return rejection(
    (async () => {
      for (;;) {
        await w.write(new Uint8Array(1000));
        await new Promise((r) => setTimeout(r, 10));
      }
    })(),
  );
}
