/**
 * @module clock
 * Time for deadlines, injectable so tests can drive it: `now()` in
 * milliseconds (the clock absolute deadlines are expressed in) and a one-shot
 * timer. The default uses `Date.now()` and the global `setTimeout`.
 */

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as ReturnType<typeof setTimeout>),
};
