/** One sample of every frame (and every STREAM/ACK/CONNECTION_CLOSE variant), shared by the tests and the fuzz seeds. */
import type { Frame } from '../src/index.js';

const b = (n: number, fill = 0xab) => new Uint8Array(n).fill(fill);

export const SAMPLE_FRAMES: Frame[] = [
  { type: 'padding', length: 5 },
  { type: 'ping' },
  { type: 'ack', largest: 1000, ackDelay: 250, ranges: [[990, 1000]] },
  {
    type: 'ack',
    largest: 1000,
    ackDelay: 0,
    ranges: [
      [995, 1000],
      [900, 950],
      [0, 3],
    ],
  },
  {
    type: 'ack',
    largest: 7,
    ackDelay: 3,
    ranges: [
      [7, 7],
      [5, 5],
    ],
    ecn: { ect0: 10, ect1: 0, ce: 2 },
  },
  { type: 'reset_stream', streamId: 4, errorCode: 0x1234n, finalSize: 100000 },
  { type: 'stop_sending', streamId: 8, errorCode: 2n ** 62n - 1n },
  { type: 'crypto', offset: 0, data: b(50) },
  { type: 'crypto', offset: 70000, data: b(3) },
  { type: 'new_token', token: b(40) },
  { type: 'max_data', maximum: 2 ** 40 },
  { type: 'max_stream_data', streamId: 3, maximum: 65536 },
  { type: 'max_streams', bidi: true, maximum: 100 },
  { type: 'max_streams', bidi: false, maximum: 2 ** 50 },
  { type: 'data_blocked', limit: 1 << 20 },
  { type: 'stream_data_blocked', streamId: 1, limit: 4096 },
  { type: 'streams_blocked', bidi: true, limit: 10 },
  { type: 'streams_blocked', bidi: false, limit: 0 },
  { type: 'new_connection_id', sequence: 3, retirePriorTo: 1, connectionId: b(8, 1), statelessResetToken: b(16, 2) },
  { type: 'retire_connection_id', sequence: 2 },
  { type: 'path_challenge', data: b(8, 3) },
  { type: 'path_response', data: b(8, 4) },
  { type: 'connection_close', application: false, errorCode: 0x0an, frameType: 0x08, reason: 'bad stream' },
  { type: 'connection_close', application: false, errorCode: 0x128n, frameType: 0x06, reason: '' },
  { type: 'connection_close', application: true, errorCode: 42n, reason: 'bye ✓' },
  { type: 'handshake_done' },
  { type: 'datagram', data: b(30) },
  { type: 'immediate_ack' },
  { type: 'ack_frequency', sequence: 0, ackElicitingThreshold: 0, requestedMaxAckDelay: 1000, reorderingThreshold: 0 },
  { type: 'ack_frequency', sequence: 2 ** 40, ackElicitingThreshold: 2 ** 20, requestedMaxAckDelay: 2 ** 14 * 1000 - 1, reorderingThreshold: 2 ** 31 },
  ...[false, true].flatMap((fin) => [0, 1234].flatMap((offset) => [b(0), b(1024)].map((data): Frame => ({ type: 'stream', streamId: 4, offset, data, fin })))),
];
