/**
 * HTTP/3 on every core: `serve({ listenOn: QuicCluster.endpoint() })` in
 * each worker of a @tsquic/quic-transport QuicCluster (one UDP socket, one
 * endpoint per worker thread, datagrams routed by connection ID), fetched by
 * several clients over loopback.
 */
import { createHash, randomBytes } from 'node:crypto';
import { generateSelfSigned } from '@tsquic/cert-tool';
import { QuicCluster } from '@tsquic/quic-transport';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createClient, type Http3Client } from '../src/node/index.js';

describe('serve() on a QuicCluster (2 workers)', () => {
  let cluster: QuicCluster;
  const clients: Http3Client[] = [];

  beforeAll(async () => {
    const { certificate, privateKey } = await generateSelfSigned({ commonName: 'localhost', sans: ['localhost', '127.0.0.1'] });
    cluster = await QuicCluster.start({ module: new URL('./fixtures/cluster-worker.mjs', import.meta.url), workers: 2, workerData: { cert: certificate, key: privateKey } });
  }, 30_000);

  afterAll(async () => {
    await Promise.all(clients.map((c) => c.close()));
    await cluster?.close();
  });

  it('serves clients from both workers; every connection keeps its worker; a 1 MB POST comes back whole', async () => {
    const url = `https://127.0.0.1:${cluster.address.port}/`;
    const seen = new Set<string>();
    await Promise.all(
      Array.from({ length: 12 }, async () => {
        const client = createClient({ verifyPeer: 'none' });
        clients.push(client);
        const first = await client.fetch(url);
        expect(first.status).toBe(200);
        const worker = first.headers.get('x-worker')!;
        expect(await first.text()).toBe(`worker ${worker}`);
        seen.add(worker);
        const body = new Uint8Array(randomBytes(1 << 20));
        const echoed = await client.fetch(url, { method: 'POST', body });
        expect(echoed.headers.get('x-worker')).toBe(worker); // the same pooled connection, the same worker
        const back = new Uint8Array(await echoed.arrayBuffer());
        expect(createHash('sha256').update(back).digest('hex')).toBe(createHash('sha256').update(body).digest('hex'));
      }),
    );
    expect([...seen].sort()).toEqual(['0', '1']); // 12 connections all hashed to one worker: 2 in 4,096
  }, 60_000);
});
