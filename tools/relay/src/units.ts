/**
 * @module units
 * ns-3's textual units, as the interop runner writes its scenarios:
 * times (`15ms`, `1s`, `750ms`, `2us`) and data rates (`10Mbps`, `100Kbps`,
 * `1Gbps`, `500bps`; ns-3 counts 1 Mbps as 10^6 bit/s). A malformed value is
 * the caller's mistake: `RangeError` with the offending text.
 */

const TIME_MS: Readonly<Record<string, number>> = { ns: 1e-6, us: 1e-3, ms: 1, s: 1000, min: 60_000, h: 3_600_000 };
const RATE_BPS: Readonly<Record<string, number>> = { bps: 1, kbps: 1e3, mbps: 1e6, gbps: 1e9, b: 1, kb: 1e3, mb: 1e6, gb: 1e9 };

function split(text: string, what: string): [number, string] {
  const m = /^\s*([0-9]+(?:\.[0-9]+)?)\s*([a-zA-Z]*)\s*$/.exec(text);
  if (!m) throw new RangeError(`${what} ${JSON.stringify(text)} is not a number with a unit`);
  return [Number(m[1]), m[2]!.toLowerCase()];
}

/** A time in milliseconds; a bare number is in seconds, as in ns-3. */
export function parseTime(text: string): number {
  const [n, unit] = split(text, 'time');
  const f = unit === '' ? 1000 : TIME_MS[unit];
  if (f === undefined) throw new RangeError(`time ${JSON.stringify(text)}: unknown unit ${unit} (ns, us, ms, s, min, h)`);
  return n * f;
}

/** A data rate in bit/s; a bare number is bit/s. */
export function parseRate(text: string): number {
  const [n, unit] = split(text, 'data rate');
  const f = unit === '' ? 1 : RATE_BPS[unit];
  if (f === undefined) throw new RangeError(`data rate ${JSON.stringify(text)}: unknown unit ${unit} (bps, Kbps, Mbps, Gbps)`);
  return n * f;
}
