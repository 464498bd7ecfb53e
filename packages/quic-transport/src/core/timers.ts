/**
 * @module core/timers
 * A connection's timers, each a named kind in one table (quinn's
 * `TimerTable`): the idle timeout (RFC 9000 §10.1), the handshake timeout,
 * the closing/draining period (§10.2), the loss detection timer (RFC 9002
 * §6.2, A.8), the ACK delay (§13.2.1), pacing (RFC 9002 §7.7), path
 * validation (§8.2.4), the discard of the previous 1-RTT read key (RFC 9001
 * §6.5) and keep-alive. `next()` is what `pollTimeout` returns; `expired(now)`
 * yields exactly the timers due, each once, and stops them: a timer runs
 * again only when it is set again. Fixed size: no work grows with anything.
 */

/** The timer kinds, in the order they are checked when several are due at once. */
export const TIMERS = ['close', 'handshake', 'idle', 'pathValidation', 'keyDiscard', 'loss', 'keepAlive', 'ack', 'pacing'] as const;
export type Timer = (typeof TIMERS)[number];

const INDEX: Record<Timer, number> = Object.fromEntries(TIMERS.map((t, i) => [t, i])) as Record<Timer, number>;

export class TimerTable {
  /** Absolute deadlines (ms) by kind; Infinity when stopped. */
  private readonly at = new Float64Array(TIMERS.length).fill(Infinity);

  /** Arm `t` for `deadline` (absolute ms); Infinity, NaN or null stops it. */
  set(t: Timer, deadline: number | null): void {
    this.at[INDEX[t]] = deadline === null || Number.isNaN(deadline) ? Infinity : deadline;
  }

  stop(t: Timer): void {
    this.at[INDEX[t]] = Infinity;
  }

  get(t: Timer): number {
    return this.at[INDEX[t]]!;
  }

  isSet(t: Timer): boolean {
    return this.at[INDEX[t]] !== Infinity;
  }

  /** Stop every timer (the connection is closed). */
  clear(): void {
    this.at.fill(Infinity);
  }

  /** The earliest deadline, or null when no timer is armed. */
  next(): number | null {
    let t = Infinity;
    for (let i = 0; i < this.at.length; i++) if (this.at[i]! < t) t = this.at[i]!;
    return t === Infinity ? null : t;
  }

  /** The timers due at `now`, in table order; each is stopped as it is handed out. */
  *expired(now: number): Generator<Timer> {
    for (let i = 0; i < TIMERS.length; i++) {
      if (this.at[i]! <= now) {
        this.at[i] = Infinity;
        yield TIMERS[i]!;
      }
    }
  }
}
