/**
 * The relay over real sockets on loopback, measured: bandwidth within 2% of
 * the set rate, one-way delay within 1 ms, loss and corruption within their
 * statistical bounds for the seed, replays from the seed, the drop list and
 * the black hole by packet and by time, NAT rebinding of port and address,
 * the MTU, IPv6, cross traffic, the forked relay and the CLI. Each test
 * measures over enough packets that CPU load only adds noise, and asserts
 * bounds, not exact timings; where load adds lateness (CI runs two packages
 * at once), a test judges by the relay's own clock or by the packets the
 * loop did not delay, and the real-time ones are run with the loop blocked
 * on purpose.
 */
import { spawn } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { forkRelay, Relay, type PacketEvent, type RelayOptions } from '../src/index.js';
import { burstRate, numbered, seqOf, sink, sleep, until, withinBounds } from './support.js';

const cleanup: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const f of cleanup.splice(0).reverse()) await f();
});

async function setup(scenario: string, extra: Partial<RelayOptions> = {}, host = '127.0.0.1') {
  const server = await sink(host);
  cleanup.push(() => server.close());
  const relay = await Relay.start({ target: { host, port: server.port }, scenario, ...extra });
  cleanup.push(() => relay.stop());
  const client = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  await new Promise<void>((r) => client.bind(0, host, () => r()));
  cleanup.push(() => new Promise<void>((r) => client.close(() => r())));
  const send = (b: Buffer): void => void client.send(b, relay.address.port, relay.address.host);
  return { server, relay, client, send };
}

describe('relay: measured bandwidth and delay', () => {
  it('a 10 Mbit/s link carries 10 Mbit/s (within 2%), counting IP and UDP headers', async () => {
    const { server, relay, send } = await setup('simple-p2p --delay=5ms --bandwidth=10Mbps --queue=3000');
    const n = 2000;
    for (let i = 0; i < n; i++) send(numbered(i, 1200));
    await until(() => server.arrivals.length === n, 20_000);
    const a = server.arrivals;
    // Between the first and the last arrival, n − 1 packets of 1200 + 28 bytes were serialised.
    const rate = ((n - 1) * 1228 * 8) / ((a[n - 1]!.at - a[0]!.at) / 1000);
    expect(Math.abs(rate / 10e6 - 1)).toBeLessThan(0.02);
    expect(a.map((x) => seqOf(x.data))).toEqual(Array.from({ length: n }, (_, i) => i)); // in order, none lost
    const s = relay.stats();
    expect(s.toServer.forwarded).toBe(n);
    expect(s.toServer.maxQueued).toBeGreaterThan(1000);
    console.log(`bandwidth: ${(rate / 1e6).toFixed(3)} Mbit/s measured for 10 Mbit/s set`);
  }, 30_000);

  it('a full queue drops at the tail: 25 packets wait, the rest of a burst is lost', async () => {
    const { server, relay, send } = await setup('simple-p2p --delay=5ms --bandwidth=1Mbps --queue=25');
    for (let i = 0; i < 100; i++) send(numbered(i, 1000));
    await until(() => relay.stats().toServer.received === 100, 5000);
    await sleep(400); // 26 × 1028 B at 1 Mbit/s ≈ 214 ms
    const got = server.arrivals.map((x) => seqOf(x.data));
    // The burst reaches the relay faster than 1 packet per 8 ms: the first one goes on the wire, 25 wait.
    expect(got.slice(0, 26)).toEqual(Array.from({ length: 26 }, (_, i) => i));
    expect(relay.stats().toServer.dropped.queue).toBe(100 - got.length);
    expect(relay.stats().toServer.maxQueued).toBe(25);
  }, 15_000);

  it('one-way delay is the set delay plus serialisation, within 1 ms (first decile over 200 packets; load only adds lateness above it)', async () => {
    const { server, send } = await setup('simple-p2p --delay=20ms --bandwidth=10Mbps --queue=25');
    const sent: number[] = [];
    for (let i = 0; i < 200; i++) {
      sent.push(performance.now());
      send(numbered(i, 100));
      await sleep(5);
    }
    await until(() => server.arrivals.length === 200, 5000);
    const expected = 20 + (128 * 8) / 10e3; // 20 ms + 0.1 ms on the wire
    const err = server.arrivals.map((a) => a.at - sent[seqOf(a.data)]! - expected).sort((x, y) => x - y);
    // Sender, relay and receiver share this process's event loop: on a loaded machine each packet picks up the
    // loop's lateness, up to three times, and lateness only ever delays. The packets the loop did not delay (the
    // first decile) show the relay's own error, which a systematic fault (a rounded-up timer, an accumulated or
    // doubled delay, early delivery) moves with the rest. Measured here: the first decile at −0.3 ms whether the
    // loop is idle or blocked 10 ms in every 25 (the scheduler may deliver up to 0.75 ms early), the median at
    // +0.2 ms idle and up to +1.2 ms blocked. So the first decile within [−1, +0.5] ms catches a shift of 1 ms,
    // as a 1 ms bound on the median did on an idle machine; the median and the mean are printed, not bounded.
    const middle = err.slice(20, 180);
    const mean = middle.reduce((x, y) => x + y, 0) / middle.length;
    console.log(`delay error: p10 ${err[20]!.toFixed(3)} ms, median ${err[100]!.toFixed(3)}, mean of p10–p90 ${mean.toFixed(3)}, p90 ${err[180]!.toFixed(3)}, max ${err[199]!.toFixed(3)}`);
    expect(err[20]).toBeGreaterThan(-1);
    expect(err[20]).toBeLessThan(0.5);
    expect(err[0]).toBeGreaterThan(-1); // never more than the scheduler's slack early
  }, 15_000);
});

describe('relay: impairments over sockets', () => {
  it('drop-rate 30% with bursts of 3, both ways: rates within bounds, the hook sees every fate', async () => {
    const events: PacketEvent[] = [];
    // handshakeloss's rates and bursts, with a queue that never overflows here: only the error model drops.
    const line = 'drop-rate --delay=15ms --bandwidth=10Mbps --queue=3000 --rate_to_server=30 --rate_to_client=30 --burst_to_server=3 --burst_to_client=3';
    const { server, relay, send, client } = await setup(line, { seed: 11, onPacket: (e) => events.push(e) });
    // The server echoes every datagram to its source (the relay's binding).
    server.socket.on('message', (m, r) => server.socket.send(m, r.port, r.address));
    const back: number[] = [];
    client.on('message', (m) => back.push(seqOf(m)));
    const n = 3000;
    for (let i = 0; i < n; i++) {
      send(numbered(i, 200));
      if (i % 20 === 19) await sleep(3);
    }
    await until(() => relay.stats().toClient.received === server.arrivals.length && server.arrivals.length > 0, 10_000);
    await sleep(100);
    const s = relay.stats();
    const p = burstRate(0.3, 3);
    expect(s.toServer.dropped.queue).toBe(0);
    expect(s.toServer.dropped['drop-rate']).toBe(n - server.arrivals.length);
    expect(withinBounds(s.toServer.dropped['drop-rate'], n, p)).toBe(true);
    expect(withinBounds(s.toClient.dropped['drop-rate'], server.arrivals.length, p)).toBe(true);
    expect(back.length).toBe(s.toClient.forwarded);
    expect(events.filter((e) => e.direction === 'to-server').length).toBe(n);
    expect(events.filter((e) => e.decision.kind === 'drop').length).toBe(s.toServer.dropped['drop-rate'] + s.toClient.dropped['drop-rate']);
  }, 30_000);

  it('corrupt-rate 30%: the corrupted datagrams arrive with exactly one byte changed, at the set rate', async () => {
    const { server, relay, send } = await setup('corrupt-rate --delay=2ms --bandwidth=100Mbps --queue=1000 --rate_to_server=30 --rate_to_client=30 --burst_to_server=3 --burst_to_client=3', { seed: 3 });
    const n = 2000;
    for (let i = 0; i < n; i++) send(numbered(i, 300));
    await until(() => server.arrivals.length === n, 10_000);
    let changed = 0;
    for (const [i, a] of server.arrivals.entries()) {
      const diff = [...numbered(i, 300).keys()].filter((k) => numbered(i, 300)[k] !== a.data[k]);
      expect(diff.length).toBeLessThanOrEqual(1);
      if (diff.length) changed++;
    }
    expect(changed).toBe(relay.stats().toServer.corrupted);
    expect(withinBounds(changed, n, burstRate(0.3, 3))).toBe(true);
  }, 20_000);

  it('replays: two relays with one seed make the same decisions for the same datagrams; another seed differs', async () => {
    const fates = async (seed: number): Promise<string[]> => {
      const out: string[] = [];
      const { send, relay } = await setup('handshakecorruption', { seed, onPacket: (e) => out.push(e.decision.kind === 'drop' ? 'drop' : `${e.decision.corruptedAt ?? '-'}:${e.decision.data[e.decision.corruptedAt ?? 0]}`) });
      for (let i = 0; i < 500; i++) {
        send(numbered(i, 200));
        if (i % 10 === 9) await sleep(2);
      }
      await until(() => relay.stats().toServer.received === 500, 5000);
      return out;
    };
    const a = await fates(99);
    expect(await fates(99)).toEqual(a);
    expect(await fates(100)).not.toEqual(a);
  }, 30_000);

  it('droplist drops the 2nd to 7th datagram towards the server, nothing else', async () => {
    const { server, send, relay } = await setup('amplificationlimit');
    for (let i = 1; i <= 12; i++) {
      send(numbered(i, 1200));
      await sleep(2);
    }
    await until(() => relay.stats().toServer.received === 12, 5000);
    await sleep(100);
    expect(server.arrivals.map((a) => seqOf(a.data))).toEqual([1, 8, 9, 10, 11, 12]);
    expect(relay.stats().toServer.dropped.droplist).toBe(6);
  }, 10_000);

  it('blackhole: nothing arrives during the off period, everything before and after', async () => {
    const events: PacketEvent[] = [];
    const { server, send, relay } = await setup('blackhole --delay=5ms --bandwidth=10Mbps --queue=25 --on=300ms --off=300ms', { onPacket: (e) => events.push(e) });
    // Sent until 900 ms of the relay's time have passed: a busy machine slows the sender's timers, not the phases.
    let i = 0;
    while (relay.elapsed() < 900) {
      send(numbered(i++, 100));
      await sleep(5);
    }
    await until(() => relay.stats().toServer.received === i, 5000);
    await sleep(50);
    // ns-3 judges the hole at the far end: each datagram by its arrival time there (the relay's deadline for it).
    const epoch = performance.now() - relay.elapsed();
    const phase = (at: number): 'before' | 'off' | 'after' => (at - epoch < 300 ? 'before' : at - epoch < 600 ? 'off' : 'after');
    const arrived = new Set(server.arrivals.map((a) => seqOf(a.data)));
    const count = { before: 0, off: 0, after: 0 };
    for (const e of events) {
      const seq = seqOf(Buffer.from(e.data.buffer, e.data.byteOffset, e.data.length));
      const p = phase(e.decision.at);
      count[p]++;
      expect(e.decision.kind === 'drop' ? e.decision.reason : 'deliver', `datagram ${seq}, due at ${(e.decision.at - epoch).toFixed(1)} ms`).toBe(p === 'off' ? 'blackhole' : 'deliver');
      expect(arrived.has(seq), `datagram ${seq} (${p})`).toBe(p !== 'off');
    }
    expect(events).toHaveLength(i);
    expect(Math.min(count.before, count.off, count.after), JSON.stringify(count)).toBeGreaterThanOrEqual(10);
    expect(relay.stats().toServer.dropped.blackhole).toBe(count.off);
  }, 10_000);

  it('rebind: the server sees a new client port, then a new 127.x.y.z address; replies to an old binding are lost', async () => {
    for (const addr of [false, true]) {
      const { server, send, relay, client } = await setup(`rebind --delay=1ms --bandwidth=10Mbps --queue=25 --first-rebind=200ms --rebind-freq=200ms${addr ? ' --rebind-addr' : ''}`);
      const replies: number[] = [];
      client.on('message', (m) => replies.push(seqOf(m)));
      for (let i = 0; i < 70; i++) {
        send(numbered(i, 100));
        await sleep(10);
      }
      await until(() => server.arrivals.length === 70, 5000);
      const sources = [...new Set(server.arrivals.map((a) => `${a.from.address}:${a.from.port}`))];
      expect(sources.length).toBeGreaterThanOrEqual(3);
      const addresses = new Set(server.arrivals.map((a) => a.from.address));
      if (addr) expect(addresses.size).toBeGreaterThanOrEqual(3);
      else expect([...addresses]).toEqual(['127.0.0.1']);
      expect(relay.stats().rebinds).toBeGreaterThanOrEqual(2);
      // The server answers the first binding: behind the NAT that binding is gone.
      const first = server.arrivals[0]!.from;
      server.socket.send(numbered(1000, 50), first.port, first.address);
      // And the binding a fresh datagram came from: that reply arrives, unless the relay moved on meanwhile (it
      // rebinds every 200 ms, and a loaded machine can stretch the round trip past that): then it is lost as the
      // first one was, the relay's counter says so, and the server answers the next fresh datagram.
      let lostToRebinds = 0;
      let current: { address: string; port: number } | undefined;
      let lastSent = 0;
      for (let seq = 2000; ; seq++) {
        const rebinds = relay.stats().rebinds;
        lastSent = performance.now();
        send(numbered(seq, 100));
        await until(() => server.arrivals.some((a) => seqOf(a.data) === seq), 2000);
        current = server.arrivals.find((a) => seqOf(a.data) === seq)!.from;
        server.socket.send(numbered(seq + 1000, 50), current.port, current.address);
        const answered = await until(() => replies.includes(seq + 1000), 1000).then(
          () => true,
          () => false,
        );
        if (answered) break;
        expect(relay.stats().rebinds, `reply ${seq + 1000} lost without a rebind`).toBeGreaterThan(rebinds);
        expect(++lostToRebinds).toBeLessThan(5);
      }
      expect(replies).not.toContain(1000);
      expect(relay.stats().toClient.dropped.nat).toBe(1 + lostToRebinds);
      expect(relay.stats().flows[0]!.strandedDrops).toBe(0);
      // Stranded: the binding the client last sent from is rebound away, the server answers it, the client is silent.
      await sleep(50);
      await relay.rebindAll();
      server.socket.send(numbered(4000, 50), current!.port, current!.address);
      await until(() => relay.stats().flows[0]!.strandedDrops >= 1, 2000);
      // The rebinding that stranded it (this one, or a scheduled one before) came after the client's last datagram.
      const after = relay.stats().flows[0]!.strandedAfterMs!;
      expect(after).toBeGreaterThan(0);
      expect(after).toBeLessThanOrEqual(performance.now() - lastSent);
      send(numbered(4001, 100)); // the client speaks again: the server can follow
      await until(() => relay.stats().flows[0]!.strandedDrops === 0, 2000);
      // A server that keeps answering the old binding after that did not follow: not counted as stranded.
      const nat = relay.stats().toClient.dropped.nat;
      server.socket.send(numbered(4002, 50), current!.port, current!.address);
      await until(() => relay.stats().toClient.dropped.nat === nat + 1, 2000);
      expect(relay.stats().flows[0]!.strandedDrops).toBe(0);
      await relay.stop();
    }
  }, 20_000);

  it('the MTU: a datagram that does not fit 1500 bytes of IPv4 is dropped', async () => {
    const { server, send, relay } = await setup('simple-p2p --delay=1ms --bandwidth=100Mbps --queue=25');
    send(Buffer.alloc(1473));
    send(Buffer.alloc(1472));
    await until(() => server.arrivals.length === 1, 2000);
    expect(server.arrivals[0]!.data.length).toBe(1472);
    expect(relay.stats().toServer.dropped.mtu).toBe(1);
  });

  it('IPv6: relays on ::1 (IPv6 headers count 48 bytes: 1452 fits, 1453 does not)', async () => {
    const { server, send, relay } = await setup('simple-p2p --delay=1ms --bandwidth=100Mbps --queue=25', {}, '::1');
    expect(relay.address.host).toBe('::1');
    send(Buffer.alloc(1453));
    send(Buffer.alloc(1452));
    await until(() => server.arrivals.length === 1, 2000);
    expect(server.arrivals[0]!.from.address).toBe('::1');
    expect(server.arrivals[0]!.data.length).toBe(1452);
    await expect(Relay.start({ target: { host: '::1', port: server.port }, scenario: 'rebind-addr' })).rejects.toThrow(/IPv4 target/);
  });
});

describe('relay: cross traffic, fork and CLI', () => {
  it('tcp-cross-traffic: the modelled CUBIC flow alone fills the 10 Mbit/s link in real time (≥ 85%)', async () => {
    const { relay } = await setup('crosstraffic');
    // The flow's packets are offered when the relay handles them, as the endpoints' datagrams are (see
    // cross-traffic.ts): a relay running late slows it as it slows them, so its round trip includes the loop's lateness.
    const lateness = monitorEventLoopDelay({ resolution: 1 });
    lateness.enable();
    cleanup.push(() => void lateness.disable());
    await sleep(1000);
    const a = relay.stats().crossTraffic!;
    const t0 = performance.now();
    await sleep(3000);
    const b = relay.stats().crossTraffic!;
    const mbps = ((b.deliveredBytes - a.deliveredBytes) * 8) / ((performance.now() - t0) / 1000) / 1e6;
    const late = `event loop late by ${(lateness.percentile(50) / 1e6).toFixed(1)} ms (median), ${(lateness.percentile(99) / 1e6).toFixed(1)} ms (99th percentile)`;
    console.log(`cross traffic alone: ${mbps.toFixed(2)} Mbit/s of TCP payload (${b.congestionEvents} congestion events, ${b.queueDrops.segments} segments dropped by the queue, srtt ${b.srttMs.toFixed(1)} ms); ${late}`);
    expect(mbps).toBeGreaterThan(0.85 * 10 * (1448 / 1500));
    expect(b.queueDrops.segments).toBeGreaterThan(0); // it filled the 25-packet queue
    // The model's round trip: 2 × 15 ms, plus at most 26 segments of 1,500 B ahead at 10 Mbit/s (1.2 ms each), plus the ACK, plus the loop's lateness.
    expect(b.srttMs).toBeGreaterThan(30);
    expect(b.srttMs).toBeLessThan(30 + 26 * 1.2 + 0.1 + (2 * lateness.percentile(99)) / 1e6);
  }, 15_000);

  it('forkRelay runs the relay in a child process: ready, counters, rebind, stop', async () => {
    const server = await sink();
    cleanup.push(() => server.close());
    const relay = await forkRelay({ target: { host: '127.0.0.1', port: server.port }, scenario: 'simple-p2p --delay=2ms --bandwidth=10Mbps --queue=25' });
    cleanup.push(() => void relay.process.kill('SIGKILL'));
    const c: Socket = createSocket('udp4');
    for (let i = 0; i < 10; i++) c.send(numbered(i, 100), relay.address.port, relay.address.host);
    await until(() => server.arrivals.length === 10, 5000);
    expect((await relay.stats()).toServer.forwarded).toBe(10);
    await relay.rebind();
    c.send(numbered(10, 100), relay.address.port, relay.address.host);
    await until(() => server.arrivals.length === 11, 5000);
    expect(server.arrivals[10]!.from.port).not.toBe(server.arrivals[0]!.from.port);
    const final = await relay.stop();
    expect(final.rebinds).toBe(1);
    expect(final.flows[0]!.toServer.datagrams).toBe(11);
    c.close();
    await expect(forkRelay({ target: { host: '127.0.0.1', port: 1 }, scenario: 'nonsense' })).rejects.toThrow(/unknown scenario/);
  }, 20_000);

  it('the CLI: exit 2 and a message on bad arguments; ready, then stats on SIGTERM', async () => {
    const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
    const run = (args: string[], ms: number, onReady?: (line: Record<string, unknown>) => void) =>
      new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
        const p = spawn(process.execPath, [cli, ...args]);
        let out = '';
        let err = '';
        p.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          const first = out.split('\n')[0];
          if (onReady && out.includes('\n') && first) {
            const o = JSON.parse(first) as Record<string, unknown>;
            onReady = ((f) => void f(o))(onReady) as undefined;
            setTimeout(() => p.kill('SIGTERM'), 300);
          }
        });
        p.stderr.on('data', (d: Buffer) => (err += d.toString()));
        const t = setTimeout(() => p.kill('SIGKILL'), ms);
        p.on('exit', (code) => (clearTimeout(t), resolve({ code, out, err })));
      });
    const bad = await run(['--target', '127.0.0.1:1', 'drop-rate', '--delay=1ms'], 5000);
    expect(bad.code).toBe(2);
    expect(bad.err).toMatch(/drop-rate: missing --bandwidth/);
    expect((await run(['drop-rate'], 5000)).err).toMatch(/--target is required/);
    const server = await sink();
    cleanup.push(() => server.close());
    let ready: Record<string, unknown> | undefined;
    const ok = await run(['--target', `127.0.0.1:${server.port}`, '--seed', '5', 'handshakeloss'], 10_000, (o) => (ready = o));
    expect(ok.code).toBe(0);
    expect(ready?.event).toBe('ready');
    const lines = ok.out
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { event: string; stats?: { scenario: { name: string } } });
    expect(lines.at(-1)?.event).toBe('stats');
    expect(lines.at(-1)?.stats?.scenario.name).toBe('drop-rate');
  }, 20_000);
});
