/**
 * @module peers/requests
 * The request-rate measurement both HTTP peers share: `concurrency` loops
 * issue requests back to back for `seconds` after a warm-up; the rate and
 * the p50/p99 latency (ms) of the requests completed in the window, and this
 * process's CPU time (user + system, process.cpuUsage) per request in it, µs.
 * The start of the window is told to the parent (`window`), which samples
 * the server's CPU there, so both sides are measured over the same window.
 *
 * The warm-up is half the window, from 0.3 s to 1.5 s: a JavaScript stack
 * runs in V8's interpreter and baseline tier until its functions are hot,
 * and at 1 concurrent request 0.3 s is a few hundred requests — measured,
 * HTTP/3 at 128 concurrent went from 0.31x to 0.68x Node http2 with 1.5 s.
 */
import type { PeerMessage } from './ipc.js';

/** Warm-up before the window, ms: half of it, within [300, 1500]. */
export function warmupMs(seconds: number): number {
  return Math.min(1500, Math.max(300, seconds * 500));
}

export async function measureRequests(request: () => Promise<void>, concurrency: number, seconds: number): Promise<{ requests: number; seconds: number; p50: number; p99: number; cpuMicros: number }> {
  const latencies: number[] = [];
  let measuring = false;
  let stop = false;
  const loop = async (): Promise<void> => {
    while (!stop) {
      const t = performance.now();
      await request();
      if (measuring && !stop) latencies.push(performance.now() - t);
    }
  };
  const loops = Array.from({ length: concurrency }, loop);
  await new Promise((r) => setTimeout(r, warmupMs(seconds)));
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
  return { requests: latencies.length, seconds: elapsed, p50: at(0.5), p99: at(0.99), cpuMicros: (cpu.user + cpu.system) / Math.max(1, latencies.length) };
}
