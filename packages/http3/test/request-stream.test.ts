/** RFC 9114 §4.1 and §4.1.2: the frame sequence of a message on a request stream, sans-IO. */
import { describe, expect, it } from 'vitest';
import { H3ErrorCode, Http3Error } from '../src/errors.js';
import { encodeFrame, FrameType, type Role } from '../src/frames.js';
import { MessageFraming } from '../src/request-stream.js';
import { hex } from '@tsquic/test-support/hex';

const H = (payload = '00 00') => encodeFrame(FrameType.HEADERS, hex(payload));
const D = (payload: string) => encodeFrame(FrameType.DATA, hex(payload));

type Step = Uint8Array | { headers: { interim?: boolean; contentLength?: number; noContent?: boolean } } | 'finish';

/** Runs a message through the framing: returns 'ok' or the error code (scope-tagged). */
function run(receiver: Role, steps: Step[]): string {
  const m = new MessageFraming(receiver, { maxHeadersFrameSize: 64 });
  const pending: Array<Step> = [...steps];
  try {
    for (const step of pending) {
      if (step === 'finish') m.finish();
      else if (step instanceof Uint8Array) {
        m.feed(step);
        for (let e = m.next(); e; e = m.next()) {
          if (e.kind === 'frame') {
            const next = pending[pending.indexOf(step) + 1];
            // The caller decodes HEADERS and reports the section; tests give the report as the next step.
            if (next && !(next instanceof Uint8Array) && next !== 'finish') m.headersDone(next.headers);
            else m.headersDone();
          }
        }
      }
    }
    return 'ok';
  } catch (e) {
    if (!Http3Error.isInstance(e)) throw e;
    return `${e.scope}:0x${e.code.toString(16)}`;
  }
}

const cat = (...parts: Uint8Array[]) => new Uint8Array(parts.flatMap((p) => [...p]));

describe('frame sequences (RFC 9114 §4.1)', () => {
  it.each<[string, Role, Step[], string]>([
    ['HEADERS then FIN', 'server', [H(), 'finish'], 'ok'],
    ['HEADERS, DATA, trailers, FIN', 'server', [cat(H(), D('0102'), H()), 'finish'], 'ok'],
    ['unknown and reserved frames anywhere', 'server', [cat(encodeFrame(0x21, hex('ff')), H(), encodeFrame(0x0e, new Uint8Array(3)), D('01'), encodeFrame(0x40, new Uint8Array(0))), 'finish'], 'ok'],
    ['interim responses before the final one (client)', 'client', [H(), { headers: { interim: true } }, H(), { headers: { interim: true } }, cat(H(), D('00')), 'finish'], 'ok'],
    ['DATA before HEADERS', 'server', [D('01')], 'connection:0x105'],
    ['DATA after trailers', 'server', [cat(H(), H(), D('00'))], 'connection:0x105'],
    ['HEADERS after trailers', 'client', [cat(H(), H(), H())], 'connection:0x105'],
    ['PUSH_PROMISE at a client that never sent MAX_PUSH_ID (§7.2.5)', 'client', [encodeFrame(FrameType.PUSH_PROMISE, hex('00 0000'))], 'connection:0x108'],
    ['PUSH_PROMISE at a server (§7.2.5)', 'server', [encodeFrame(FrameType.PUSH_PROMISE, hex('00 0000'))], 'connection:0x105'],
    ['SETTINGS on a request stream', 'server', [encodeFrame(FrameType.SETTINGS, new Uint8Array(0))], 'connection:0x105'],
    ['GOAWAY on a request stream', 'client', [cat(H(), encodeFrame(FrameType.GOAWAY, hex('00')))], 'connection:0x105'],
    ['a HEADERS frame above the limit', 'server', [encodeFrame(FrameType.HEADERS, new Uint8Array(65))], 'stream:0x107'],
    ['FIN before any HEADERS (§4.1.1)', 'server', [encodeFrame(0x21, new Uint8Array(0)), 'finish'], 'stream:0x10d'],
    ['FIN inside a frame (§7.1)', 'server', [cat(H(), hex('00 05 01')), 'finish'], 'connection:0x106'],
  ])('%s', (_, receiver, steps, outcome) => expect(run(receiver, steps)).toBe(outcome));
});

describe('content-length (RFC 9114 §4.1.2)', () => {
  it.each<[string, Step[], string]>([
    ['equal to the DATA received', [H(), { headers: { contentLength: 3 } }, cat(D('01'), D('0203')), 'finish'], 'ok'],
    ['more DATA than declared', [H(), { headers: { contentLength: 2 } }, D('010203')], 'stream:0x10e'],
    ['less DATA than declared', [H(), { headers: { contentLength: 4 } }, D('010203'), 'finish'], 'stream:0x10e'],
    ['content where none is allowed (HEAD, 204, 304)', [H(), { headers: { noContent: true, contentLength: 10 } }, D('01')], 'stream:0x10e'],
    ['an empty DATA frame where none is allowed', [H(), { headers: { noContent: true } }, D(''), 'finish'], 'ok'],
  ])('%s', (_, steps, outcome) => expect(run('client', steps)).toBe(outcome));
});
