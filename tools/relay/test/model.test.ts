/**
 * The sans-IO path model, in virtual time: units and scenario lines, the
 * link's serialisation and drop-tail queue (exact), the error models'
 * rates against their statistical bounds for a seed, burst limits, the
 * drop list, black-hole periods, replays from a seed, the QUIC packet-type
 * reader, the amplification meter, the modelled TCP CUBIC flow and the
 * deadline scheduler's order (on a hand-moved clock).
 */
import { describe, expect, it } from 'vitest';
import {
  AmplificationMeter,
  blackhole,
  corruptRate,
  CrossTraffic,
  DEFAULT_CUBIC_FLOW,
  DeadlineScheduler,
  Direction,
  dropRate,
  droplist,
  Link,
  longHeaderTypes,
  parseRate,
  parseScenario,
  parseTime,
  Rng,
  RUNNER_SCENARIOS,
  type Decision,
  type ErrorModel,
} from '../src/index.js';
import { burstRate, withinBounds } from './support.js';

const ctx = (index: number, data = new Uint8Array(1200)) => ({ index, elapsedMs: 0, data });

describe('units', () => {
  it('parses ns-3 times and data rates', () => {
    expect([parseTime('15ms'), parseTime('750ms'), parseTime('1s'), parseTime('2'), parseTime('500us')]).toEqual([15, 750, 1000, 2000, 0.5]);
    expect([parseRate('10Mbps'), parseRate('100Kbps'), parseRate('1Gbps'), parseRate('500')]).toEqual([10e6, 100e3, 1e9, 500]);
    expect(() => parseTime('15 parsecs')).toThrow(RangeError);
    expect(() => parseRate('fast')).toThrow(/not a number with a unit/);
  });
});

describe('scenario lines', () => {
  it('every runner test and measurement has a scenario line that parses', () => {
    for (const [test, line] of Object.entries(RUNNER_SCENARIOS)) {
      const s = parseScenario(line);
      expect(s.queue, test).toBe(25);
      expect(s.bandwidth, test).toBe(10e6);
      expect(parseScenario(test)).toEqual(s);
    }
    expect(parseScenario('longrtt').delayMs).toBe(750);
  });

  it('reads the runner’s options into per-direction impairments', () => {
    expect(parseScenario('handshakeloss').toServer).toEqual([{ kind: 'drop-rate', rate: 30, burst: 3 }]);
    expect(parseScenario('transfercorruption').toClient).toEqual([{ kind: 'corrupt-rate', rate: 2, burst: 3 }]);
    const a = parseScenario('amplificationlimit');
    expect(a.toServer).toEqual([{ kind: 'droplist', packets: [2, 3, 4, 5, 6, 7] }]);
    expect(a.toClient).toEqual([]);
    expect(parseScenario('blackhole').toClient).toEqual([{ kind: 'blackhole', onMs: 5000, offMs: 2000, repeat: 1 }]);
    expect(parseScenario('blackhole --delay=1ms --bandwidth=1Mbps --queue=5 --on=1s --off=1s --direction=toserver').toClient).toEqual([]);
    expect(parseScenario('rebind-addr').rebind).toEqual({ firstMs: 1000, everyMs: 5000, address: true });
    expect(parseScenario('rebind-port').rebind?.address).toBe(false);
    expect(parseScenario('crosstraffic').crossTraffic).toBe(true);
    expect(parseScenario('drop-rate --delay=1ms --bandwidth=1Mbps --queue=5 --rate_to_server=5 --rate_to_client=0').toClient).toEqual([]);
  });

  it('refuses unknown scenarios and options, missing options and bad values, naming them', () => {
    expect(() => parseScenario('warp-drive --delay=1ms')).toThrow(/unknown scenario "warp-drive"/);
    expect(() => parseScenario('simple-p2p --delay=1ms --bandwidth=1Mbps')).toThrow(/missing --queue/);
    expect(() => parseScenario('simple-p2p --delay=1ms --bandwidth=1Mbps --queue=5 --jitter=2ms')).toThrow(/unknown option --jitter/);
    expect(() => parseScenario('drop-rate --delay=1ms --bandwidth=1Mbps --queue=5 --rate_to_server=130 --rate_to_client=0')).toThrow(/over 100/);
    expect(() => parseScenario('droplist --delay=1ms --bandwidth=1Mbps --queue=5 --drops_to_server=0,x')).toThrow(/not a packet number/);
    expect(() => parseScenario('')).toThrow(/empty/);
  });
});

describe('link: serialisation, delay and the drop-tail queue', () => {
  it('spaces packets by their serialisation time at the set rate and adds the delay, exactly', () => {
    const link = new Link({ bandwidth: 10e6, delayMs: 15, queue: Infinity });
    const at = Array.from({ length: 1000 }, () => link.offer(0, 1250)!);
    expect(at[0]).toBeCloseTo(1 + 15, 9); // 1250 B = 10,000 bit = 1 ms at 10 Mbit/s
    expect(at[999]).toBeCloseTo(1000 + 15, 6);
    // 1000 × 1250 B in (at[999] − at[0]) + one serialisation: 10 Mbit/s exactly.
    expect((1000 * 1250 * 8) / ((at[999]! - at[0]! + 1) / 1000)).toBeCloseTo(10e6, 0);
  });

  it('holds N waiting packets besides the one on the wire, and drops the next at the tail', () => {
    const link = new Link({ bandwidth: 10e6, delayMs: 15, queue: 25 });
    const fates = Array.from({ length: 40 }, () => link.offer(0, 1250));
    expect(fates.slice(0, 26).every((t) => t !== undefined)).toBe(true);
    expect(fates.slice(26).every((t) => t === undefined)).toBe(true);
    expect(link.queued(0)).toBe(25);
    // Once one has left the queue (after 1 ms on the wire), one more fits.
    expect(link.offer(1.0001, 1250)).toBeCloseTo(27 + 15, 6);
    expect(link.offer(1.0001, 1250)).toBeUndefined();
    expect(link.queued(100)).toBe(0);
  });

  it('counts the queue at the time offered, also a little before an earlier offer (the cross traffic runs at its own deadlines)', () => {
    const link = new Link({ bandwidth: 10e6, delayMs: 15, queue: 25 });
    for (let i = 0; i < 26; i++) link.offer(0, 1250); // one on the wire (0–1 ms), 25 waiting (starting at 1, 2, … 25 ms)
    expect(link.queued(2)).toBe(23);
    expect(link.queued(0.5)).toBe(25);
    expect(link.offer(0.5, 1250)).toBeUndefined();
    expect(link.offer(2, 1250)).toBeCloseTo(27 + 15, 6);
  });

  it('refuses a negative rate, delay or queue', () => {
    expect(() => new Link({ bandwidth: -1, delayMs: 0, queue: 1 })).toThrow(RangeError);
  });
});

describe('error models', () => {
  const run = (m: ErrorModel, n: number): boolean[] => Array.from({ length: n }, (_, i) => m.decide(ctx(i + 1)).kind !== 'forward');

  for (const [rate, burst] of [
    [30, 3],
    [2, 3],
    [10, Infinity],
  ] as const) {
    it(`drop-rate ${rate}% (burst ${burst}): the observed rate is within 5σ of the chain’s rate, and no run is longer than the burst`, () => {
      const n = 200_000;
      const hits = run(dropRate(rate, burst, new Rng(42, 'to-server')), n);
      const dropped = hits.filter(Boolean).length;
      const p = burstRate(rate / 100, burst);
      expect(withinBounds(dropped, n, p)).toBe(true);
      let run1 = 0;
      let longest = 0;
      for (const h of hits) longest = Math.max(longest, (run1 = h ? run1 + 1 : 0));
      if (burst !== Infinity) expect(longest).toBe(burst); // reached, never exceeded
    });
  }

  it('corrupt-rate changes exactly one byte among the first 51 to a new value, at the set rate, and never a Version Negotiation packet', () => {
    const m = corruptRate(30, 3, new Rng(9, 'to-client'));
    const data = new Uint8Array(1200).map((_, i) => i & 0xff);
    let corrupted = 0;
    const n = 50_000;
    for (let i = 1; i <= n; i++) {
      const v = m.decide(ctx(i, data));
      if (v.kind !== 'corrupt') continue;
      corrupted++;
      const diff = [...v.data.keys()].filter((k) => v.data[k] !== data[k]);
      expect(diff).toEqual([v.offset]);
      expect(v.offset).toBeLessThanOrEqual(50);
    }
    expect(withinBounds(corrupted, n, burstRate(0.3, 3))).toBe(true);
    const vn = new Uint8Array([0x80, 0, 0, 0, 0, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 1]);
    const always = corruptRate(100, Infinity, new Rng(1));
    for (let i = 1; i <= 100; i++) expect(always.decide(ctx(i, vn)).kind).toBe('forward');
    expect(always.decide(ctx(1, new Uint8Array([0x40, 1, 2]))).kind).toBe('corrupt');
  });

  it('droplist drops exactly the listed packet numbers', () => {
    const m = droplist([2, 3, 4, 5, 6, 7]);
    expect(run(m, 10)).toEqual([false, true, true, true, true, true, true, false, false, false]);
    expect(() => droplist([0])).toThrow(RangeError);
  });

  it('blackhole drops everything during its off periods only', () => {
    const m = blackhole(5000, 2000, 2);
    const at = (ms: number) => m.decide({ index: 1, elapsedMs: ms, data: new Uint8Array(1) }).kind;
    expect([at(0), at(4999), at(5000), at(6999), at(7000), at(11999), at(12000), at(13999), at(14000), at(30000)]).toEqual(['forward', 'forward', 'drop', 'drop', 'forward', 'forward', 'drop', 'drop', 'forward', 'forward']);
  });
});

describe('determinism', () => {
  const scenario = parseScenario('handshakecorruption');
  const decisions = (seed: number | string): string[] => {
    const d = new Direction({ bandwidth: 10e6, delayMs: 15, queue: 25, mtu: 1500, overhead: 28, epoch: 0 }, [corruptRate(30, 3, new Rng(seed, 'to-server'))]);
    const out: string[] = [];
    for (let i = 0; i < 2000; i++) {
      const r: Decision = d.process(i * 2, new Uint8Array(1200).fill(i & 0xff));
      out.push(r.kind === 'drop' ? `drop ${r.reason}` : `${r.at.toFixed(3)} ${r.corruptedAt ?? '-'} ${r.data[r.corruptedAt ?? 0]}`);
    }
    return out;
  };

  it('the same seed replays the same decisions for the same input; another seed does not', () => {
    expect(scenario.toServer[0]?.kind).toBe('corrupt-rate');
    const a = decisions(7);
    expect(decisions(7)).toEqual(a);
    expect(decisions('7')).toEqual(decisions('7'));
    const b = decisions(8);
    expect(b).not.toEqual(a);
    expect(a.filter((x) => !x.includes(' - ')).length).toBeGreaterThan(400); // ~29% corrupted
  });

  it('the directions draw from independent streams', () => {
    const a = new Rng(5, 'to-server');
    const b = new Rng(5, 'to-client');
    expect(Array.from({ length: 8 }, () => a.u32())).not.toEqual(Array.from({ length: 8 }, () => b.u32()));
  });

  it('the MTU drops what would not fit a 1500-byte IP packet', () => {
    const d = new Direction({ bandwidth: 0, delayMs: 0, queue: Infinity, mtu: 1500, overhead: 28, epoch: 0 }, []);
    expect(d.process(0, new Uint8Array(1472)).kind).toBe('deliver');
    expect(d.process(0, new Uint8Array(1473))).toEqual({ kind: 'drop', reason: 'mtu', at: 0 });
    expect(d.counters.dropped.mtu).toBe(1);
  });
});

/** A long-header packet: type bits, version, DCID/SCID of 8 bytes, token (Initial), then Length and `payload` bytes. */
function longPacket(typeBits: number, version: number, payload: number, token = 0): number[] {
  const v = [(version >>> 24) & 0xff, (version >>> 16) & 0xff, (version >>> 8) & 0xff, version & 0xff];
  const tokenPart = (typeBits === 0 && version === 1) || (typeBits === 1 && version === 0x6b3343cf) ? [token, ...new Array(token).fill(7)] : [];
  return [0xc0 | (typeBits << 4), ...v, 8, ...new Array(8).fill(1), 8, ...new Array(8).fill(2), ...tokenPart, 0x40 | (payload >> 8), payload & 0xff, ...new Array(payload).fill(9)];
}

describe('QUIC packet types at the relay, and the amplification meter', () => {
  it('reads coalesced long-header types in v1 and v2 (RFC 9000 §17.2, RFC 9369 §3.2)', () => {
    expect(longHeaderTypes(new Uint8Array([...longPacket(0, 1, 300, 5), ...longPacket(2, 1, 100), 0x40, 1, 2, 3]))).toEqual(['initial', 'handshake']);
    expect(longHeaderTypes(new Uint8Array([...longPacket(1, 0x6b3343cf, 50, 0), ...longPacket(3, 0x6b3343cf, 40)]))).toEqual(['initial', 'handshake']);
    expect(longHeaderTypes(new Uint8Array([0x40, 1, 2, 3, 4, 5, 6, 7]))).toEqual([]);
    expect(longHeaderTypes(new Uint8Array(longPacket(0, 1, 300).slice(0, 20)))).toEqual(['initial']); // truncated: no walk past the end
  });

  it('tracks the server’s bytes against the client’s delivered bytes until a client Handshake packet arrives', () => {
    const m = new AmplificationMeter();
    const initial = new Uint8Array(longPacket(0, 1, 1174)); // a 1200-byte Initial
    expect(initial.length).toBe(1200);
    m.toServer(initial);
    for (let i = 0; i < 3; i++) m.fromServer(new Uint8Array(1200));
    expect(m.report().maxRatio).toBeCloseTo(3, 9);
    m.toServer(new Uint8Array([...longPacket(0, 1, 100), ...longPacket(2, 1, 900)]));
    m.fromServer(new Uint8Array(50_000)); // after the Handshake packet: not counted
    const r = m.report();
    expect(r.handshakeReceived).toBe(true);
    expect(r.serverBytes).toBe(3600);
    expect(r.maxRatio).toBeLessThanOrEqual(3);
  });
});

/** Virtual-time run of TCP CUBIC flows over one bottleneck (both directions modelled), each handled at its deadlines. */
function simulate(flows: number, seconds: number, o = { bandwidth: 10e6, delayMs: 15, queue: 25 }) {
  const data = new Link(o);
  const acks = new Link(o);
  const events: { at: number; run: () => void }[] = [];
  const push = (at: number, run: () => void) => {
    let i = events.length;
    events.push({ at, run });
    while (i > 0 && events[i - 1]!.at > at) {
      events[i] = events[i - 1]!;
      i--;
    }
    events[i] = { at, run };
  };
  const models = Array.from(
    { length: flows },
    () =>
      new CrossTraffic({
        data,
        acks,
        deliver: (_lane, at, run) => push(at, () => run(at)),
        timer: (at, run) => at !== undefined && push(at, () => run(at)),
      }),
  );
  models.forEach((m, i) => push(i * 1000, () => m.pump(i * 1000)));
  while (events.length && events[0]!.at <= seconds * 1000) events.shift()!.run();
  return models.map((m) => m.flow.stats);
}

describe('modelled TCP CUBIC flow (RFC 9438)', () => {
  it('alone, fills a 10 Mbit/s, 15 ms, 25-packet link (≥ 90% of the rate as goodput) through its losses', () => {
    const [s] = simulate(1, 30);
    const goodput = (s!.deliveredBytes * 8) / 30;
    expect(goodput).toBeGreaterThan(0.9 * 10e6 * (1448 / 1500));
    expect(s!.congestionEvents).toBeGreaterThan(3); // the queue overflows, it backs off, it grows again
    expect(s!.timeouts).toBeLessThan(3);
  });

  it('two flows share the link, each with 40–60% of it (47.5 / 52.5 %, the second starting 1 s later)', () => {
    const [a, b] = simulate(2, 60);
    const share = a!.deliveredBytes / (a!.deliveredBytes + b!.deliveredBytes);
    expect(share).toBeGreaterThan(0.4);
    expect(share).toBeLessThan(0.6);
    expect(((a!.deliveredBytes + b!.deliveredBytes) * 8) / 60).toBeGreaterThan(0.85 * 10e6 * (1448 / 1500));
  });
});

describe('cross traffic: each packet offered to its link when it is handled (as the relay offers a datagram when it reads it)', () => {
  const link = { bandwidth: 10e6, delayMs: 15, queue: 25 };
  // Wire times at 10 Mbit/s: a 1,500-byte segment 1.2 ms, a 52-byte ACK 0.0416 ms.
  function setup() {
    const data = new Link(link);
    const acks = new Link(link);
    const jobs: { lane: 0 | 1; at: number; run: (now: number) => void }[] = [];
    const model = new CrossTraffic({ data, acks, deliver: (lane, at, run) => jobs.push({ lane, at, run }), timer: () => {} }, { ...DEFAULT_CUBIC_FLOW, initialWindow: 1 });
    return { data, jobs, model };
  }

  it('a segment handled late is acknowledged from when it was handled; its RTT sample spans the lateness', () => {
    const { jobs, model } = setup();
    model.pump(0);
    expect(jobs.map((j) => [j.lane, j.at])).toEqual([[1, 16.2]]);
    jobs.shift()!.run(19.2); // 3 ms late
    expect(jobs).toHaveLength(1);
    expect(jobs[0]!.lane).toBe(0);
    expect(jobs[0]!.at).toBeCloseTo(19.2 + 0.0416 + 15, 9);
    jobs.shift()!.run(34.3);
    expect(model.flow.stats.srttMs).toBeCloseTo(34.3, 9);
  });

  it('an ACK handled early sends at that time: it takes no queue slot that frees between then and its deadline', () => {
    const { data, jobs, model } = setup();
    model.pump(0);
    jobs.shift()!.run(16.2); // on time
    const ack = jobs.shift()!; // due at 31.2416
    // The relay read a burst of 26 datagrams at 30: one on the wire, 25 waiting; the first slot frees at 31.2.
    for (let i = 0; i < 26; i++) expect(data.offer(30, 1500)).toBeDefined();
    ack.run(31.0); // the scheduler runs jobs up to its slack early: the queue is still full
    expect(model.queueDrops.segments).toBe(2); // slow start: the ACK opened two
    expect(jobs).toHaveLength(0);
    expect(data.queued(31.0)).toBe(25);
  });
});

describe('deadline scheduler', () => {
  it('runUntil(t) runs what is due by t, earliest first across lanes (jobs scheduled meanwhile included), and nothing later', () => {
    const s = new DeadlineScheduler(2, 0.75, () => 0);
    const ran: string[] = [];
    s.schedule(0, 5, () => ran.push('a5'));
    s.schedule(1, 3, () => {
      ran.push('b3');
      s.schedule(0, 6, () => ran.push('a6'));
    });
    s.schedule(1, 9, () => ran.push('b9'));
    s.schedule(1, 10, () => ran.push('b10'));
    s.runUntil(9);
    expect(ran).toEqual(['b3', 'a5', 'a6', 'b9']);
    expect(s.pending).toBe(1);
    s.stop();
  });
});
