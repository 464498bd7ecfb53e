/**
 * @module core/congestion/controller
 * The congestion controller seam (RFC 9002 §7): loss recovery tells it what
 * was sent, acknowledged and lost; the connection asks it how much may be in
 * flight. NewReno (§7, Appendix B) and CUBIC (RFC 9438) implement it.
 */

/** A newly acknowledged packet as congestion control sees it: when it was sent and its size. */
export interface AckedPacket {
  timeSent: number;
  size: number;
}

/** A congestion controller (RFC 9002 §7): the window, grown on acknowledgements, shrunk on loss and ECN-CE. */
export interface CongestionController {
  readonly name: 'newreno' | 'cubic';
  /** Congestion window in bytes. */
  readonly window: number;
  readonly ssthresh: number;
  /** True while in a recovery period (RFC 9002 §7.3.2). */
  inRecovery(timeSent: number): boolean;
  /** A packet of `bytes` went out at `now`. */
  onPacketSent(now: number, bytes: number): void;
  /** Packets newly acknowledged; `appLimited` stops growth when the window was not the limit (§7.8). */
  onPacketsAcked(now: number, packets: readonly AckedPacket[], smoothedRtt: number, appLimited: boolean): void;
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
