import { describe, expect, it } from 'vitest';
import { BulkSender, Collector, pattern } from '../sim/apps.js';
import { pair, SERVER_PATH, type LinkOptions } from '../sim/network.js';

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

describe('stream transfer over the simulated network', () => {
  it('1 MB on a clean link arrives byte-identical', () => {
    const r = transfer(1 << 20, { latencyMs: 10 });
    expect(r.done).toBe(true);
    expect(r.got.equals(r.src)).toBe(true);
    expect(r.c.getStats().packetsLost).toBe(0);
  });

  it('50 MB under 10% random loss, reordering and 5% duplication arrives byte-identical', () => {
    const r = transfer(50 << 20, { latencyMs: 2, jitterMs: 3, lossRate: 0.1, duplicateRate: 0.05, seed: 99 }, { transport: { maxDatagramSize: 1452 } });
    expect(r.done).toBe(true);
    expect(r.got.length).toBe(r.src.length);
    expect(r.got.equals(r.src)).toBe(true);
    const st = r.c.getStats();
    expect(st.packetsLost).toBeGreaterThan(1000);
    expect(r.s.getStats().packetsDropped).toBeGreaterThan(100); // the duplicates
  }, 120_000);
});
