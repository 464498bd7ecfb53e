/**
 * @module core/congestion/new-reno
 * NewReno as specified in RFC 9002 §7 and Appendix B: slow start, congestion
 * avoidance, one reduction per recovery period (kLossReductionFactor 0.5).
 */
import { initialWindow, minimumWindow, type AckedPacket, type CongestionController } from './controller.js';

export const kLossReductionFactor = 0.5;

/** NewReno congestion control as RFC 9002 §7 specifies it. */
export class NewReno implements CongestionController {
  readonly name = 'newreno' as const;
  window: number;
  ssthresh = Infinity;
  private recoveryStart = -Infinity;
  private bytesAckedInCa = 0;

  constructor(private maxDatagramSize: number) {
    this.window = initialWindow(maxDatagramSize);
  }

  inRecovery(timeSent: number): boolean {
    return timeSent <= this.recoveryStart;
  }

  /** Nothing to do per packet sent (the window counts bytes in flight elsewhere). */
  onPacketSent(): void {}

  onPacketsAcked(_now: number, packets: readonly AckedPacket[], _srtt: number, appLimited: boolean): void {
    for (const p of packets) {
      // B.5: no growth for packets sent during recovery, nor while application-limited (§7.8).
      if (this.inRecovery(p.timeSent) || appLimited) continue;
      if (this.window < this.ssthresh) this.window += p.size;
      else {
        // Congestion avoidance: one max_datagram_size per window of acknowledged bytes.
        this.bytesAckedInCa += p.size;
        if (this.bytesAckedInCa >= this.window) {
          this.bytesAckedInCa -= this.window;
          this.window += this.maxDatagramSize;
        }
      }
    }
  }

  onCongestionEvent(now: number, sentTime: number): void {
    if (this.inRecovery(sentTime)) return; // B.6: once per recovery period
    this.recoveryStart = now;
    this.ssthresh = Math.max(this.window * kLossReductionFactor, minimumWindow(this.maxDatagramSize));
    this.window = this.ssthresh;
    this.bytesAckedInCa = 0;
  }

  onPersistentCongestion(): void {
    this.window = minimumWindow(this.maxDatagramSize);
    this.recoveryStart = -Infinity;
  }

  setMaxDatagramSize(size: number): void {
    this.maxDatagramSize = size;
    this.window = Math.max(this.window, minimumWindow(size));
  }
}
