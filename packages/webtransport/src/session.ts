/**
 * @module session
 * A WebTransport session with the W3C `WebTransport` object model — `ready`,
 * `closed` (`{ closeCode, reason }`), `draining`, `close()`,
 * `createBidirectionalStream()`, `createUnidirectionalStream()`,
 * `incomingBidirectionalStreams`, `incomingUnidirectionalStreams`,
 * `datagrams` — the same object on the client and the server side. It is the
 * I/O shell of `session-state`: it feeds it what the CONNECT stream (capsules,
 * end, reset) and the connection do, and carries out its actions on the
 * @tsquic/http3 tunnel, the session's streams (§4.1, §4.2, via `streams`) and
 * its HTTP datagrams (§4.4, RFC 9297 §2.1).
 */
import { H3ErrorCode, type Http3ExtensionHost, type Http3Stream, type Http3Tunnel } from '@tsquic/http3';
import { CapsuleType, MAX_CLOSE_MESSAGE_BYTES, type WebTransportCloseInfo } from './capsules.js';
import { codeReason, sessionError, WebTransportError } from './errors.js';
import { SESSION_GONE_CODE, SessionState, type SessionAction, type SessionInput } from './session-state.js';
import { encodeSessionId, WEBTRANSPORT_BIDI_SIGNAL, WEBTRANSPORT_UNI_STREAM_TYPE, type AfterSessionId } from './stream-header.js';
import { receiveStream, sendStream, type StreamTracker } from './streams.js';

export type { WebTransportCloseInfo } from './capsules.js';

/** W3C `WebTransportBidirectionalStream`. */
export interface WebTransportBidirectionalStream {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
}

/** W3C `WebTransportDatagramDuplexStream` (with Chromium's `writable` and the newer `createWritable()`). */
export interface WebTransportDatagramDuplexStream {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  createWritable(): WritableStream<Uint8Array>;
  /** The largest datagram payload that fits now; datagrams written larger are dropped (W3C). */
  readonly maxDatagramSize: number;
}

/** What an established session runs on: its CONNECT stream's tunnel and the HTTP/3 connection. */
export interface SessionBinding {
  readonly sessionId: bigint;
  readonly tunnel: Http3Tunnel;
  readonly host: Http3ExtensionHost;
}

/** Before the session is established the datagram limit is unknown; Chromium reports 1024 then. */
const DATAGRAM_SIZE_BEFORE_READY = 1024;

const noop = (): void => undefined;

export class WebTransportSession implements StreamTracker {
  /** Resolves once the session is established; rejects with a WebTransportError (source 'session') if it never is. */
  readonly ready: Promise<void>;
  /** Resolves with the close code and reason of a clean close (either side); rejects with a WebTransportError otherwise. */
  readonly closed: Promise<WebTransportCloseInfo>;
  /** Resolves when the peer asks to wind the session down (DRAIN_WEBTRANSPORT_SESSION, or GOAWAY). */
  readonly draining: Promise<void>;
  readonly incomingBidirectionalStreams: ReadableStream<WebTransportBidirectionalStream>;
  readonly incomingUnidirectionalStreams: ReadableStream<ReadableStream<Uint8Array>>;
  readonly datagrams: WebTransportDatagramDuplexStream;
  /** The application protocol the server chose (W3C; none negotiated in draft-02). */
  readonly protocol = '';
  readonly reliability = 'supports-unreliable';
  readonly #state = new SessionState();
  readonly #streams = new Set<(code: bigint) => void>();
  #binding: SessionBinding | undefined;
  #capsules: WritableStreamDefaultWriter<{ type: bigint; value: Uint8Array }> | undefined;
  #datagramReader: ReadableStreamDefaultReader<Uint8Array> | undefined;
  #datagramWriter: WritableStreamDefaultWriter<Uint8Array> | undefined;
  #bidiIn!: ReadableStreamDefaultController<WebTransportBidirectionalStream>;
  #uniIn!: ReadableStreamDefaultController<ReadableStream<Uint8Array>>;
  #resolveReady!: () => void;
  #rejectReady!: (e: unknown) => void;
  #resolveClosed!: (i: WebTransportCloseInfo) => void;
  #rejectClosed!: (e: unknown) => void;
  #resolveDraining!: () => void;
  #resolveFinished!: () => void;
  /** @internal Settles once the CONNECT stream is done: the peer ended or reset it (or it never opened). */
  readonly finished: Promise<void> = new Promise((resolve) => (this.#resolveFinished = resolve));
  /** Client: cancels the CONNECT request while it is unanswered. */
  #cancelRequest: ((code: number) => void) | undefined;

  /** @internal Sessions are made by `WebTransportServer` (server) and `connectSession`/`WebTransport` (client). */
  constructor() {
    this.ready = new Promise((resolve, reject) => ((this.#resolveReady = resolve), (this.#rejectReady = reject)));
    this.closed = new Promise((resolve, reject) => ((this.#resolveClosed = resolve), (this.#rejectClosed = reject)));
    this.draining = new Promise((resolve) => (this.#resolveDraining = resolve));
    this.ready.catch(noop);
    this.closed.catch(noop);
    // Peer-opened streams wait here until the application takes them; QUIC's MAX_STREAMS bounds how many.
    this.incomingBidirectionalStreams = new ReadableStream({ start: (c) => void (this.#bidiIn = c) }, { highWaterMark: 0 });
    this.incomingUnidirectionalStreams = new ReadableStream({ start: (c) => void (this.#uniIn = c) }, { highWaterMark: 0 });
    this.datagrams = this.#datagramDuplex();
  }

  /** The session ID (its CONNECT stream's ID) once known. */
  get sessionId(): bigint | undefined {
    return this.#binding?.sessionId;
  }

  /** 'connecting', 'connected', 'closed' or 'failed' (W3C's states; `draining` is separate). */
  get state(): 'connecting' | 'connected' | 'closed' | 'failed' {
    return this.#state.phase;
  }

  async createBidirectionalStream(): Promise<WebTransportBidirectionalStream> {
    const b = await this.#usable('open a stream');
    const s = await b.host.createBidirectionalStream(WEBTRANSPORT_BIDI_SIGNAL, encodeSessionId(b.sessionId));
    return this.#bidirectional(s, { sessionId: b.sessionId, head: new Uint8Array(0), reader: s.readable.getReader() });
  }

  async createUnidirectionalStream(): Promise<WritableStream<Uint8Array>> {
    const b = await this.#usable('open a stream');
    return sendStream(await b.host.createUnidirectionalStream(WEBTRANSPORT_UNI_STREAM_TYPE, encodeSessionId(b.sessionId)), this);
  }

  /** Closes the session (CLOSE_WEBTRANSPORT_SESSION with the code and reason, then FIN); `closed` resolves with them. */
  close(info: { closeCode?: number; reason?: string } = {}): void {
    const closeCode = info.closeCode ?? 0;
    const reason = info.reason ?? '';
    if (!Number.isInteger(closeCode) || closeCode < 0 || closeCode > 0xffffffff) throw new RangeError(`closeCode must be a 32-bit unsigned integer, got ${closeCode}`);
    this.#apply(this.#state.close({ closeCode, reason }));
  }

  /** Asks the peer to wind the session down (DRAIN_WEBTRANSPORT_SESSION, draft §4.6); the session goes on meanwhile. */
  drain(): void {
    this.#apply(this.#state.drain());
  }

  // ------------------------------------------------------------------ driven by the connection

  /** @internal The CONNECT request is pending (client): how to cancel it. */
  pending(cancel: (code: number) => void): void {
    this.#cancelRequest = cancel;
  }

  /** @internal The session is established on `binding`. */
  bind(binding: SessionBinding): void {
    if (this.#state.phase !== 'connecting') {
      // Closed while its request was in flight (client): end it now it has a stream.
      binding.tunnel.abort(H3ErrorCode.H3_REQUEST_CANCELLED, 'session closed before it was established');
      return;
    }
    this.#binding = binding;
    this.#cancelRequest = undefined;
    const capsules = binding.tunnel.capsules({
      types: [CapsuleType.CLOSE_WEBTRANSPORT_SESSION, CapsuleType.DRAIN_WEBTRANSPORT_SESSION],
      maxCapsuleSize: 4 + MAX_CLOSE_MESSAGE_BYTES,
    });
    this.#capsules = capsules.writable.getWriter();
    this.#capsules.closed.catch(noop);
    this.#datagramReader = binding.tunnel.datagrams.readable.getReader();
    this.#datagramWriter = binding.tunnel.datagrams.writable.getWriter();
    this.#datagramWriter.closed.catch(noop);
    this.handle({ type: 'established' });
    void this.#readCapsules(capsules.readable);
  }

  /** @internal Something happened to the session (see `SessionInput`). */
  handle(input: SessionInput): void {
    this.#apply(this.#state.handle(input));
  }

  /** @internal A peer stream for this session, positioned after its header. */
  incomingBidirectional(stream: Http3Stream, after: AfterSessionId): void {
    if (!this.#state.usable) return void stream.abort(SESSION_GONE_CODE, 'session gone');
    this.#bidiIn.enqueue(this.#bidirectional(stream, after));
  }

  /** @internal A peer unidirectional stream for this session, positioned after its header. */
  incomingUnidirectional(after: AfterSessionId): void {
    if (!this.#state.usable) return void after.reader.cancel(codeReason(BigInt(SESSION_GONE_CODE), 'session gone')).catch(noop);
    this.#uniIn.enqueue(receiveStream(after.head, after.reader, this));
  }

  /** @internal StreamTracker: the session resets what is left of its streams when it ends. */
  track(terminate: (code: bigint) => void): () => void {
    this.#streams.add(terminate);
    return () => void this.#streams.delete(terminate);
  }

  // ------------------------------------------------------------------ the shell

  #bidirectional(stream: Http3Stream, after: AfterSessionId): WebTransportBidirectionalStream {
    return { readable: receiveStream(after.head, after.reader, this), writable: sendStream(stream.writable, this) };
  }

  /** The binding once the session is usable (waiting while it is being established). */
  async #usable(what: string): Promise<SessionBinding> {
    if (this.#state.phase === 'connecting') await this.ready;
    if (!this.#state.usable || !this.#binding) throw new WebTransportError(`cannot ${what}: the session is ${this.#state.phase}`, { source: 'session' });
    return this.#binding;
  }

  async #readCapsules(readable: ReadableStream<{ type: bigint; value: Uint8Array }>): Promise<void> {
    const reader = readable.getReader();
    try {
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return this.handle({ type: 'connect-stream-end' });
        this.handle({ type: 'capsule', capsuleType: value.type, value: value.value });
      }
    } catch (e) {
      this.handle({ type: 'connect-stream-error', message: `the CONNECT stream failed: ${e instanceof Error ? e.message : String(e)}` });
    } finally {
      this.#resolveFinished();
    }
  }

  #apply(actions: SessionAction[]): void {
    for (const a of actions) {
      switch (a.type) {
        case 'ready':
          this.#resolveReady();
          break;
        case 'draining':
          this.#resolveDraining();
          break;
        case 'send-capsule':
          this.#capsules?.write({ type: a.capsuleType, value: a.value }).catch(noop);
          break;
        case 'finish-connect-stream':
          this.#capsules?.close().catch(noop);
          break;
        case 'abort-connect-stream':
          if (this.#binding) this.#binding.tunnel.abort(a.code, 'WebTransport session aborted');
          else this.#cancelRequest?.(a.code);
          break;
        case 'terminate-streams':
          this.#terminate(BigInt(a.code));
          break;
        case 'closed':
          this.#resolveClosed(a.info);
          break;
        case 'failed': {
          if (!this.#binding) this.#resolveFinished();
          const e = sessionError(a.message);
          this.#rejectReady(e);
          this.#rejectClosed(e);
          this.#failQueues(e);
          break;
        }
      }
    }
  }

  /** §5: reset and stop every stream of the session, end the incoming queues and datagrams. */
  #terminate(code: bigint): void {
    for (const t of [...this.#streams]) t(code);
    this.#streams.clear();
    for (const c of [this.#bidiIn, this.#uniIn] as ReadableStreamDefaultController<unknown>[]) {
      try {
        c.close();
      } catch {
        // closed already
      }
    }
    this.#datagramReader?.cancel().catch(noop);
    this.#datagramWriter?.abort().catch(noop);
  }

  #failQueues(e: WebTransportError): void {
    for (const c of [this.#bidiIn, this.#uniIn] as ReadableStreamDefaultController<unknown>[]) {
      try {
        c.error(e);
      } catch {
        // closed already (terminate-streams came first): readers see a clean end
      }
    }
  }

  #datagramDuplex(): WebTransportDatagramDuplexStream {
    const session = this;
    const readable = new ReadableStream<Uint8Array>(
      {
        pull: async (c) => {
          if (this.#state.phase === 'connecting') await this.ready.catch(noop);
          const reader = this.#datagramReader;
          if (!reader || !this.#state.usable) return c.close();
          const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true as const }));
          if (done) c.close();
          else c.enqueue(value);
        },
      },
      { highWaterMark: 0 },
    );
    const createWritable = (): WritableStream<Uint8Array> =>
      new WritableStream<Uint8Array>({
        write: async (chunk) => {
          const b = await this.#usable('send a datagram');
          // W3C: a datagram above maxDatagramSize is dropped, not an error.
          if (chunk.length > b.tunnel.datagrams.maxDatagramSize) return;
          await this.#datagramWriter!.write(chunk).catch(noop); // unreliable: a full queue drops datagrams
        },
      });
    return {
      readable,
      writable: createWritable(),
      createWritable,
      get maxDatagramSize() {
        return session.#binding ? session.#binding.tunnel.datagrams.maxDatagramSize : DATAGRAM_SIZE_BEFORE_READY;
      },
    };
  }
}
