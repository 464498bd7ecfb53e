/**
 * QuicCluster (node/cluster.ts): one UDP socket, an endpoint per worker
 * thread, datagrams routed by the QUIC-LB server ID in their Destination
 * Connection ID (draft-ietf-quic-load-balancers §5). Over real loopback
 * sockets, bounded in time.
 */
import { createSocket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SessionTicket } from '@tsquic/tls13-handshake';
import { QuicCluster, QuicEndpoint, QuicLbCidGenerator, QuicLbCodec, workerServerId, type QuicConnection } from '../../src/index.js';
import { routeDatagram } from '../../src/node/cluster.js';
import { pattern } from '../sim/apps.js';
import { fixture } from '../sim/network.js';

const TLS = { serverName: 'core-server.test', alpn: ['test'], verifyPeer: 'none' as const };
const WORKER = new URL('./fixtures/cluster-worker.mjs', import.meta.url);

async function exchange(conn: QuicConnection, body: Uint8Array): Promise<Buffer> {
  const s = await conn.createBidirectionalStream();
  const writing = (async () => {
    const w = s.writable.getWriter();
    for (let o = 0; o < body.length; o += 64 * 1024) await w.write(body.subarray(o, o + 64 * 1024));
    await w.close();
  })();
  const parts: Uint8Array[] = [];
  for await (const c of s.readable) parts.push(c);
  await writing;
  return Buffer.concat(parts);
}

const who = async (conn: QuicConnection): Promise<number> => Number((await exchange(conn, new TextEncoder().encode('who'))).toString().replace('worker ', ''));

describe('routeDatagram', () => {
  const codec = new QuicLbCodec({ configId: 0, serverIdLength: 1, nonceLength: 8 });
  const random = (n: number) => Uint8Array.from({ length: n }, () => (Math.random() * 256) | 0);
  const short = (dcid: Uint8Array) => Uint8Array.of(0x40, ...dcid, ...random(30));
  const long = (dcid: Uint8Array) => Uint8Array.of(0xc0, 0, 0, 0, 1, dcid.length, ...dcid, 8, ...random(8), ...random(30));

  it('sends a packet with one of our connection IDs to the worker in its server ID, short or long header', () => {
    for (let w = 0; w < 4; w++) {
      const ids = new QuicLbCidGenerator(codec, workerServerId(new Uint8Array(1), w, 2), random);
      for (let i = 0; i < 20; i++) {
        const cid = ids.next()!;
        expect(routeDatagram(short(cid), codec, 4, 2)).toBe(w);
        expect(routeDatagram(long(cid), codec, 4, 2)).toBe(w);
      }
    }
  });

  it("sends a client's own Initial DCID to the same worker every time, and spreads such IDs over the workers", () => {
    const seen = new Set<number>();
    for (let i = 0; i < 64; i++) {
      const dcid = random(8); // 8 bytes: never one of ours (9)
      const w = routeDatagram(long(dcid), codec, 3, 2);
      expect(routeDatagram(long(dcid), codec, 3, 2)).toBe(w);
      expect(w).toBeGreaterThanOrEqual(0);
      expect(w).toBeLessThan(3);
      seen.add(w);
    }
    expect(seen.size).toBe(3);
  });

  it('a server ID naming a worker that does not exist is hashed like a foreign ID; a runt datagram names none', () => {
    const ids = new QuicLbCidGenerator(codec, workerServerId(new Uint8Array(1), 3, 2), random);
    const w = routeDatagram(short(ids.next()!), codec, 3, 2);
    expect(w).toBeGreaterThanOrEqual(0);
    expect(w).toBeLessThan(3);
    expect(routeDatagram(Uint8Array.of(0x40, 1, 2), codec, 3, 2)).toBe(-1);
    expect(routeDatagram(Uint8Array.of(0xc0, 0, 0), codec, 3, 2)).toBe(-1);
    expect(routeDatagram(Uint8Array.of(0xc0, 0, 0, 0, 1, 21, ...random(30)), codec, 3, 2)).toBe(-1);
  });
});

describe('QuicCluster over loopback (2 workers)', () => {
  let cluster: QuicCluster;
  const clients: QuicEndpoint[] = [];
  const client = async () => {
    const ep = await QuicEndpoint.bind({ address: '127.0.0.1' });
    clients.push(ep);
    return ep;
  };

  beforeAll(async () => {
    cluster = await QuicCluster.start({ module: WORKER, workers: 2, workerData: { chain: [fixture('server-cert.der')], key: fixture('server-key.der') } });
  }, 30_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close({ timeoutMs: 200 })));
    await cluster?.close();
  });

  it('spreads connections over both workers, and each connection is served whole by one', async () => {
    const counts = [0, 0];
    await Promise.all(
      Array.from({ length: 16 }, async (_, i) => {
        const conn = (await client()).connect(cluster.address, TLS);
        await conn.ready;
        const w = await who(conn);
        counts[w]!++;
        const body = pattern(64 * 1024, i + 1);
        expect((await exchange(conn, body)).equals(body)).toBe(true);
        expect(await who(conn)).toBe(w);
        await conn.close();
      }),
    );
    expect(counts[0]! + counts[1]!).toBe(16);
    expect(counts[0]).toBeGreaterThan(0); // 16 clients all hashed to one worker: 2 in 65,536
    expect(counts[1]).toBeGreaterThan(0);
    expect(cluster.routed[0]).toBeGreaterThan(0);
    expect(cluster.routed[1]).toBeGreaterThan(0);
  }, 60_000);

  it('a client that moves to a new socket (a new 4-tuple, as after NAT rebinding) stays with its worker and its transfer arrives whole', async () => {
    const cli = await client();
    const conn = cli.connect(cluster.address, TLS);
    await conn.ready;
    const before = await who(conn);
    while (!conn.core.handshakeConfirmed) await new Promise((r) => setTimeout(r, 5));
    const portBefore = cli.address.port;
    expect(await cli.rebind()).toBe(1);
    expect(cli.address.port).not.toBe(portBefore);
    const body = pattern(2 << 20, 7);
    expect((await exchange(conn, body)).equals(body)).toBe(true);
    expect(await who(conn)).toBe(before);
    await conn.close();
  }, 60_000);

  it("resumes, with 0-RTT, on a worker other than the one that issued the ticket (the cluster's ticket key and replay register)", async () => {
    const first = (await client()).connect(cluster.address, TLS);
    const tickets: SessionTicket[] = [];
    first.onSessionTicket = (t) => tickets.push(t);
    await first.ready;
    const issuer = await who(first);
    while (tickets.length === 0) await new Promise((r) => setTimeout(r, 5));
    await first.close();
    // Each new connection lands on the worker its Initial's DCID hashes to: try until it is the other one.
    for (let attempt = 0; attempt < 40; attempt++) {
      const conn = (await client()).connect(cluster.address, { ...TLS, sessionTicket: tickets.shift()!, earlyData: true });
      conn.onSessionTicket = (t) => tickets.push(t);
      const info = await conn.ready;
      expect(info.resumed).toBe(true);
      const w = await who(conn);
      while (tickets.length === 0) await new Promise((r) => setTimeout(r, 5));
      await conn.close();
      if (w !== issuer) {
        expect(info.earlyData).toBe('accepted');
        return;
      }
    }
    throw new Error('40 resumptions, all on the issuing worker');
  }, 60_000);
});

describe('QuicCluster under a flood', () => {
  it('drops what comes for a worker beyond its backlog (bytes handed over, not yet taken in), and serves on', async () => {
    const cluster = await QuicCluster.start({ module: WORKER, workers: 1, backlogLimit: 1, workerData: { chain: [fixture('server-cert.der')], key: fixture('server-key.der') } });
    const flood = createSocket('udp4');
    const ep = await QuicEndpoint.bind({ address: '127.0.0.1' });
    try {
      // Junk Initial-shaped datagrams, sent in one burst: most arrive in the same turns of the main thread.
      const junk = Uint8Array.from({ length: 1200 }, (_, i) => (i === 0 ? 0xc0 : i === 5 ? 8 : i & 0xff));
      for (let i = 0; i < 300; i++) flood.send(junk, cluster.address.port, '127.0.0.1');
      const until = Date.now() + 10_000;
      while (cluster.routed[0]! + cluster.dropped < 300 && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
      expect(cluster.routed[0]! + cluster.dropped).toBe(300);
      expect(cluster.dropped).toBeGreaterThan(0);
      const conn = ep.connect(cluster.address, TLS);
      await conn.ready;
      expect(await who(conn)).toBe(0);
      await conn.close();
    } finally {
      flood.close();
      await ep.close({ timeoutMs: 200 });
      await cluster.close();
    }
  }, 60_000);
});
