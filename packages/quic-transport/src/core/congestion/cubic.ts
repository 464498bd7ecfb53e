/**
 * @module core/congestion/cubic
 * CUBIC (RFC 9438) on top of RFC 9002's recovery rules: the window follows
 * W_cubic(t) = C * (t - K)^3 + W_max after a congestion event (C = 0.4,
 * β_cubic = 0.7, K = cbrt((W_max - cwnd_epoch) / C), §4.2), never less than
 * the Reno-friendly estimate W_est (§4.3, whose α_cubic becomes 1 once W_est
 * has reached the window of the last congestion event), with fast
 * convergence (§4.7). Slow start below ssthresh as in RFC 9002, the initial
 * one left through HyStart++ (RFC 9406; §4.10: then W_max is the window at
 * the start of congestion avoidance, K = 0). Windows are kept in bytes; the
 * formulas run in segments of max_datagram_size. Time t runs from the start
 * of the congestion-avoidance epoch and excludes application-limited periods
 * by restarting the epoch (§5.8 leaves this to implementations).
 */
import { initialWindow, minimumWindow, SlowStart, type AckedPacket, type CongestionController } from './controller.js';

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
  /** W_max (segments): the window before the last reduction, lowered by fast convergence. */
  private wMax = 0;
  /** cwnd_prior (segments): the window when the last congestion event came (§4.3's α_cubic switch). */
  private cwndPrior = 0;
  private k = 0;
  /** Start of the current congestion-avoidance epoch (ms), or -1 when none. */
  private epochStart = -1;
  /** W_est in segments (the Reno-friendly region). */
  private wEst = 0;
  private cwndAtEpoch = 0;
  private readonly slowStart: SlowStart;

  constructor(
    private mss: number,
    paced = true,
  ) {
    this.window = initialWindow(mss);
    this.slowStart = new SlowStart(mss, paced);
  }

  get slowStartPhase() {
    return this.slowStart.hystart.phase;
  }

  inRecovery(timeSent: number): boolean {
    return timeSent <= this.recoveryStart;
  }

  /** HyStart++ watches the round the packet starts (RFC 9406 §4.2). */
  onPacketSent(now: number): void {
    this.slowStart.hystart.onPacketSent(now);
  }

  /** RFC 9438 §4.2: W_cubic(t) in segments, t in seconds. */
  cubicWindow(t: number): number {
    return C * (t - this.k) ** 3 + this.wMax;
  }

  onPacketsAcked(now: number, packets: readonly AckedPacket[], smoothedRtt: number, appLimited: boolean, rttSample?: number): void {
    if (appLimited) {
      this.epochStart = -1; // restart the epoch when the window was not the limit
      return;
    }
    const counted = packets.filter((p) => !this.inRecovery(p.timeSent));
    if (counted.length === 0) return;
    if (this.window < this.ssthresh) {
      [this.window, this.ssthresh] = this.slowStart.grow(this.window, this.ssthresh, counted, rttSample);
      return;
    }
    for (const p of counted) this.avoid(now, p.size, smoothedRtt);
  }

  /** Congestion avoidance for one acknowledged packet of `size` bytes (RFC 9438 §4.2–§4.5). */
  private avoid(now: number, size: number, smoothedRtt: number): void {
    const cwnd = this.window / this.mss;
    if (this.epochStart < 0) {
      this.epochStart = now;
      this.cwndAtEpoch = cwnd;
      this.wEst = cwnd;
      // §4.10: no congestion event yet (HyStart++ ended slow start), or the window already beyond W_max: K = 0.
      if (this.wMax <= cwnd) {
        this.k = 0;
        this.wMax = cwnd;
      } else this.k = Math.cbrt((this.wMax - cwnd) / C);
    }
    // §4.3: W_est grows by alpha_cubic segments per window of acknowledged segments; α = 1 once W_est reached cwnd_prior.
    const alpha = this.wEst >= this.cwndPrior ? 1 : ALPHA;
    this.wEst += (alpha * (size / this.mss)) / cwnd;
    const t = (now - this.epochStart + smoothedRtt) / 1000;
    const target = Math.min(Math.max(this.cubicWindow(t), cwnd), 1.5 * cwnd); // §4.4: target in [cwnd, 1.5 cwnd]
    let next: number;
    if (this.cubicWindow((now - this.epochStart) / 1000) < this.wEst)
      next = this.wEst; // Reno-friendly region
    else next = cwnd + ((target - cwnd) / cwnd) * (size / this.mss); // §4.4, §4.5: (target - cwnd) / cwnd per acknowledged segment
    this.window = Math.max(this.window, next * this.mss);
  }

  onCongestionEvent(now: number, sentTime: number): void {
    if (this.inRecovery(sentTime)) return;
    this.recoveryStart = now;
    this.slowStart.hystart.end();
    const cwnd = this.window / this.mss;
    // RFC 9438 §4.7 fast convergence: a loss below the last W_max releases bandwidth for new flows.
    this.wMax = cwnd < this.wMax ? (cwnd * (1 + BETA)) / 2 : cwnd;
    this.cwndPrior = cwnd;
    this.ssthresh = Math.max(this.window * BETA, minimumWindow(this.mss));
    this.window = this.ssthresh;
    this.epochStart = -1;
  }

  onPersistentCongestion(): void {
    this.window = minimumWindow(this.mss);
    this.recoveryStart = -Infinity;
    this.epochStart = -1;
    this.wMax = 0;
    this.cwndPrior = 0;
  }

  /**
   * DPLPMTUD raised (or lowered) the datagram size: the window keeps its bytes (a larger size is no evidence
   * the path holds more of them: scaling it by segments would let a 64 KB probe multiply it by 50); the
   * segment counts follow the new size.
   */
  setMaxDatagramSize(size: number): void {
    const scale = this.mss / size;
    this.wMax *= scale;
    this.cwndPrior *= scale;
    this.wEst *= scale;
    this.cwndAtEpoch *= scale;
    this.mss = size;
    this.window = Math.max(this.window, minimumWindow(size));
    this.slowStart.hystart.setMaxDatagramSize(size);
  }

  /** For tests: K, W_max and the window at the start of the epoch (segments). */
  get state(): { k: number; wMax: number; cwndAtEpoch: number } {
    return { k: this.k, wMax: this.wMax, cwndAtEpoch: this.cwndAtEpoch };
  }
}
