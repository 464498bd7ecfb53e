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

