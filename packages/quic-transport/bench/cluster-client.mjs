// The load of bench/cluster.ts, in its own process: `concurrency` loops of full handshakes
// (connect → ready → close, one client endpoint per loop so each has its own 4-tuple) for `seconds`.
// Prints {"handshakes": n, "seconds": s, "cpuSeconds": c}.
import { QuicEndpoint } from '../dist/index.js';

const [port, seconds, concurrency] = process.argv.slice(2).map(Number);
const to = { address: '127.0.0.1', port };
const endpoints = await Promise.all(Array.from({ length: concurrency }, () => QuicEndpoint.bind({ address: '127.0.0.1' })));
const once = async (ep) => {
  const c = ep.connect(to, { alpn: ['hs'], verifyPeer: 'none' });
  await c.ready;
  void c.close();
};
await Promise.all(endpoints.map(once)); // warm-up
let n = 0;
const cpu0 = process.cpuUsage();
const t0 = performance.now();
const end = t0 + seconds * 1000;
await Promise.all(
  endpoints.map(async (ep) => {
    while (performance.now() < end) {
      await once(ep);
      n++;
    }
  }),
);
const cpu = process.cpuUsage(cpu0);
console.log(JSON.stringify({ handshakes: n, seconds: (performance.now() - t0) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6 }));
await Promise.all(endpoints.map((e) => e.close({ timeoutMs: 100 })));
