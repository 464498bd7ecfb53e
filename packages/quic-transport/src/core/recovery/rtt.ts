/**
 * @module core/recovery/rtt
 * RTT estimation (RFC 9002 §5): latest_rtt, min_rtt, smoothed_rtt and
 * rttvar, with the peer's ack delay subtracted only when that keeps the
 * sample at or above min_rtt and capped by max_ack_delay once the handshake
 * is confirmed (§5.3). Times are milliseconds.
 */

/** RFC 9002 §6.2.2: the initial RTT before any sample (333 ms). */
export const kInitialRtt = 333;
/** RFC 9002 §6.1.2: timer granularity. */
export const kGranularity = 1;

/** The RTT estimate (RFC 9002 §5): latest, minimum, smoothed RTT and its variation. */
export class RttEstimator {
  latestRtt = 0;
  minRtt = 0;
  smoothedRtt: number;
  rttvar: number;
  hasSample = false;

  constructor(readonly initialRtt = kInitialRtt) {
    this.smoothedRtt = initialRtt;
    this.rttvar = initialRtt / 2;
  }

  /** RFC 9002 §5.3, Appendix A.7 UpdateRtt. */
  update(latestRtt: number, ackDelay: number, handshakeConfirmed: boolean, maxAckDelay: number): void {
    this.latestRtt = latestRtt;
    if (!this.hasSample) {
      this.hasSample = true;
      this.minRtt = latestRtt;
      this.smoothedRtt = latestRtt;
      this.rttvar = latestRtt / 2;
      return;
    }
    this.minRtt = Math.min(this.minRtt, latestRtt);
    if (handshakeConfirmed) ackDelay = Math.min(ackDelay, maxAckDelay);
    let adjusted = latestRtt;
    if (latestRtt >= this.minRtt + ackDelay) adjusted = latestRtt - ackDelay;
    this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.smoothedRtt - adjusted);
    this.smoothedRtt = 0.875 * this.smoothedRtt + 0.125 * adjusted;
  }

  /** RFC 9002 §6.2.1: smoothed_rtt + max(4 * rttvar, kGranularity) (+ max_ack_delay for the application space). */
  pto(maxAckDelay: number): number {
    return this.smoothedRtt + Math.max(4 * this.rttvar, kGranularity) + maxAckDelay;
  }

  /** After persistent congestion the RTT estimate is kept but min_rtt may be reset (RFC 9002 §5.2). */
  resetMinRtt(): void {
    this.minRtt = this.latestRtt;
  }
}
