/** RFC 9114 §6.2.1 and §7.2: the peer's control stream, sans-IO, one row per rule. */
import { describe, expect, it } from 'vitest';
import { ControlStreamReceiver } from '../src/control-stream.js';
import { H3ErrorCode, Http3Error } from '../src/errors.js';
import { encodeFrame, encodeIdPayload, FrameType, type Role } from '../src/frames.js';
import { encodeSettings } from '../src/settings.js';
import { hex } from '@tsquic/test-support/hex';

const SETTINGS = encodeFrame(FrameType.SETTINGS, encodeSettings([[0x06n, 100n]]));
const frame = (type: number, payload: Uint8Array | string = new Uint8Array(0)) => encodeFrame(type, typeof payload === 'string' ? hex(payload) : payload);
const cat = (...parts: Uint8Array[]) => new Uint8Array(parts.flatMap((p) => [...p]));

function codeOf(f: () => unknown): number | undefined {
  try {
    f();
  } catch (e) {
    if (Http3Error.isInstance(e)) return e.scope === 'connection' ? e.code : -1;
    throw e;
  }
  return undefined;
}

describe('the peer\u2019s control stream', () => {
  it('reports SETTINGS, GOAWAY and MAX_PUSH_ID, skipping unknown and reserved frames (§9)', () => {
    const c = new ControlStreamReceiver('server');
    const events = c.push(cat(SETTINGS, frame(0x21, 'ff'), frame(0x1f * 5 + 0x21), frame(FrameType.GOAWAY, encodeIdPayload(9)), frame(FrameType.MAX_PUSH_ID, encodeIdPayload(3)), frame(FrameType.MAX_PUSH_ID, encodeIdPayload(3))), 0);
    expect(events).toEqual([
      { kind: 'settings', settings: new Map([[6n, 100n]]) },
      { kind: 'goaway', id: 9n },
      { kind: 'max-push-id', id: 3n },
      { kind: 'max-push-id', id: 3n },
    ]);
  });

  it('accepts any fragmentation, one byte at a time', () => {
    const c = new ControlStreamReceiver('client');
    const bytes = cat(SETTINGS, frame(FrameType.GOAWAY, encodeIdPayload(8)), frame(FrameType.GOAWAY, encodeIdPayload(4)));
    const events = [...bytes].flatMap((b) => c.push(new Uint8Array([b]), 0));
    expect(events.map((e) => e.kind)).toEqual(['settings', 'goaway', 'goaway']);
  });

  const rows: Array<[string, Role, Uint8Array, number]> = [
    ['a first frame other than SETTINGS (§6.2.1)', 'server', frame(FrameType.GOAWAY, '00'), H3ErrorCode.H3_MISSING_SETTINGS],
    ['a reserved frame before SETTINGS (§6.2.1)', 'client', frame(0x21), H3ErrorCode.H3_MISSING_SETTINGS],
    ['a second SETTINGS frame (§7.2.4)', 'server', cat(SETTINGS, SETTINGS), H3ErrorCode.H3_FRAME_UNEXPECTED],
    ['DATA (§7.2.1)', 'server', cat(SETTINGS, frame(FrameType.DATA, '00')), H3ErrorCode.H3_FRAME_UNEXPECTED],
    ['HEADERS (§7.2.2)', 'client', cat(SETTINGS, frame(FrameType.HEADERS, '0000')), H3ErrorCode.H3_FRAME_UNEXPECTED],
    ['PUSH_PROMISE (§7.2.5)', 'client', cat(SETTINGS, frame(FrameType.PUSH_PROMISE, '00')), H3ErrorCode.H3_FRAME_UNEXPECTED],
    ['MAX_PUSH_ID received by a client (§7.2.7)', 'client', cat(SETTINGS, frame(FrameType.MAX_PUSH_ID, '00')), H3ErrorCode.H3_FRAME_UNEXPECTED],
    ['an HTTP/2 frame type (§7.2.8)', 'server', cat(SETTINGS, frame(0x08, '00000001')), H3ErrorCode.H3_FRAME_UNEXPECTED],
    ['CANCEL_PUSH for a push never allowed (§7.2.3), client side', 'client', cat(SETTINGS, frame(FrameType.CANCEL_PUSH, '00')), H3ErrorCode.H3_ID_ERROR],
    ['CANCEL_PUSH for a push never promised (§7.2.3), server side', 'server', cat(SETTINGS, frame(FrameType.CANCEL_PUSH, '05')), H3ErrorCode.H3_ID_ERROR],
    ['GOAWAY naming a non-request stream, from a server (§7.2.6)', 'client', cat(SETTINGS, frame(FrameType.GOAWAY, '02')), H3ErrorCode.H3_ID_ERROR],
    ['GOAWAY whose ID increases (§5.2)', 'client', cat(SETTINGS, frame(FrameType.GOAWAY, '04'), frame(FrameType.GOAWAY, '08')), H3ErrorCode.H3_ID_ERROR],
    ['MAX_PUSH_ID that decreases (§7.2.7)', 'server', cat(SETTINGS, frame(FrameType.MAX_PUSH_ID, '05'), frame(FrameType.MAX_PUSH_ID, '04')), H3ErrorCode.H3_ID_ERROR],
    ['GOAWAY with two varints (§7.1)', 'server', cat(SETTINGS, frame(FrameType.GOAWAY, '0404')), H3ErrorCode.H3_FRAME_ERROR],
    ['GOAWAY with an empty payload (§7.1)', 'server', cat(SETTINGS, frame(FrameType.GOAWAY)), H3ErrorCode.H3_FRAME_ERROR],
    ['GOAWAY longer than a varint can be', 'server', cat(SETTINGS, frame(FrameType.GOAWAY, '000000000000000000')), H3ErrorCode.H3_FRAME_ERROR],
    ['a 20 KB SETTINGS frame', 'server', frame(FrameType.SETTINGS, new Uint8Array(20_000)), H3ErrorCode.H3_EXCESSIVE_LOAD],
    ['an HTTP/2 setting (§7.2.4.1)', 'server', frame(FrameType.SETTINGS, '0201'), H3ErrorCode.H3_SETTINGS_ERROR],
  ];
  it.each(rows)('%s', (_, role, bytes, code) => {
    expect(codeOf(() => new ControlStreamReceiver(role).push(bytes, 0))?.toString(16)).toBe(code.toString(16));
  });

  it('a GOAWAY may repeat with the same or a lower ID; a client may name any push ID', () => {
    const client = new ControlStreamReceiver('client');
    expect(client.push(cat(SETTINGS, frame(FrameType.GOAWAY, '08'), frame(FrameType.GOAWAY, '08'), frame(FrameType.GOAWAY, '00')), 0)).toHaveLength(4);
    const server = new ControlStreamReceiver('server');
    expect(server.push(cat(SETTINGS, frame(FrameType.GOAWAY, '07')), 0)[1]).toEqual({ kind: 'goaway', id: 7n });
  });

  it('closing or resetting it is H3_CLOSED_CRITICAL_STREAM (§6.2.1)', () => {
    const c = new ControlStreamReceiver('server');
    expect(c.closed('ended').code).toBe(H3ErrorCode.H3_CLOSED_CRITICAL_STREAM);
    expect(c.closed('reset').message).toMatch(/reset its control stream/);
  });

  it('a flood of frames after SETTINGS is H3_EXCESSIVE_LOAD; a steady trickle is not (§10.5)', () => {
    const flood = new ControlStreamReceiver('server', { frameBurst: 100, framesPerSecond: 10 });
    flood.push(SETTINGS, 0);
    const tiny = frame(0x21);
    expect(codeOf(() => flood.push(new Uint8Array(Array.from({ length: 101 }, () => [...tiny]).flat()), 1))).toBe(H3ErrorCode.H3_EXCESSIVE_LOAD);
    const trickle = new ControlStreamReceiver('server', { frameBurst: 100, framesPerSecond: 10 });
    trickle.push(SETTINGS, 0);
    // 1,000 frames over 100 s: 10 per second, the sustained rate.
    for (let t = 0; t < 1000; t++) trickle.push(tiny, t * 100);
  });
});
