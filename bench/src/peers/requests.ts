/**
 * @module peers/requests
 * The request-rate measurement both HTTP peers share: `concurrency` loops
 * issue requests back to back for `seconds` after a warm-up; the rate and
 * the p50/p99 latency (ms) of the requests completed in the window, and this
 * process's CPU time (user + system, process.cpuUsage) per request in it, µs.
 * The start of the window is told to the parent (`window`), which samples
 * the server's CPU there, so both sides are measured over the same window.
 *
 * The warm-up is counted in requests, not only in time, the same rule for
 * every peer: a JavaScript stack runs in V8's interpreter and baseline tier
 * until its functions have run enough bytecode to be optimised, which takes
 * a number of requests whatever the concurrency. With 1.5 s alone, the
 * window at 1 concurrent request (about 2,000 requests of warm-up) still
 * saw V8 optimise 156 functions of our server, against 65 before it; at 128
 * concurrent, 1.5 s is about 20,000 requests. A peer that needs no warm-up
 * (Node's http2 is mostly native) loses nothing by it.
 */
import type { PeerMessage } from './ipc.js';

/** The warm-up before the window: at least `minMs` and `requests` completed requests, at most `maxMs`. */
export interface Warmup {
  minMs: number;
  requests: number;
  maxMs: number;
}

/** The warm-up for a window of `seconds`: 0.3 s for the smoke run's short windows, else 1.5 s and 20,000 requests, at most 15 s. */
export function warmupFor(seconds: number): Warmup {
  return seconds < 1 ? { minMs: 300, requests: 0, maxMs: 300 } : { minMs: 1500, requests: 20_000, maxMs: 15_000 };
}

/** The warm-up rule in words, for the rows' method. */
export function describeWarmup(seconds: number): string {
  const w = warmupFor(seconds);
  return w.requests ? `a warm-up of at least ${w.minMs / 1000} s and ${w.requests.toLocaleString('en')} requests (at most ${w.maxMs / 1000} s)` : `a warm-up of ${w.minMs / 1000} s`;
}

export interface RequestFigures {
  requests: number;
  seconds: number;
  p50: number;
  p99: number;
  cpuMicros: number;
  warmupRequests: number;
  warmupSeconds: number;
}

/** The `result` message a request-rate client (peers/h2, peers/h3) sends its parent. */
export function requestsResult(r: RequestFigures): PeerMessage {
  return { type: 'result', bytes: r.requests, seconds: r.seconds, stats: { p50: r.p50, p99: r.p99, cpuMicros: r.cpuMicros, warmupRequests: r.warmupRequests, warmupSeconds: r.warmupSeconds } };
}

export async function measureRequests(request: () => Promise<void>, concurrency: number, seconds: number, w: Warmup = warmupFor(seconds)): Promise<RequestFigures> {
  const latencies: number[] = [];
  let measuring = false;
  let stop = false;
  let completed = 0;
  const loop = async (): Promise<void> => {
    while (!stop) {
      const t = performance.now();
      await request();
      completed++;
      if (measuring && !stop) latencies.push(performance.now() - t);
    }
  };
  const loops = Array.from({ length: concurrency }, loop);
  const w0 = performance.now();
  for (;;) {
    await new Promise((r) => setTimeout(r, Math.min(50, w.minMs)));
    const ms = performance.now() - w0;
    if (ms >= w.maxMs || (ms >= w.minMs && completed >= w.requests)) break;
  }
  const warmupRequests = completed;
  const warmupSeconds = (performance.now() - w0) / 1000;
  measuring = true;
  process.send?.({ type: 'window' } satisfies PeerMessage);
  const t0 = performance.now();
  const cpu0 = process.cpuUsage();
  await new Promise((r) => setTimeout(r, seconds * 1000));
  stop = true;
  const cpu = process.cpuUsage(cpu0);
  const elapsed = (performance.now() - t0) / 1000;
  await Promise.all(loops);
  latencies.sort((x, y) => x - y);
  const at = (q: number): number => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return { requests: latencies.length, seconds: elapsed, p50: at(0.5), p99: at(0.99), cpuMicros: (cpu.user + cpu.system) / Math.max(1, latencies.length), warmupRequests, warmupSeconds };
}
