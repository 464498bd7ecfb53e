/**
 * @module peers/requests
 * The request-rate measurement both HTTP peers share: `concurrency` loops
 * issue requests back to back for `seconds` after a short warm-up; the rate
 * and the p50/p99 latency (ms) of the requests completed in the window, and
 * this process's CPU time (user + system, process.cpuUsage) per request in it, µs.
 */

const WARMUP_MS = 300;

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
  await new Promise((r) => setTimeout(r, WARMUP_MS));
  measuring = true;
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
