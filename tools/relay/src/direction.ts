/**
 * @module direction
 * One direction of the emulated path, as a pure function of time: a
 * datagram arriving at the relay passes the MTU check (a datagram that
 * would not fit a 1500-byte IP packet is dropped, as on a path where the
 * don't-fragment bit is set, RFC 9000 §14), then the bottleneck link
 * (`link`: drop-tail queue, serialisation, delay), then the direction's
 * error models at the far end (`error-models`). The result says what to
 * do and when; counters say what happened. No clock, no sockets.
 */
import type { ErrorModel } from './error-models.js';
import { Link, type LinkOptions } from './link.js';

/** Why a datagram did not arrive. */
export type DropReason = 'mtu' | 'queue' | 'drop-rate' | 'droplist' | 'blackhole' | 'nat';

export type Decision = { readonly kind: 'drop'; readonly reason: DropReason; readonly at: number } | { readonly kind: 'deliver'; readonly at: number; readonly data: Uint8Array; readonly corruptedAt?: number };

export interface DirectionCounters {
  /** Datagrams and bytes (UDP payload) that reached the relay. */
  received: number;
  receivedBytes: number;
  /** Datagrams and bytes delivered (or due for delivery), corrupted ones included. */
  forwarded: number;
  forwardedBytes: number;
  corrupted: number;
  /** Datagrams lost, by reason. */
  dropped: Record<DropReason, number>;
  /** Datagrams waiting for the transmitter now, and the most there ever were. */
  queued: number;
  maxQueued: number;
}

export function emptyCounters(): DirectionCounters {
  return { received: 0, receivedBytes: 0, forwarded: 0, forwardedBytes: 0, corrupted: 0, dropped: { mtu: 0, queue: 0, 'drop-rate': 0, droplist: 0, blackhole: 0, nat: 0 }, queued: 0, maxQueued: 0 };
}

export interface DirectionOptions extends LinkOptions {
  /** IP MTU of the path, bytes; 0: none. */
  readonly mtu: number;
  /** IP + UDP header bytes per datagram on the wire (28 for IPv4, 48 for IPv6). */
  readonly overhead: number;
  /** Time 0 of the error models (the relay's start), on the caller's clock. */
  readonly epoch: number;
}

export class Direction {
  readonly link: Link;
  readonly counters = emptyCounters();
  /** Datagrams that have reached the error models so far (the runner's packet numbers). */
  private reached = 0;

  constructor(
    readonly options: DirectionOptions,
    private readonly models: readonly ErrorModel[],
  ) {
    this.link = new Link(options);
  }

  /** A datagram of `data` arriving at `now`. */
  process(now: number, data: Uint8Array): Decision {
    const c = this.counters;
    c.received++;
    c.receivedBytes += data.length;
    const wire = data.length + this.options.overhead;
    if (this.options.mtu > 0 && wire > this.options.mtu) return this.drop('mtu', now);
    const at = this.link.offer(now, wire);
    c.queued = this.link.queued(now);
    if (c.queued > c.maxQueued) c.maxQueued = c.queued;
    if (at === undefined) return this.drop('queue', now);
    let out = data;
    let corruptedAt: number | undefined;
    const ctx = { index: ++this.reached, elapsedMs: at - this.options.epoch, data };
    for (const m of this.models) {
      const v = m.decide(ctx);
      if (v.kind === 'drop') return this.drop(m.kind as DropReason, at);
      if (v.kind === 'corrupt') {
        out = v.data;
        corruptedAt = v.offset;
      }
    }
    c.forwarded++;
    c.forwardedBytes += out.length;
    if (corruptedAt !== undefined) c.corrupted++;
    return corruptedAt !== undefined ? { kind: 'deliver', at, data: out, corruptedAt } : { kind: 'deliver', at, data: out };
  }

  /** Bookkeeping for a datagram lost outside the pipeline (e.g. to a NAT binding that no longer exists). */
  drop(reason: DropReason, at: number): Decision {
    this.counters.dropped[reason]++;
    return { kind: 'drop', reason, at };
  }
}
