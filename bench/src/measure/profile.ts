/**
 * @module measure/profile
 * Where the bulk case spends its CPU: ours → ours at Internet-sized
 * datagrams (1,452 B, PMTU probing off: the headline rows) under the V8 CPU
 * profiler (what `node --cpu-prof` records, limited to the transfer itself:
 * start-up and module loading left out), and the functions with the most
 * self time in each process's profile; before it, the same transfer
 * unprofiled gives each side's CPU time per datagram (process.cpuUsage over
 * the transfer / 1-RTT datagrams received), a figure the load of a shared
 * machine hardly moves, unlike the throughput. Beside it, the same per
 * datagram for the QUIC core alone (sans-IO, both endpoints in this process,
 * no socket and no shell: what packet building, protection, recovery and
 * stream buffers cost) and for Node's floor (measure/floor.ts): the core's
 * figure less the floor's packet protection is our protocol logic; the
 * process's figure less the core's is the shell, the socket and the runtime.
 *   node bench/dist/measure/profile.js [MB] [top]    (this alone: CPU per datagram and the hot spots)
 */
import { readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { makeCerts, removeDir, scratch, type Certs } from '../proc.js';
import { INTERNET_DATAGRAMS, oursToOursInProcess } from './bulk.js';
import { nodeFloor } from './floor.js';
import { CLIENT, establishPair, SERVER } from './unroutable.js';

export interface HotSpot {
  function: string;
  location: string;
  selfMs: number;
  /** Share of the process's busy (non-idle) samples. */
  selfPercent: number;
}

export interface ProcessProfile {
  role: 'server (sender)' | 'client (receiver)';
  /** CPU µs per datagram of the transfer, measured without the profiler. */
  cpuUsPerDatagram: number;
  /** The same side's CPU µs per datagram with no QUIC at all: node:dgram and node:crypto packet protection only (measure/floor.ts). */
  nodeFloorUsPerDatagram: number;
  /** The same side's CPU µs per datagram in the QUIC core alone (sans-IO, no socket, no shell): coreBulkCpu. */
  coreUsPerDatagram: number;
  busyMs: number;
  top: HotSpot[];
}

export interface CpuProfile {
  nodes: { id: number; callFrame: { functionName: string; url: string; lineNumber: number } }[];
  samples: number[];
  timeDeltas: number[];
}

/** Self time per function (by name and location), largest first. */
export function hotSpots(profile: CpuProfile, top: number): { busyMs: number; top: HotSpot[] } {
  const frameOf = new Map(profile.nodes.map((n) => [n.id, n.callFrame]));
  const self = new Map<string, { function: string; location: string; us: number }>();
  let busy = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    const f = frameOf.get(profile.samples[i]!);
    const dt = profile.timeDeltas[i] ?? 0;
    if (!f || f.functionName === '(idle)') continue;
    busy += dt;
    const location = f.url ? `${shortUrl(f.url)}:${f.lineNumber + 1}` : '';
    const key = `${f.functionName}@${location}`;
    const e = self.get(key) ?? { function: f.functionName || '(anonymous)', location, us: 0 };
    e.us += dt;
    self.set(key, e);
  }
  const list = [...self.values()].sort((a, b) => b.us - a.us).slice(0, top);
  return { busyMs: busy / 1000, top: list.map((e) => ({ function: e.function, location: e.location, selfMs: e.us / 1000, selfPercent: busy > 0 ? (100 * e.us) / busy : 0 })) };
}

function shortUrl(url: string): string {
  const m = /packages\/([^/]+)\/(?:dist|src)\/(.*)$/.exec(url);
  if (m) return `${m[1]}/${m[2]}`;
  return url.startsWith('node:') ? url : basename(url);
}

/** Datagrams a shell sends per event-loop turn in coreBulkCpu. */
const CORE_BATCH = 16;

const cpuMicros = (): number => {
  const u = process.cpuUsage();
  return u.user + u.system;
};

/**
 * CPU µs per 1,452-byte datagram of the QUIC core alone: a sans-IO server
 * sends `datagrams` datagrams of one stream to a sans-IO client in this
 * process, driven as a shell drives them (at most 16 datagrams a turn, then
 * the peer's input, its ACKs back, the timers polled; 0.1 ms of virtual time
 * a turn), each side's calls timed with process.cpuUsage. Best of `runs`
 * (the least disturbed by other processes).
 */
export function coreBulkCpu(certs: Certs, datagrams: number, runs = 3): { senderUs: number; receiverUs: number } {
  let best = { senderUs: Infinity, receiverUs: Infinity };
  const chunk = new Uint8Array(256 * 1024).fill(0x61);
  for (let run = 0; run < runs; run++) {
    const { server, client, now: t0 } = establishPair(certs, 1, INTERNET_DATAGRAMS);
    const sc = [...server.connections][0]!;
    const cc = [...client.connections][0]!;
    const id = sc.openStream('uni')!;
    const q: Uint8Array[] = [];
    let now = t0;
    let sender = 0;
    let receiver = 0;
    let received = 0;
    for (let n = 0; n < datagrams; now += 0.1) {
      const a = cpuMicros();
      while (sc.writableBytes(id) >= chunk.length) sc.write(id, chunk);
      server.handleTimeout(now);
      for (let t = server.pollTransmit(now); t; t = q.length < CORE_BATCH ? server.pollTransmit(now) : null) q.push(t.data);
      server.pollTimeout();
      const b = cpuMicros();
      n += q.length;
      for (const d of q.splice(0)) client.handleDatagram(now, d, SERVER);
      for (let e = client.pollEvent(); e; e = client.pollEvent());
      for (let r = cc.read(id, Infinity, now); r && r.data.length > 0; r = cc.read(id, Infinity, now)) received += r.data.length;
      client.handleTimeout(now);
      for (let t = client.pollTransmit(now); t; t = client.pollTransmit(now)) q.push(t.data);
      client.pollTimeout();
      const c = cpuMicros();
      for (const d of q.splice(0)) server.handleDatagram(now, d, CLIENT);
      for (let e = server.pollEvent(); e; e = server.pollEvent());
      sender += cpuMicros() - c + (b - a);
      receiver += c - b;
    }
    if (received < datagrams * 1000) throw new Error(`core bulk: ${received} bytes for ${datagrams} datagrams`);
    best = { senderUs: Math.min(best.senderUs, sender / datagrams), receiverUs: Math.min(best.receiverUs, receiver / datagrams) };
  }
  return best;
}

/** Run the bulk transfer once unprofiled (CPU per datagram), then under the profiler; one profile per process. */
export async function profileBulk(certs: Certs, bytes: number, top = 10): Promise<ProcessProfile[]> {
  const dir = scratch('tsquic-prof');
  try {
    const cpu = await oursToOursInProcess(certs, { bytes, transport: INTERNET_DATAGRAMS });
    const floor = await nodeFloor(Math.min(cpu.datagrams, 100_000), true);
    const core = coreBulkCpu(certs, Math.min(cpu.datagrams, 20_000));
    await oursToOursInProcess(certs, { bytes, transport: INTERNET_DATAGRAMS, profileDir: dir });
    return (['server', 'client'] as const).map((name) => ({
      role: name === 'server' ? 'server (sender)' : 'client (receiver)',
      cpuUsPerDatagram: name === 'server' ? cpu.senderUs : cpu.receiverUs,
      nodeFloorUsPerDatagram: name === 'server' ? floor.senderUs : floor.receiverUs,
      coreUsPerDatagram: name === 'server' ? core.senderUs : core.receiverUs,
      ...hotSpots(JSON.parse(readFileSync(join(dir, `${name}.cpuprofile`), 'utf8')) as CpuProfile, top),
    }));
  } finally {
    removeDir(dir);
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const dir = scratch('tsquic-prof-certs');
  try {
    const [mb, top] = process.argv.slice(2).map(Number);
    for (const p of await profileBulk(makeCerts(dir), (mb || 50) * 1e6, top || 15)) {
      console.log(
        `${p.role}: ${p.cpuUsPerDatagram.toFixed(1)} µs CPU per datagram (QUIC core alone, sans-IO: ${p.coreUsPerDatagram.toFixed(1)}; Node's floor with packet protection: ${p.nodeFloorUsPerDatagram.toFixed(1)}); profiled ${p.busyMs.toFixed(0)} ms busy`,
      );
      for (const h of p.top) console.log(`  ${h.selfPercent.toFixed(1).padStart(5)}%  ${h.selfMs.toFixed(0).padStart(6)} ms  ${h.function}  ${h.location}`);
    }
  } finally {
    removeDir(dir);
  }
}
