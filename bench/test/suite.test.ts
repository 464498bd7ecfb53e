/**
 * The suite in smoke mode (tiny sizes): it must run end to end and produce
 * well-formed results — every measurement present, ratios consistent with
 * their figures, a CPU profile per process, a table naming every row. No
 * figure is judged here: benchmarks are not unit tests.
 * The peer processes run the built scripts (dist/peers), so `build` comes first.
 */
import { describe, expect, it } from 'vitest';
import { hotSpots } from '../src/measure/profile.js';
import { markdownTable, textTable } from '../src/report.js';
import { runSuite, type SuiteResult } from '../src/suite.js';

const IDS = [
  'bulk.1452.ours-ours',
  'bulk.1452.ours-ours.with-handshake',
  'bulk.1452.ours-gtlsclient',
  'bulk.1452.gtlsserver-ours',
  'bulk.1452.16streams.ours-ours',
  'bulk.loopback.ours-ours',
  'bulk.loopback.ours-ours.vs-tls',
  'handshakes.full',
  'handshakes.resumed',
  'handshakes.full.server-cpu',
  'handshakes.full.client-cpu',
  'handshakes.resumed.server-cpu',
  'handshakes.resumed.client-cpu',
  'crypto.aes128gcm.1200',
  'crypto.aes128gcm.16384',
  'memory.server.heap',
  'memory.server.rss',
  'memory.client.heap',
  ...[1, 16, 128].flatMap((c) => [`http3.rps.c${c}`, `http3.p50.c${c}`, `http3.p99.c${c}`, `http3.cpu.c${c}.server`, `http3.cpu.c${c}.client`]),
  'http3.rps.c128.node22',
  'http3.rps.c128.node24',
  'http3.download',
  'http3.download.cpu.server',
  'http3.download.cpu.client',
  'webtransport.datagrams.ours-ours',
  'webtransport.echo.ours-ours',
  'network.goodput.ours-ours',
  'network.goodput.ours-ours.vs-goal',
  'network.crosstraffic.ours-share',
  'network.crosstraffic.tcp-share',
  'network.crosstraffic.kernel.ours-share',
  'network.longrtt.handshake',
  'network.longrtt.download',
  'security.path-building.worst',
  'attack.unroutable',
  'endpoint.datagram',
  'endpoint.idle',
];

const finitePositive = (n: number | null): boolean => n !== null && Number.isFinite(n) && n > 0;

describe('benchmark suite, smoke mode', () => {
  let res: SuiteResult;

  it('runs every measurement and returns well-formed rows', async () => {
    res = await runSuite({ smoke: true, log: () => {} });
    expect(res.schema).toBe('tsquic-bench/2');
    expect(res.mode).toBe('smoke');
    expect(res.rows.map((r) => r.id)).toEqual(IDS);
    for (const r of res.rows) {
      const ngtcp2Row = r.anchorName.startsWith('ngtcp2') || r.id.includes('gtls');
      if (!ngtcp2Row || res.config.ngtcp2) {
        // The row beside kernel TCP needs root and a network namespace; without them it says why.
        if (r.id === 'network.crosstraffic.kernel.ours-share' && r.ours === null) expect(r.note, r.id).toMatch(/^not measured: /);
        // The rows under other Node versions need their binaries in the runtimes cache; without them they say so.
        else if (/\.node2[24]$/.test(r.id) && r.ours === null) expect(r.note, r.id).toMatch(/runtimes cache/);
        // A share is a percentage, and 0 is a measurement: in smoke mode the 300 KB transfer lasts ~0.3 s, less than one
        // retransmission timeout of a TCP flow our slow start pushed out of the queue (in one CI run TCP delivered nothing then).
        else if (r.unit === '% of goodput') expect(r.ours !== null && r.ours >= 0 && r.ours <= 100, `${r.id}: ${r.ours}`).toBe(true);
        else if (r.id !== 'memory.server.rss') expect(finitePositive(r.ours), r.id).toBe(true);
      } else expect(r.note, r.id).toMatch(/ngtcp2/);
      if (r.ours !== null && r.anchor !== null) expect(r.ratio).toBeCloseTo(r.ours / r.anchor, 9);
      else expect(r.ratio).toBeNull();
      if (r.goal) expect(r.goal.met).toBe(r.ratio === null ? null : r.better === 'higher' ? r.ratio >= r.goal.ratio : r.ratio <= r.goal.ratio);
      // Every figure keeps its method; every transfer says its datagrams and where its data goes.
      expect(r.method.setup.length, r.id).toBeGreaterThan(10);
      expect(r.method.clock.length, r.id).toBeGreaterThan(10);
      if (r.group === 'bulk')
        expect(
          [r.method.datagrams, r.method.data].every((x) => x && x.length > 10),
          r.id,
        ).toBe(true);
    }
    // Like for like: the headline bulk rows set the same datagram size on both sides and time both alike.
    for (const r of res.rows.filter((x) => x.id.startsWith('bulk.1452.'))) expect(r.method.datagrams, r.id).toMatch(/1,452-byte UDP payloads, PMTU probing off, at both ends/);
    const headline = res.rows.find((r) => r.id === 'bulk.1452.ours-ours')!;
    expect(Object.keys(headline.samples ?? {})).toEqual(expect.arrayContaining(['oursFullSeconds', 'oursOneByteSeconds', 'oursStartupSeconds', 'oursOwnClockMbps']));
    if (res.config.ngtcp2) expect(Object.keys(headline.samples ?? {}), headline.note ?? '').toEqual(expect.arrayContaining(['anchorFullSeconds', 'anchorOneByteSeconds', 'anchorStartupSeconds']));
    // The handshake goal rows are each side's median of samples taken in ABBA pairs (one pair in smoke mode), every sample kept.
    for (const id of ['handshakes.full', 'handshakes.resumed']) {
      const r = res.rows.find((x) => x.id === id)!;
      expect(r.method.clock, id).toMatch(/in ABBA order/);
      expect(r.samples?.oursPerSecond, id).toHaveLength(res.config.runs);
      expect(r.samples?.anchorPerSecond, id).toHaveLength(res.config.runs);
      expect(r.ours, id).toBe((r.samples!.oursPerSecond as number[])[0]);
    }
    // The fetch download is set beside raw-stream transfers taken alternately with it, not beside an earlier row.
    // Each side the same samples: Mbit/s and both processes' CPU, per transfer, and the machine's load around them.
    const dl = res.rows.find((r) => r.id === 'http3.download')!;
    expect(Object.keys(dl.samples ?? {})).toEqual(['fetchMbps', 'rawMbps', 'fetchClientCpuMs', 'rawClientCpuMs', 'fetchServerCpuMs', 'rawServerCpuMs', 'loadAverage1m']);
    for (const k of ['fetchMbps', 'fetchClientCpuMs', 'fetchServerCpuMs'])
      expect(
        (dl.samples![k] as number[]).every((x) => x > 0),
        k,
      ).toBe(true);
    expect(dl.samples?.fetchMbps).toHaveLength(1);
    expect(dl.samples?.loadAverage1m).toHaveLength(2);
    // A raw transfer that failed (a loaded machine) leaves no figure, and the row says why.
    if ((dl.samples?.rawMbps as number[]).length === 0) expect(dl.note, 'http3.download').toMatch(/raw QUIC stream/);
    else for (const k of ['rawMbps', 'rawClientCpuMs', 'rawServerCpuMs']) expect(dl.samples![k], k).toHaveLength(1);
    for (const side of ['server', 'client']) expect(res.rows.find((r) => r.id === `http3.download.cpu.${side}`)!.samples).toBe(dl.samples);
    // Request rates keep the warm-up each side took.
    const warmups = ['oursWarmupRequests', 'anchorWarmupRequests', 'oursWarmupSeconds', 'anchorWarmupSeconds'];
    for (const c of [1, 16]) expect(Object.keys(res.rows.find((r) => r.id === `http3.rps.c${c}`)!.samples ?? {})).toEqual(warmups);
    // The goal row is paired (ABBA, smoke: one pair) and keeps every sample's rate.
    const c128 = res.rows.find((r) => r.id === 'http3.rps.c128')!;
    expect(Object.keys(c128.samples ?? {})).toEqual([...warmups, 'oursRps', 'anchorRps']);
    expect([c128.samples!.oursRps, c128.samples!.anchorRps]).toEqual([[c128.ours], [c128.anchor]]);
    expect(c128.method.clock).toMatch(/ABBA/);
    expect(res.rows.filter((r) => r.goal).map((r) => r.id)).toEqual([
      'bulk.1452.ours-ours',
      'bulk.1452.ours-gtlsclient',
      'bulk.1452.gtlsserver-ours',
      'handshakes.full',
      'handshakes.resumed',
      'crypto.aes128gcm.1200',
      'memory.server.heap',
      'http3.rps.c128',
      'http3.download',
      'network.goodput.ours-ours',
      'network.goodput.ours-ours.vs-goal',
      'network.crosstraffic.ours-share',
      'network.crosstraffic.tcp-share',
      'network.longrtt.handshake',
      'security.path-building.worst',
      'attack.unroutable',
      'endpoint.datagram',
      'endpoint.idle',
    ]);
  }, 180_000);

  it("profiles both processes of the bulk case, at most ten functions each, by decreasing self time, with CPU per datagram beside the QUIC core alone and Node's floor", () => {
    expect(res.profile.map((p) => p.role)).toEqual(['server (sender)', 'client (receiver)']);
    for (const p of res.profile) {
      expect(p.top.length).toBeGreaterThan(0);
      expect(p.top.length).toBeLessThanOrEqual(10);
      for (let i = 1; i < p.top.length; i++) expect(p.top[i - 1]!.selfMs).toBeGreaterThanOrEqual(p.top[i]!.selfMs);
      expect(p.top.every((h) => h.selfPercent >= 0 && h.selfPercent <= 100 && h.function.length > 0)).toBe(true);
      // CPU per datagram of the transfer and Node's floor (dgram + packet protection, no QUIC), both measured.
      expect(p.cpuUsPerDatagram).toBeGreaterThan(0);
      expect(p.nodeFloorUsPerDatagram).toBeGreaterThan(0);
      expect(Number.isFinite(p.cpuUsPerDatagram) && Number.isFinite(p.nodeFloorUsPerDatagram)).toBe(true);
      // The core alone (sans-IO, no socket, no shell) costs something, and less than the whole process does per datagram.
      expect(p.coreUsPerDatagram).toBeGreaterThan(0);
      expect(p.coreUsPerDatagram).toBeLessThan(p.cpuUsPerDatagram);
    }
  });

  it('survives a JSON round trip and prints every row in both tables', () => {
    expect(JSON.parse(JSON.stringify(res))).toEqual(res);
    const text = textTable(res);
    const md = markdownTable(res);
    for (const r of res.rows) {
      expect(text).toContain(r.name);
      expect(md).toContain(`| ${r.name} |`);
    }
    expect(md.split('\n').filter((l) => l.startsWith('| ') && !l.startsWith('| measurement')).length).toBe(res.rows.length);
    // Every row is named under exactly one method.
    const methods = md.split('\n').filter((l) => l.startsWith('- **'));
    for (const r of res.rows)
      expect(
        methods.filter((l) => l.slice(4, l.indexOf('**:')).split(', ').includes(r.id)),
        r.id,
      ).toHaveLength(1);
  });
});

describe('hotSpots', () => {
  it('sums self time per function from samples and time deltas, leaving (idle) out', () => {
    const profile = {
      nodes: [
        { id: 1, callFrame: { functionName: '(root)', url: '', lineNumber: -1 } },
        { id: 2, callFrame: { functionName: 'seal', url: 'file:///x/packages/quic-crypto-keys/dist/a.js', lineNumber: 9 } },
        { id: 3, callFrame: { functionName: '(idle)', url: '', lineNumber: -1 } },
        { id: 4, callFrame: { functionName: 'send', url: 'node:dgram', lineNumber: 0 } },
      ],
      samples: [2, 3, 2, 4, 3],
      timeDeltas: [1000, 5000, 3000, 2000, 7000],
    };
    const r = hotSpots(profile, 10);
    expect(r.busyMs).toBe(6);
    expect(r.top).toEqual([
      { function: 'seal', location: 'quic-crypto-keys/a.js:10', selfMs: 4, selfPercent: (100 * 4) / 6 },
      { function: 'send', location: 'node:dgram:1', selfMs: 2, selfPercent: (100 * 2) / 6 },
    ]);
    expect(hotSpots(profile, 1).top).toHaveLength(1);
  });
});
