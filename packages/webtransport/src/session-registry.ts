/**
 * @module session-registry
 * The WebTransport sessions of one HTTP/3 connection, either role: it claims
 * the unidirectional stream type 0x54 and the bidirectional signal 0x41 on
 * the connection (draft-ietf-webtrans-http3 §4.1, §4.2), reads each stream's
 * session ID and hands the stream to its session; streams for a session not
 * established yet are held, a bounded number of them (§4.6: beyond the limit
 * WT_BUFFERED_STREAM_REJECTED), streams for a session that has ended are
 * reset (§5), and a session ID that cannot be one closes the connection with
 * H3_ID_ERROR (§4). GOAWAY and the connection's end reach every session.
 */
import { H3ErrorCode, type Http3ExtensionHost } from '@tsquic/http3';
import { WebTransportErrorCode } from './error-codes.js';
import { codeReason } from './errors.js';
import type { WebTransportSession } from './session.js';
import { SESSION_GONE_CODE } from './session-state.js';
import { isValidSessionId, readSessionId, WEBTRANSPORT_BIDI_SIGNAL, WEBTRANSPORT_UNI_STREAM_TYPE, type AfterSessionId } from './stream-header.js';

/** Limits against a hostile peer, per HTTP/3 connection. */
export interface WebTransportLimits {
  /** Sessions open at once (a server answers further requests 429). Default 16. */
  readonly maxSessions?: number;
  /** Streams held for sessions not established yet (§4.6); more are reset with WT_BUFFERED_STREAM_REJECTED. Default 16. */
  readonly maxBufferedStreams?: number;
}

/** Ended session IDs remembered, to reset their late streams at once (older ones are held like unknown IDs, still bounded). */
const ENDED_MEMORY = 256;

interface Held {
  readonly sessionId: bigint;
  deliver(session: WebTransportSession): void;
  reject(code: bigint): void;
}

export class SessionRegistry {
  readonly #sessions = new Map<bigint, WebTransportSession>();
  /** Server: requests admitted (counted against maxSessions) but not established yet. */
  readonly #reserved = new Set<bigint>();
  readonly #ended = new Set<bigint>();
  readonly #held: Held[] = [];
  readonly #maxSessions: number;
  readonly #maxHeld: number;
  #closed = false;

  constructor(
    readonly host: Http3ExtensionHost,
    limits: WebTransportLimits = {},
  ) {
    this.#maxSessions = limits.maxSessions ?? 16;
    this.#maxHeld = limits.maxBufferedStreams ?? 16;
    host.onUnidirectionalStream(WEBTRANSPORT_UNI_STREAM_TYPE, (readable) => void this.#unidirectional(readable));
    host.onBidirectionalStream(
      WEBTRANSPORT_BIDI_SIGNAL,
      (stream) =>
        void readSessionId(stream.readable).then(
          (after) =>
            after &&
            this.#route(
              after,
              (s) => s.incomingBidirectional(stream, after),
              (code) => stream.abort(code, 'rejected'),
            ),
        ),
    );
    // §4.6: GOAWAY asks every session to wind down.
    host.onGoaway(() => {
      for (const s of this.#sessions.values()) s.handle({ type: 'goaway' });
    });
    void host.closed.then((e) => {
      this.#closed = true;
      for (const s of [...this.#sessions.values()]) s.handle({ type: 'connection-closed', message: `the connection closed${e ? `: ${e.message}` : ''}` });
      this.#sessions.clear();
      for (const h of this.#held.splice(0)) h.reject(BigInt(SESSION_GONE_CODE));
    });
  }

  /** Sessions open now. */
  get size(): number {
    return this.#sessions.size;
  }

  /**
   * Admits a session request against `maxSessions` (server): false when the
   * connection has as many sessions, established or being accepted, as allowed.
   */
  reserve(sessionId: bigint): boolean {
    if (this.#sessions.size + this.#reserved.size >= this.#maxSessions) return false;
    this.#reserved.add(sessionId);
    return true;
  }

  /** The session is established: streams held for it are delivered; its end is remembered. */
  add(sessionId: bigint, session: WebTransportSession): void {
    this.#reserved.delete(sessionId);
    if (this.#closed) return;
    this.#sessions.set(sessionId, session);
    for (let i = 0; i < this.#held.length;) {
      const h = this.#held[i]!;
      if (h.sessionId !== sessionId) i++;
      else {
        this.#held.splice(i, 1);
        h.deliver(session);
      }
    }
    const forget = (): void => this.end(sessionId);
    session.closed.then(forget, forget);
  }

  /** The session ended, or its request was refused: its streams, held or late, are reset. */
  end(sessionId: bigint): void {
    this.#reserved.delete(sessionId);
    this.#sessions.delete(sessionId);
    this.#ended.add(sessionId);
    if (this.#ended.size > ENDED_MEMORY) this.#ended.delete(this.#ended.values().next().value!);
    for (let i = 0; i < this.#held.length;) {
      const h = this.#held[i]!;
      if (h.sessionId !== sessionId) i++;
      else {
        this.#held.splice(i, 1);
        h.reject(BigInt(SESSION_GONE_CODE));
      }
    }
  }

  async #unidirectional(readable: ReadableStream<Uint8Array>): Promise<void> {
    const after = await readSessionId(readable);
    if (!after) return; // ended or reset before its session ID: nothing to do
    this.#route(
      after,
      (s) => s.incomingUnidirectional(after),
      (code) => void after.reader.cancel(codeReason(code, 'rejected')).catch(() => undefined),
    );
  }

  #route(after: AfterSessionId, deliver: (s: WebTransportSession) => void, reject: (code: bigint) => void): void {
    const id = after.sessionId;
    // §4: a session ID that is not a client-initiated bidirectional stream ID is H3_ID_ERROR.
    if (!isValidSessionId(id)) {
      reject(BigInt(H3ErrorCode.H3_ID_ERROR));
      this.host.close(H3ErrorCode.H3_ID_ERROR, `WebTransport stream for session ${id}, which is not a client-initiated bidirectional stream`);
      return;
    }
    const session = this.#sessions.get(id);
    if (session) return deliver(session);
    if (this.#closed || this.#ended.has(id)) return reject(BigInt(SESSION_GONE_CODE));
    // §4.6: a stream can arrive before its session is established; hold a bounded number.
    if (this.#held.length >= this.#maxHeld) return reject(WebTransportErrorCode.WT_BUFFERED_STREAM_REJECTED);
    this.#held.push({ sessionId: id, deliver, reject });
  }
}
