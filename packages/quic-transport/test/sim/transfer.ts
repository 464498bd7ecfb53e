/** @module test/sim/transfer: one bulk transfer client → server over the simulated network. */
import { BulkSender, Collector, pattern } from './apps.js';
import { pair, SERVER_PATH, type LinkOptions } from './network.js';

const TLS = { serverName: 'localhost', alpn: ['test'], verifyPeer: 'none' as const };

export function transfer(size: number, link: LinkOptions, opts: { transport?: Record<string, unknown>; maxMs?: number } = {}) {
  const { net, client, server } = pair(link, { transport: opts.transport, serverTransport: opts.transport });
  const c = client.connect(0, SERVER_PATH, TLS);
  const src = pattern(size, link.seed ?? 7);
  const cc = new Collector(c);
  let sender: BulkSender | undefined;
  let sc: Collector | undefined;
  const done = net.runUntil(() => {
    cc.pump(net.now);
    if (!sender && c.handshakeInfo) sender = new BulkSender(c, c.openStream('bidi')!, src);
    sender?.pump();
    const s = [...server.connections][0];
    if (s && !sc) sc = new Collector(s);
    sc?.pump(net.now);
    return sc !== undefined && sender !== undefined && sc.finished.has(sender.id);
  }, opts.maxMs ?? 600_000);
  return { done, net, c, s: [...server.connections][0]!, src, got: sender && sc ? sc.bytes(sender.id) : Buffer.alloc(0) };
}

type Env = ReturnType<typeof pair>;

/**
 * Server → client: once the handshake is confirmed the client asks with
 * "GET" and the server answers `size` bytes. `onStep(got, env)` runs after
 * every network step (to rebind, migrate, …); `before(env)` runs before the
 * client connects.
 */
export function download(
  size: number,
  link: LinkOptions = {},
  opts: { transport?: Record<string, unknown>; serverTransport?: Record<string, unknown>; before?: (env: Env) => void; onStep?: (got: number, env: Env) => void; maxMs?: number; qlog?: boolean } = {},
) {
  const env = pair(link, { transport: opts.transport, serverTransport: opts.serverTransport, qlog: opts.qlog });
  opts.before?.(env);
  const c = env.client.connect(0, SERVER_PATH, TLS);
  const cc = new Collector(c);
  const src = pattern(size, link.seed ?? 5);
  let sender: BulkSender | undefined;
  let id = -1;
  const done = env.net.runUntil(() => {
    cc.pump(env.net.now);
    if (id < 0 && cc.events.some((e) => e.type === 'handshake-confirmed')) {
      id = c.openStream('bidi')!;
      c.write(id, new TextEncoder().encode('GET'), true);
    }
    const s = [...env.server.connections][0];
    if (s && !sender) for (let e = s.pollEvent(); e; e = s.pollEvent()) if (e.type === 'stream-incoming') sender = new BulkSender(s, e.id, src);
    sender?.pump();
    opts.onStep?.(id >= 0 ? (cc.received.get(id) ?? 0) : 0, env);
    return id >= 0 && cc.finished.has(id);
  }, opts.maxMs ?? 60_000);
  return { env, c, s: [...env.server.connections][0]!, done, ok: done && cc.bytes(id).equals(src) };
}
