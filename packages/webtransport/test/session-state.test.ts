/** The session state machine (draft-ietf-webtrans-http3 §3, §4.6, §5), input by input. */
import { H3ErrorCode } from '@tsquic/http3';
import { describe, expect, it } from 'vitest';
import { CapsuleType, encodeCloseSession } from '../src/capsules.js';
import { SESSION_GONE_CODE, SessionState, type SessionAction, type SessionInput } from '../src/session-state.js';

const established = (): SessionState => {
  const s = new SessionState();
  expect(s.handle({ type: 'established' })).toEqual([{ type: 'ready' }]);
  return s;
};
const types = (actions: SessionAction[]): string[] => actions.map((a) => a.type);
const close = (closeCode: number, reason: string): SessionInput => ({ type: 'capsule', capsuleType: CapsuleType.CLOSE_WEBTRANSPORT_SESSION, value: encodeCloseSession({ closeCode, reason }) });
const drain: SessionInput = { type: 'capsule', capsuleType: CapsuleType.DRAIN_WEBTRANSPORT_SESSION, value: new Uint8Array(0) };

describe('SessionState', () => {
  it('is established once: connecting → connected', () => {
    const s = established();
    expect(s.phase).toBe('connected');
    expect(s.usable).toBe(true);
    expect(s.handle({ type: 'established' })).toEqual([]);
  });

  it('our close: CLOSE capsule with code and reason, FIN, the streams reset with H3_CONNECT_ERROR (draft-02, as Chromium), closed', () => {
    const s = established();
    const actions = s.close({ closeCode: 4242, reason: 'bye' });
    expect(actions).toEqual([
      { type: 'send-capsule', capsuleType: CapsuleType.CLOSE_WEBTRANSPORT_SESSION, value: encodeCloseSession({ closeCode: 4242, reason: 'bye' }) },
      { type: 'finish-connect-stream' },
      { type: 'terminate-streams', code: H3ErrorCode.H3_CONNECT_ERROR },
      { type: 'closed', info: { closeCode: 4242, reason: 'bye' } },
    ]);
    expect(SESSION_GONE_CODE).toBe(0x10f);
    expect(s.phase).toBe('closed');
    expect(s.close({ closeCode: 1, reason: '' })).toEqual([]);
    // The peer's own CLOSE crossing ours changes nothing.
    expect(s.handle(close(1, 'x'))).toEqual([]);
    expect(s.handle({ type: 'connect-stream-end' })).toEqual([]);
  });

  it("the peer's close capsule: we end our side too, the streams go, closed with its code and reason", () => {
    const s = established();
    expect(s.handle(close(7, 'done'))).toEqual([{ type: 'finish-connect-stream' }, { type: 'terminate-streams', code: SESSION_GONE_CODE }, { type: 'closed', info: { closeCode: 7, reason: 'done' } }]);
    // §5: then its FIN is expected, and any more data on the CONNECT stream is H3_MESSAGE_ERROR.
    expect(s.handle({ type: 'connect-stream-end' })).toEqual([]);
    expect(s.handle(drain)).toEqual([{ type: 'abort-connect-stream', code: H3ErrorCode.H3_MESSAGE_ERROR }]);
  });

  it('a FIN without a capsule is a close with code 0 and no reason (§5)', () => {
    const s = established();
    expect(s.handle({ type: 'connect-stream-end' }).at(-1)).toEqual({ type: 'closed', info: { closeCode: 0, reason: '' } });
  });

  it('a malformed close capsule resets the CONNECT stream with H3_MESSAGE_ERROR and fails the session', () => {
    const s = established();
    const actions = s.handle({ type: 'capsule', capsuleType: CapsuleType.CLOSE_WEBTRANSPORT_SESSION, value: new Uint8Array(2) });
    expect(types(actions)).toEqual(['abort-connect-stream', 'terminate-streams', 'failed']);
    expect(actions[0]).toEqual({ type: 'abort-connect-stream', code: H3ErrorCode.H3_MESSAGE_ERROR });
    expect(s.phase).toBe('failed');
  });

  it('drain: DRAIN capsule or GOAWAY once; the session stays usable (§4.6); ours sends the capsule', () => {
    const s = established();
    expect(s.handle(drain)).toEqual([{ type: 'draining' }]);
    expect(s.handle({ type: 'goaway' })).toEqual([]);
    expect(s.draining).toBe(true);
    expect(s.usable).toBe(true);
    expect(established().handle({ type: 'goaway' })).toEqual([{ type: 'draining' }]);
    expect(established().drain()).toEqual([{ type: 'send-capsule', capsuleType: CapsuleType.DRAIN_WEBTRANSPORT_SESSION, value: new Uint8Array(0) }]);
  });

  it('skips unknown capsule types (RFC 9297 §3.2)', () => {
    expect(established().handle({ type: 'capsule', capsuleType: 0x17n, value: new Uint8Array(3) })).toEqual([]);
  });

  it('refused, reset or lost: failed (ready and closed reject)', () => {
    const refused = new SessionState();
    expect(refused.handle({ type: 'refused', status: 404 })).toEqual([
      { type: 'terminate-streams', code: SESSION_GONE_CODE },
      { type: 'failed', message: 'the server refused the session with status 404' },
    ]);
    const reset = established();
    expect(types(reset.handle({ type: 'connect-stream-error', message: 'reset' }))).toEqual(['abort-connect-stream', 'terminate-streams', 'failed']);
    const lost = established();
    expect(types(lost.handle({ type: 'connection-closed', message: 'gone' }))).toEqual(['terminate-streams', 'failed']);
    expect(lost.handle({ type: 'connection-closed', message: 'again' })).toEqual([]);
    expect(lost.close({ closeCode: 0, reason: '' })).toEqual([]);
  });

  it('closing before the session is established cancels the request', () => {
    const s = new SessionState();
    expect(s.close({ closeCode: 0, reason: '' })).toEqual([
      { type: 'abort-connect-stream', code: H3ErrorCode.H3_REQUEST_CANCELLED },
      { type: 'terminate-streams', code: SESSION_GONE_CODE },
      { type: 'failed', message: 'the session was closed before it was established' },
    ]);
    expect(s.handle({ type: 'established' })).toEqual([]);
  });
});
