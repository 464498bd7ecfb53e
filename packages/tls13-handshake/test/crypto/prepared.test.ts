/**
 * What the providers and the server prepare once instead of per handshake
 * (issue 19): the node provider's pooled randomness and the ticketer kept
 * per ticket key. Behaviour, not speed: the bytes are fresh, none is handed
 * out twice, and a changed key is never served by a stale ticketer.
 */
import * as nodeCrypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { makeNodeCrypto } from '../../src/crypto/make-node.js';
import { nobleCrypto } from '../../src/index.js';
import { aeadTicketer } from '../../src/ticket.js';

describe('node provider randomness from a pool', () => {
  it('hands out every byte once across many small and large requests, refilling as needed', () => {
    const c = makeNodeCrypto(nodeCrypto);
    const seen = new Set<string>();
    let total = 0;
    for (let i = 0; i < 2000; i++) {
      const n = [32, 12, 4, 1, 300][i % 5]!;
      const b = c.randomBytes(n);
      expect(b.length).toBe(n);
      total += n;
      // 16-byte and longer draws never repeat (a reused pool region would).
      if (n >= 12) {
        const key = Buffer.from(b).toString('hex');
        expect(seen.has(key)).toBe(false);
        seen.add(key);
      }
    }
    expect(total).toBeGreaterThan(4096 * 10);
  });

  it("keeps no copy of what it handed out (the pool region is wiped), and a returned array is the caller's own", () => {
    const calls: Uint8Array[] = [];
    const fake = { ...nodeCrypto, randomFillSync: <T extends NodeJS.ArrayBufferView>(b: T): T => (calls.push(b as unknown as Uint8Array), (b as unknown as Uint8Array).fill(0xab), b) } as typeof nodeCrypto;
    const c = makeNodeCrypto(fake);
    const a = c.randomBytes(32);
    expect(a).toEqual(new Uint8Array(32).fill(0xab));
    expect(calls).toHaveLength(1);
    expect(calls[0]!.subarray(0, 32)).toEqual(new Uint8Array(32));
    a.fill(1);
    expect(c.randomBytes(32)).toEqual(new Uint8Array(32).fill(0xab));
  });
});

describe('aeadTicketer prepared once per key', () => {
  it('the same key and provider give the same ticketer; its tickets open', () => {
    const key = new Uint8Array(32).fill(7);
    const t = aeadTicketer(nobleCrypto, key);
    expect(aeadTicketer(nobleCrypto, key)).toBe(t);
    const sealed = t.seal(Uint8Array.of(1, 2, 3), 0);
    expect(aeadTicketer(nobleCrypto, key).open(sealed, 0)).toEqual(Uint8Array.of(1, 2, 3));
  });

  it('a key array whose bytes changed, or another provider, gets a new ticketer: old tickets no longer open', () => {
    const key = new Uint8Array(32).fill(8);
    const t = aeadTicketer(nobleCrypto, key);
    const sealed = t.seal(Uint8Array.of(9), 0);
    expect(aeadTicketer(makeNodeCrypto(nodeCrypto), key)).not.toBe(t);
    key[0] = 1;
    const rotated = aeadTicketer(nobleCrypto, key);
    expect(rotated).not.toBe(t);
    expect(rotated.open(sealed, 0)).toBeNull();
    expect(() => aeadTicketer(nobleCrypto, new Uint8Array(31))).toThrow(TypeError);
  });
});
