/**
 * @module scripts/burst-scan
 * The hunt for the qpc call that hung for its 30 s timeout under UDP
 * receive-buffer overflow (issue 16), over the deterministic simulator: one
 * call per seed — handshake, a 200-byte request on a bidirectional stream,
 * a 300-byte answer — with every random byte and every loss from the seed,
 * so any outlier replays exactly (`--seed N --trace`). Two loss models:
 * `windows` (default: each direction loses everything in three windows of
 * up to 400 ms in the first 2 s, plus 2% random loss — a load spike
 * overflowing the receive buffer) and `harsh` (a Gilbert–Elliott chain per
 * sender, 0.7 to stay in the bad state, after a burst of up to 11 of its
 * first datagrams). Reports completion times, handshake failures (5 s, as
 * qpc sets) and calls that failed after the handshake (the idle timeout:
 * the "hang").
 *
 *   pnpm exec tsx scripts/burst-scan.ts [--model windows|harsh] [--seeds 1000] [--seed N --trace]
 */
import { parseArgs } from 'node:util';
import { Collector } from '../test/sim/apps.js';
import { pair, prng, seededClientTls, SERVER_PATH } from '../test/sim/network.js';

const { values: o } = parseArgs({ options: { model: { type: 'string', default: 'windows' }, seeds: { type: 'string', default: '1000' }, seed: { type: 'string' }, trace: { type: 'boolean', default: false } } });

function call(seed: number, trace: boolean): { ms: number; handshake: boolean; failed: boolean } {
  const p = pair({ latencyMs: 1, seed, jitterMs: 0.5 }, { randomSeed: seed, transport: { handshakeTimeoutMs: 5000 }, qlog: trace });
  const rnd = prng(seed * 7 + 3);
  const windows = { client: [] as Array<[number, number]>, server: [] as Array<[number, number]> };
  const first = { client: [0, 0], server: [0, 0] };
  const bad = { client: false, server: false };
  for (const side of ['client', 'server'] as const) {
    for (let k = 0; k < 3; k++) {
      const a = rnd() * 2000;
      windows[side].push([a, a + rnd() * 400]);
    }
    first[side] = [Math.floor(rnd() * 8), Math.floor(rnd() * 12)];
  }
  p.net.filter = (from, d, i) => {
    let drop: boolean;
    if (o.model === 'harsh') {
      const [a, n] = first[from] as [number, number];
      drop = i >= a && i < a + n;
      if (!drop) drop = bad[from] = bad[from] ? rnd() < 0.7 : rnd() < 0.05;
    } else drop = windows[from].some(([a, b]) => p.net.now >= a && p.net.now < b) || rnd() < 0.02;
    if (trace) console.log(`${p.net.now.toFixed(1)} ${from}#${i} ${d.length}${drop ? ' dropped' : ''}`);
    return drop ? null : d;
  };
  const c = p.client.connect(0, SERVER_PATH, seededClientTls(seed));
  const cc = new Collector(c);
  let id = -1;
  let answered = false;
  p.net.runUntil(() => {
    cc.pump(p.net.now);
    if (id < 0 && c.handshakeInfo) {
      id = c.openStream('bidi')!;
      c.write(id, new Uint8Array(200).fill(1), true);
    }
    const s = [...p.server.connections][0];
    for (let e = s?.pollEvent(); s && e; e = s.pollEvent()) {
      if (!answered && (e.type === 'stream-incoming' || e.type === 'stream-readable') && e.id === 0) {
        while (s.read(0, 1 << 16, p.net.now)) {}
        s.write(0, new Uint8Array(300).fill(2), true);
        answered = true;
      }
    }
    return (id >= 0 && cc.finished.has(id)) || c.isClosed;
  }, 60_000);
  if (trace) for (const side of ['client', 'server'] as const) for (const r of p.qlog[side].filter((x) => !x.name.startsWith('transport:parameters'))) console.log(side, r.time.toFixed(1), r.name, JSON.stringify(r.data).slice(0, 200));
  return { ms: p.net.now, handshake: c.handshakeInfo !== undefined, failed: !(id >= 0 && cc.finished.has(id)) };
}

if (o.seed) {
  console.log(call(Number(o.seed), o.trace));
} else {
  const runs = Array.from({ length: Number(o.seeds) }, (_, k) => ({ seed: k + 1, ...call(k + 1, false) }));
  const done = runs
    .filter((r) => !r.failed)
    .map((r) => r.ms)
    .sort((a, b) => a - b);
  const hangs = runs.filter((r) => r.failed && r.handshake);
  console.log(
    `model ${o.model}, ${runs.length} calls: ${done.length} completed (median ${done[done.length >> 1]?.toFixed(0)} ms, max ${done.at(-1)?.toFixed(0)} ms); ${runs.filter((r) => r.failed && !r.handshake).length} handshake failures; ${hangs.length} failed after the handshake (${hangs.map((r) => `seed ${r.seed} at ${(r.ms / 1000).toFixed(1)} s`).join(', ')})`,
  );
}
