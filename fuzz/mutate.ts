/**
 * @module fuzz/mutate
 * Byte-level mutations in the style of libFuzzer's MutationDispatcher:
 * bit flips, interesting values (including QUIC varint boundaries), byte
 * insertion and erasure, chunk copies, splicing with another corpus entry,
 * truncation and length-prefix tweaks. A seeded PRNG keeps runs reproducible.
 */

/** xorshift32 in [0, 1). */
export function prng(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s / 2 ** 32;
  };
}

/** Values that sit on decoder boundaries: 0, 1, sign bits, varint prefixes (RFC 9000 §16), DER length forms. */
const INTERESTING = [0x00, 0x01, 0x02, 0x03, 0x04, 0x06, 0x08, 0x10, 0x14, 0x15, 0x1f, 0x20, 0x3f, 0x40, 0x41, 0x7f, 0x80, 0x81, 0x82, 0x84, 0xbf, 0xc0, 0xc3, 0xfe, 0xff];

const MUTATORS: Array<(b: number[], other: Uint8Array, r: () => number) => void> = [
  // flip a bit
  (b, _, r) => {
    if (b.length) b[Math.floor(r() * b.length)]! ^= 1 << Math.floor(r() * 8);
  },
  // set a byte to an interesting value
  (b, _, r) => {
    if (b.length) b[Math.floor(r() * b.length)] = INTERESTING[Math.floor(r() * INTERESTING.length)]!;
  },
  // random byte
  (b, _, r) => {
    if (b.length) b[Math.floor(r() * b.length)] = Math.floor(r() * 256);
  },
  // insert bytes
  (b, _, r) => {
    const n = 1 + Math.floor(r() * 8);
    const at = Math.floor(r() * (b.length + 1));
    b.splice(at, 0, ...Array.from({ length: n }, () => (r() < 0.5 ? INTERESTING[Math.floor(r() * INTERESTING.length)]! : Math.floor(r() * 256))));
  },
  // erase bytes
  (b, _, r) => {
    if (!b.length) return;
    const at = Math.floor(r() * b.length);
    b.splice(at, 1 + Math.floor(r() * Math.min(16, b.length - at)));
  },
  // truncate
  (b, _, r) => {
    b.length = Math.floor(r() * (b.length + 1));
  },
  // copy a chunk within the input
  (b, _, r) => {
    if (b.length < 2) return;
    const from = Math.floor(r() * b.length);
    const len = 1 + Math.floor(r() * Math.min(32, b.length - from));
    const to = Math.floor(r() * b.length);
    b.splice(to, 0, ...b.slice(from, from + len));
  },
  // splice with another corpus entry
  (b, other, r) => {
    if (!other.length) return;
    const from = Math.floor(r() * other.length);
    const len = 1 + Math.floor(r() * Math.min(64, other.length - from));
    const to = Math.floor(r() * (b.length + 1));
    if (r() < 0.5) b.splice(to, b.length - to, ...other.subarray(from, from + len));
    else b.splice(to, 0, ...other.subarray(from, from + len));
  },
  // add or subtract a small delta (length fields)
  (b, _, r) => {
    if (!b.length) return;
    const i = Math.floor(r() * b.length);
    b[i] = (b[i]! + (r() < 0.5 ? 1 : -1) * (1 + Math.floor(r() * 4))) & 0xff;
  },
];

/** A mutant of `base` (1–4 stacked mutations), at most `maxLength` bytes. */
export function mutate(base: Uint8Array, other: Uint8Array, r: () => number, maxLength: number): Uint8Array {
  if (r() < 0.03) return Uint8Array.from({ length: Math.floor(r() * 64) }, () => Math.floor(r() * 256));
  const b = Array.from(base);
  const n = 1 + Math.floor(r() * 4);
  for (let i = 0; i < n; i++) MUTATORS[Math.floor(r() * MUTATORS.length)]!(b, other, r);
  if (b.length > maxLength) b.length = maxLength;
  return Uint8Array.from(b);
}
