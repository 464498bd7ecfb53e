/**
 * @module core/congestion/hystart
 * HyStart++ (RFC 9406): leave the initial slow start when the round trip
 * time starts to grow — the bottleneck's queue is filling — instead of
 * doubling the window until the queue overflows and a whole window's worth
 * of packets is lost. Per round (one window of packets, §4.2) it keeps the
 * smallest RTT sample; when a round's minimum exceeds the previous round's
 * by RttThresh (clamped to 4–16 ms, an eighth of that minimum) the sender
 * moves to Conservative Slow Start (CSS): a quarter of slow start's growth
 * for CSS_ROUNDS rounds, then congestion avoidance — or back to slow start
 * when the RTT falls below the baseline again (the rise was spurious). A
 * loss or ECN-CE ends it like slow start (the controller's congestion
 * response). Only the initial slow start uses it (§4.2's SHOULD). Rounds
 * are told apart by send time: a round ends when a packet sent after it
 * began is acknowledged (§4.2's windowEnd). Time comes in from the caller.
 */

/** RFC 9406 §4.3 constants (RTTs in ms). */
export const MIN_RTT_THRESH = 4;
export const MAX_RTT_THRESH = 16;
export const MIN_RTT_DIVISOR = 8;
export const N_RTT_SAMPLE = 8;
export const CSS_GROWTH_DIVISOR = 4;
export const CSS_ROUNDS = 5;
/** RFC 9406 §4.3: L, the most a window may grow per ACK in segments when not paced (a paced sender: no limit). */
export const UNPACED_GROWTH_LIMIT = 8;

/** Where HyStart++ is (RFC 9406 §4): standard slow start, conservative slow start (CSS), or slow start over. */
export type HyStartPhase = 'slow-start' | 'css' | 'done';

export class HyStart {
  phase: HyStartPhase = 'slow-start';
  private lastRoundMinRtt = Infinity;
  private currentRoundMinRtt = Infinity;
  private samples = 0;
  /** Send time of the newest packet when the current round began (windowEnd); -Infinity: no round yet. */
  private windowEnd = -Infinity;
  private lastSent = -Infinity;
  private cssBaselineMinRtt = Infinity;
  private cssRounds = 0;

  constructor(
    /** Bytes per segment (for L). */
    private mss: number,
    /** Whether the sender paces (RFC 9406 §4.3: L = infinity then). */
    private readonly paced = true,
  ) {}

  onPacketSent(now: number): void {
    this.lastSent = now;
  }

  setMaxDatagramSize(size: number): void {
    this.mss = size;
  }

  /**
   * One ACK in slow start or CSS: `acked` bytes newly acknowledged, the
   * newest of them sent at `newestSent`, `rtt` the ACK's RTT sample (if it
   * gave one). Returns how much the window grows; `phase` says what comes
   * next ('done': congestion avoidance, ssthresh = the window).
   */
  onAck(acked: number, newestSent: number, rtt: number | undefined): number {
    if (this.done || (newestSent > this.windowEnd && this.startRound())) return 0;
    if (rtt !== undefined) {
      this.currentRoundMinRtt = Math.min(this.currentRoundMinRtt, rtt);
      this.samples++;
    }
    const limit = this.paced ? Infinity : UNPACED_GROWTH_LIMIT * this.mss;
    if (this.phase === 'slow-start') {
      const grow = Math.min(acked, limit);
      if (this.samples >= N_RTT_SAMPLE && this.currentRoundMinRtt !== Infinity && this.lastRoundMinRtt !== Infinity) {
        const thresh = Math.max(MIN_RTT_THRESH, Math.min(this.lastRoundMinRtt / MIN_RTT_DIVISOR, MAX_RTT_THRESH));
        if (this.currentRoundMinRtt >= this.lastRoundMinRtt + thresh) {
          this.cssBaselineMinRtt = this.currentRoundMinRtt;
          this.phase = 'css';
          this.cssRounds = 0;
        }
      }
      return grow;
    }
    // Conservative Slow Start (§4.2): a spurious exit goes back to slow start.
    if (this.samples >= N_RTT_SAMPLE && this.currentRoundMinRtt < this.cssBaselineMinRtt) {
      this.cssBaselineMinRtt = Infinity;
      this.phase = 'slow-start';
      return Math.min(acked, limit);
    }
    return Math.min(acked, limit) / CSS_GROWTH_DIVISOR;
  }

  /** A loss or ECN-CE (anything that ends slow start): HyStart++ is over for this connection. */
  end(): void {
    this.phase = 'done';
  }

  /** Slow start is over: congestion avoidance from here on. */
  get done(): boolean {
    return this.phase === 'done';
  }

  /** A new round (§4.2); true when it ends CSS. */
  private startRound(): boolean {
    this.lastRoundMinRtt = this.currentRoundMinRtt;
    this.currentRoundMinRtt = Infinity;
    this.samples = 0;
    this.windowEnd = this.lastSent;
    if (this.phase === 'css' && ++this.cssRounds >= CSS_ROUNDS) this.phase = 'done';
    return this.done;
  }
}
