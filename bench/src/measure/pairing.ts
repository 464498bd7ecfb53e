/**
 * @module measure/pairing
 * How two stacks are measured side by side on a machine whose speed drifts:
 * samples alternated in ABBA order (a, b, b, a, …) so a drift weighs on both
 * alike, and each side's median.
 */

/** The median of some samples (the mean of the middle two for an even count). */
export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** `pairs` pairs of `a` and `b` in ABBA order (a, b, b, a, a, b, …). */
export async function abba(pairs: number, a: () => Promise<void>, b: () => Promise<void>): Promise<void> {
  for (let i = 0; i < pairs; i++) for (const f of i % 2 ? [b, a] : [a, b]) await f();
}
