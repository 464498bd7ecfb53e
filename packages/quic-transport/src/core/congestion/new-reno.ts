/**
 * @module core/congestion/new-reno
 * NewReno as specified in RFC 9002 §7 and Appendix B: slow start, congestion
 * avoidance, one reduction per recovery period (kLossReductionFactor 0.5);
 * the initial slow start is left through HyStart++ (RFC 9406).
 */
import { initialWindow, minimumWindow, SlowStart, type AckedPacket, type CongestionController } from './controller.js';

export const kLossReductionFactor = 0.5;

/** NewReno congestion control as RFC 9002 §7 specifies it. */
export class NewReno implements CongestionController {
  readonly name = 'newreno' as const;
  window: number;
  ssthresh = Infinity;
  private recoveryStart = -Infinity;
  private bytesAckedInCa = 0;
  private readonly slowStart: SlowStart;

  constructor(
    private maxDatagramSize: number,
    paced = true,
  ) {
    this.window = initialWindow(maxDatagramSize);
    this.slowStart = new SlowStart(maxDatagramSize, paced);
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

  onPacketsAcked(_now: number, packets: readonly AckedPacket[], _srtt: number, appLimited: boolean, rttSample?: number): void {
    // B.5: no growth for packets sent during recovery, nor while application-limited (§7.8).
    const counted = appLimited ? [] : packets.filter((p) => !this.inRecovery(p.timeSent));
    if (counted.length === 0) return;
    if (this.window < this.ssthresh) {
      [this.window, this.ssthresh] = this.slowStart.grow(this.window, this.ssthresh, counted, rttSample);
      return;
    }
    for (const p of counted) {
      // Congestion avoidance: one max_datagram_size per window of acknowledged bytes.
      this.bytesAckedInCa += p.size;
      if (this.bytesAckedInCa >= this.window) {
        this.bytesAckedInCa -= this.window;
        this.window += this.maxDatagramSize;
      }
    }
  }

  onCongestionEvent(now: number, sentTime: number): void {
    if (this.inRecovery(sentTime)) return; // B.6: once per recovery period
    this.recoveryStart = now;
    this.slowStart.hystart.end();
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
    this.slowStart.hystart.setMaxDatagramSize(size);
    this.window = Math.max(this.window, minimumWindow(size));
  }
}
