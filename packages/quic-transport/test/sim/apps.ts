/**
 * @module test/sim/apps
 * Small applications driven over the simulated network: a bulk sender that
 * writes a buffer on one stream as fast as flow control allows, and a
 * receiver that collects every stream's bytes.
 */
import type { Connection, ConnEvent } from '../../src/core/index.js';

export class Collector {
  readonly data = new Map<number, Uint8Array[]>();
  readonly finished = new Set<number>();
  readonly events: ConnEvent[] = [];
  /** Bytes read so far per stream (without joining them). */
  readonly received = new Map<number, number>();

  /** `reading: false` models a stalled application that never reads (flow control then bites). */
  constructor(
    readonly conn: Connection,
    public reading = true,
  ) {}

  /** Drain events and read every readable stream. */
  pump(now: number): void {
    for (let e = this.conn.pollEvent(); e; e = this.conn.pollEvent()) {
      this.events.push(e);
      if (this.reading && (e.type === 'stream-readable' || e.type === 'stream-incoming')) this.readAll(e.id, now);
    }
  }

  private readAll(id: number, now: number): void {
    if (this.finished.has(id)) return;
    const s = this.conn.streams.get(id);
    if (!s?.recv) return;
    for (let r = this.conn.read(id, 1 << 20, now); r; r = this.finished.has(id) ? null : this.conn.read(id, 1 << 20, now)) {
      if (r.data.length) {
        (this.data.get(id) ?? this.data.set(id, []).get(id)!).push(r.data);
        this.received.set(id, (this.received.get(id) ?? 0) + r.data.length);
      }
      if (r.fin) this.finished.add(id);
    }
  }

  bytes(id: number): Buffer {
    return Buffer.concat(this.data.get(id) ?? []);
  }

  closed(): ConnEvent | undefined {
    return this.events.find((e) => e.type === 'closed');
  }
}

/** Writes `src` on stream `id`, as much as the send buffer accepts each time it is pumped. */
export class BulkSender {
  written = 0;
  constructor(
    readonly conn: Connection,
    readonly id: number,
    readonly src: Uint8Array,
    readonly chunk = 64 * 1024,
  ) {}

  pump(): void {
    while (this.written < this.src.length) {
      const n = this.conn.write(this.id, this.src.subarray(this.written, Math.min(this.src.length, this.written + this.chunk)));
      this.written += n;
      if (n === 0) return;
    }
    if (this.written === this.src.length && this.written >= 0) {
      this.conn.finish(this.id);
      this.written = Infinity;
    }
  }
}

export function pattern(n: number, seed = 1): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < n; i++) {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    out[i] = x & 0xff;
  }
  return out;
}
