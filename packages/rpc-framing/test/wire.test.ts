/**
 * The wire examples of the README, byte for byte, both ways: each frame
 * encodes to exactly these bytes, and these bytes decode to that frame.
 */
import { describe, expect, test } from 'vitest';
import { FrameDecoder, StatusCode, decodePushFrame, decodeRequestFrame, decodeResponseFrame, encodePushFrame, encodeRequestFrame, encodeResponseFrame } from '../src/index.js';
import { hex, unhex } from './helpers.js';

const world = unhex('0a05776f726c64'); // google.protobuf.StringValue { value: "world" }

const vectors = [
  {
    name: 'RequestFrame: method 1, request 1, metadata x-user=ann, payload, timeout 5000 ms',
    bytes: '1f 08 01 10 01 1a 0d 0a 06 782d75736572 12 03 616e6e 22 07 0a05776f726c64 28 8827',
    encode: () => encodeRequestFrame({ methodId: 1, requestId: 1n, metadata: { 'x-user': 'ann' }, payload: world, timeoutMs: 5000 }),
    decode: (b: Uint8Array) => {
      const f = decodeRequestFrame(b);
      return [f.methodId, f.requestId, f.metadata, hex(f.payload), f.timeoutMs];
    },
    fields: [1, 1n, { 'x-user': 'ann' }, hex(world), 5000],
  },
  {
    name: 'ResponseFrame: OK with a payload',
    bytes: '09 1a 07 0a05776f726c64',
    encode: () => encodeResponseFrame({ status: StatusCode.OK, payload: world }),
    decode: (b: Uint8Array) => {
      const f = decodeResponseFrame(b);
      return [f.status, f.message, hex(f.payload), f.push];
    },
    fields: [StatusCode.OK, '', hex(world), false],
  },
  {
    name: 'ResponseFrame: UNIMPLEMENTED with a message',
    bytes: '18 08 0c 12 14 6e6f206d6574686f642077697468206964203939',
    encode: () => encodeResponseFrame({ status: StatusCode.UNIMPLEMENTED, message: 'no method with id 99' }),
    decode: (b: Uint8Array) => {
      const f = decodeResponseFrame(b);
      return [f.status, f.message, hex(f.payload), f.push];
    },
    fields: [StatusCode.UNIMPLEMENTED, 'no method with id 99', '', false],
  },
  {
    name: 'PushFrame: the header of request 2’s push stream',
    bytes: '02 18 02',
    encode: () => encodePushFrame({ requestId: 2n }),
    decode: (b: Uint8Array) => {
      const f = decodePushFrame(b);
      return [f.eventType, hex(f.payload), f.requestId];
    },
    fields: ['', '', 2n],
  },
  {
    name: 'PushFrame: an event',
    bytes: '21 0a 1b 676f6f676c652e70726f746f6275662e55496e74333256616c7565 12 02 0803',
    encode: () => encodePushFrame({ eventType: 'google.protobuf.UInt32Value', payload: Uint8Array.of(8, 3) }),
    decode: (b: Uint8Array) => {
      const f = decodePushFrame(b);
      return [f.eventType, hex(f.payload), f.requestId];
    },
    fields: ['google.protobuf.UInt32Value', '0803', 0n],
  },
];

describe('README wire examples', () => {
  test.each(vectors)('$name', ({ bytes, encode, decode, fields }) => {
    const want = unhex(bytes);
    expect(hex(encode())).toBe(hex(want));
    const d = new FrameDecoder();
    d.push(want);
    const body = d.next()!;
    expect(d.buffered).toBe(0);
    expect(decode(body)).toEqual(fields);
  });
});
