/**
 * A hostile client against our server, built on @tsquic/http3's client seam
 * so that it can put on the wire what a well-behaved client never would:
 * streams for sessions that do not exist, session IDs that cannot be ones,
 * oversized capsules, datagram floods, more sessions than allowed, and
 * session requests without WebTransport's SETTINGS. Each case checks what
 * the server closes or resets, with which code, and that it closes only that
 * (the connection, the session, the stream) — a fresh session still works.
 */
import { H3ErrorCode, Http3Connection, type Http3Extension, type Http3ExtensionHost } from '@tsquic/http3';
import { createClient, type Http3Client } from '@tsquic/http3/node';
import type { QuicConnection } from '@tsquic/quic-transport';
import { afterEach, describe, expect, it } from 'vitest';
import { CapsuleType, connectSession, encodeSessionId, webTransportClient, WebTransportErrorCode, type WebTransportSession } from '../src/index.js';
import { echo, readText, rejection, startServer, stopAll, writeAll, writeUntilStopped, type TestServer } from './support/servers.js';

const clients: Http3Client[] = [];
afterEach(async () => {
  for (const c of clients.splice(0)) await c.close().catch(() => undefined);
  await stopAll();
});

/** An HTTP/3 client whose connections carry `extensions` (WebTransport's settings by default) and QUIC datagrams. */
async function rawConnection(srv: TestServer, extensions: Http3Extension[] = [webTransportClient()]): Promise<Http3Connection> {
  const client = createClient({ extensions, verifyPeer: 'none', transport: { maxDatagramFrameSize: 65535 } });
  clients.push(client);
  return client.connection(srv.url('/'));
}

/** The server's sessions, as they are accepted. */
function echoServer(options: { maxSessions?: number; maxBufferedStreams?: number } = {}): Promise<TestServer & { sessions: WebTransportSession[] }> {
  const sessions: WebTransportSession[] = [];
  return startServer((req) => {
    const s = req.accept();
    sessions.push(s);
    echo(s);
  }, options).then((srv) => Object.assign(srv, { sessions }));
}

/** A session works end to end on a fresh connection: the endpoint still serves. */
async function stillServes(srv: TestServer): Promise<void> {
  const wt = srv.client('/');
  const b = await wt.createBidirectionalStream();
  await writeAll(b.writable, 'still serving');
  expect(await readText(b.readable)).toBe('still serving');
  wt.close();
}

/** The application code a peer's reset or stop carried (bigint), from a stream operation that failed. */
async function resetCode(p: Promise<unknown>): Promise<bigint | undefined> {
  const e = await rejection(p);
  return typeof e.code === 'bigint' ? e.code : undefined;
}

describe('a hostile client', () => {
  it('streams for a session that never comes are held up to the limit, the rest reset with WT_BUFFERED_STREAM_REJECTED', async () => {
    const srv = await echoServer({ maxBufferedStreams: 4 });
    const conn = await rawConnection(srv);
    const streams = await Promise.all(Array.from({ length: 6 }, () => conn.createBidirectionalStream(0x41n, encodeSessionId(400n))));
    // The first four wait (the session could still come); the last two are refused at once.
    const codes = await Promise.all(streams.slice(4).map((s) => resetCode(s.readable.getReader().read())));
    expect(codes).toEqual([WebTransportErrorCode.WT_BUFFERED_STREAM_REJECTED, WebTransportErrorCode.WT_BUFFERED_STREAM_REJECTED]);
    const uni = await conn.createUnidirectionalStream(0x54n, encodeSessionId(404n));
    expect((await writeUntilStopped(uni)).code).toBe(WebTransportErrorCode.WT_BUFFERED_STREAM_REJECTED);
    // The connection itself is fine: a real session on it works.
    const s = connectSession(conn, srv.url('/'));
    const b = await s.createBidirectionalStream();
    await writeAll(b.writable, 'on the same connection');
    expect(await readText(b.readable)).toBe('on the same connection');
    await stillServes(srv);
  });

  it('a stream that arrives before its session is established is held, then delivered to the session (§4.6)', async () => {
    const early: Promise<string>[] = [];
    const srv = await startServer((req) => {
      const s = req.accept();
      early.push(
        s.incomingUnidirectionalStreams
          .getReader()
          .read()
          .then(({ value }) => readText(value!)),
      );
    });
    const conn = await rawConnection(srv);
    // Stream 0 will carry the session's CONNECT: a stream for session 0, written and acknowledged before the request.
    await writeAll(await conn.createUnidirectionalStream(0x54n, encodeSessionId(0n)), 'before the session');
    const s = connectSession(conn, srv.url('/'));
    await s.ready;
    // Before: the server added the session to its registry before binding it, so the held stream met a session not
    // yet usable and was reset with WT_SESSION_GONE.
    expect(await early[0]).toBe('before the session');
  });

  it('a stream for a session that ended is reset at once (H3_CONNECT_ERROR, draft-02 §5)', async () => {
    const srv = await echoServer();
    const conn = await rawConnection(srv);
    const s = connectSession(conn, srv.url('/'));
    await s.ready;
    s.close({ closeCode: 0, reason: '' });
    await s.closed;
    // Until the server has seen the close, a stream for the session is still one for a live session.
    await srv.sessions[0]!.closed.catch(() => undefined);
    const late = await conn.createBidirectionalStream(0x41n, encodeSessionId(0n));
    expect(await resetCode(late.readable.getReader().read())).toBe(BigInt(H3ErrorCode.H3_CONNECT_ERROR));
  });

  it('a session ID that is not a client-initiated bidirectional stream closes the connection with H3_ID_ERROR', async () => {
    const srv = await echoServer();
    const conn = await rawConnection(srv);
    const s = connectSession(conn, srv.url('/'));
    await s.ready;
    await conn.createUnidirectionalStream(0x54n, encodeSessionId(2n));
    // The QUIC connection's close (an application close: resolved, or rejected with the same information).
    const quic = conn.session as unknown as QuicConnection;
    const info = await quic.closed.then(
      (i) => i,
      (e: { info: unknown }) => e.info,
    );
    expect(info).toMatchObject({ code: BigInt(H3ErrorCode.H3_ID_ERROR), remote: true });
    await expect(s.closed).rejects.toMatchObject({ name: 'WebTransportError', source: 'session' });
    expect(srv.sessions[0]!.state).toBe('failed');
    await stillServes(srv);
  });

  it('an oversized close capsule resets the CONNECT stream with H3_MESSAGE_ERROR and ends only that session', async () => {
    const srv = await echoServer();
    const conn = await rawConnection(srv);
    const good = connectSession(conn, srv.url('/good'));
    await good.ready;
    const bad = await conn.connect({ protocol: 'webtransport', url: srv.url('/bad'), headers: { 'sec-webtransport-http3-draft02': '1' } });
    expect(bad.status).toBe(200);
    const capsules = bad.tunnel.capsules();
    const w = capsules.writable.getWriter();
    // §5: at most 1024 bytes of message; this one has 5000.
    await w.write({ type: CapsuleType.CLOSE_WEBTRANSPORT_SESSION, value: new Uint8Array(4 + 5000).fill(0x61) });
    expect(await resetCode(capsules.readable.getReader().read())).toBe(BigInt(H3ErrorCode.H3_MESSAGE_ERROR));
    await expect(srv.sessions[1]!.closed).rejects.toMatchObject({ source: 'session' });
    // The other session on the connection goes on.
    const b = await good.createBidirectionalStream();
    await writeAll(b.writable, 'unaffected');
    expect(await readText(b.readable)).toBe('unaffected');
    expect(srv.sessions[0]!.state).toBe('connected');
  });

  it('a datagram flood is dropped beyond a bounded queue; the session and the server go on', async () => {
    const taken: WebTransportSession[] = [];
    // The flooded session's application reads no datagrams; other sessions echo.
    const flooded = await startServer((req) => {
      const s = req.accept();
      if (req.path === '/flood') taken.push(s);
      else echo(s);
    });
    const conn = await rawConnection(flooded);
    const response = await conn.connect({ protocol: 'webtransport', url: flooded.url('/flood'), headers: { 'sec-webtransport-http3-draft02': '1' } });
    const w = response.tunnel.datagrams.writable.getWriter();
    const payload = new Uint8Array(1000);
    for (let i = 0; i < 5000; i++) await w.write(payload).catch(() => undefined);
    await new Promise((r) => setTimeout(r, 300));
    // Nobody read them: at most the queue (64 at HTTP/3, and none held by the session itself) is there now.
    const session = taken[0]!;
    const reader = session.datagrams.readable.getReader();
    let queued = 0;
    for (;;) {
      const next = await Promise.race([reader.read(), new Promise<undefined>((r) => setTimeout(r, 100))]);
      if (!next || next.done) break;
      queued++;
    }
    expect(queued).toBeGreaterThan(0);
    expect(queued).toBeLessThanOrEqual(64);
    expect(session.state).toBe('connected');
    await stillServes(flooded);
  });

  it('more sessions than allowed on one connection are answered 429', async () => {
    const srv = await echoServer({ maxSessions: 2 });
    const conn = await rawConnection(srv);
    const sessions = [0, 1, 2].map((i) => connectSession(conn, srv.url(`/${i}`)));
    await sessions[0]!.ready;
    await sessions[1]!.ready;
    expect(await rejection(sessions[2]!.ready)).toMatchObject({ source: 'session', message: 'the server refused the session with status 429' });
    // One ends, and there is room again.
    sessions[0]!.close();
    await sessions[0]!.closed;
    // Until the server has seen that close, the connection still has two sessions.
    await Promise.race(srv.sessions.map((s) => s.closed.catch(() => undefined)));
    await connectSession(conn, srv.url('/3')).ready;
  });

  it('a session request from a client that did not enable WebTransport in its SETTINGS is answered 400', async () => {
    const srv = await echoServer();
    const plain: Http3Extension = { name: 'datagrams only', datagrams: true };
    const conn = await rawConnection(srv, [plain]);
    const response = await conn.connect({ protocol: 'webtransport', url: srv.url('/'), headers: { 'sec-webtransport-http3-draft02': '1' } });
    expect(response.status).toBe(400);
    expect(await readText(response.tunnel.readable)).toBe("WebTransport needs SETTINGS_ENABLE_WEBTRANSPORT in the client's SETTINGS");
    await stillServes(srv);
  });

  it('our client refuses a server without WebTransport in its SETTINGS', async () => {
    // A plain HTTP/3 server (extended CONNECT for another protocol only, no SETTINGS_ENABLE_WEBTRANSPORT).
    const cert = (await echoServer()).cert;
    const { serve } = await import('@tsquic/http3/node');
    const other: Http3Extension = { name: 'other', connectProtocols: ['other'], datagrams: true, attach: (h: Http3ExtensionHost) => h.onConnect('other', (r) => void r.reject({ status: 404 })) };
    const server = await serve({ hostname: '127.0.0.1', port: 0, cert: cert.certificate, key: cert.privateKey, extensions: [other] }, () => new Response('', { status: 404 }));
    try {
      const client = createClient({ extensions: [webTransportClient()], verifyPeer: 'none', transport: { maxDatagramFrameSize: 65535 } });
      clients.push(client);
      const conn = await client.connection(`https://127.0.0.1:${server.addr.port}/`);
      const s = connectSession(conn, `https://127.0.0.1:${server.addr.port}/`);
      expect(await rejection(s.ready)).toMatchObject({ source: 'session', message: 'the server does not support WebTransport (no SETTINGS_ENABLE_WEBTRANSPORT in its SETTINGS)' });
    } finally {
      await server.close();
    }
  });
});
