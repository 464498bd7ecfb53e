/**
 * A tiny run of scripts/soak.ts (the full soak is `pnpm soak`, not part of
 * the suite): a few connections through the lossy UDP relay against a server
 * in a child process. Every call returns the right bytes, every server
 * connection is gone afterwards, and the server heap after GC stays within
 * the bound (a regression test for the endpoint keeping every accepted
 * connection in its unread `incoming` queue, and for it keeping the
 * connections that closed before anyone read them).
 */
import { describe, expect, it } from 'vitest';
import { soak } from '../../scripts/soak.js';
import { QuicEndpoint, type QuicConnection } from '../../src/index.js';
import { serverTls } from '../sim/network.js';

describe('soak (smoke)', () => {
  it('5 connections, 3 s, 2% loss: calls complete with the right bytes and the server forgets every connection', async () => {
    const r = await soak({ connections: 5, seconds: 3, loss: 0.02, transferEvery: 5, transferBytes: 64 * 1024, heapBoundMb: 8, quiet: true });
    expect(r.calls).toBeGreaterThan(10);
    expect(r.transfers).toBeGreaterThan(0);
    expect(r.wrongBytes).toBe(0);
    expect(r.relay.dropped).toBeGreaterThan(0);
    expect(r.serverConnectionsAfter).toBe(0);
    expect(r.heap.growthMb).toBeLessThan(r.heap.boundMb);
  }, 60_000);
});

describe('accepted connections are not retained', () => {
  it('with an onConnection handler, connections are not also queued on the unread `incoming` stream', async () => {
    const srv = await QuicEndpoint.bind({ address: '127.0.0.1' });
    const cl = await QuicEndpoint.bind({ address: '127.0.0.1' });
    try {
      let handled = 0;
      srv.listen({ tls: serverTls(['test']), onConnection: () => void handled++ });
      for (let i = 0; i < 3; i++) await cl.connect(srv.address, { serverName: 'core-server.test', alpn: ['test'], verifyPeer: 'none' }).ready;
      expect(handled).toBe(3);
      const reader = srv.incoming.getReader();
      const first = await Promise.race([reader.read(), new Promise((r) => setTimeout(() => r('nothing queued'), 100))]);
      expect(first).toBe('nothing queued');
      reader.releaseLock();
    } finally {
      await Promise.all([cl.close({ timeoutMs: 200 }), srv.close({ timeoutMs: 200 })]);
    }
  });

  it('without one, a connection that closes before `incoming` is read leaves the queue; live ones stay, in order', async () => {
    const srv = await QuicEndpoint.bind({ address: '127.0.0.1' });
    const cl = await QuicEndpoint.bind({ address: '127.0.0.1' });
    try {
      srv.listen({ tls: serverTls(['test']) });
      const dial = async (): Promise<QuicConnection> => {
        const c = cl.connect(srv.address, { serverName: 'core-server.test', alpn: ['test'], verifyPeer: 'none' });
        await c.ready;
        return c;
      };
      const gone = await dial();
      void gone.close({ reason: 'gone before the server reads incoming' });
      // The server reads that close before the next connection's Initial: one socket, in order.
      await dial();
      await dial();
      const reader = srv.incoming.getReader();
      const first = (await reader.read()).value!;
      const second = (await reader.read()).value!;
      // Both live: the closed one was not handed out (before: it came first, already closed).
      for (const c of [first, second])
        expect(
          await Promise.race([
            c.closed.then(
              () => 'closed',
              () => 'closed',
            ),
            new Promise((r) => setTimeout(() => r('open'), 50)),
          ]),
        ).toBe('open');
      const third = await Promise.race([reader.read(), new Promise((r) => setTimeout(() => r('nothing queued'), 100))]);
      expect(third).toBe('nothing queued');
      reader.releaseLock();
    } finally {
      await Promise.all([cl.close({ timeoutMs: 200 }), srv.close({ timeoutMs: 200 })]);
    }
  });
});
