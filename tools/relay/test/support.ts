import { createSocket, type Socket } from 'node:dgram';

export interface Arrival {
  readonly at: number;
  readonly data: Buffer;
  readonly from: { address: string; port: number };
}

/** A UDP socket on loopback recording every datagram with its arrival time (performance.now()). */
export async function sink(host = '127.0.0.1'): Promise<{ socket: Socket; port: number; arrivals: Arrival[]; close(): Promise<void> }> {
  const socket = createSocket({ type: host.includes(':') ? 'udp6' : 'udp4', recvBufferSize: 8 << 20 });
  const arrivals: Arrival[] = [];
  socket.on('message', (data, r) => arrivals.push({ at: performance.now(), data, from: { address: r.address, port: r.port } }));
  await new Promise<void>((r) => socket.bind(0, host, () => r()));
  return { socket, port: socket.address().port, arrivals, close: () => new Promise((r) => socket.close(() => r())) };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Wait until `cond()` holds (polling), at most `ms`. */
export async function until(cond: () => boolean, ms: number): Promise<void> {
  const end = performance.now() + ms;
  while (!cond()) {
    if (performance.now() > end) throw new Error(`condition not met within ${ms} ms`);
    await sleep(10);
  }
}

/** A datagram whose first 4 bytes carry its sequence number, `size` bytes long; byte 0 is 0x40 (a QUIC short header). */
export function numbered(seq: number, size: number): Buffer {
  const b = Buffer.alloc(size, 0xab);
  b.writeUInt32BE(seq, 0);
  b[0] = 0x40 | (b[0]! & 0x3f);
  return b;
}

export function seqOf(b: Buffer): number {
  return b.readUInt32BE(0) & 0x3fffffff;
}

/** The expected loss fraction of a Bernoulli(p) process with at most `burst` successes in a row (a Markov chain's stationary rate). */
export function burstRate(p: number, burst: number): number {
  return burst === Infinity ? p : (p * (1 - p ** burst)) / (1 - p ** (burst + 1));
}

/** |observed - expected| is within `k` standard deviations of a binomial count over n trials (a loose bound for the burst chain too). */
export function withinBounds(observed: number, n: number, p: number, k = 5): boolean {
  const sd = Math.sqrt(n * p * (1 - p));
  return Math.abs(observed - n * p) <= k * sd;
}
