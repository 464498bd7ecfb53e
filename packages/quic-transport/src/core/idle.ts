/**
 * @module core/idle
 * The idle timeout (RFC 9000 §10.1) and keep-alive (§10.1.2): the timer
 * restarts when a packet from the peer is processed, and when an
 * ack-eliciting packet goes out first after one; the effective timeout is
 * the smaller of both sides' max_idle_timeout, and at least three PTOs. A
 * keep-alive PING is due after `keepAliveMs` without traffic.
 */

export class IdleTimer {
  /** When the idle timer last restarted. */
  private start: number;
  /** The last packet received and processed. */
  private lastReceived: number;
  private lastAckElicitingSent = -Infinity;

  constructor(now: number) {
    this.start = this.lastReceived = now;
  }

  /** A packet was received and processed: the timer restarts (§10.1). */
  onPacketProcessed(now: number): void {
    this.start = this.lastReceived = now;
  }

  /** An ack-eliciting packet went out: the first since the last receipt restarts the timer (§10.1). */
  onAckElicitingSent(now: number): void {
    if (this.lastAckElicitingSent <= this.lastReceived) this.start = now;
    this.lastAckElicitingSent = now;
  }

  /** §10.1: when the connection times out, given our and the peer's max_idle_timeout (0: none) and the PTO; Infinity when neither set one. */
  deadline(ours: number, theirs: number, pto: number): number {
    const idle = ours > 0 && theirs > 0 ? Math.min(ours, theirs) : Math.max(ours, theirs);
    return idle === 0 ? Infinity : this.start + Math.max(idle, 3 * pto);
  }

  /** §10.1.2: when a keep-alive PING is due (`every` ms after the last traffic either way). */
  keepAliveAt(every: number): number {
    return Math.max(this.lastReceived, this.lastAckElicitingSent) + every;
  }
}
