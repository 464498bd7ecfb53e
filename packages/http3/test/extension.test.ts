/**
 * The extension seam (what WebTransport builds on): settings, claimed
 * unidirectional stream types and bidirectional signals, extended CONNECT
 * (RFC 9220) with the stream kept as a tunnel, HTTP datagrams (RFC 9297 §2.1)
 * and capsules (RFC 9297 §3), streams opened with a prefix.
 */
import { describe, expect, it } from 'vitest';
import { CapsuleType, encodeCapsule } from '../src/capsule.js';
import { Http3Connection } from '../src/connection.js';
import { H3ErrorCode, Http3Error } from '../src/errors.js';
import type { ConnectRequest, Http3Extension, Http3ExtensionHost, Http3Stream, Http3Tunnel } from '../src/extension.js';
import { encodeFrame, FrameType } from '../src/frames.js';
import { memorySessionPair } from './support/memory-session.js';
import { codeOf, collect, concat, headersFrame, nextUniStream, openControl, readAtLeast, rejection, varint } from './support/raw-peer.js';

const WT_ENABLE = 0x2b603742n;
const WT_MAX_SESSIONS = 0x14e9cd29n;
const CLOSE_SESSION = 0x2843n;
const DRAIN_SESSION = 0x78aen;
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const bytes = (s: string) => new TextEncoder().encode(s);

/** A WebTransport-like test extension recording what reaches it. */
function testExtension(side: 'client' | 'server') {
  const seen = { uni: [] as ReadableStream<Uint8Array>[], bidi: [] as Http3Stream[], connects: [] as ConnectRequest[], goaways: [] as bigint[], hosts: [] as Http3ExtensionHost[] };
  const ext: Http3Extension = {
    name: 'test-wt',
    settings: [
      [WT_ENABLE, 1n],
      [WT_MAX_SESSIONS, side === 'server' ? 4n : 1n],
    ],
    datagrams: true,
    connectProtocols: side === 'server' ? ['webtransport'] : [],
    attach(conn) {
      seen.hosts.push(conn);
      conn.onUnidirectionalStream(0x54n, (s) => seen.uni.push(s));
      conn.onBidirectionalStream(0x41n, (s) => seen.bidi.push(s));
      conn.onGoaway((id) => seen.goaways.push(id));
      if (side === 'server') conn.onConnect('webtransport', (r) => void seen.connects.push(r));
    },
  };
  return { ext, seen };
}

async function until<T>(f: () => T | undefined, ms = 2000): Promise<T> {
  for (const end = Date.now() + ms; Date.now() < end; await new Promise((r) => setTimeout(r, 2))) {
    const v = f();
    if (v !== undefined) return v;
  }
  throw new Error('timed out waiting');
}

function start() {
  const [c, s] = memorySessionPair({ maxDatagramSize: 1200 });
  const serverExt = testExtension('server');
  const clientExt = testExtension('client');
  const server = Http3Connection.server(s, () => new Response('plain'), { extensions: [serverExt.ext] });
  const client = Http3Connection.client(c, { extensions: [clientExt.ext] });
  return { c, s, server, client, serverSeen: serverExt.seen, clientSeen: clientExt.seen };
}

describe('(1) settings', () => {
  it('adds the extensions\u2019 settings, ENABLE_CONNECT_PROTOCOL and H3_DATAGRAM to SETTINGS; each side reads the peer\u2019s', async () => {
    const { server, client } = start();
    expect(server.localSettings.get(WT_MAX_SESSIONS)).toBe(4n);
    expect(server.localSettings.get(0x08n)).toBe(1n);
    expect(server.localSettings.get(0x33n)).toBe(1n);
    expect(client.localSettings.has(0x08n)).toBe(false); // a client does not enable extended CONNECT
    expect((await client.peerSettings).get(WT_ENABLE)).toBe(1n);
    expect((await server.peerSettings).get(WT_MAX_SESSIONS)).toBe(1n);
  });

  it('attach runs before any stream is read, once per connection, and ordinary requests still work beside it', async () => {
    const { client, serverSeen, clientSeen } = start();
    expect(serverSeen.hosts).toHaveLength(1);
    expect(clientSeen.hosts[0]).toBe(client);
    expect(await (await client.fetch('https://a.test/')).text()).toBe('plain');
  });

  it('refuses to claim HTTP/3\u2019s own stream types and frame types', () => {
    const { client } = start();
    expect(() => client.onUnidirectionalStream(0x02, () => undefined)).toThrow(TypeError);
    expect(() => client.onBidirectionalStream(0x01, () => undefined)).toThrow(TypeError);
    expect(() => client.onConnect('x', () => undefined)).toThrow(TypeError);
  });
});

describe('(2), (3), (6) streams by type and signal, opened with a prefix', () => {
  it('a unidirectional stream of a claimed type reaches the extension after its type, with the prefix the opener wrote', async () => {
    const { client, serverSeen } = start();
    const w = (await client.createUnidirectionalStream(0x54n, varint(0))).getWriter();
    await w.write(bytes('uni payload'));
    await w.close();
    const stream = await until(() => serverSeen.uni[0]);
    expect(text(await collect(stream))).toBe(`${String.fromCharCode(0)}uni payload`);
  });

  it('a bidirectional stream with a claimed signal reaches the server\u2019s extension after the signal, both ways', async () => {
    const { client, serverSeen } = start();
    const s = await client.createBidirectionalStream(0x41n, varint(0));
    expect(s.id % 4n).toBe(0n);
    const w = s.writable.getWriter();
    await w.write(bytes('ping'));
    await w.close();
    const got = await until(() => serverSeen.bidi[0]);
    expect(got.id).toBe(s.id);
    expect(text(await collect(got.readable))).toBe('\u0000ping');
    const back = got.writable.getWriter();
    await back.write(bytes('pong'));
    await back.close();
    expect(text(await collect(s.readable))).toBe('pong');
  });

  it('a server-initiated bidirectional stream with a claimed signal reaches the client (otherwise H3_STREAM_CREATION_ERROR)', async () => {
    const { server, clientSeen } = start();
    const s = await server.createBidirectionalStream(0x41n, varint(4));
    expect(s.id % 4n).toBe(1n);
    await s.writable.getWriter().write(bytes('from server'));
    const got = await until(() => clientSeen.bidi[0]);
    expect(text(await readAtLeast(got.readable, 12))).toBe('\u0004from server');
  });

  it('an extension can abort a claimed stream with its own code', async () => {
    const { client, serverSeen } = start();
    const s = await client.createBidirectionalStream(0x41n, varint(0));
    const got = await until(() => serverSeen.bidi[0]);
    got.abort(0x52e4a40fn);
    expect(codeOf(await rejection(collect(s.readable)))).toBe(0x52e4a40f);
  });
});

describe('(4), (5) extended CONNECT, capsules and datagrams', () => {
  async function session(status = 200) {
    const t = start();
    const response = t.client.connect({ protocol: 'webtransport', url: 'https://a.test/chat?room=1', headers: { origin: 'https://a.test', 'sec-webtransport-http3-draft': 'draft02' } });
    const request = await until(() => t.serverSeen.connects[0]);
    return { ...t, request, response, status };
  }

  it('the server\u2019s extension gets the CONNECT (protocol, URL, headers) and accepts it; both sides hold the tunnel', async () => {
    const { request, response, server, client } = await session();
    expect([request.protocol, request.scheme, request.authority, request.path, request.url]).toEqual(['webtransport', 'https', 'a.test', '/chat?room=1', 'https://a.test/chat?room=1']);
    expect(request.headers.get('origin')).toBe('https://a.test');
    expect(request.connection).toBe(server);
    const serverTunnel = await request.accept({ headers: { 'sec-webtransport-http3-draft': 'draft02' } });
    const r = await response;
    expect([r.status, r.ok, r.headers.get('sec-webtransport-http3-draft')]).toEqual([200, true, 'draft02']);
    expect(r.tunnel.streamId).toBe(request.streamId);
    // Data both ways over the request stream (DATA frames).
    const cw = r.tunnel.writable.getWriter();
    await cw.write(bytes('hello server'));
    expect(text(await readAtLeast(serverTunnel.readable, 12))).toBe('hello server');
    const sw = serverTunnel.writable.getWriter();
    await sw.write(bytes('hello client'));
    expect(text(await readAtLeast(r.tunnel.readable, 12))).toBe('hello client');
    expect(server.activeRequests).toBe(1); // a tunnel counts as a request in flight
    expect(client.tunnels.size).toBe(1);
  });

  it('capsules both ways; unwanted types skipped; DATAGRAM capsules become HTTP datagrams', async () => {
    const { request, response } = await session();
    const serverTunnel = await request.accept();
    const { tunnel } = await response;
    const clientCapsules = tunnel.capsules();
    const serverCapsules = serverTunnel.capsules({ types: [CLOSE_SESSION, DRAIN_SESSION] });
    const w = clientCapsules.writable.getWriter();
    await w.write({ type: 0x1fn * 3n + 0x21n, value: new Uint8Array(5000) }); // a reserved type: skipped unread
    await w.write({ type: CapsuleType.DATAGRAM, value: bytes('dg via capsule') });
    await w.write({ type: DRAIN_SESSION, value: new Uint8Array(0) });
    await w.write({ type: CLOSE_SESSION, value: concat(new Uint8Array([0, 0, 1, 0]), bytes('bye')) });
    await w.close();
    const r = serverCapsules.readable.getReader();
    expect(await r.read()).toEqual({ done: false, value: { type: DRAIN_SESSION, value: new Uint8Array(0) } });
    const close = await r.read();
    expect(close.value?.type).toBe(CLOSE_SESSION);
    expect(text(close.value!.value.subarray(4))).toBe('bye');
    expect((await r.read()).done).toBe(true);
    const dg = await serverTunnel.datagrams.readable.getReader().read();
    expect(text(dg.value!)).toBe('dg via capsule');
  });

  it('a malformed capsule stream (truncated at FIN) resets the stream with H3_MESSAGE_ERROR (RFC 9297 §3.3)', async () => {
    const { request, response } = await session();
    const serverTunnel = await request.accept();
    const { tunnel } = await response;
    const w = tunnel.writable.getWriter();
    await w.write(encodeCapsule(CLOSE_SESSION, new Uint8Array(10)).subarray(0, 6));
    await w.close();
    const e = await rejection(serverTunnel.capsules().readable.getReader().read());
    expect(Http3Error.isInstance(e) && e.code).toBe(H3ErrorCode.H3_MESSAGE_ERROR);
    expect(codeOf(await rejection(collect(tunnel.readable)))).toBe(H3ErrorCode.H3_MESSAGE_ERROR);
  });

  it('HTTP datagrams with the quarter stream ID, both ways, routed to the right tunnel', async () => {
    const t = start();
    const responses = [0, 1].map(() => t.client.connect({ protocol: 'webtransport', url: 'https://a.test/' }));
    const requests = [await until(() => t.serverSeen.connects[0]), await until(() => t.serverSeen.connects[1])];
    const serverTunnels = await Promise.all(requests.map((r) => r.accept()));
    const clientTunnels = (await Promise.all(responses)).map((r) => r.tunnel);
    expect(clientTunnels[1]!.datagrams.maxDatagramSize).toBe(1200 - 1);
    const dw = clientTunnels[1]!.datagrams.writable.getWriter();
    await dw.write(bytes('to tunnel 2'));
    const got = await serverTunnels[1]!.datagrams.readable.getReader().read();
    expect(text(got.value!)).toBe('to tunnel 2');
    await serverTunnels[0]!.datagrams.writable.getWriter().write(bytes('to tunnel 1'));
    expect(text((await clientTunnels[0]!.datagrams.readable.getReader().read()).value!)).toBe('to tunnel 1');
    // On the wire: the quarter stream ID of stream 4 (1), then the payload.
    expect(t.c.datagramsSent).toBe(1);
    await expect(dw.write(new Uint8Array(1200))).rejects.toThrow(RangeError);
  });

  it('a datagram with a quarter stream ID above 2^60 - 1 closes the connection with H3_DATAGRAM_ERROR', async () => {
    const t = start();
    await t.client.peerSettings;
    await t.c.datagrams.writable.getWriter().write(new Uint8Array([0xd0, 0, 0, 0, 0, 0, 0, 0]));
    expect(Number((await t.s.closed).closeCode)).toBe(H3ErrorCode.H3_DATAGRAM_ERROR);
  });

  it('rejection: a non-2xx answer ends the stream and the client reads its body', async () => {
    const { request, response } = await session();
    await request.reject({ status: 403, body: 'origin not allowed' });
    const r = await response;
    expect([r.status, r.ok]).toEqual([403, false]);
    expect(text(await collect(r.tunnel.readable))).toBe('origin not allowed');
  });

  it('a protocol nobody serves is answered 501; a client does not send :protocol unless the server enabled it', async () => {
    const [c, s] = memorySessionPair();
    Http3Connection.server(s, () => new Response('x'), { extensions: [{ name: 'other', connectProtocols: ['other'], attach: (h) => h.onConnect('other', () => undefined) }] });
    const client = Http3Connection.client(c);
    expect((await client.connect({ protocol: 'webtransport', url: 'https://a/' })).status).toBe(501);
    const [c2, s2] = memorySessionPair();
    Http3Connection.server(s2, () => new Response('x'));
    await expect(Http3Connection.client(c2).connect({ protocol: 'webtransport', url: 'https://a/' })).rejects.toThrow(/does not support extended CONNECT/);
  });

  it('a handler that throws before answering gets 500', async () => {
    const [c, s] = memorySessionPair();
    const fail = async (): Promise<void> => {
      throw new Error('boom');
    };
    Http3Connection.server(s, () => new Response('x'), { extensions: [{ name: 'x', connectProtocols: ['p'], attach: (h) => h.onConnect('p', fail) }] });
    expect((await Http3Connection.client(c).connect({ protocol: 'p', url: 'https://a/' })).status).toBe(500);
  });

  it('the peer\u2019s GOAWAY reaches the extension, and a graceful shutdown waits for open tunnels', async () => {
    const { request, response, server, clientSeen } = await session();
    const serverTunnel = await request.accept();
    const { tunnel } = await response;
    let shutDown = false;
    const done = server.shutdown().then(() => (shutDown = true));
    expect(await until(() => clientSeen.goaways[0])).toBe(4n);
    await new Promise((r) => setTimeout(r, 20));
    expect(shutDown).toBe(false);
    await tunnel.writable.close();
    await serverTunnel.writable.close();
    await collect(serverTunnel.readable);
    await done;
    expect(shutDown).toBe(true);
  });
});

describe('raw bytes of the tunnel on the wire', () => {
  it('after a 2xx the request stream carries DATA frames; an unknown frame in between is skipped', async () => {
    const [c, s] = memorySessionPair();
    let tunnel!: Http3Tunnel;
    Http3Connection.server(s, () => new Response('x'), {
      extensions: [{ name: 'echo', connectProtocols: ['echo'], attach: (h) => h.onConnect('echo', async (r) => void (tunnel = await r.accept())) }],
    });
    await nextUniStream(c); // the server's control stream carries ENABLE_CONNECT_PROTOCOL
    await openControl(c);
    const stream = await c.createBidirectionalStream();
    const w = stream.writable.getWriter();
    await w.write(
      headersFrame([
        [':method', 'CONNECT'],
        [':protocol', 'echo'],
        [':scheme', 'https'],
        [':authority', 'a'],
        [':path', '/'],
      ]),
    );
    await until(() => tunnel);
    await w.write(concat(encodeFrame(FrameType.DATA, bytes('ab')), encodeFrame(0x21, bytes('zz')), encodeFrame(FrameType.DATA, bytes('cd'))));
    await w.close();
    expect(text(await collect(tunnel.readable))).toBe('abcd');
  });
});
