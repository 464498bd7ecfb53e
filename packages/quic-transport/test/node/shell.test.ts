/**
 * The endpoint shell's guarantees: closing is safe at any moment, `writer.close()`
 * waits for the peer's acknowledgement, `unref()` lets an idle process exit,
 * addresses and the chosen ALPN are public, and a server picks its
 * certificate per connection. Real loopback sockets, bounded in time.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { QuicEndpoint, type QuicConnection } from '../../src/index.js';
import { pattern } from '../sim/apps.js';
import { fixture, serverTls } from '../sim/network.js';

const open: QuicEndpoint[] = [];
afterEach(async () => {
  await Promise.all(open.splice(0).map((e) => e.close({ timeoutMs: 200 })));
});

async function bind(): Promise<QuicEndpoint> {
  const ep = await QuicEndpoint.bind({ address: '127.0.0.1' });
  open.push(ep);
  return ep;
}

const TLS = { serverName: 'localhost', alpn: ['test'], verifyPeer: 'none' as const };

async function readAll(r: ReadableStream<Uint8Array>): Promise<Buffer> {
  const parts: Uint8Array[] = [];
  for await (const c of r) parts.push(c);
  return Buffer.concat(parts);
}

describe('the endpoint shell', () => {
  it('close() inside a setImmediate followed by busy work: no exception escapes, and the CONNECTION_CLOSE reaches the peer', async () => {
    const errors: unknown[] = [];
    const onError = (e: unknown): void => void errors.push(e);
    process.on('uncaughtException', onError);
    try {
      const srv = await bind();
      let serverSide: QuicConnection | undefined;
      srv.listen({ tls: serverTls(), onConnection: (c) => void (serverSide = c) });
      const ep = await QuicEndpoint.bind({ address: '127.0.0.1' });
      const conn = ep.connect(srv.address, TLS);
      await conn.ready;
      const closed = new Promise<void>((resolve) =>
        setImmediate(() => {
          void ep.close({ closeCode: 0n, timeoutMs: 0 }).then(resolve);
          const until = performance.now() + 5;
          while (performance.now() < until) {
            // busy: the close timer is due before the next check phase
          }
        }),
      );
      await closed;
      const info = await serverSide!.closed;
      expect(info).toMatchObject({ remote: true, kind: 'close', code: 0n });
      await new Promise((r) => setTimeout(r, 50));
      expect(errors).toEqual([]);
    } finally {
      process.off('uncaughtException', onError);
    }
  }, 20_000);

  it('writer.close() resolves once the peer acknowledged the data and the FIN: a server that closes right after loses nothing', async () => {
    const srv = await bind();
    const src = pattern(1 << 20, 9);
    let answered: Promise<void> | undefined;
    srv.listen({
      tls: serverTls(),
      onConnection: (c) => {
        answered = (async () => {
          const s = (await c.incomingBidirectionalStreams.getReader().read()).value!;
          await readAll(s.readable);
          const w = s.writable.getWriter();
          await w.write(src);
          await w.close(); // everything acknowledged
          await c.close({ closeCode: 0n, reason: 'bye' });
        })();
      },
    });
    const cli = await bind();
    const conn = cli.connect(srv.address, TLS);
    const s = await conn.createBidirectionalStream();
    const w = s.writable.getWriter();
    await w.write(new TextEncoder().encode('GET'));
    await w.close();
    // Read slowly: the data is acknowledged when it arrives, not when it is read.
    await new Promise((r) => setTimeout(r, 300));
    const got = await readAll(s.readable);
    await answered;
    expect(got.length).toBe(src.length);
    expect(got.equals(src)).toBe(true);
    expect(await conn.closed).toMatchObject({ remote: true, code: 0n });
  }, 20_000);

  it('remoteAddress and localAddress on both sides; the server knows the ALPN it chose before the handshake completes', async () => {
    const srv = await bind();
    const seen: { protocol: string | undefined; ready: boolean; remote: { address: string; port: number }; local: { address: string; port: number } }[] = [];
    srv.listen({
      tls: serverTls(['a', 'b']),
      onConnection: (c) => {
        let ready = false;
        void c.ready.then(
          () => (ready = true),
          () => undefined,
        );
        seen.push({ protocol: c.protocol, ready, remote: c.remoteAddress, local: c.localAddress });
      },
    });
    const cli = await bind();
    const conn = cli.connect(srv.address, { ...TLS, alpn: ['b'] });
    await conn.ready;
    expect(seen).toEqual([{ protocol: 'b', ready: false, remote: cli.address, local: srv.address }]);
    expect(conn.protocol).toBe('b');
    expect(conn.remoteAddress).toEqual(srv.address);
    expect(conn.localAddress).toEqual(cli.address);
  }, 20_000);

  it('an onConnection handler that rejects closes that connection; the endpoint serves on', async () => {
    const srv = await bind();
    let calls = 0;
    srv.listen({
      tls: serverTls(),
      onConnection: async (c) => {
        if (calls++ === 0) throw new Error('no thanks');
        await c.ready;
      },
    });
    const cli = await bind();
    const first = cli.connect(srv.address, TLS);
    const err = await first.closed.then(
      (info) => info,
      (e: unknown) => e,
    );
    // Closed during the handshake: an application close travels as APPLICATION_ERROR (RFC 9000 §10.2.3).
    expect(err).toMatchObject({ info: { remote: true, code: 0x0cn } });
    const second = cli.connect(srv.address, TLS);
    await second.ready;
    expect(calls).toBe(2);
  }, 20_000);

  it('a server picks the certificate per connection from SNI and ALPN (certificateFor)', async () => {
    const srv = await bind();
    const asked: Array<{ serverName: string | undefined; alpn: string }> = [];
    const leaf = fixture('pki/leaf.der');
    srv.listen({
      tls: {
        ...serverTls(),
        certificateFor: (hello) => {
          asked.push(hello);
          return hello.serverName === 'leaf.test' ? { certificateChain: [leaf, fixture('pki/inter.der')], privateKey: fixture('pki/leaf.key.der') } : undefined;
        },
      },
    });
    const cli = await bind();
    const a = await cli.connect(srv.address, { ...TLS, serverName: 'leaf.test' }).ready;
    const b = await cli.connect(srv.address, TLS).ready;
    expect(asked).toEqual([
      { serverName: 'leaf.test', alpn: 'test' },
      { serverName: 'localhost', alpn: 'test' },
    ]);
    expect(Buffer.from(a.peerCertificates[0]!).equals(Buffer.from(leaf))).toBe(true);
    expect(a.peerCertificates).toHaveLength(2);
    expect(Buffer.from(b.peerCertificates[0]!).equals(Buffer.from(fixture('server-cert.der')))).toBe(true);
  }, 90_000);
});

describe('one event-loop turn per hop', () => {
  it('a request/response exchange: the answer leaves in the same datagram as the ACK of the request (no ACK-only packet ahead of it)', async () => {
    const srv = await bind();
    const acks: string[][] = [];
    let counting = false;
    const qlog = (_t: number, name: string, d: Record<string, unknown>): void => {
      if (counting && name === 'transport:packet_sent') acks.push((d.frames as Array<{ frame_type: string }>).map((f) => f.frame_type));
    };
    const server = await QuicEndpoint.bind({ address: '127.0.0.1', hooks: { qlog } });
    open.push(server);
    // The server answers each request as soon as its FIN arrives: one microtask chain, no timer.
    server.listen({
      tls: serverTls(),
      onConnection: async (c) => {
        for await (const s of c.incomingBidirectionalStreams) {
          void (async () => {
            await readAll(s.readable);
            const w = s.writable.getWriter();
            void w.write(new Uint8Array(100).fill(0x61));
            await w.close();
          })();
        }
      },
    });
    const conn = srv.connect(server.address, TLS);
    await conn.ready;
    const exchange = async (): Promise<void> => {
      const s = await conn.createBidirectionalStream();
      const w = s.writable.getWriter();
      void w.write(new Uint8Array(40).fill(0x62));
      void w.close();
      expect((await readAll(s.readable)).length).toBe(100);
    };
    for (let i = 0; i < 5; i++) await exchange(); // past the handshake's own ACKs
    counting = true;
    const n = 20;
    for (let i = 0; i < n; i++) await exchange();
    counting = false;
    const responses = acks.filter((f) => f.includes('stream'));
    const ackOnly = acks.filter((f) => f.every((t) => t === 'ack'));
    expect(responses.length).toBeGreaterThanOrEqual(n);
    // Before: every request was acknowledged by an ACK-only packet, then answered in a second one.
    expect(responses.every((f) => f.includes('ack'))).toBe(true);
    expect(ackOnly.length).toBeLessThanOrEqual(2);
  }, 20_000);
});

describe('unref()', () => {
  const script = fileURLToPath(new URL('./unref-child.ts', import.meta.url));
  /**
   * Runs the child; `holdMs` after it printed "bound" it is killed (a process still running then was held).
   * Times count from "bound": a loaded machine may take seconds to start `node --import tsx`.
   */
  const runChild = (mode: string, holdMs = 4000): Promise<{ ms: number; code: number | null; out: string }> =>
    new Promise((resolve) => {
      const p = spawn(process.execPath, ['--import', 'tsx', script, mode], { stdio: ['ignore', 'pipe', 'pipe'] });
      let out = '';
      let bound = 0;
      let kill: NodeJS.Timeout | undefined;
      const limit = setTimeout(() => p.kill('SIGKILL'), 60_000);
      p.stdout.on('data', (d: Buffer) => {
        out += d.toString();
        if (!bound && out.includes('bound')) {
          bound = performance.now();
          kill = setTimeout(() => p.kill('SIGKILL'), holdMs);
        }
      });
      p.once('exit', (code) => {
        clearTimeout(limit);
        clearTimeout(kill);
        resolve({ ms: bound ? performance.now() - bound : NaN, code, out });
      });
    });

  it('an idle unref’d endpoint lets the process exit; a ref’d one holds it; a handshake in progress holds it until it ends', async () => {
    const [idle, held, busy] = await Promise.all([runChild('unref', 30_000), runChild('ref', 3000), runChild('unref-connecting', 30_000)]);
    expect(idle.code).toBe(0);
    expect(idle.out).toContain('bound');
    expect(held.code).toBeNull(); // killed 3 s after it bound: the socket held the process
    expect(held.out).toContain('bound');
    expect(busy.code).toBe(0);
    // The 1 s handshake timeout ran out first (timed by the child: a loaded machine may deliver its output late).
    expect(Number(/handshake-timeout after (\d+) ms/.exec(busy.out)?.[1])).toBeGreaterThanOrEqual(1000);
  }, 90_000);
});
