/**
 * Bytes captured from a real HTTP/3 exchange between ngtcp2's gtlsclient and
 * gtlsserver (Debian ngtcp2 0.12.1, nghttp3 0.8.0) fetching a 3000-byte file
 * on 127.0.0.1, decrypted by tshark with the NSS key log: the first bytes of
 * each stream as the peers wrote them. Both peers advertise a 4096-byte QPACK
 * table, so nghttp3 uses the dynamic table; against us (capacity 0) it may
 * not, and our decoder refuses such sections, as it must. The static and
 * Huffman-coded parts are decoded with our primitives, and our Huffman
 * encoder reproduces nghttp3's bytes exactly.
 */
import { describe, expect, it } from 'vitest';
import { H3Error, H3ErrorCode } from '../src/h3/errors.js';
import { decodeFrameHeader, decodeSettings, FrameType } from '../src/h3/frames.js';
import { decodeFieldSection, decodeStringLiteral, octetsToString } from '../src/qpack/field-section.js';
import { huffmanEncode } from '../src/qpack/huffman.js';
import { EncoderStreamReceiver } from '../src/qpack/instructions.js';
import { decodePrefixedInteger } from '../src/qpack/prefixed-integer.js';
import { STATIC_TABLE } from '../src/qpack/static-table.js';
import { decodeVarint } from '../src/varint.js';
import { hex, toHex } from './support/hex.js';

const CAPTURE = {
  /** Client stream 2 (and, identically, server stream 3): the control stream. */
  control: '00 04 0f 06 ffffffffffffffff 01 5000 07 4064',
  /** Client stream 6: the QPACK encoder stream. */
  clientEncoder: '02 3fe11f c08a a0e41d139d09b8d34cbb ff20 8f aa69d29ad962a9924ac4a128316a4f',
  /** Server stream 7: the QPACK encoder stream. */
  serverEncoder: '02 3fe11f ff1d 8f aa69d29ad962a9924ac4a20b6772d9 ec 90 1d75d0620d263d4c1c892a56426c28e9',
  /** Stream 0, client to server: the request. */
  request: '01 0f 0381 d1 d7 10 5187 62535055e3355f 11',
  /** Stream 0, server to client: the response HEADERS and the DATA frame header. */
  response: '01 0a 0381 d9 10 11 5483 640007 00 4bb8',
};

type Line = { static: readonly [string, string] } | { name: string; value: string } | { dynamic: string };

/** Walks an encoded field section, resolving static references and literals and naming dynamic ones. */
function walkSection(section: Uint8Array): { requiredInsertCount: number; lines: Line[] } {
  const int = (pos: number, prefix: number): { value: number; next: number } => {
    const r = decodePrefixedInteger(section, pos, prefix);
    if (typeof r === 'string') throw new Error(r);
    return r;
  };
  const ric = int(0, 8);
  let pos = int(ric.next, 7).next;
  const lines: Line[] = [];
  while (pos < section.length) {
    const b = section[pos]!;
    if (b & 0x80) {
      const i = int(pos, 6);
      lines.push(b & 0x40 ? { static: STATIC_TABLE[i.value]! } : { dynamic: `relative ${i.value}` });
      pos = i.next;
    } else if (b & 0x40) {
      const i = int(pos, 4);
      const v = decodeStringLiteral(section, i.next, 8);
      lines.push({ name: b & 0x10 ? STATIC_TABLE[i.value]![0] : `dynamic ${i.value}`, value: v.value });
      pos = v.next;
    } else if (b & 0x10) {
      const i = int(pos, 4);
      lines.push({ dynamic: `post-base ${i.value}` });
      pos = i.next;
    } else throw new Error(`representation 0x${b.toString(16)} not in this capture`);
  }
  return { requiredInsertCount: ric.value, lines };
}

function headersPayload(frames: Uint8Array): Uint8Array {
  const h = decodeFrameHeader(frames, 0)!;
  expect(h.type).toBe(FrameType.HEADERS);
  return frames.subarray(h.next, h.next + h.length);
}

describe('ngtcp2/nghttp3 capture', () => {
  it("decodes nghttp3's control stream: type 0, then SETTINGS", () => {
    const bytes = hex(CAPTURE.control);
    expect(decodeVarint(bytes, 0)).toEqual({ value: 0, next: 1 });
    const h = decodeFrameHeader(bytes, 1)!;
    expect(h.type).toBe(FrameType.SETTINGS);
    expect(decodeSettings(bytes.subarray(h.next, h.next + h.length))).toEqual(
      new Map([
        [0x06n, (1n << 62n) - 1n], // MAX_FIELD_SECTION_SIZE: unlimited
        [0x01n, 4096n], // QPACK_MAX_TABLE_CAPACITY
        [0x07n, 100n], // QPACK_BLOCKED_STREAMS
      ]),
    );
  });

  it('decodes the Huffman strings nghttp3 puts on its encoder streams, and re-encodes them identically', () => {
    const literals: [string, number, string][] = [
      [CAPTURE.clientEncoder, 5, 'localhost:4437'],
      [CAPTURE.clientEncoder, 18, 'nghttp3/ngtcp2 client'],
      [CAPTURE.serverEncoder, 6, 'nghttp3/ngtcp2 server'],
      [CAPTURE.serverEncoder, 23, 'application/octet-stream'],
    ];
    for (const [stream, at, text] of literals) {
      const bytes = hex(stream);
      const { value, next } = decodeStringLiteral(bytes, at, 8);
      expect(value).toBe(text);
      expect(toHex(huffmanEncode(Uint8Array.from(text, (c) => c.charCodeAt(0))))).toBe(toHex(bytes.subarray(at + 1, next)));
    }
  });

  it('refuses those insertions on an encoder stream under our capacity of 0', () => {
    const receiver = new EncoderStreamReceiver();
    const bytes = hex(CAPTURE.clientEncoder);
    expect(() => receiver.push(bytes.subarray(1, 4))).toThrow(H3Error); // capacity 4096 > 0
  });

  it('reads the static and literal parts of the request and the response', () => {
    const request = walkSection(headersPayload(hex(CAPTURE.request)));
    expect(request.requiredInsertCount).toBe(3);
    expect(request.lines).toEqual([
      { static: [':method', 'GET'] },
      { static: [':scheme', 'https'] },
      { dynamic: 'post-base 0' }, // :authority localhost:4437, inserted on the encoder stream
      { name: ':path', value: '/file.bin' },
      { dynamic: 'post-base 1' }, // user-agent
    ]);
    const response = walkSection(headersPayload(hex(CAPTURE.response)));
    expect(response.lines).toEqual([{ static: [':status', '200'] }, { dynamic: 'post-base 0' }, { dynamic: 'post-base 1' }, { name: 'content-length', value: '3000' }]);
    const data = hex(CAPTURE.response).subarray(12);
    expect(decodeFrameHeader(data, 0)).toEqual({ type: FrameType.DATA, length: 3000, next: 3 });
    expect(octetsToString(hex('2f66696c652e62696e'))).toBe('/file.bin');
  });

  it('refuses the dynamic-table sections with QPACK_DECOMPRESSION_FAILED, as a capacity-0 decoder must', () => {
    for (const frames of [CAPTURE.request, CAPTURE.response]) {
      let error: unknown;
      try {
        decodeFieldSection(headersPayload(hex(frames)), { maxFieldSectionSize: 65536 });
      } catch (e) {
        error = e;
      }
      expect(H3Error.isInstance(error) && error.code).toBe(H3ErrorCode.QPACK_DECOMPRESSION_FAILED);
    }
  });
});
