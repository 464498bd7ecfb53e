/**
 * @module core/streams/flow-control
 * Flow control (RFC 9000 §4): `SendCredit` is the peer's limit on what we
 * may send (MAX_DATA / MAX_STREAM_DATA, only ever raised; a BLOCKED frame
 * once per limit value), `RecvWindow` is the limit we advertise: the peer
 * exceeding it is a FLOW_CONTROL_ERROR, and a new limit is announced once
 * the application has consumed half a window. The window auto-tunes
 * (doubling up to a maximum) when it is used up within two RTTs, as quinn
 * and Chromium do, so a fast reader is not throttled by a small start.
 */

export class SendCredit {
  /** Bytes (or offsets) used so far. */
  used = 0;
  private blockedAt = -1;

  constructor(public limit: number) {}

  get available(): number {
    return Math.max(0, this.limit - this.used);
  }

  /** MAX_DATA / MAX_STREAM_DATA: limits only grow (§4.1). Returns true when it grew. */
  raise(limit: number): boolean {
    if (limit <= this.limit) return false;
    this.limit = limit;
    return true;
  }

  /** A DATA_BLOCKED / STREAM_DATA_BLOCKED is due: blocked at a limit not yet reported. */
  get blockedPending(): boolean {
    return this.available === 0 && this.blockedAt !== this.limit;
  }

  markBlockedSent(): void {
    this.blockedAt = this.limit;
  }

  /** A lost BLOCKED frame: report again if still blocked at that limit. */
  blockedLost(): void {
    this.blockedAt = -1;
  }
}

export class RecvWindow {
  /** The limit we advertised. */
  limit: number;
  /** Bytes the application has consumed. */
  consumed = 0;
  /** Highest offset (stream) or sum of highest offsets (connection) received. */
  highest = 0;
  /** A larger limit is waiting to be sent. */
  updatePending = false;
  private lastUpdate = -Infinity;

  constructor(
    public window: number,
    readonly maxWindow: number,
  ) {
    this.limit = window;
  }

  /** Would receiving up to `highest` exceed the limit? */
  exceeds(highest: number): boolean {
    return highest > this.limit;
  }

  /** The application consumed `n` bytes; maybe schedule a larger limit (auto-tuning on RTT). */
  consume(n: number, now: number, rtt: number): void {
    this.consumed += n;
    if (this.limit - this.consumed >= this.window / 2) return;
    // Auto-tune: a window used up within 2 RTTs is too small for this path.
    if (now - this.lastUpdate < 2 * rtt && this.window < this.maxWindow) this.window = Math.min(this.window * 2, this.maxWindow);
    this.lastUpdate = now;
    const next = this.consumed + this.window;
    if (next > this.limit) {
      this.limit = next;
      this.updatePending = true;
    }
  }
}
