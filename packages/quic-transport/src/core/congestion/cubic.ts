/**
 * @module core/congestion/cubic
 * CUBIC (RFC 9438) on top of RFC 9002's recovery rules: the window follows
 * W_cubic(t) = C * (t - K)^3 + W_max after a congestion event (C = 0.4,
 * β_cubic = 0.7, K = cbrt(W_max * (1 - β) / C), §4.2), never less than the
 * Reno-friendly estimate W_est (§4.3), with fast convergence (§4.7). Slow
 * start below ssthresh as in RFC 9002. Windows are kept in bytes; the
 * formulas run in segments of max_datagram_size. Time t runs from the start
 * of the congestion-avoidance epoch and excludes application-limited periods
 * by restarting the epoch (§5.8 of RFC 9438 leaves this to implementations).
 */
import { initialWindow, minimumWindow, type AckedPacket, type CongestionController } from './controller.js';

export const C = 0.4;
export const BETA = 0.7;
/** RFC 9438 §4.3: alpha_cubic = 3 * (1 - β) / (1 + β). */
export const ALPHA = (3 * (1 - BETA)) / (1 + BETA);

/** CUBIC congestion control (RFC 9438) over QUIC's recovery (RFC 9002 §7): the default. */
export class Cubic implements CongestionController {
  readonly name = 'cubic' as const;
  window: number;
  ssthresh = Infinity;
  private recoveryStart = -Infinity;
  /** W_max and the previous W_max (fast convergence), in segments. */
  private wMax = 0;
  private wLastMax = 0;
  private k = 0;
  /** Start of the current congestion-avoidance epoch (ms), or -1 when none. */
  private epochStart = -1;
  /** W_est in segments (the Reno-friendly region). */
  private wEst = 0;
  private cwndAtEpoch = 0;

  constructor(private mss: number) {
    this.window = initialWindow(mss);
  }

  inRecovery(timeSent: number): boolean {
    return timeSent <= this.recoveryStart;
  }

  /** Nothing to do per packet sent (the window counts bytes in flight elsewhere). */
  onPacketSent(): void {}

  /** RFC 9438 §4.2: W_cubic(t) in segments, t in seconds. */
  cubicWindow(t: number): number {
    return C * (t - this.k) ** 3 + this.wMax;
  }

  onPacketsAcked(now: number, packets: readonly AckedPacket[], smoothedRtt: number, appLimited: boolean): void {
    if (appLimited) {
      this.epochStart = -1; // restart the epoch when the window was not the limit
      return;
    }
    for (const p of packets) {
      if (this.inRecovery(p.timeSent)) continue;
      if (this.window < this.ssthresh) {
        this.window += p.size;
        continue;
      }
      const cwnd = this.window / this.mss;
      if (this.epochStart < 0) {
        this.epochStart = now;
        this.cwndAtEpoch = cwnd;
        this.wEst = cwnd;
        if (this.wMax <= cwnd) {
          this.k = 0;
          this.wMax = cwnd;
        } else this.k = Math.cbrt((this.wMax - cwnd) / C);
      }
      // RFC 9438 §4.3: W_est grows by alpha_cubic segments per window of acknowledged segments.
      this.wEst += (ALPHA * (p.size / this.mss)) / cwnd;
      const t = (now - this.epochStart + smoothedRtt) / 1000;
      const target = Math.min(Math.max(this.cubicWindow(t), cwnd), 1.5 * cwnd); // §4.4: target in [cwnd, 1.5 cwnd]
      let next: number;
      if (this.cubicWindow((now - this.epochStart) / 1000) < this.wEst)
        next = this.wEst; // Reno-friendly region
      else next = cwnd + ((target - cwnd) / cwnd) * (p.size / this.mss); // §4.4, §4.5: (target - cwnd) / cwnd per acknowledged segment
      this.window = Math.max(this.window, next * this.mss);
    }
  }

  onCongestionEvent(now: number, sentTime: number): void {
    if (this.inRecovery(sentTime)) return;
    this.recoveryStart = now;
    const cwnd = this.window / this.mss;
    // RFC 9438 §4.7 fast convergence.
    if (cwnd < this.wLastMax) {
      this.wLastMax = cwnd;
      this.wMax = (cwnd * (1 + BETA)) / 2;
    } else {
      this.wLastMax = cwnd;
      this.wMax = cwnd;
    }
    this.ssthresh = Math.max(this.window * BETA, minimumWindow(this.mss));
    this.window = this.ssthresh;
    this.epochStart = -1;
  }

  onPersistentCongestion(): void {
    this.window = minimumWindow(this.mss);
    this.recoveryStart = -Infinity;
    this.epochStart = -1;
    this.wMax = 0;
    this.wLastMax = 0;
  }

  setMaxDatagramSize(size: number): void {
    const segments = this.window / this.mss;
    this.mss = size;
    this.window = Math.max(segments * size, minimumWindow(size));
  }

  /** For tests: K and W_max (segments). */
  get state(): { k: number; wMax: number; cwndAtEpoch: number } {
    return { k: this.k, wMax: this.wMax, cwndAtEpoch: this.cwndAtEpoch };
  }
}
