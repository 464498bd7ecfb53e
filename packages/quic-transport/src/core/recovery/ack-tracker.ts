/**
 * @module core/recovery/ack-tracker
 * Received packet numbers of one packet number space and the ACK frames that
 * report them (RFC 9000 §13.2): duplicate detection, when an ACK is due
 * (Initial/Handshake at once, every `ackEliciting threshold`-th ack-eliciting
 * packet, at once on reordering §13.2.1, else within max_ack_delay), the
 * ranges (newest first, bounded), pruning once our ACK was acknowledged
 * (§13.2.4), and ECN counts. A peer's ACK_FREQUENCY frame changes the
 * threshold, the delay and what reordering makes an ACK immediate
 * (draft-ietf-quic-ack-frequency §6); IMMEDIATE_ACK makes one due at once.
 */
import { RangeSet } from '../range-set.js';

/** ACKs report at most this many ranges; older ones are dropped first (§13.2.3). */
export const MAX_ACK_RANGES = 32;

export interface AckFrameData {
  largest: number;
  /** Encoded ACK Delay field: microseconds >> ack_delay_exponent. */
  ackDelay: number;
  ranges: Array<[number, number]>;
  ecn?: { ect0: number; ect1: number; ce: number };
}

export class AckTracker {
  private readonly received = new RangeSet();
  /** Below this everything is treated as received (memory bound for duplicate detection). */
  private floor = 0;
  largest = -1;
  private largestTime = 0;
  private unackedEliciting = 0;
  private ackPending = false;
  private immediate = false;
  private deadline = Infinity;
  readonly ecn = { ect0: 0, ect1: 0, ce: 0 };
  private ecnSeen = false;
  /** draft-ietf-quic-ack-frequency §6.2: 1 is RFC 9000's rule (any gap), 0 never, more: the draft's window. */
  private reorderingThreshold = 1;
  /** Set by a peer's ACK_FREQUENCY: CE then makes an ACK immediate only on a change to CE (§6.3). */
  private ceTransitionOnly = false;
  private lastCe = false;
  /** The Largest Acknowledged of the last ACK sent (§6.2 "Largest Acked"), and of the one just built. */
  private largestReported = -1;
  private builtLargest = -1;

  constructor(
    /** Send an ACK at once (Initial/Handshake) instead of delaying it. */
    private readonly immediateAcks: boolean,
    /** Ack-eliciting packets that trigger an immediate ACK (RFC 9000 §13.2.2 recommends 2). */
    public ackElicitingThreshold = 2,
    /** How long an ACK may wait (ms): our max_ack_delay, or what the peer's ACK_FREQUENCY asked for. */
    public maxAckDelay = 25,
  ) {}

  /**
   * draft-ietf-quic-ack-frequency §4, §6: the peer's ACK_FREQUENCY — ACK after
   * more than `threshold` ack-eliciting packets, within `maxAckDelay` ms, at
   * once on reordering beyond `reordering` packets.
   */
  configure(threshold: number, maxAckDelay: number, reordering: number): void {
    this.ackElicitingThreshold = Math.min(threshold, 2 ** 32) + 1;
    this.maxAckDelay = maxAckDelay;
    this.reorderingThreshold = reordering;
    this.ceTransitionOnly = threshold > 1;
  }

  /** draft-ietf-quic-ack-frequency §5: IMMEDIATE_ACK — the packet carrying it is acknowledged at once. */
  requestImmediate(): void {
    this.immediate = true;
  }

  /** Already received (or below the tracking floor): drop it. */
  isDuplicate(pn: number): boolean {
    return pn < this.floor || this.received.has(pn);
  }

  /** Record a packet that decrypted and was processed. */
  onPacketReceived(pn: number, ackEliciting: boolean, now: number, maxAckDelay: number, ecn?: 'ect0' | 'ect1' | 'ce'): void {
    if (ecn) {
      this.ecn[ecn]++;
      this.ecnSeen = true;
    }
    // Below the floor everything counts as received already: the packet itself told us (an ACK of
    // our ACK of a higher number, §13.2.4) that the peer knows. Nothing to record or acknowledge.
    if (pn < this.floor) return;
    const previous = this.largest;
    const held = !this.received.isEmpty;
    this.received.add(pn, pn + 1);
    if (pn > this.largest) {
      this.largest = pn;
      this.largestTime = now;
    }
    const reordered = this.reorderingThreshold === 1 ? pn < previous || (held && pn > previous + 1) : this.beyondReorderingWindow(pn, previous);
    // §13.2.1: CE marks are reported at once; after ACK_FREQUENCY with a threshold above 1, only a change to CE (draft §6.3).
    if (ecn === 'ce' && !(this.ceTransitionOnly && this.lastCe)) this.immediate = true;
    this.lastCe = ecn === 'ce';
    // Bound memory: keep at most MAX_ACK_RANGES * 4 ranges.
    while (this.received.rangeCount > MAX_ACK_RANGES * 4) {
      const first = this.received.ranges().next().value as [number, number];
      this.floor = first[1];
      this.received.remove(first[0], first[1]);
    }
    if (!ackEliciting) {
      this.ackPending ||= reordered;
      return;
    }
    this.ackPending = true;
    this.unackedEliciting++;
    if (this.immediateAcks || reordered || this.unackedEliciting >= this.ackElicitingThreshold) this.immediate = true;
    else this.deadline = Math.min(this.deadline, now + maxAckDelay);
  }

  /** An ACK should go out now (or with the next packet). */
  get wantsImmediate(): boolean {
    return this.ackPending && this.immediate;
  }

  /** An ACK must go out now: immediate, or its delay has run out. */
  ackDue(now: number): boolean {
    return this.ackPending && (this.immediate || now >= this.deadline);
  }

  /** There is something new to acknowledge (piggyback it on any packet). */
  get hasNewAck(): boolean {
    return this.ackPending;
  }

  /** When a delayed ACK becomes due, or Infinity. */
  get ackDeadline(): number {
    return this.ackPending ? (this.immediate ? 0 : this.deadline) : Infinity;
  }

  /** Build the ACK frame content; null when nothing was received. */
  build(now: number, ackDelayExponent: number): AckFrameData | null {
    if (this.received.isEmpty) return null;
    const ranges: Array<[number, number]> = [];
    for (const [s, e] of this.received.rangesDescending()) {
      ranges.push([s, e - 1]);
      if (ranges.length >= MAX_ACK_RANGES) break;
    }
    // The first range ends at the largest number still held (RFC 9000 §19.3.1), whatever was pruned.
    const largest = this.received.max!;
    const delayUs = largest === this.largest ? Math.max(0, Math.round((now - this.largestTime) * 1000)) : 0;
    const f: AckFrameData = { largest, ackDelay: Math.floor(delayUs / 2 ** ackDelayExponent), ranges };
    this.builtLargest = largest;
    if (this.ecnSeen) f.ecn = { ...this.ecn };
    return f;
  }

  /** The ACK just built was sent. */
  onAckSent(): void {
    this.largestReported = this.builtLargest;
    this.ackPending = false;
    this.immediate = false;
    this.unackedEliciting = 0;
    this.deadline = Infinity;
  }

  /**
   * draft-ietf-quic-ack-frequency §6.2, for a Reordering Threshold T other
   * than 1 (0: never): an ACK is due at once when the smallest missing packet
   * above Largest Acked - T is T or more below the largest received, or when
   * a late packet is at or below Largest Acked - T.
   */
  private beyondReorderingWindow(pn: number, previous: number): boolean {
    const t = this.reorderingThreshold;
    if (t === 0 || this.received.rangeCount < 2) return false;
    const reportedMissing = this.largestReported - t;
    if (pn < previous && this.largestReported >= 0 && pn <= reportedMissing) return true;
    const gap = this.received.firstGap(Math.max(reportedMissing + 1, this.floor), this.largest);
    return gap >= 0 && this.largest - gap >= t;
  }

  /**
   * RFC 9000 §13.2.4: the peer acknowledged an ACK of ours reporting up to
   * `largest`: stop reporting those packet numbers. Late arrivals below it
   * count as duplicates; their frames were never acknowledged, so the peer
   * retransmits them in new packets anyway.
   */
  onAckAcked(largest: number): void {
    if (largest + 1 <= this.floor) return;
    this.received.removeBelow(largest + 1);
    this.floor = largest + 1;
  }
}
