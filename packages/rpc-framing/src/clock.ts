/**
 * @module clock
 * Time for deadlines, injectable so tests can drive it: `now()` in
 * milliseconds (the clock absolute deadlines are expressed in) and a one-shot
 * timer. The default uses `Date.now()` and the global `setTimeout`.
 */

/** A time source for deadlines: milliseconds and a one-shot timer. */
export interface Clock {
  /** Milliseconds on the clock deadlines are expressed in. */
  now(): number;
  /** Runs `fn` once after `ms` milliseconds; returns a handle for `clearTimeout`. */
  setTimeout(fn: () => void, ms: number): unknown;
  /** Cancels a timer from `setTimeout`. */
  clearTimeout(handle: unknown): void;
}

/** The default clock: `Date.now()` and the global `setTimeout`. */
export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};
