/**
 * @module core/congestion/pacer
 * Pacing (RFC 9002 §7.7): a token bucket filled at N * cwnd / smoothed_rtt
 * (N = 1.25) with a burst of up to 10 datagrams, so the sender never needs
 * a timer per packet — the connection asks `delay(now, bytes)` and arms one
 * timer when the answer is positive. The bucket also holds at least what
 * the rate brings in over one timer granularity (§7.7 allows bursts that
 * hide timer granularity): a shell's timers fire a millisecond or more
 * late, and a fast path would otherwise be capped at one burst per timer.
 */

export const kPacingGain = 1.25;
export const kBurstPackets = 10;
/** Timer granularity the bucket covers (ms): Node's timers do not fire sooner than 1 ms. */
export const kTimerGranularityMs = 2;

export class Pacer {
  private tokens: number;
  private last = -1;

  constructor(private mss: number) {
    this.tokens = kBurstPackets * mss;
  }

  private capacity(cwnd: number, rate: number): number {
    return Math.min(cwnd, Math.max(kBurstPackets * this.mss, rate * kTimerGranularityMs));
  }

  private refill(now: number, cwnd: number, srtt: number): void {
    if (this.last >= 0 && now > this.last) {
      const rate = (kPacingGain * cwnd) / Math.max(srtt, 1); // bytes per ms
      this.tokens = Math.min(this.capacity(cwnd, rate), this.tokens + rate * (now - this.last));
    }
    this.last = now;
  }

  /** Milliseconds to wait before a datagram of `bytes` may go (0: now). */
  delay(now: number, bytes: number, cwnd: number, srtt: number): number {
    this.refill(now, cwnd, srtt);
    if (this.tokens >= bytes) return 0;
    const rate = (kPacingGain * cwnd) / Math.max(srtt, 1);
    return Math.max(0.05, (bytes - this.tokens) / rate);
  }

  onSent(bytes: number): void {
    this.tokens -= bytes;
  }

  setMaxDatagramSize(size: number): void {
    this.mss = size;
  }
}
