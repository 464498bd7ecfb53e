import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { aesBlockCipher } from '@tsquic/quic-crypto-keys';
import { configRotation, expand, QuicLbCidGenerator, QuicLbCodec, unroutableCid, workerOf, workerServerId, type QuicLbConfig } from '../../src/core/quic-lb.js';

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s/g, ''), 'hex'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
const VECTOR_KEY = hex('8f95f09245765f80256934e50c66207f');

function codecFor(configId: number, sid: string, nonce: string, key?: Uint8Array): QuicLbCodec {
  return new QuicLbCodec({ configId, serverIdLength: sid.length / 2, nonceLength: nonce.length / 2, ...(key ? { key } : {}) });
}

/** Encode byte for byte, decode back to the same server ID and nonce. */
function vector(configId: number, sid: string, nonce: string, cid: string, key?: Uint8Array): QuicLbCodec {
  const codec = codecFor(configId, sid, nonce, key);
  expect(toHex(codec.encode(hex(sid), hex(nonce)))).toBe(cid);
  expect(toHex(codec.serverId(hex(cid))!)).toBe(sid);
  const plain = codec.decode(hex(cid))!;
  expect([toHex(plain.serverId), toHex(plain.nonce)]).toEqual([sid, nonce]);
  return codec;
}

describe('QUIC-LB test vectors (draft-ietf-quic-load-balancers Appendix B), the CID length encoded', () => {
  it('B.1 unencrypted: cr_bits 0, server ID c4605e, nonce 4504cc4f', () => {
    expect(vector(0, 'c4605e', '4504cc4f', '07c4605e4504cc4f').mode).toBe('plaintext');
  });

  it('B.1 unencrypted, second row: the table drops leading zero nibbles (nonce 3487d970b, CID 20a…)', () => {
    // As printed: nonce "3487d970b" (9 hex digits) and CID "20a350d28b4203487d970b", whose first
    // octet is written "2" ‖ "0a". Read with the zero nibbles restored: config 1 (0b001 << 5 = 0x20)
    // with length 10 (0x0a) = 0x2a, nonce 0x03487d970b.
    const cid = vector(1, '350d28b420', '03487d970b', '2a350d28b42003487d970b').encode(hex('350d28b420'), hex('03487d970b'));
    // Printed the table's way — config bits, length, server ID and nonce each in hex without leading zeros — it is the row.
    const unpadded = (b: Uint8Array): string => BigInt(`0x${toHex(b)}`).toString(16);
    expect(`${((cid[0]! & 0xe0) >> 4).toString(16)}${(cid[0]! & 0x1f).toString(16).padStart(2, '0')}${unpadded(cid.subarray(1, 6))}${unpadded(cid.subarray(6))}`).toBe('20a350d28b4203487d970b');
  });

  it('B.2 encrypted, cr_bits 0: 3 + 4 bytes, four passes on an odd length', () => {
    expect(vector(0, 'ed793a', 'ee080dbf', '0720b1d07b359d3c', VECTOR_KEY).mode).toBe('four-pass');
  });

  it('B.2 encrypted, cr_bits 1: server ID (10) longer than the nonce (5), the fourth decryption pass', () => {
    expect(vector(1, 'ed793a51d49b8f5fab65', 'ee080dbf48', '2fcc381bc74cb4fbad2823a3d1f8fed2', VECTOR_KEY).mode).toBe('four-pass');
  });

  it('B.2 encrypted, cr_bits 2: 8 + 8 bytes, the single-pass AES-ECB special case', () => {
    expect(vector(2, 'ed793a51d49b8f5f', 'ee080dbf48c0d1e5', '504dd2d05a7b0de9b2b9907afb5ecf8cc3', VECTOR_KEY).mode).toBe('single-pass');
  });

  it('B.2 encrypted, "cr_bits 3": 9 + 9 bytes; the printed first octet 0x12 carries config 0, so it is checked as config 0 and as config 3', () => {
    vector(0, 'ed793a51d49b8f5fab', 'ee080dbf48c0d1e55d', '125779c9cc86beb3a3a4a3ca96fce4bfe0cdbc', VECTOR_KEY);
    // Under config 3 the first octet is (3 << 5) | 18 = 0x72; the ciphertext does not depend on it.
    vector(3, 'ed793a51d49b8f5fab', 'ee080dbf48c0d1e55d', '725779c9cc86beb3a3a4a3ca96fce4bfe0cdbc', VECTOR_KEY);
  });

  it('§5.4.2.4 encryption example (odd length, the nibble split) and §5.4.2.2 expand()', () => {
    vector(0, '31441a', '9c69c275', '0767947d29be054a', hex('fdf726a9893ec05c0632d3956680baf0'));
    expect(toHex(expand(0x06, 0x02, hex('aaba3c')))).toBe('aaba3c00000000000000000000000602');
    // Step 3 of the example: AES_ECB(key, expand(7, 1, left_0)).
    const aes = aesBlockCipher(hex('fdf726a9893ec05c0632d3956680baf0'));
    expect(toHex(expand(7, 1, hex('31441a90')))).toBe('31441a90000000000000000000000701');
    expect(toHex(aes.encryptBlock(expand(7, 1, hex('31441a90'))))).toBe('a255dd8cdacf01948d3a848c3c7fee23');
  });
});

const configArb = fc
  .record({
    configId: fc.integer({ min: 0, max: 6 }),
    serverIdLength: fc.integer({ min: 1, max: 15 }),
    extraNonce: fc.integer({ min: 0, max: 14 }),
    key: fc.option(fc.uint8Array({ minLength: 16, maxLength: 16 }), { nil: undefined }),
    encodeLength: fc.boolean(),
  })
  .filter((c) => c.serverIdLength + 4 + c.extraNonce <= 19)
  .map(({ extraNonce, key, ...c }): QuicLbConfig => ({ ...c, nonceLength: 4 + extraNonce, ...(key ? { key } : {}) }));

describe('QUIC-LB properties over random configurations', () => {
  it('decode(encode(server ID, nonce)) gives both back, and serverId() agrees (1,000 configurations, seeded)', () => {
    fc.assert(
      fc.property(configArb, fc.uint8Array({ minLength: 19, maxLength: 19 }), fc.uint8Array({ minLength: 19, maxLength: 19 }), fc.integer({ min: 0, max: 31 }), (config, sidBytes, nonceBytes, bits) => {
        const codec = new QuicLbCodec(config);
        const sid = sidBytes.subarray(0, config.serverIdLength);
        const nonce = nonceBytes.subarray(0, config.nonceLength);
        const cid = codec.encode(sid, nonce, bits);
        expect(cid.length).toBe(1 + config.serverIdLength + config.nonceLength);
        expect(configRotation(cid)).toBe(config.configId);
        expect(cid[0]! & 0x1f).toBe(config.encodeLength ? cid.length - 1 : bits);
        expect(codec.decode(cid)).toEqual({ serverId: sid, nonce });
        expect(codec.serverId(cid)).toEqual(sid);
        // Bytes a server appends after the CID, or the rest of a short-header packet, are ignored.
        expect(codec.serverId(Uint8Array.of(...cid, 1, 2, 3))).toEqual(sid);
        // Encrypted, the body is not the plaintext (equal by chance with probability 2^-40 at most).
        if (config.key) expect(cid.subarray(1)).not.toEqual(Uint8Array.of(...sid, ...nonce));
      }),
      { numRuns: 1000, seed: 19 },
    );
  });

  it('a CID of another configuration or too short does not decode', () => {
    const codec = new QuicLbCodec({ configId: 2, serverIdLength: 3, nonceLength: 5, key: VECTOR_KEY });
    const cid = codec.encode(hex('010203'), hex('0405060708'));
    expect(codec.serverId(cid.subarray(0, 8))).toBeNull();
    const other = cid.slice();
    other[0] = (3 << 5) | (other[0]! & 0x1f);
    expect(codec.serverId(other)).toBeNull();
    expect(codec.decode(unroutableCid(9, () => new Uint8Array(8)))).toBeNull();
  });

  it('the generator: random plaintext nonces; an encrypted counter that never repeats until it runs out', () => {
    let seed = 7;
    const random = (n: number): Uint8Array => Uint8Array.from({ length: n }, () => (seed = (seed * 1103515245 + 12345) >>> 0) >>> 24);
    const plain = new QuicLbCidGenerator(new QuicLbCodec({ configId: 1, serverIdLength: 2, nonceLength: 6 }), hex('abcd'), random);
    const a = plain.next()!;
    const b = plain.next()!;
    expect(toHex(a.subarray(1, 3))).toBe('abcd');
    expect(a.subarray(3)).not.toEqual(b.subarray(3));

    // A 4-byte nonce, started at ff ff ff fe: it wraps through 00 00 00 00 and ends where it began.
    let first = true;
    const nearEnd = (n: number): Uint8Array => (first && n === 4 ? ((first = false), hex('fffffffe')) : new Uint8Array(n));
    const codec = new QuicLbCodec({ configId: 0, serverIdLength: 1, nonceLength: 4, key: VECTOR_KEY });
    const gen = new QuicLbCidGenerator(codec, hex('2a'), nearEnd);
    const seen = new Set<string>();
    for (let i = 0; i < 5; i++) {
      const cid = gen.next()!;
      expect(codec.serverId(cid)).toEqual(hex('2a'));
      seen.add(toHex(cid));
    }
    expect([...seen].map((c) => toHex(codec.decode(hex(c))!.nonce))).toEqual(['fffffffe', 'ffffffff', '00000000', '00000001', '00000002']);

    const tiny = new QuicLbCidGenerator(codec, hex('2a'), () => new Uint8Array(4));
    // Pretend the counter has gone round: drive it 2^32 steps without encoding, then check the end.
    const internal = tiny as unknown as { counter: Uint8Array };
    internal.counter.set(hex('ffffffff'));
    expect(tiny.next()).not.toBeNull();
    expect(tiny.next()).toBeNull();
  });

  it('unroutable CIDs: config 0b111 and the length self-described', () => {
    const cid = unroutableCid(12, (n) => new Uint8Array(n).fill(0xee));
    expect(configRotation(cid)).toBe(7);
    expect(cid[0]! & 0x1f).toBe(11);
    expect(toHex(cid.subarray(1))).toBe('ee'.repeat(11));
    expect(() => unroutableCid(7, (n) => new Uint8Array(n))).toThrow(/8–20 bytes/);
  });

  it('workers in the server ID low bits: every worker of 2^k decodes back from its CIDs', () => {
    const base = hex('3a40');
    const codec = new QuicLbCodec({ configId: 0, serverIdLength: 2, nonceLength: 6, key: VECTOR_KEY });
    for (let w = 0; w < 64; w++) {
      const sid = workerServerId(base, w, 6);
      expect(sid[0]).toBe(0x3a);
      const cid = codec.encode(sid, Uint8Array.of(w, 1, 2, 3, 4, 5));
      expect(workerOf(codec.serverId(cid)!, 6)).toBe(w);
    }
    expect(workerOf(workerServerId(hex('120000'), 1000, 12), 12)).toBe(1000);
    expect(() => workerServerId(hex('3a41'), 1, 6)).toThrow(/low bits must be zero/);
    expect(() => workerServerId(base, 64, 6)).toThrow(/does not fit/);
    expect(() => workerServerId(hex('3a'), 1, 12)).toThrow(/cannot carry/);
  });

  it('refuses bad configurations with a RangeError naming the rule', () => {
    const bad: [QuicLbConfig, RegExp][] = [
      [{ configId: 7, serverIdLength: 3, nonceLength: 4 }, /0b111 is reserved/],
      [{ configId: 0, serverIdLength: 0, nonceLength: 4 }, /at least 1 byte/],
      [{ configId: 0, serverIdLength: 3, nonceLength: 3 }, /at least 4 bytes/],
      [{ configId: 0, serverIdLength: 10, nonceLength: 10 }, /19 bytes or less/],
      [{ configId: 0, serverIdLength: 3, nonceLength: 4, key: new Uint8Array(15) }, /16 bytes/],
    ];
    for (const [config, message] of bad) expect(() => new QuicLbCodec(config)).toThrow(message);
    const codec = new QuicLbCodec({ configId: 0, serverIdLength: 3, nonceLength: 4 });
    expect(() => codec.encode(new Uint8Array(2), new Uint8Array(4))).toThrow(RangeError);
    expect(() => configRotation(new Uint8Array(0))).toThrow(RangeError);
  });
});
