/**
 * @module limiter
 * A counting semaphore with a bounded FIFO queue: how many calls a client
 * runs at once (the rest wait their turn, without buffering their frames) and
 * how many streams a server connection accepts at once.
 */

export interface Turn {
  readonly promise: Promise<void>;
  /** Leaves the queue; a turn already granted is released instead. */
  cancel(): void;
}

export class Limiter {
  private active = 0;
  private readonly queue: { grant(): void; granted: boolean }[] = [];

  constructor(
    readonly max: number,
    readonly maxQueued: number = Infinity,
  ) {
    if (!Number.isSafeInteger(max) || max < 1) throw new RangeError('a concurrency limit must be a positive integer');
    if (!(maxQueued >= 0)) throw new RangeError('a queue limit must be non-negative');
  }

  get running(): number {
    return this.active;
  }

  get waiting(): number {
    return this.queue.length;
  }

  /** Takes a slot now if one is free. */
  tryAcquire(): boolean {
    if (this.active >= this.max || this.queue.length > 0) return false;
    this.active++;
    return true;
  }

  /** Queues for a slot; `null` when the queue is full. */
  enqueue(): Turn | null {
    if (this.queue.length >= this.maxQueued) return null;
    let grant!: () => void;
    const promise = new Promise<void>((r) => (grant = r));
    const entry = { grant: () => ((entry.granted = true), grant()), granted: false };
    this.queue.push(entry);
    return {
      promise,
      cancel: () => {
        if (entry.granted) return this.release();
        const i = this.queue.indexOf(entry);
        if (i >= 0) this.queue.splice(i, 1);
      },
    };
  }

  release(): void {
    const next = this.queue.shift();
    if (next) next.grant();
    else this.active--;
  }
}
