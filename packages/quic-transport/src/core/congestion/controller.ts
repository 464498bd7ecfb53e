/**
 * @module core/congestion/controller
 * The congestion controller seam (RFC 9002 §7): loss recovery tells it what
 * was sent, acknowledged and lost; the connection asks it how much may be in
 * flight. NewReno (§7, Appendix B) and CUBIC (RFC 9438) implement it; both
 * leave their initial slow start with HyStart++ (RFC 9406).
 */
import { HyStart, type HyStartPhase } from './hystart.js';

/** A newly acknowledged packet as congestion control sees it: when it was sent and its size. */
export interface AckedPacket {
  timeSent: number;
  size: number;
}

/** A congestion controller (RFC 9002 §7): the window, grown on acknowledgements, shrunk on loss and ECN-CE. */
export interface CongestionController {
  readonly name: 'newreno' | 'cubic';
  /** Initial slow start (RFC 9406): 'slow-start', 'css' (HyStart++'s conservative slow start) or 'done'. */
  readonly slowStartPhase: HyStartPhase;
  /** Congestion window in bytes. */
  readonly window: number;
  readonly ssthresh: number;
  /** True while in a recovery period (RFC 9002 §7.3.2). */
  inRecovery(timeSent: number): boolean;
  /** A packet of `bytes` went out at `now`. */
  onPacketSent(now: number, bytes: number): void;
  /**
   * Packets newly acknowledged by one ACK; `appLimited` stops growth when the window was not the limit
   * (§7.8); `rttSample` is the ACK's RTT sample, when it gave one (HyStart++, RFC 9406).
   */
  onPacketsAcked(now: number, packets: readonly AckedPacket[], smoothedRtt: number, appLimited: boolean, rttSample?: number): void;
  /** A congestion event: loss or ECN-CE, for the newest affected packet's send time (§7.3.2, B.6). */
  onCongestionEvent(now: number, sentTime: number): void;
  /** RFC 9002 §7.6.2: collapse to the minimum window. */
  onPersistentCongestion(): void;
  /** PMTU changes alter the initial and minimum windows. */
  setMaxDatagramSize(size: number): void;
}

/** RFC 9002 §7.2: min(10 * max_datagram_size, max(14720, 2 * max_datagram_size)). */
export function initialWindow(maxDatagramSize: number): number {
  return Math.min(10 * maxDatagramSize, Math.max(14720, 2 * maxDatagramSize));
}

/** RFC 9002 §7.2: kMinimumWindow = 2 * max_datagram_size. */
export function minimumWindow(maxDatagramSize: number): number {
  return 2 * maxDatagramSize;
}

/**
 * Slow start (RFC 9002 §7.3.1) for the controllers: the window grows by the
 * bytes acknowledged; in the initial slow start through HyStart++ (RFC 9406),
 * which may end it before any loss by setting ssthresh to the window.
 */
export class SlowStart {
  readonly hystart: HyStart;

  constructor(mss: number, paced: boolean) {
    this.hystart = new HyStart(mss, paced);
  }

  /** The window and slow start threshold after one ACK of `packets` (none sent in recovery) in slow start. */
  grow(window: number, ssthresh: number, packets: readonly AckedPacket[], rtt: number | undefined): [window: number, ssthresh: number] {
    let acked = 0;
    let newest = -Infinity;
    for (const p of packets) {
      acked += p.size;
      newest = Math.max(newest, p.timeSent);
    }
    if (ssthresh !== Infinity || this.hystart.done) return [window + acked, ssthresh];
    const next = window + this.hystart.onAck(acked, newest, rtt);
    return [next, this.hystart.done ? next : ssthresh];
  }
}
