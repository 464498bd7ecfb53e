/**
 * @module session-state
 * The WebTransport session state machine, sans-IO (draft-ietf-webtrans-http3
 * §3 "Session Establishment", §4.6 drain, §5 "Session Termination"; the W3C
 * WebTransport states connecting → connected → closed | failed, with
 * draining as a flag). Inputs are what happened on the CONNECT stream and the
 * connection, or the application's close/drain; each returns the actions the
 * I/O shell performs, in order. No clocks, no I/O, no exceptions for peer
 * faults (they become actions).
 */
import { H3ErrorCode } from '@tsquic/http3';
import { CapsuleType, decodeCloseSession, encodeCloseSession, type WebTransportCloseInfo } from './capsules.js';

export type SessionPhase = 'connecting' | 'connected' | 'closed' | 'failed';

/** What happened. */
export type SessionInput =
  /** Client: a 2xx response; server: the application accepted the request. */
  | { readonly type: 'established' }
  /** Client: a response other than 2xx (draft §3.3). */
  | { readonly type: 'refused'; readonly status: number }
  | { readonly type: 'capsule'; readonly capsuleType: bigint; readonly value: Uint8Array }
  /** The peer ended its side of the CONNECT stream (FIN). */
  | { readonly type: 'connect-stream-end' }
  /** The CONNECT stream failed: the peer reset it, or its capsules were malformed. */
  | { readonly type: 'connect-stream-error'; readonly message: string }
  /** The HTTP/3 connection ended (or went away). */
  | { readonly type: 'connection-closed'; readonly message: string }
  /** The peer asked to drain: DRAIN_WEBTRANSPORT_SESSION came as a capsule, or GOAWAY on the connection (§4.6). */
  | { readonly type: 'goaway' };

/** What to do. */
export type SessionAction =
  | { readonly type: 'ready' }
  | { readonly type: 'draining' }
  | { readonly type: 'send-capsule'; readonly capsuleType: bigint; readonly value: Uint8Array }
  /** Send FIN on our side of the CONNECT stream. */
  | { readonly type: 'finish-connect-stream' }
  /** Reset and stop the CONNECT stream with `code`. */
  | { readonly type: 'abort-connect-stream'; readonly code: number }
  /**
   * §5: reset the sending side and stop the receiving side of every stream
   * of the session with `code`, drop datagrams, open nothing new. Draft-02
   * (Chromium) uses H3_CONNECT_ERROR; later drafts WT_SESSION_GONE.
   */
  | { readonly type: 'terminate-streams'; readonly code: number }
  /** `closed` resolves (a clean close: capsule, FIN, or ours). */
  | { readonly type: 'closed'; readonly info: WebTransportCloseInfo }
  /** `ready` (if pending) and `closed` reject. */
  | { readonly type: 'failed'; readonly message: string };

/** draft-02 §5: the code a terminated session's streams are reset with (Chromium 156 sends 0x10f). */
export const SESSION_GONE_CODE = H3ErrorCode.H3_CONNECT_ERROR;

export class SessionState {
  #phase: SessionPhase = 'connecting';
  #draining = false;
  /** A CLOSE capsule arrived: anything after it on the CONNECT stream is H3_MESSAGE_ERROR (§5). */
  #closeReceived = false;

  get phase(): SessionPhase {
    return this.#phase;
  }

  get draining(): boolean {
    return this.#draining;
  }

  /** Streams may be opened and datagrams sent. */
  get usable(): boolean {
    return this.#phase === 'connected';
  }

  handle(input: SessionInput): SessionAction[] {
    switch (input.type) {
      case 'established':
        if (this.#phase !== 'connecting') return [];
        this.#phase = 'connected';
        return [{ type: 'ready' }];
      case 'refused':
        return this.#fail(`the server refused the session with status ${input.status}`, false);
      case 'capsule':
        return this.#capsule(input.capsuleType, input.value);
      case 'connect-stream-end':
        if (this.#closeReceived || this.#phase === 'closed' || this.#phase === 'failed') return [];
        // §5: a clean end without a capsule is a close with code 0 and an empty message.
        return this.#closedBy({ closeCode: 0, reason: '' }, true);
      case 'connect-stream-error':
        return this.#fail(input.message, true);
      case 'connection-closed':
        return this.#fail(input.message, false);
      case 'goaway':
        return this.#drained();
    }
  }

  /** The application closes the session (W3C `close()`; draft §5: CLOSE capsule, then FIN). */
  close(info: WebTransportCloseInfo): SessionAction[] {
    if (this.#phase === 'connecting') {
      // Not established yet: cancel the request (RFC 9114 §4.1.1).
      this.#phase = 'failed';
      return [
        { type: 'abort-connect-stream', code: H3ErrorCode.H3_REQUEST_CANCELLED },
        { type: 'terminate-streams', code: SESSION_GONE_CODE },
        { type: 'failed', message: 'the session was closed before it was established' },
      ];
    }
    if (this.#phase !== 'connected') return [];
    this.#phase = 'closed';
    return [
      { type: 'send-capsule', capsuleType: CapsuleType.CLOSE_WEBTRANSPORT_SESSION, value: encodeCloseSession(info) },
      { type: 'finish-connect-stream' },
      { type: 'terminate-streams', code: SESSION_GONE_CODE },
      { type: 'closed', info: { closeCode: info.closeCode, reason: info.reason } },
    ];
  }

  /** The application asks the peer to wind the session down (DRAIN_WEBTRANSPORT_SESSION, §4.6). */
  drain(): SessionAction[] {
    if (this.#phase !== 'connected') return [];
    return [{ type: 'send-capsule', capsuleType: CapsuleType.DRAIN_WEBTRANSPORT_SESSION, value: new Uint8Array(0) }];
  }

  #capsule(type: bigint, value: Uint8Array): SessionAction[] {
    if (this.#closeReceived) {
      // §5: "If any additional stream data is received on the CONNECT stream after receiving a
      // WT_CLOSE_SESSION capsule, the stream MUST be reset with code H3_MESSAGE_ERROR."
      return [{ type: 'abort-connect-stream', code: H3ErrorCode.H3_MESSAGE_ERROR }];
    }
    if (this.#phase === 'failed') return [];
    if (type === CapsuleType.DRAIN_WEBTRANSPORT_SESSION) return this.#drained();
    if (type !== CapsuleType.CLOSE_WEBTRANSPORT_SESSION) return []; // RFC 9297 §3.2: unknown capsule types are skipped
    let info: WebTransportCloseInfo;
    try {
      info = decodeCloseSession(value);
    } catch (e) {
      this.#phase = 'failed';
      return [
        { type: 'abort-connect-stream', code: H3ErrorCode.H3_MESSAGE_ERROR },
        { type: 'terminate-streams', code: SESSION_GONE_CODE },
        { type: 'failed', message: (e as Error).message },
      ];
    }
    this.#closeReceived = true;
    if (this.#phase === 'closed') return []; // both closed at once: ours stands
    return this.#closedBy(info, true);
  }

  /** The peer closed (capsule or FIN): §5, the recipient closes its side too. */
  #closedBy(info: WebTransportCloseInfo, finish: boolean): SessionAction[] {
    this.#phase = 'closed';
    return [...(finish ? [{ type: 'finish-connect-stream' } as const] : []), { type: 'terminate-streams', code: SESSION_GONE_CODE }, { type: 'closed', info }];
  }

  #drained(): SessionAction[] {
    if (this.#draining || (this.#phase !== 'connected' && this.#phase !== 'connecting')) return [];
    this.#draining = true;
    return [{ type: 'draining' }];
  }

  #fail(message: string, abortStream: boolean): SessionAction[] {
    if (this.#phase === 'closed' || this.#phase === 'failed') return [];
    this.#phase = 'failed';
    return [...(abortStream ? [{ type: 'abort-connect-stream', code: H3ErrorCode.H3_REQUEST_CANCELLED } as const] : []), { type: 'terminate-streams', code: SESSION_GONE_CODE }, { type: 'failed', message }];
  }
}
