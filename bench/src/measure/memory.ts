/**
 * @module measure/memory
 * Memory per idle connection: one server endpoint (its own process) holding
 * `n` open, idle connections from one client endpoint (another process);
 * heap and RSS after a full GC, before and after, divided by `n`. A warm-up
 * round first, so that compiled code is not counted as connection state.
 */
import { Peer, type Certs } from '../proc.js';
import type { Memory } from '../peers/ipc.js';

export interface MemoryResult {
  connections: number;
  serverHeapPerConn: number;
  serverRssPerConn: number;
  clientHeapPerConn: number;
  clientRssPerConn: number;
}

async function openIdle(port: number, n: number): Promise<{ peer: Peer; before: Memory; after: Memory; connections: number }> {
  const peer = Peer.start('ours', ['idle', String(port), String(n)]);
  const m = await peer.next('opened', 120_000);
  return { peer, ...m };
}

export async function idleConnections(certs: Certs, n: number): Promise<MemoryResult> {
  const server = Peer.start('ours', ['server', certs.certDer, certs.keyDer]);
  try {
    const { port } = await server.next('ready', 10_000);
    const warm = await openIdle(port, Math.min(n, 32));
    await warm.peer.stop();
    let base = await memOf(server);
    for (let i = 0; i < 40 && base.connections > 0; i++) {
      await new Promise((r) => setTimeout(r, 100));
      base = await memOf(server);
    }
    const run = await openIdle(port, n);
    try {
      const loaded = await memOf(server);
      if (loaded.connections < n) throw new Error(`server holds ${loaded.connections} of ${n} connections`);
      return {
        connections: n,
        serverHeapPerConn: (loaded.heapUsed - base.heapUsed) / n,
        serverRssPerConn: (loaded.rss - base.rss) / n,
        clientHeapPerConn: (run.after.heapUsed - run.before.heapUsed) / n,
        clientRssPerConn: (run.after.rss - run.before.rss) / n,
      };
    } finally {
      await run.peer.stop();
    }
  } finally {
    await server.stop();
  }
}

async function memOf(p: Peer): Promise<Memory & { connections: number }> {
  p.send({ cmd: 'mem' });
  return p.next('mem', 10_000);
}
