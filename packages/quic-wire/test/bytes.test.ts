import { describe, expect, it } from 'vitest';
import { equalBytes, equalConstantTime, toHex } from '../src/index.js';

describe('bytes', () => {
  it('toHex writes two lower-case digits per byte, every value', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    expect(toHex(all)).toBe(Buffer.from(all).toString('hex'));
    expect(toHex(new Uint8Array(0))).toBe('');
  });

  it('equalBytes and equalConstantTime agree: length, then every byte', () => {
    const cases: Array<[number[], number[], boolean]> = [
      [[], [], true],
      [[1, 2, 3], [1, 2, 3], true],
      [[1, 2, 3], [1, 2, 4], false],
      [[1, 2], [1, 2, 3], false],
      [[0], [], false],
    ];
    for (const [a, b, want] of cases) {
      expect(equalBytes(Uint8Array.from(a), Uint8Array.from(b))).toBe(want);
      expect(equalConstantTime(Uint8Array.from(a), Uint8Array.from(b))).toBe(want);
    }
  });
});
