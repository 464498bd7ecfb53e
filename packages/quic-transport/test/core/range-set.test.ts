import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { RangeSet } from '../../src/core/range-set.js';

/** The naive model: a plain Set of every member. */
function model(ops: Array<[boolean, number, number]>): Set<number> {
  const s = new Set<number>();
  for (const [add, a, len] of ops) for (let x = a; x < a + len; x++) add ? s.add(x) : s.delete(x);
  return s;
}

describe('RangeSet', () => {
  it('merges overlapping and adjacent ranges and counts new members', () => {
    const r = new RangeSet();
    expect(r.add(10, 20)).toBe(10);
    expect(r.add(30, 40)).toBe(10);
    expect(r.add(20, 30)).toBe(10); // bridges both: adjacent on each side
    expect([...r.ranges()]).toEqual([[10, 40]]);
    expect(r.add(15, 35)).toBe(0);
    expect(r.add(5, 45)).toBe(10);
    expect([...r.ranges()]).toEqual([[5, 45]]);
    expect(r.min).toBe(5);
    expect(r.max).toBe(44);
  });

  it('removes, splits, and trims below a bound', () => {
    const r = new RangeSet();
    r.add(0, 100);
    r.remove(40, 60);
    expect([...r.ranges()]).toEqual([
      [0, 40],
      [60, 100],
    ]);
    r.removeBelow(50);
    expect([...r.ranges()]).toEqual([[60, 100]]);
    expect([...r.rangesDescending()]).toEqual([[60, 100]]);
  });

  it('answers has, covers, contiguousEnd and gaps', () => {
    const r = new RangeSet();
    r.add(0, 10);
    r.add(20, 30);
    expect(r.has(9)).toBe(true);
    expect(r.has(10)).toBe(false);
    expect(r.covers(2, 8)).toBe(true);
    expect(r.covers(8, 21)).toBe(false);
    expect(r.contiguousEnd(0)).toBe(10);
    expect(r.contiguousEnd(10)).toBe(10);
    expect([...r.gaps(0, 40)]).toEqual([
      [10, 20],
      [30, 40],
    ]);
    expect([...r.gaps(5, 25)]).toEqual([[10, 20]]);
  });

  it('rejects a negative or inverted range as a caller error', () => {
    expect(() => new RangeSet().add(-1, 3)).toThrow(RangeError);
    expect(() => new RangeSet().add(5, 3)).toThrow(RangeError);
  });

  for (const blockSize of [64, 2]) {
    it(`agrees with a naive set model under random add/remove sequences (blocks of ${blockSize})`, () => {
      fc.assert(
        fc.property(fc.array(fc.tuple(fc.boolean(), fc.nat(200), fc.nat(30)), { maxLength: 60 }), fc.nat(240), (ops, probe) => {
          const r = new RangeSet(blockSize);
          let added = 0;
          const seen = new Set<number>();
          for (const [add, a, len] of ops) {
            if (add) {
              let fresh = 0;
              for (let x = a; x < a + len; x++) if (!seen.has(x)) fresh++;
              expect(r.add(a, a + len)).toBe(fresh);
              for (let x = a; x < a + len; x++) seen.add(x);
              added += fresh;
            } else {
              r.remove(a, a + len);
              for (let x = a; x < a + len; x++) seen.delete(x);
            }
          }
          r.removeBelow(probe % 50);
          for (let x = 0; x < probe % 50; x++) seen.delete(x);
          const m = model(ops);
          for (let x = 0; x < probe % 50; x++) m.delete(x);
          expect(r.size).toBe(m.size);
          for (let x = 0; x < 240; x++) expect(r.has(x)).toBe(m.has(x));
          // Ranges stay sorted, disjoint and non-adjacent; the count, gaps, the first gap and runs agree with the model.
          const rs = [...r.ranges()];
          expect(r.rangeCount).toBe(rs.length);
          expect([...r.rangesDescending()]).toEqual([...rs].reverse());
          for (let i = 1; i < rs.length; i++) expect(rs[i]![0]).toBeGreaterThan(rs[i - 1]![1]);
          let end = probe;
          while (m.has(end)) end++;
          expect(r.contiguousEnd(probe)).toBe(end);
          const gapMembers = [...r.gaps(probe, probe + 40)].flatMap(([a, b]) => Array.from({ length: b - a }, (_, k) => a + k));
          expect(gapMembers).toEqual(Array.from({ length: 40 }, (_, k) => probe + k).filter((x) => !m.has(x)));
          for (const span of [0, 1, 7, 40]) expect(r.firstGap(probe, probe + span)).toBe(Array.from({ length: span }, (_, k) => probe + k).find((x) => !m.has(x)) ?? -1);
          expect(r.covers(probe, probe + 3)).toBe([0, 1, 2].every((k) => m.has(probe + k)));
          expect(added).toBeGreaterThanOrEqual(m.size);
        }),
        { numRuns: 500 },
      );
    }, 30_000);
  }
});
