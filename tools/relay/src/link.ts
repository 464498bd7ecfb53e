/**
 * @module link
 * One direction of the runner's point-to-point bottleneck (ns-3
 * PointToPointNetDevice behind a drop-tail queue of N packets), as a pure
 * function of time: a packet offered at `now` waits until the transmitter
 * is free, takes `bits / rate` to serialise, then `delay` to propagate. At
 * most `queue` packets wait (the one being serialised is not counted);
 * one more is dropped at the tail. Times are absolute milliseconds on the
 * caller's clock, so rates hold exactly however late the caller's timers
 * fire: nothing here accumulates delays.
 */

/** How far back in time a caller may offer (far beyond any timer's lateness). */
const FORGET_MS = 1000;

export interface LinkOptions {
  /** Bit/s; 0 or Infinity: no serialisation delay. */
  readonly bandwidth: number;
  /** One-way propagation delay, ms. */
  readonly delayMs: number;
  /** Packets that may wait for the transmitter (drop-tail beyond); Infinity: unbounded. */
  readonly queue: number;
}

export class Link {
  /** When the transmitter finishes the last accepted packet. */
  private busyUntil = -Infinity;
  /** Transmission start times of accepted packets, ascending; those ≤ now have left the queue. */
  private starts: number[] = [];
  private head = 0;

  constructor(readonly options: LinkOptions) {
    if (!(options.bandwidth >= 0) || !(options.delayMs >= 0) || !(options.queue >= 0)) {
      throw new RangeError(`link: bandwidth, delay and queue must be ≥ 0 (got ${options.bandwidth}, ${options.delayMs}, ${options.queue})`);
    }
  }

  /** Serialisation time of `wireBytes` on this link, ms. */
  serialisationMs(wireBytes: number): number {
    const r = this.options.bandwidth;
    return r > 0 && r !== Infinity ? (wireBytes * 8 * 1000) / r : 0;
  }

  /**
   * Packets waiting at `now` (not counting the one on the wire). `now` may
   * be a little earlier than an earlier call's: the relay's cross-traffic
   * model offers at its own deadlines, behind the clock when the relay runs
   * late. Starts more than `FORGET_MS` before the latest `now` are dropped.
   */
  queued(now: number): number {
    const starts = this.starts;
    while (this.head < starts.length && starts[this.head]! <= now - FORGET_MS) this.head++;
    if (this.head > 1024 && this.head * 2 > starts.length) {
      this.starts = starts.slice(this.head);
      this.head = 0;
    }
    // The first start after `now` (starts ascend).
    let lo = this.head;
    let hi = this.starts.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.starts[mid]! <= now) lo = mid + 1;
      else hi = mid;
    }
    return this.starts.length - lo;
  }

  /** Offer a packet of `wireBytes` at `now`: its arrival time at the far end, or undefined when the queue is full (drop-tail). */
  offer(now: number, wireBytes: number): number | undefined {
    if (this.queued(now) >= this.options.queue) return undefined;
    const start = Math.max(now, this.busyUntil);
    this.busyUntil = start + this.serialisationMs(wireBytes);
    if (start > now) this.starts.push(start);
    return this.busyUntil + this.options.delayMs;
  }
}
