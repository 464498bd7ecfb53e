/** Single-use registers that fail closed (core/replay): 0-RTT anti-replay and NEW_TOKEN tokens. */
import { describe, expect, it } from 'vitest';
import { ReplayRegister } from '../../src/core/index.js';

const id = (n: number) => Uint8Array.of(n >> 8, n & 0xff);

describe('ReplayRegister', () => {
  it('accepts a name once within its window, and again after it', () => {
    const r = new ReplayRegister({ windowMs: 1000 });
    expect(r.firstUse(id(1), 0)).toBe(true);
    expect(r.firstUse(id(1), 999)).toBe(false);
    expect(r.firstUse(id(1), 1000)).toBe(true);
  });

  it('fails closed when full: a new name is refused (never an old one forgotten early), until the window frees room', () => {
    const r = new ReplayRegister({ capacity: 3, windowMs: 1000 });
    for (let i = 0; i < 3; i++) expect(r.firstUse(id(i), i)).toBe(true);
    expect(r.firstUse(id(3), 10)).toBe(false);
    expect(r.refusedFull).toBe(1);
    for (let i = 0; i < 3; i++) expect(r.firstUse(id(i), 20)).toBe(false); // still remembered: replays refused
    expect(r.firstUse(id(3), 1000)).toBe(true); // the first name's window is over: room again
    expect(r.size).toBe(3);
  });

  it('holds at most its capacity under a flood, whatever the clock does', () => {
    const r = new ReplayRegister({ capacity: 100, windowMs: 50 });
    let accepted = 0;
    for (let i = 0; i < 10_000; i++) if (r.firstUse(id(i), Math.floor(i / 10))) accepted++;
    expect(r.size).toBeLessThanOrEqual(100);
    expect(accepted).toBeGreaterThan(0);
    expect(() => new ReplayRegister({ windowMs: 0 })).toThrow(RangeError);
    expect(() => new ReplayRegister({ capacity: 0, windowMs: 1 })).toThrow(RangeError);
  });
});
