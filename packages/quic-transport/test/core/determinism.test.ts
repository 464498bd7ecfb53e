/**
 * The simulator is deterministic: with every random source from the seed
 * (connection IDs, TLS randoms and key shares, packet-number skips, tokens,
 * stateless-reset keys, path challenges, loss, reordering, duplication),
 * the same seeded lossy transfer twice gives the same trace — every
 * datagram, its bytes, its time — so a failing seeded test replays exactly.
 */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { BulkSender, Collector, pattern } from '../sim/apps.js';
import { pair, seededClientTls, SERVER_PATH, type LinkOptions } from '../sim/network.js';

interface Trace {
  datagrams: string[];
  end: number;
  lost: number;
  ok: boolean;
}

function run(seed: number, size: number, link: LinkOptions): Trace {
  const p = pair({ ...link, seed }, { randomSeed: seed, transport: { maxDatagramSize: 1350 } });
  const datagrams: string[] = [];
  p.net.filter = (from, d, i) => (datagrams.push(`${p.net.now.toFixed(6)} ${from}#${i} ${d.length} ${createHash('sha256').update(d).digest('hex').slice(0, 16)}`), d);
  const c = p.client.connect(0, SERVER_PATH, seededClientTls(seed));
  const src = pattern(size, seed);
  const cc = new Collector(c);
  let sender: BulkSender | undefined;
  let sc: Collector | undefined;
  const ok = p.net.runUntil(() => {
    cc.pump(p.net.now);
    if (!sender && c.handshakeInfo) sender = new BulkSender(c, c.openStream('bidi')!, src);
    sender?.pump();
    const s = [...p.server.connections][0];
    if (s && !sc) sc = new Collector(s);
    sc?.pump(p.net.now);
    return sender !== undefined && sc !== undefined && sc.finished.has(sender.id) && sc.bytes(sender.id).equals(src);
  }, 120_000);
  return { datagrams, end: p.net.now, lost: c.getStats().packetsLost, ok };
}

describe('the simulator is deterministic', () => {
  it('the same seeded lossy transfer twice: identical traces, every datagram, every time', () => {
    const link = { latencyMs: 5, jitterMs: 4, lossRate: 0.05, duplicateRate: 0.02 };
    const a = run(11, 1 << 20, link);
    const b = run(11, 1 << 20, link);
    expect(a.ok).toBe(true);
    expect(a.lost).toBeGreaterThan(5); // a lossy run
    expect(b.datagrams.length).toBe(a.datagrams.length);
    expect(b.datagrams).toEqual(a.datagrams);
    expect(b.end).toBe(a.end);
    // Another seed: another trace.
    const c = run(12, 1 << 20, link);
    expect(c.ok).toBe(true);
    expect(c.datagrams).not.toEqual(a.datagrams);
  });
});
