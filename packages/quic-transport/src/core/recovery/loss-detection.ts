/**
 * @module core/recovery/loss-detection
 * Loss detection (RFC 9002 §6, Appendix A) over the three packet number
 * spaces: sent-packet bookkeeping, RTT samples from ACKs, packet- and
 * time-threshold loss, the PTO with exponential backoff and the
 * anti-deadlock rules, persistent congestion (§7.6), and bytes in flight
 * for the congestion controller. Generic over `T`, the connection's record
 * of what each packet carried (to retransmit or release).
 */
import { TransportError, TransportErrorCode } from '../errors.js';
import type { CongestionController } from '../congestion/controller.js';
import { kGranularity, RttEstimator } from './rtt.js';
import { SkippedPns } from './pn-skip.js';

/** A packet number space (RFC 9000 §12.3): 0 Initial, 1 Handshake, 2 application data. */
export type SpaceId = 0 | 1 | 2; // initial, handshake, application
export const SPACES: readonly SpaceId[] = [0, 1, 2];

/**
 * Packets carrying only ACK frames (neither ack-eliciting nor in flight)
 * tracked at most per space. They are kept only to learn which of our ACKs
 * the peer has seen (RFC 9000 §13.2.4); a peer that never acknowledges
 * would otherwise make us keep every one, so beyond this the oldest are
 * forgotten (neither acknowledged nor lost).
 */
export const MAX_ACK_ONLY_TRACKED = 256;

/** RFC 9002 §6.1.1 / §6.1.2 / §7.6.1 constants. */
export const kPacketThreshold = 3;
export const kTimeThreshold = 9 / 8;
export const kPersistentCongestionThreshold = 3;

/** A packet in flight as loss detection tracks it (RFC 9002 A.1.1); `T` is what the sender needs to retransmit its frames. */
export interface SentPacket<T> {
  pn: number;
  timeSent: number;
  size: number;
  ackEliciting: boolean;
  inFlight: boolean;
  /** A PMTU probe: its loss says nothing about congestion (RFC 8899 §4.5). */
  probe?: boolean;
  /** Sent in a datagram marked ECT(0) (RFC 9000 §13.4). */
  ecn?: boolean;
  data: T;
}

/** An ACK frame's content as loss detection needs it: inclusive [smallest, largest] ranges, largest first. */
export interface AckInfo {
  largest: number;
  /** Peer's ack delay in ms (already scaled by ack_delay_exponent). */
  ackDelay: number;
  ranges: ReadonlyArray<readonly [number, number]>;
}

/** What an ACK did: the packets it acknowledged, the packets it declared lost, and the RTT sample. */
export interface AckResult<T> {
  acked: SentPacket<T>[];
  lost: SentPacket<T>[];
  /** An RTT sample was taken. */
  rttUpdated: boolean;
}

class Space<T> {
  /** Sent packets by packet number, oldest first (Map keeps insertion order = pn order). */
  readonly sent = new Map<number, SentPacket<T>>();
  largestAcked = -1;
  largestSent = -1;
  lossTime = Infinity;
  timeOfLastAckEliciting = -Infinity;
  ackElicitingInFlight = 0;
  /** Packet numbers we skipped on purpose: an ACK for one is an optimistic-ACK attack. */
  readonly skipped = new SkippedPns();
  /** Packet numbers of ACK-only packets, oldest first (some already settled), from `ackOnlyHead` on. */
  ackOnly: number[] = [];
  ackOnlyHead = 0;
  /** ACK-only packets still in `sent`. */
  ackOnlyTracked = 0;
}

const isAckOnly = (p: { ackEliciting: boolean; inFlight: boolean }): boolean => !p.ackEliciting && !p.inFlight;

/** Loss detection's settings: its congestion controller, the initial RTT, the peer's max_ack_delay, the role. */
export interface LossDetectionOptions {
  cc: CongestionController;
  initialRtt?: number;
  /** Our peer's max_ack_delay (ms), applied to the application space. */
  maxAckDelay?: number;
  isServer: boolean;
}

/** Loss detection (RFC 9002 §6, Appendix A): sent packets per packet number space, ACK processing, RTT samples, the loss timer and probe timeouts. */
export class LossDetection<T> {
  readonly rtt: RttEstimator;
  cc: CongestionController;
  private readonly spaces: [Space<T>, Space<T>, Space<T>] = [new Space(), new Space(), new Space()];
  private readonly discarded = [false, false, false];
  maxAckDelay: number;
  ptoCount = 0;
  /** Bytes in flight on the current path: what the congestion window limits (RFC 9002 §2, RFC 9000 §9.4). */
  bytesInFlight = 0;
  /**
   * RFC 9000 §9.4: application-space packets numbered below this were sent
   * on an earlier path; they stay tracked for loss detection and
   * retransmission but "MUST NOT contribute to congestion control or RTT
   * estimation for the new path".
   */
  private pathFirstPn = 0;
  handshakeConfirmed = false;
  /** Client: the server validated our address (a Handshake packet was acknowledged, or 1-RTT) — RFC 9002 §6.2.2.1. */
  peerCompletedAddressValidation: boolean;
  hasHandshakeKeys = false;
  /** Stats. */
  packetsLost = 0;
  congestionEvents = 0;
  persistentCongestionEvents = 0;
  /** When the first RTT sample was taken (persistent congestion only counts packets sent after it). */
  private firstRttSampleTime = -1;

  constructor(opts: LossDetectionOptions) {
    this.cc = opts.cc;
    this.rtt = new RttEstimator(opts.initialRtt);
    this.maxAckDelay = opts.maxAckDelay ?? 25;
    this.isServer = opts.isServer;
    this.peerCompletedAddressValidation = opts.isServer;
  }

  private readonly isServer: boolean;

  /** The largest packet number the peer acknowledged in `space` (-1: none yet). */
  largestAcked(space: SpaceId): number {
    return this.spaces[space].largestAcked;
  }

  /** Mark `pn` as deliberately not sent (RFC 9000 §21.4 optimistic-ACK defence). */
  skip(space: SpaceId, pn: number): void {
    const s = this.spaces[space];
    s.skipped.add(pn);
    if (pn > s.largestSent) s.largestSent = pn;
    if (s.skipped.size > 64) s.skipped.pruneBelow(s.largestAcked);
  }

  /** Skipped packet numbers still remembered in `space` (bounded by MAX_SKIPPED). */
  skippedCount(space: SpaceId): number {
    return this.spaces[space].skipped.size;
  }

  /** Sent packets tracked (awaiting acknowledgement or loss), all spaces. */
  get trackedPackets(): number {
    return this.spaces[0].sent.size + this.spaces[1].sent.size + this.spaces[2].sent.size;
  }

  /**
   * Packet number `pn` went out in a packet loss recovery does not follow
   * (an off-path PATH_RESPONSE, RFC 9000 §9.3): not in flight, never
   * retransmitted, but the peer may acknowledge it.
   */
  onUntrackedSent(space: SpaceId, pn: number): void {
    const s = this.spaces[space];
    if (pn > s.largestSent) s.largestSent = pn;
  }

  /** Record a packet sent in `space` (RFC 9002 A.5). */
  onPacketSent(space: SpaceId, p: SentPacket<T>): void {
    const s = this.spaces[space];
    s.sent.set(p.pn, p);
    if (p.pn > s.largestSent) s.largestSent = p.pn;
    if (isAckOnly(p)) this.trackAckOnly(s, p.pn);
    if (p.inFlight) {
      if (p.ackEliciting) {
        s.timeOfLastAckEliciting = p.timeSent;
        s.ackElicitingInFlight++;
      }
      this.bytesInFlight += p.size;
      this.cc.onPacketSent(p.timeSent, p.size);
    }
  }

  /** Remember an ACK-only packet; beyond MAX_ACK_ONLY_TRACKED forget the oldest still tracked. */
  private trackAckOnly(s: Space<T>, pn: number): void {
    s.ackOnly.push(pn);
    s.ackOnlyTracked++;
    while (s.ackOnlyTracked > MAX_ACK_ONLY_TRACKED && s.ackOnlyHead < s.ackOnly.length) {
      const old = s.sent.get(s.ackOnly[s.ackOnlyHead++]!);
      if (old && isAckOnly(old)) this.remove(s, old);
    }
    // Drop the settled prefix now and then (amortised O(1) per packet).
    if (s.ackOnlyHead > 1024 && s.ackOnlyHead * 2 > s.ackOnly.length) {
      s.ackOnly = s.ackOnly.slice(s.ackOnlyHead);
      s.ackOnlyHead = 0;
    }
    // Settled entries of packets acknowledged or lost pile up ahead of the head: compact them away.
    if (s.ackOnly.length - s.ackOnlyHead > 4 * MAX_ACK_ONLY_TRACKED) {
      s.ackOnly = s.ackOnly.slice(s.ackOnlyHead).filter((x) => {
        const q = s.sent.get(x);
        return q !== undefined && isAckOnly(q);
      });
      s.ackOnlyHead = 0;
    }
  }

  /** Any ack-eliciting packet still in flight, in any space. */
  get ackElicitingInFlight(): boolean {
    const [a, b, c] = this.spaces;
    return a.ackElicitingInFlight > 0 || b.ackElicitingInFlight > 0 || c.ackElicitingInFlight > 0;
  }

  /**
   * RFC 9002 A.7 OnAckReceived. Throws TransportError(PROTOCOL_VIOLATION)
   * for an acknowledgement of a packet number never sent (RFC 9000 §13.1).
   */
  onAckReceived(space: SpaceId, ack: AckInfo, now: number, appLimited = false): AckResult<T> {
    const s = this.spaces[space];
    if (ack.largest > s.largestSent) throw new TransportError(TransportErrorCode.PROTOCOL_VIOLATION, `ACK of unsent packet ${ack.largest}`, 0x02);
    for (const [lo, hi] of ack.ranges) {
      const pn = s.skipped.firstIn(lo, hi);
      if (pn !== undefined) throw new TransportError(TransportErrorCode.PROTOCOL_VIOLATION, `ACK of skipped packet ${pn}`, 0x02);
    }
    const acked = newlyAcked(s.sent, ack.ranges);
    const largestNewlyAcked = acked.length > 0 && acked.some((p) => p.pn === ack.largest) && this.onPath(space, ack.largest);
    if (ack.largest > s.largestAcked) s.largestAcked = ack.largest;
    if (acked.length === 0) return { acked, lost: [], rttUpdated: false };
    let rttUpdated = false;
    // RFC 9002 §5.1: a sample when the largest acknowledged is newly acknowledged and at least one newly acked packet was ack-eliciting.
    if (largestNewlyAcked && acked.some((p) => p.ackEliciting)) {
      const largest = s.sent.get(ack.largest)!;
      this.rtt.update(now - largest.timeSent, space === 2 ? ack.ackDelay : 0, this.handshakeConfirmed, this.maxAckDelay);
      if (this.firstRttSampleTime < 0) this.firstRttSampleTime = now;
      rttUpdated = true;
    }
    for (const p of acked) this.remove(s, p);
    const lost = this.detectLost(space, now);
    this.onPacketsLost(space, lost, now);
    // RFC 9002 A.7: reset pto_count unless the client is unsure the server validated its address.
    if (this.peerCompletedAddressValidation) this.ptoCount = 0;
    const inFlightAcked = acked.filter((p) => p.inFlight && this.onPath(space, p.pn));
    if (inFlightAcked.length > 0) this.cc.onPacketsAcked(now, inFlightAcked, this.rtt.smoothedRtt, appLimited, rttUpdated ? this.rtt.latestRtt : undefined);
    return { acked, lost, rttUpdated };
  }

  /** RFC 9002 §7.1, B.7: the peer reported new CE marks on packets sent at up to `sentTime`. */
  onEcnCongestion(now: number, sentTime: number): void {
    if (!this.cc.inRecovery(sentTime)) this.congestionEvents++;
    this.cc.onCongestionEvent(now, sentTime);
  }

  /** Packet `pn` of `space` was sent on the current path (§9.4). */
  private onPath(space: SpaceId, pn: number): boolean {
    return space !== 2 || pn >= this.pathFirstPn;
  }

  private remove(s: Space<T>, p: SentPacket<T>): void {
    s.sent.delete(p.pn);
    if (isAckOnly(p)) s.ackOnlyTracked--;
    if (p.inFlight) {
      if (s !== this.spaces[2] || p.pn >= this.pathFirstPn) this.bytesInFlight -= p.size;
      if (p.ackEliciting) s.ackElicitingInFlight--;
    }
  }

  /** RFC 9002 A.10 DetectAndRemoveLostPackets. */
  private detectLost(space: SpaceId, now: number): SentPacket<T>[] {
    const s = this.spaces[space];
    s.lossTime = Infinity;
    const lost: SentPacket<T>[] = [];
    const lossDelay = Math.max(kTimeThreshold * Math.max(this.rtt.latestRtt, this.rtt.smoothedRtt), kGranularity);
    for (const p of s.sent.values()) {
      if (p.pn > s.largestAcked) break;
      // Compare as the timer does (timeSent + lossDelay), so a timer firing at that instant always finds the loss.
      if (p.timeSent + lossDelay <= now || s.largestAcked >= p.pn + kPacketThreshold) {
        lost.push(p);
      } else {
        s.lossTime = Math.min(s.lossTime, p.timeSent + lossDelay);
      }
    }
    for (const p of lost) this.remove(s, p);
    return lost;
  }

  /** RFC 9002 A.10 OnPacketsLost + §7.6 persistent congestion; packets of an earlier path say nothing about this one (RFC 9000 §9.4). */
  private onPacketsLost(space: SpaceId, lost: SentPacket<T>[], now: number): void {
    if (lost.length === 0) return;
    let newest = -Infinity;
    for (const p of lost) {
      if (p.probe) continue; // a PMTU probe larger than the path: not a lost packet of the connection's (RFC 8899 §4.5)
      this.packetsLost++;
      if (p.inFlight && p.timeSent > newest && this.onPath(space, p.pn)) newest = p.timeSent;
    }
    if (newest === -Infinity) return;
    if (!this.cc.inRecovery(newest)) this.congestionEvents++;
    this.cc.onCongestionEvent(now, newest);
    if (this.inPersistentCongestion(lost.filter((p) => this.onPath(space, p.pn)))) {
      this.persistentCongestionEvents++;
      this.rtt.resetMinRtt();
      this.cc.onPersistentCongestion();
    }
  }

  /** RFC 9002 §7.6.2: ack-eliciting losses spanning the persistent congestion duration, sent after the first RTT sample. */
  private inPersistentCongestion(lost: SentPacket<T>[]): boolean {
    if (this.firstRttSampleTime < 0) return false;
    const duration = (this.rtt.smoothedRtt + Math.max(4 * this.rtt.rttvar, kGranularity) + this.maxAckDelay) * kPersistentCongestionThreshold;
    const eligible = lost.filter((p) => p.ackEliciting && !p.probe && p.timeSent > this.firstRttSampleTime);
    if (eligible.length < 2) return false;
    let first = Infinity;
    let last = -Infinity;
    for (const p of eligible) {
      first = Math.min(first, p.timeSent);
      last = Math.max(last, p.timeSent);
    }
    return last - first >= duration;
  }

  /**
   * RFC 9002 A.8 GetLossTimeAndSpace: the earliest loss time (Infinity:
   * none), its space left in `foundSpace` — no object per call: the timer is
   * set again after every datagram sent and received.
   */
  private earliestLossTime(): number {
    let time = Infinity;
    for (const id of SPACES) {
      if (this.spaces[id].lossTime < time) {
        time = this.spaces[id].lossTime;
        this.foundSpace = id;
      }
    }
    return time;
  }

  /** The space `earliestLossTime` or `ptoTime` found. */
  private foundSpace: SpaceId = 0;

  /** RFC 9002 A.8 GetPtoTimeAndSpace: the PTO's time (Infinity: none), its space left in `foundSpace`. */
  private ptoTime(now: number): number {
    let duration = (this.rtt.smoothedRtt + Math.max(4 * this.rtt.rttvar, kGranularity)) * 2 ** this.ptoCount;
    if (!this.ackElicitingInFlight) {
      // Anti-deadlock: a client without validation arms the PTO from now.
      this.foundSpace = this.hasHandshakeKeys ? 1 : 0;
      return now + duration;
    }
    let time = Infinity;
    this.foundSpace = 0;
    for (const id of SPACES) {
      const s = this.spaces[id];
      if (s.ackElicitingInFlight === 0) continue;
      if (id === 2) {
        if (!this.handshakeConfirmed) break; // no application PTO before confirmation (§6.2.1)
        duration += this.maxAckDelay * 2 ** this.ptoCount;
      }
      const t = s.timeOfLastAckEliciting + duration;
      if (t < time) {
        time = t;
        this.foundSpace = id;
      }
    }
    return time;
  }

  /** RFC 9002 A.8 SetLossDetectionTimer: the absolute deadline, or null when disarmed. */
  timerDeadline(now: number): number | null {
    const loss = this.earliestLossTime();
    if (loss !== Infinity) return loss;
    // Server at the amplification limit: the connection does not arm (it cannot send); left to the caller.
    if (!this.ackElicitingInFlight && this.peerCompletedAddressValidation) return null;
    const pto = this.ptoTime(now);
    return pto === Infinity ? null : pto;
  }

  /** RFC 9002 A.9 OnLossDetectionTimeout: lost packets, or a probe to send in `space`. */
  onTimeout(now: number): { lost: SentPacket<T>[]; probe: SpaceId | null } {
    if (this.earliestLossTime() !== Infinity) {
      const space = this.foundSpace;
      const lost = this.detectLost(space, now);
      this.onPacketsLost(space, lost, now);
      return { lost, probe: null };
    }
    let probe: SpaceId;
    if (!this.ackElicitingInFlight) {
      // Anti-deadlock (client): Handshake probe if it has keys, else an Initial.
      probe = this.hasHandshakeKeys ? 1 : 0;
    } else {
      this.ptoTime(now);
      probe = this.foundSpace;
    }
    this.ptoCount++;
    return { lost: [], probe };
  }

  /** RFC 9002 §6.4: drop a space's state; its packets leave bytes in flight. */
  discardSpace(space: SpaceId): SentPacket<T>[] {
    if (this.discarded[space]) return [];
    this.discarded[space] = true;
    const s = this.spaces[space];
    const removed = [...s.sent.values()];
    for (const p of removed) this.remove(s, p);
    s.lossTime = Infinity;
    s.timeOfLastAckEliciting = -Infinity;
    if (this.peerCompletedAddressValidation) this.ptoCount = 0;
    return removed;
  }

  /** Whether `space`'s keys were discarded (nothing in it is tracked any more). */
  isDiscarded(space: SpaceId): boolean {
    return this.discarded[space]!;
  }

  /**
   * RFC 9000 §9.4: packets go to a new path from now on. Those sent so far
   * stay tracked for loss detection and retransmission, but no longer count
   * in the bytes in flight, nor toward congestion control or RTT estimation.
   * `fresh` is the new path's congestion controller and initial RTT; without
   * it (a NAT rebinding: only the peer's port changed) the current state is
   * kept, as §9.4 allows.
   */
  newPath(fresh?: { cc: CongestionController; initialRtt: number }): void {
    const s = this.spaces[2];
    for (const p of s.sent.values()) if (p.inFlight && p.pn >= this.pathFirstPn) this.bytesInFlight -= p.size;
    this.pathFirstPn = s.largestSent + 1;
    if (!fresh) return;
    this.cc = fresh.cc;
    const rtt = new RttEstimator(fresh.initialRtt);
    Object.assign(this.rtt, { latestRtt: rtt.latestRtt, minRtt: rtt.minRtt, smoothedRtt: rtt.smoothedRtt, rttvar: rtt.rttvar, hasSample: false });
    this.ptoCount = 0;
  }

  /** Remove (without declaring loss) the packets of `space` matching `pred`; they leave bytes in flight. */
  takeWhere(space: SpaceId, pred: (p: SentPacket<T>) => boolean): SentPacket<T>[] {
    const s = this.spaces[space];
    const out = [...s.sent.values()].filter(pred);
    for (const p of out) this.remove(s, p);
    return out;
  }

  /** Packets still tracked in `space` (for probes: the oldest unacknowledged data to resend). */
  unacked(space: SpaceId): IterableIterator<SentPacket<T>> {
    return this.spaces[space].sent.values();
  }

  /** The current PTO duration for the application space (RFC 9002 §6.2.1), for closing/idle timers. */
  ptoDuration(): number {
    return this.rtt.pto(this.handshakeConfirmed ? this.maxAckDelay : 0);
  }
}

/**
 * The tracked packets an ACK frame's ranges (inclusive, descending,
 * disjoint) cover. Everything below the oldest packet still tracked was
 * settled long ago (a receiver keeps reporting it until our ACK of its ACK
 * arrives, RFC 9000 §13.2.4: in a bulk transfer, thousands of numbers an
 * ACK), so the ranges are cut there first; then a lookup per packet number
 * left, or one pass over the tracked packets when the ranges still span
 * more numbers than that — the work is bounded by the frame's size plus the
 * packets tracked, never by the span of numbers a peer can name.
 * @internal exported for the counting test
 */
export function newlyAcked<T>(sent: Map<number, SentPacket<T>>, ranges: ReadonlyArray<readonly [number, number]>): SentPacket<T>[] {
  const acked: SentPacket<T>[] = [];
  if (sent.size === 0) return acked;
  const oldest = sent.keys().next().value!;
  let span = 0;
  for (const [lo, hi] of ranges) if (hi >= oldest) span += hi - Math.max(lo, oldest) + 1;
  if (span <= sent.size + ranges.length) {
    for (const [lo, hi] of ranges) {
      for (let pn = Math.max(lo, oldest); pn <= hi; pn++) {
        const p = sent.get(pn);
        if (p) acked.push(p);
      }
    }
    return acked;
  }
  // `sent` is in packet-number order; walk the ranges from the lowest up beside it.
  let r = ranges.length - 1;
  for (const p of sent.values()) {
    while (r >= 0 && ranges[r]![1] < p.pn) r--;
    if (r < 0) break;
    if (p.pn >= ranges[r]![0]) acked.push(p);
  }
  return acked;
}
