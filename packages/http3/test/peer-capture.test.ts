/**
 * Bytes captured from a real HTTP/3 exchange between ngtcp2's gtlsclient and
 * gtlsserver (Debian ngtcp2 0.12.1, nghttp3 0.8.0) fetching a 3000-byte file
 * on 127.0.0.1, decrypted by tshark with the NSS key log
 * (scripts/capture-ngtcp2-h3.sh): the first bytes of each stream as the peers
 * wrote them. Both advertise a 4,096-byte QPACK table, so nghttp3 inserts
 * into it and its sections reference it (post-Base): our control-stream
 * reader and QPACK decoder take those bytes as a peer of nghttp3 would, and
 * our Huffman encoder reproduces nghttp3's strings byte for byte.
 */
import { describe, expect, it } from 'vitest';
import { ControlStreamReceiver } from '../src/control-stream.js';
import { FrameDecoder } from '../src/frame-decoder.js';
import { FrameType } from '../src/frames.js';
import { huffmanEncode, QpackDecoder, type FieldLine } from '../src/qpack/index.js';
import { hex, toHex } from '@tsquic/test-support/hex';

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

/** The HEADERS payload at the start of a request stream's bytes. */
function headersPayload(bytes: Uint8Array): Uint8Array {
  const d = new FrameDecoder((type) => (type === FrameType.HEADERS ? { action: 'buffer', max: 1024, tooLarge: () => new Error('large') as never } : { action: 'stream' }));
  const e = d.push(bytes)[0]!;
  if (e.kind !== 'frame') throw new Error('no HEADERS first');
  return e.payload;
}

const pairs = (fields: FieldLine[]) => fields.map((f) => [f.name, f.value]);

/** A decoder with our settings, fed `encoder` (a captured encoder stream, type byte first), then one section. */
function decode(encoder: string, section: Uint8Array): FieldLine[] {
  const d = new QpackDecoder({ maxTableCapacity: 4096, maxBlockedStreams: 16 });
  const stream = hex(encoder);
  expect(stream[0]).toBe(0x02);
  d.receiveEncoderStream(stream.subarray(1));
  const r = d.decodeFieldSection(0n, section);
  if (!('fields' in r)) throw new Error('blocked');
  expect(d.stats.dynamicReferences).toBeGreaterThan(0);
  return r.fields;
}

describe('ngtcp2/nghttp3 capture', () => {
  it("reads nghttp3's control stream: type 0, then SETTINGS (unlimited field sections, a 4,096-byte table, 100 blocked streams)", () => {
    const bytes = hex(CAPTURE.control);
    expect(bytes[0]).toBe(0x00);
    const events = new ControlStreamReceiver('client').push(bytes.subarray(1), 0);
    expect(events).toEqual([
      {
        kind: 'settings',
        settings: new Map([
          [0x06n, (1n << 62n) - 1n],
          [0x01n, 4096n],
          [0x07n, 100n],
        ]),
      },
    ]);
  });

  it('decodes the request through the client\u2019s encoder stream (two insertions referenced post-Base)', () => {
    expect(pairs(decode(CAPTURE.clientEncoder, headersPayload(hex(CAPTURE.request))))).toEqual([
      [':method', 'GET'],
      [':scheme', 'https'],
      [':authority', 'localhost:4437'],
      [':path', '/file.bin'],
      ['user-agent', 'nghttp3/ngtcp2 client'],
    ]);
  });

  it('decodes the response through the server\u2019s encoder stream', () => {
    expect(pairs(decode(CAPTURE.serverEncoder, headersPayload(hex(CAPTURE.response))))).toEqual([
      [':status', '200'],
      ['server', 'nghttp3/ngtcp2 server'],
      ['content-type', 'application/octet-stream'],
      ['content-length', '3000'],
    ]);
  });

  it('a decoder that has not seen the insertions blocks on those sections (Required Insert Count 3), it does not misread them', () => {
    const d = new QpackDecoder({ maxTableCapacity: 4096, maxBlockedStreams: 16 });
    expect(d.decodeFieldSection(0n, headersPayload(hex(CAPTURE.request)))).toEqual({ blocked: true });
    const unblocked = d.receiveEncoderStream(hex(CAPTURE.clientEncoder).subarray(1));
    expect(unblocked.map((u) => u.streamId)).toEqual([0n]);
  });

  it('our Huffman encoder reproduces the strings nghttp3 wrote on its encoder streams', () => {
    const literals: [string, number, number, string][] = [
      [CAPTURE.clientEncoder, 6, 10, 'localhost:4437'],
      [CAPTURE.clientEncoder, 19, 15, 'nghttp3/ngtcp2 client'],
      [CAPTURE.serverEncoder, 7, 15, 'nghttp3/ngtcp2 server'],
      [CAPTURE.serverEncoder, 24, 17, 'application/octet-stream'],
    ];
    for (const [stream, at, length, text] of literals) {
      expect(toHex(huffmanEncode(Uint8Array.from(text, (c) => c.charCodeAt(0)))), text).toBe(toHex(hex(stream).subarray(at, at + length)));
    }
  });
});
