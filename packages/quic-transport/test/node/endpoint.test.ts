/** The node:dgram shell over real loopback sockets (127.0.0.1 and ::1), bounded in time. */
import { afterEach, describe, expect, it } from 'vitest';
import { QuicConnectionError, QuicEndpoint, QuicStreamError, trustCertificate, type QuicBidirectionalStream, type QuicConnection } from '../../src/index.js';
import { pattern } from '../sim/apps.js';
import { fixture, serverTls } from '../sim/network.js';

const open: QuicEndpoint[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((e) => e.close({ timeoutMs: 200 })));
});

async function server(address = '127.0.0.1', handler?: (c: QuicConnection) => void) {
  const ep = await QuicEndpoint.bind({ address });
  open.push(ep);
  ep.listen({ tls: serverTls(['test']), onConnection: handler });
  return ep;
}

async function client(address = '127.0.0.1') {
  const ep = await QuicEndpoint.bind({ address });
  open.push(ep);
  return ep;
}

async function readAll(r: ReadableStream<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const c of r) parts.push(c);
  return Buffer.concat(parts);
}

/** Echo every bidirectional stream back. */
function echo(c: QuicConnection): void {
  void (async () => {
    for await (const s of c.incomingBidirectionalStreams) void s.readable.pipeTo(s.writable).catch(() => {});
  })().catch(() => {});
}

const TLS = { serverName: 'core-server.test', alpn: ['test'], verifyPeer: 'none' as const };

describe('QuicEndpoint over loopback', () => {
  it('handshake, echo of 10 MB on one stream, clean close (IPv4)', async () => {
    const srv = await server('127.0.0.1', echo);
    const cli = await client();
    const conn = cli.connect(srv.address, { ...TLS, verifyPeer: trustCertificate(fixture('server-cert.der')) });
    const info = await conn.ready;
    expect(info.alpn).toBe('test');
    const s = await conn.createBidirectionalStream();
    const src = pattern(10 << 20, 3);
    const writing = (async () => {
      const w = s.writable.getWriter();
      for (let o = 0; o < src.length; o += 64 * 1024) await w.write(src.subarray(o, o + 64 * 1024));
      await w.close();
    })();
    const got = await readAll(s.readable);
    await writing;
    expect(got.equals(src)).toBe(true);
    const closed = await conn.close({ closeCode: 7n, reason: 'done' });
    expect(closed).toMatchObject({ code: 7n, application: true, remote: false });
  }, 30_000);

  it('IPv6 (::1) works too', async () => {
    const srv = await server('::1', echo);
    const cli = await client('::1');
    const conn = cli.connect(`[::1]:${srv.address.port}`, TLS);
    await conn.ready;
    const s = await conn.createBidirectionalStream();
    const w = s.writable.getWriter();
    await w.write(new TextEncoder().encode('hello v6'));
    await w.close();
    expect((await readAll(s.readable)).toString()).toBe('hello v6');
  });

  it('many concurrent streams, uni streams both ways', async () => {
    let serverConn: QuicConnection | undefined;
    const srv = await server('127.0.0.1', (c) => {
      serverConn = c;
      echo(c);
    });
    const cli = await client();
    const conn = cli.connect(srv.address, TLS);
    await conn.ready;
    const results = await Promise.all(
      Array.from({ length: 50 }, async (_, i) => {
        const s = await conn.createBidirectionalStream();
        const w = s.writable.getWriter();
        await w.write(pattern(5000 + i, i));
        await w.close();
        return (await readAll(s.readable)).equals(pattern(5000 + i, i));
      }),
    );
    expect(results.every(Boolean)).toBe(true);
    // Server push on a unidirectional stream.
    const uni = await serverConn!.createUnidirectionalStream();
    const w = uni.getWriter();
    await w.write(new TextEncoder().encode('pushed'));
    await w.close();
    const reader = conn.incomingUnidirectionalStreams.getReader();
    const { value } = await reader.read();
    expect((await readAll(value!)).toString()).toBe('pushed');
  });

  it('writable.abort(code) reaches the peer as a QuicStreamError with that code', async () => {
    let resolveStream!: (s: QuicBidirectionalStream) => void;
    const gotStream = new Promise<QuicBidirectionalStream>((r) => (resolveStream = r));
    const srv = await server('127.0.0.1', (c) => {
      void c.incomingBidirectionalStreams
        .getReader()
        .read()
        .then((r) => resolveStream(r.value!));
    });
    const cli = await client();
    const conn = cli.connect(srv.address, TLS);
    await conn.ready;
    const s = await conn.createBidirectionalStream();
    const w = s.writable.getWriter();
    await w.write(new Uint8Array(10));
    const peer = await gotStream;
    await w.abort({ code: 99n });
    const err = await readAll(peer.readable).catch((e: unknown) => e);
    expect(QuicStreamError.isInstance(err) && err.code).toBe(99n);
  });

  it('datagrams both ways (RFC 9221)', async () => {
    const ep = await QuicEndpoint.bind({ address: '127.0.0.1', transport: { maxDatagramFrameSize: 1200 } });
    open.push(ep);
    ep.listen({
      tls: serverTls(['test']),
      onConnection: (c) => {
        void (async () => {
          const w = c.datagrams.writable.getWriter();
          for await (const d of c.datagrams.readable) await w.write(Uint8Array.from([...d].reverse()));
        })().catch(() => {});
      },
    });
    const cli = await QuicEndpoint.bind({ address: '127.0.0.1', transport: { maxDatagramFrameSize: 1200 } });
    open.push(cli);
    const conn = cli.connect(ep.address, TLS);
    await conn.ready;
    expect(conn.datagrams.maxDatagramSize).toBeGreaterThan(1000);
    await conn.datagrams.writable.getWriter().write(Uint8Array.of(1, 2, 3));
    const { value } = await conn.datagrams.readable.getReader().read();
    expect([...value!]).toEqual([3, 2, 1]);
  });

  it('client migration: rebind to a new local port mid-transfer, the echo completes', async () => {
    const srv = await server('127.0.0.1', echo);
    const cli = await client();
    const conn = cli.connect(srv.address, TLS);
    await conn.ready;
    const s = await conn.createBidirectionalStream();
    const src = pattern(4 << 20, 9);
    const portBefore = cli.address.port;
    const writing = (async () => {
      const w = s.writable.getWriter();
      for (let o = 0; o < src.length; o += 64 * 1024) {
        await w.write(src.subarray(o, o + 64 * 1024));
        if (o === 1 << 20) {
          // The send buffer may take the first megabyte at once: migrating needs the handshake
          // confirmed (RFC 9000 §9) and the server's spare connection IDs, which come with it.
          while (!conn.core.handshakeConfirmed) await new Promise((r) => setTimeout(r, 5));
          expect(await cli.rebind()).toBe(1);
        }
      }
      await w.close();
    })();
    const got = await readAll(s.readable);
    await writing;
    expect(cli.address.port).not.toBe(portBefore);
    expect(got.equals(src)).toBe(true);
  }, 30_000);

  it('preferred address: the server offers a second socket, the client moves there after the handshake, the echo completes', async () => {
    const srv = await QuicEndpoint.bind({ address: '127.0.0.1', preferredAddress: { address: '127.0.0.1', port: 0 } });
    open.push(srv);
    srv.listen({ tls: serverTls(['test']), onConnection: echo });
    const cli = await client();
    const conn = cli.connect(srv.address, TLS);
    await conn.ready;
    const s = await conn.createBidirectionalStream();
    const src = pattern(2 << 20, 5);
    const w = s.writable.getWriter();
    void w.write(src).then(() => w.close());
    const got = await readAll(s.readable);
    expect(got.equals(src)).toBe(true);
    const tp = conn.remoteTransportParameters!.preferredAddress!;
    expect(conn.remoteAddress).toEqual({ address: '127.0.0.1', port: tp.ipv4Port });
    expect(tp.ipv4Port).not.toBe(srv.address.port);
    const sc = [...srv.core.connections][0]!;
    expect(sc.remoteAddress.local).toBe(`127.0.0.1:${tp.ipv4Port}`); // the server answers from its preferred socket
  }, 30_000);

  it('a refused certificate rejects ready with CRYPTO_ERROR bad_certificate', async () => {
    const srv = await server();
    const cli = await client();
    const conn = cli.connect(srv.address, { ...TLS, verifyPeer: trustCertificate(new Uint8Array(10)) });
    const err = await conn.ready.catch((e: unknown) => e);
    expect(QuicConnectionError.isInstance(err) && err.code).toBe(0x100n + 42n);
  });
});
