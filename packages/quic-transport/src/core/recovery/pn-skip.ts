/**
 * @module core/recovery/pn-skip
 * Optimistic-ACK defence (RFC 9000 §21.4): now and then a packet number of
 * the application space is left unused. An honest peer can never
 * acknowledge it; a peer that does is acknowledging packets it did not
 * receive to inflate our congestion window, and loss detection closes the
 * connection with PROTOCOL_VIOLATION (see LossDetection.onAckReceived).
 */
import type { PacketSpace } from '../spaces.js';
import type { LossDetection } from './loss-detection.js';

/** Mean distance between skipped packet numbers (one in ~256 packets: a negligible cost). */
export const SKIP_PERIOD = 256;

/** After a packet was numbered: maybe skip the next number. Call for 1-RTT packets only. */
export function maybeSkipPacketNumber(sp: PacketSpace, recovery: LossDetection<unknown>, random: (n: number) => Uint8Array): void {
  if (sp.skipAt < 0) {
    const r = random(2);
    // Uniform in [SKIP_PERIOD/2, 3*SKIP_PERIOD/2): unpredictable to the peer, so it cannot ack around it.
    sp.skipAt = sp.nextPn + SKIP_PERIOD / 2 + (((r[0]! << 8) | r[1]!) % SKIP_PERIOD);
  }
  if (sp.nextPn !== sp.skipAt) return;
  recovery.skip(sp.id, sp.nextPn);
  sp.nextPn++;
  sp.skipAt = -1;
}

/** Skipped numbers remembered at most: the oldest go first (acknowledging long-gone packets gains an attacker nothing). */
export const MAX_SKIPPED = 256;

/** The packet numbers of one space left unused on purpose, ascending. */
export class SkippedPns {
  private pns: number[] = [];

  /** `pn` was skipped (numbers are skipped in increasing order). */
  add(pn: number): void {
    this.pns.push(pn);
    if (this.pns.length > MAX_SKIPPED) this.pns.shift();
  }

  /** Forget the numbers below `pn` (every packet around them is settled). */
  pruneBelow(pn: number): void {
    const i = this.indexOf(pn);
    if (i > 0) this.pns.splice(0, i);
  }

  /** A skipped number in [lo, hi], or undefined. */
  firstIn(lo: number, hi: number): number | undefined {
    const x = this.pns[this.indexOf(lo)];
    return x !== undefined && x <= hi ? x : undefined;
  }

  get size(): number {
    return this.pns.length;
  }

  /** Index of the first number >= pn. */
  private indexOf(pn: number): number {
    let lo = 0;
    let hi = this.pns.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.pns[mid]! < pn) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}
