/**
 * @module qpack/huffman
 * The static Huffman code of RFC 7541 Appendix B, used unmodified by QPACK
 * string literals (RFC 9204 §4.1.2): encoding, and decoding with the padding
 * and EOS rules of RFC 7541 §5.2. Decoding walks the code four bits at a time
 * through a state table derived from the code table at load time.
 */

/**
 * RFC 7541 Appendix B, "code as hex aligned to LSB" and "len in bits" for
 * symbols 0..255 and EOS (256), as (code, length) pairs in symbol order.
 */
// prettier-ignore
export const HUFFMAN_CODE_TABLE: readonly number[] = [
  0x1ff8, 13, 0x7fffd8, 23, 0xfffffe2, 28, 0xfffffe3, 28, 0xfffffe4, 28, 0xfffffe5, 28, 0xfffffe6, 28, 0xfffffe7, 28, // 0-7
  0xfffffe8, 28, 0xffffea, 24, 0x3ffffffc, 30, 0xfffffe9, 28, 0xfffffea, 28, 0x3ffffffd, 30, 0xfffffeb, 28, 0xfffffec, 28, // 8-15
  0xfffffed, 28, 0xfffffee, 28, 0xfffffef, 28, 0xffffff0, 28, 0xffffff1, 28, 0xffffff2, 28, 0x3ffffffe, 30, 0xffffff3, 28, // 16-23
  0xffffff4, 28, 0xffffff5, 28, 0xffffff6, 28, 0xffffff7, 28, 0xffffff8, 28, 0xffffff9, 28, 0xffffffa, 28, 0xffffffb, 28, // 24-31
  0x14, 6, 0x3f8, 10, 0x3f9, 10, 0xffa, 12, 0x1ff9, 13, 0x15, 6, 0xf8, 8, 0x7fa, 11, // 32-39
  0x3fa, 10, 0x3fb, 10, 0xf9, 8, 0x7fb, 11, 0xfa, 8, 0x16, 6, 0x17, 6, 0x18, 6, // 40-47
  0x0, 5, 0x1, 5, 0x2, 5, 0x19, 6, 0x1a, 6, 0x1b, 6, 0x1c, 6, 0x1d, 6, // 48-55
  0x1e, 6, 0x1f, 6, 0x5c, 7, 0xfb, 8, 0x7ffc, 15, 0x20, 6, 0xffb, 12, 0x3fc, 10, // 56-63
  0x1ffa, 13, 0x21, 6, 0x5d, 7, 0x5e, 7, 0x5f, 7, 0x60, 7, 0x61, 7, 0x62, 7, // 64-71
  0x63, 7, 0x64, 7, 0x65, 7, 0x66, 7, 0x67, 7, 0x68, 7, 0x69, 7, 0x6a, 7, // 72-79
  0x6b, 7, 0x6c, 7, 0x6d, 7, 0x6e, 7, 0x6f, 7, 0x70, 7, 0x71, 7, 0x72, 7, // 80-87
  0xfc, 8, 0x73, 7, 0xfd, 8, 0x1ffb, 13, 0x7fff0, 19, 0x1ffc, 13, 0x3ffc, 14, 0x22, 6, // 88-95
  0x7ffd, 15, 0x3, 5, 0x23, 6, 0x4, 5, 0x24, 6, 0x5, 5, 0x25, 6, 0x26, 6, // 96-103
  0x27, 6, 0x6, 5, 0x74, 7, 0x75, 7, 0x28, 6, 0x29, 6, 0x2a, 6, 0x7, 5, // 104-111
  0x2b, 6, 0x76, 7, 0x2c, 6, 0x8, 5, 0x9, 5, 0x2d, 6, 0x77, 7, 0x78, 7, // 112-119
  0x79, 7, 0x7a, 7, 0x7b, 7, 0x7ffe, 15, 0x7fc, 11, 0x3ffd, 14, 0x1ffd, 13, 0xffffffc, 28, // 120-127
  0xfffe6, 20, 0x3fffd2, 22, 0xfffe7, 20, 0xfffe8, 20, 0x3fffd3, 22, 0x3fffd4, 22, 0x3fffd5, 22, 0x7fffd9, 23, // 128-135
  0x3fffd6, 22, 0x7fffda, 23, 0x7fffdb, 23, 0x7fffdc, 23, 0x7fffdd, 23, 0x7fffde, 23, 0xffffeb, 24, 0x7fffdf, 23, // 136-143
  0xffffec, 24, 0xffffed, 24, 0x3fffd7, 22, 0x7fffe0, 23, 0xffffee, 24, 0x7fffe1, 23, 0x7fffe2, 23, 0x7fffe3, 23, // 144-151
  0x7fffe4, 23, 0x1fffdc, 21, 0x3fffd8, 22, 0x7fffe5, 23, 0x3fffd9, 22, 0x7fffe6, 23, 0x7fffe7, 23, 0xffffef, 24, // 152-159
  0x3fffda, 22, 0x1fffdd, 21, 0xfffe9, 20, 0x3fffdb, 22, 0x3fffdc, 22, 0x7fffe8, 23, 0x7fffe9, 23, 0x1fffde, 21, // 160-167
  0x7fffea, 23, 0x3fffdd, 22, 0x3fffde, 22, 0xfffff0, 24, 0x1fffdf, 21, 0x3fffdf, 22, 0x7fffeb, 23, 0x7fffec, 23, // 168-175
  0x1fffe0, 21, 0x1fffe1, 21, 0x3fffe0, 22, 0x1fffe2, 21, 0x7fffed, 23, 0x3fffe1, 22, 0x7fffee, 23, 0x7fffef, 23, // 176-183
  0xfffea, 20, 0x3fffe2, 22, 0x3fffe3, 22, 0x3fffe4, 22, 0x7ffff0, 23, 0x3fffe5, 22, 0x3fffe6, 22, 0x7ffff1, 23, // 184-191
  0x3ffffe0, 26, 0x3ffffe1, 26, 0xfffeb, 20, 0x7fff1, 19, 0x3fffe7, 22, 0x7ffff2, 23, 0x3fffe8, 22, 0x1ffffec, 25, // 192-199
  0x3ffffe2, 26, 0x3ffffe3, 26, 0x3ffffe4, 26, 0x7ffffde, 27, 0x7ffffdf, 27, 0x3ffffe5, 26, 0xfffff1, 24, 0x1ffffed, 25, // 200-207
  0x7fff2, 19, 0x1fffe3, 21, 0x3ffffe6, 26, 0x7ffffe0, 27, 0x7ffffe1, 27, 0x3ffffe7, 26, 0x7ffffe2, 27, 0xfffff2, 24, // 208-215
  0x1fffe4, 21, 0x1fffe5, 21, 0x3ffffe8, 26, 0x3ffffe9, 26, 0xffffffd, 28, 0x7ffffe3, 27, 0x7ffffe4, 27, 0x7ffffe5, 27, // 216-223
  0xfffec, 20, 0xfffff3, 24, 0xfffed, 20, 0x1fffe6, 21, 0x3fffe9, 22, 0x1fffe7, 21, 0x1fffe8, 21, 0x7ffff3, 23, // 224-231
  0x3fffea, 22, 0x3fffeb, 22, 0x1ffffee, 25, 0x1ffffef, 25, 0xfffff4, 24, 0xfffff5, 24, 0x3ffffea, 26, 0x7ffff4, 23, // 232-239
  0x3ffffeb, 26, 0x7ffffe6, 27, 0x3ffffec, 26, 0x3ffffed, 26, 0x7ffffe7, 27, 0x7ffffe8, 27, 0x7ffffe9, 27, 0x7ffffea, 27, // 240-247
  0x7ffffeb, 27, 0xffffffe, 28, 0x7ffffec, 27, 0x7ffffed, 27, 0x7ffffee, 27, 0x7ffffef, 27, 0x7fffff0, 27, 0x3ffffee, 26, // 248-255
  0x3fffffff, 30, // 256
];

/** The EOS symbol (RFC 7541 §5.2). */
export const HUFFMAN_EOS = 256;

/** Code of `symbol` (0..256). */
export function huffmanCode(symbol: number): number {
  return HUFFMAN_CODE_TABLE[symbol * 2]!;
}

/** Length in bits of the code of `symbol` (0..256). */
export function huffmanCodeLength(symbol: number): number {
  return HUFFMAN_CODE_TABLE[symbol * 2 + 1]!;
}

/**
 * The code as a binary trie in a flat array: node n has children at
 * [2n] (bit 0) and [2n + 1] (bit 1); a positive entry is the next node, a
 * negative entry -(symbol + 1) a leaf. 256 internal nodes for 257 leaves.
 */
function buildTrie(): Int32Array {
  const trie = new Int32Array(2 * 256);
  let nodes = 1;
  for (let symbol = 0; symbol <= HUFFMAN_EOS; symbol++) {
    const code = huffmanCode(symbol);
    const length = huffmanCodeLength(symbol);
    let node = 0;
    for (let i = length - 1; i > 0; i--) {
      const slot = 2 * node + ((code >>> i) & 1);
      if (trie[slot] === 0) trie[slot] = nodes++;
      node = trie[slot]!;
    }
    trie[2 * node + (code & 1)] = -(symbol + 1);
  }
  return trie;
}

/** A nibble transition: the next node in bits 0-7, the emitted symbol + 1 in bits 8-16 (0: none), bit 17: EOS reached. */
const EMITS = 8;
const EOS_FLAG = 1 << 17;

/**
 * The decoder's state table: for each trie node (256) and each nibble (16),
 * where the four bits lead. A nibble completes at most one symbol, since the
 * shortest code has five bits. `ACCEPTS[node]` says whether a string may end
 * at that node: its path is at most 7 bits, all ones (a prefix of EOS).
 */
const { NIBBLE, ACCEPTS } = (() => {
  const trie = buildTrie();
  const accepts = new Uint8Array(256);
  // Walk the all-ones path from the root: the nodes at depth 0..7 on it accept.
  for (let node = 0, depth = 0; depth <= 7; depth++) {
    accepts[node] = 1;
    node = trie[2 * node + 1]!;
  }
  const nibble = new Int32Array(256 * 16);
  for (let start = 0; start < 256; start++) {
    for (let v = 0; v < 16; v++) {
      let node = start;
      let emitted = 0;
      let flags = 0;
      for (let bit = 3; bit >= 0; bit--) {
        const next = trie[2 * node + ((v >>> bit) & 1)]!;
        if (next >= 0) {
          node = next;
          continue;
        }
        const symbol = -next - 1;
        if (symbol === HUFFMAN_EOS) flags |= EOS_FLAG;
        else emitted = symbol + 1;
        node = 0;
      }
      nibble[start * 16 + v] = node | (emitted << EMITS) | flags;
    }
  }
  return { NIBBLE: nibble, ACCEPTS: accepts };
})();

/** Why a Huffman string was refused (RFC 7541 §5.2). */
export type HuffmanFailure = 'eos' | 'padding';

/**
 * Decodes a Huffman-coded string literal into bytes, or names the RFC 7541
 * §5.2 rule it breaks: an EOS symbol inside the string, padding longer than
 * 7 bits, or padding that is not the most significant bits of EOS (all ones).
 * Output is at most `floor(8 * length / 5)` bytes (the shortest code has 5 bits).
 */
export function huffmanDecode(input: Uint8Array): Uint8Array | HuffmanFailure {
  const out = new Uint8Array(Math.floor((input.length * 8) / 5));
  const n = huffmanDecodeInto(input, out);
  return typeof n === 'number' ? out.subarray(0, n) : n;
}

/** Decodes into `out` (room for `floor(8 * input.length / 5)` bytes); returns the decoded length or the failure. */
export function huffmanDecodeInto(input: Uint8Array, out: Uint8Array): number | HuffmanFailure {
  let n = 0;
  let node = 0;
  for (let i = 0; i < input.length; i++) {
    const byte = input[i]!;
    let t = NIBBLE[node * 16 + (byte >>> 4)]!;
    if (t & EOS_FLAG) return 'eos';
    if (t >>> EMITS) out[n++] = (t >>> EMITS) - 1;
    t = NIBBLE[(t & 0xff) * 16 + (byte & 0x0f)]!;
    // RFC 7541 §5.2: a Huffman-encoded string literal containing the EOS symbol MUST be treated as a decoding error.
    if (t & EOS_FLAG) return 'eos';
    if (t >>> EMITS) out[n++] = (t >>> EMITS) - 1;
    node = t & 0xff;
  }
  // RFC 7541 §5.2: padding longer than 7 bits, or not the MSBs of EOS, MUST be treated as a decoding error.
  if (ACCEPTS[node] === 0) return 'padding';
  return n;
}

/** Number of bytes the Huffman encoding of `s` takes (each character 0..255, one octet). */
export function huffmanEncodedLength(s: string | Uint8Array): number {
  let bits = 0;
  if (typeof s === 'string') for (let i = 0; i < s.length; i++) bits += HUFFMAN_CODE_TABLE[s.charCodeAt(i) * 2 + 1]!;
  else for (let i = 0; i < s.length; i++) bits += HUFFMAN_CODE_TABLE[s[i]! * 2 + 1]!;
  return (bits + 7) >>> 3;
}

/**
 * Huffman-encodes `s` (a string of octets, one character each, or bytes) into
 * `out` at `pos`, padding the last byte with the MSBs of EOS (RFC 7541 §5.2).
 * Returns the offset after the encoding; `out` must have room for
 * `huffmanEncodedLength(s)` bytes.
 */
export function huffmanEncodeInto(s: string | Uint8Array, out: Uint8Array, pos: number): number {
  let n = pos;
  let acc = 0; // fewer than 8 pending bits, plus at most 24 new ones: stays within 31 bits
  let bits = 0;
  const text = typeof s === 'string';
  for (let i = 0; i < s.length; i++) {
    const symbol = text ? s.charCodeAt(i) : s[i]!;
    let code = HUFFMAN_CODE_TABLE[symbol * 2]!;
    let length = HUFFMAN_CODE_TABLE[symbol * 2 + 1]!;
    if (length > 24) {
      // the rare long codes go in two steps: the high bits first
      const high = length - 16;
      acc = (acc << high) | (code >>> 16);
      bits += high;
      while (bits >= 8) {
        bits -= 8;
        out[n++] = acc >>> bits;
        acc &= (1 << bits) - 1;
      }
      code &= 0xffff;
      length = 16;
    }
    acc = (acc << length) | code;
    bits += length;
    while (bits >= 8) {
      bits -= 8;
      out[n++] = acc >>> bits;
      acc &= (1 << bits) - 1;
    }
  }
  if (bits > 0) out[n++] = ((acc << (8 - bits)) | (0xff >>> bits)) & 0xff;
  return n;
}

/** Huffman-encodes bytes or a string of octets (RFC 7541 §5.2). */
export function huffmanEncode(s: string | Uint8Array): Uint8Array {
  const out = new Uint8Array(huffmanEncodedLength(s));
  huffmanEncodeInto(s, out, 0);
  return out;
}
