/**
 * @module connection
 * One HTTP/3 connection over a QUIC session, either role (RFC 9114 §3.2,
 * §6, §8; RFC 9204 §4.2; RFC 9297 §2): it opens our control stream
 * (SETTINGS first, GREASE beside it) and our QPACK encoder and decoder
 * streams, reads the peer's unidirectional streams (control, QPACK, push,
 * extensions' types, unknown), enforces the rules of the critical streams,
 * routes HTTP datagrams to their request streams, keeps GOAWAY state, runs
 * QPACK for the request streams, and is the one place where an error
 * becomes a connection close or a stream reset. Requests live in `client`
 * and `server`, extended CONNECT in `tunnel`.
 */
import { extendedConnect, type TunnelImpl } from './tunnel.js';
import { clientFetch, type Http3RequestInit, type Http3Response } from './client.js';
import { ControlStreamReceiver, type ControlEvent, type ControlStreamLimits } from './control-stream.js';
import { decodeHttpDatagram } from './datagram.js';
import { connectionError, H3ErrorCode, Http3Error, reservedCodePoint } from './errors.js';
import type { ConnectInit, ConnectRequest, ConnectResponse, Http3Extension, Http3ExtensionHost, Http3Stream, PeerSettings, SettingEntry } from './extension.js';
import { encodeFrame, FrameType, type Role } from './frames.js';
import { GoawayState } from './goaway.js';
import type { SectionCodec } from './message-io.js';
import { QpackDecoder, QpackEncoder, QpackError, type FieldLine } from './qpack/index.js';
import { serveRequest, type Http3Handler } from './server.js';
import { ACCEPT_BIDI, errorCodeOf, STREAM_IO, streamIo, streamReason, type Http3Session, type SessionBidirectionalStream, type StreamWriter } from './session.js';
import { encodeSettings, mergeSettings, SettingId } from './settings.js';
import { readPrefix, withHead } from './stream-prefix.js';
import { CRITICAL_STREAMS, StreamType } from './stream-types.js';
import { varintLength, writeVarint } from './varint.js';

export interface Http3Options {
  /** Our SETTINGS_MAX_FIELD_SECTION_SIZE (RFC 9114 §4.2.2), enforced on every section we decode (default 64 KiB). */
  readonly maxFieldSectionSize?: number;
  /** The dynamic table we let the peer's QPACK encoder use (SETTINGS_QPACK_MAX_TABLE_CAPACITY, default 4,096; 0 for none). */
  readonly qpackMaxTableCapacity?: number;
  /** Streams the peer's encoder may block (SETTINGS_QPACK_BLOCKED_STREAMS, default 16). */
  readonly qpackBlockedStreams?: number;
  /** The most of the peer's offered table our encoder uses (default 4,096; 0: static table only). */
  readonly qpackEncoderCapacity?: number;
  /** Send GREASE: a reserved setting, frame type and stream type (RFC 9114 §7.2.4.1, §7.2.8, §6.2.3; default true). */
  readonly grease?: boolean;
  /** Extensions on this connection (WebTransport, MASQUE, …). */
  readonly extensions?: readonly Http3Extension[];
  /** Send and accept HTTP datagrams (RFC 9297; default: when an extension asks). */
  readonly datagrams?: boolean;
  /** Limits on the peer's control stream. */
  readonly controlStream?: ControlStreamLimits;
  /** A monotonic clock in ms for the rate limits (default `performance.now`). */
  readonly now?: () => number;
  /** Randomness in [0, 1) for GREASE values (default `Math.random`). */
  readonly random?: () => number;
}

/** What a server request handler gets beside the `Request`. */
export interface Http3RequestInfo {
  /** The request stream's ID. */
  readonly streamId: bigint;
  readonly connection: Http3Connection;
  /** The request's trailer fields, once its body has been read to the end (empty when it had none). */
  readonly trailers: Promise<Headers>;
  /** Whatever the server shell adds (the Node server: `remoteAddress`, `handshake`). */
  readonly [key: string]: unknown;
}

export interface Http3ServerOptions extends Http3Options {
  /** Fields added to every handler's `info`. */
  readonly info?: Readonly<Record<string, unknown>>;
  /** Called with what a handler threw (the client got a 500 response). */
  readonly onError?: (error: unknown) => void;
}

const noop = (): void => undefined;
const EMPTY = new Uint8Array(0);

function prefixed(value: bigint, prefix: Uint8Array): Uint8Array {
  const out = new Uint8Array(varintLength(value) + prefix.length);
  out.set(prefix, writeVarint(out, 0, value));
  return out;
}

export class Http3Connection implements Http3ExtensionHost, SectionCodec {
  readonly localSettings: PeerSettings;
  readonly peerSettings: Promise<PeerSettings>;
  readonly closed: Promise<Error | undefined>;
  /** The limit on an encoded header section we read (a HEADERS frame payload). */
  readonly maxHeadersFrameSize: number;
  /** @internal */
  readonly goaway: GoawayState;
  /** @internal */
  readonly info: Readonly<Record<string, unknown>>;
  readonly #options: Http3Options;
  readonly #now: () => number;
  readonly #handler: Http3Handler | undefined;
  #received: PeerSettings | undefined;
  #resolveSettings!: (s: PeerSettings) => void;
  #rejectSettings!: (e: unknown) => void;
  #resolveClosed!: (e: Error | undefined) => void;
  #error: Error | undefined;
  #closing = false;
  readonly #encoder: QpackEncoder;
  readonly #decoder: QpackDecoder;
  readonly #encoderCapacity: number;
  #encoderStream: StreamWriter | undefined;
  #decoderStream: StreamWriter | undefined;
  #controlStream: StreamWriter | undefined;
  /** Control frames (GOAWAY) written before our control stream exists: they follow SETTINGS when it opens. */
  readonly #controlPending: Uint8Array[] = [];
  /** Waiters for blocked sections, per stream in the order they blocked (RFC 9204 §2.2.1: a stream's sections unblock in order). */
  readonly #blocked = new Map<bigint, Array<{ resolve: (f: FieldLine[]) => void; reject: (e: unknown) => void }>>();
  readonly #peerCritical = new Set<bigint>();
  readonly #uniClaims = new Map<bigint, (s: ReadableStream<Uint8Array>) => void>();
  readonly #bidiClaims = new Map<bigint, (s: Http3Stream) => void>();
  readonly #connectHandlers = new Map<string, (r: ConnectRequest) => void | Promise<void>>();
  readonly #goawayHandlers: Array<(id: bigint) => void> = [];
  /** @internal Open tunnels by stream ID, for datagram routing. */
  readonly tunnels = new Map<bigint, TunnelImpl>();
  /** @internal Client requests in flight (GOAWAY fails the unprocessed ones). */
  readonly requests = new Map<bigint, (e: Error) => void>();
  #active = 0;
  #idle: (() => void) | undefined;
  #datagramWriter: WritableStreamDefaultWriter<Uint8Array> | undefined;
  #localBidi = 0n;
  #peerBidi = 0n;

  private constructor(
    readonly session: Http3Session,
    readonly role: Role,
    options: Http3Options,
    handler?: Http3Handler,
    info: Readonly<Record<string, unknown>> = {},
  ) {
    this.#options = options;
    this.#handler = handler;
    this.info = info;
    this.#now = options.now ?? (() => performance.now());
    this.goaway = new GoawayState(role);
    const maxFieldSectionSize = options.maxFieldSectionSize ?? 64 * 1024;
    // An encoded section is at most a little larger than the decoded one (literals without Huffman, §4.2.2 counts 32 per line).
    this.maxHeadersFrameSize = maxFieldSectionSize + 1024;
    const tableCapacity = options.qpackMaxTableCapacity ?? 4096;
    const blockedStreams = options.qpackBlockedStreams ?? 16;
    this.#encoderCapacity = options.qpackEncoderCapacity ?? 4096;
    this.#decoder = new QpackDecoder({ maxTableCapacity: tableCapacity, maxBlockedStreams: blockedStreams, maxFieldSectionSize });
    // RFC 9204 §3.2.3: until the peer's SETTINGS arrive, its table capacity is 0: static table and literals only.
    this.#encoder = new QpackEncoder({ maxTableCapacity: 0, maxBlockedStreams: 0, tableCapacityLimit: this.#encoderCapacity });
    this.peerSettings = new Promise<PeerSettings>((resolve, reject) => {
      this.#resolveSettings = resolve;
      this.#rejectSettings = reject;
    });
    this.peerSettings.catch(noop);
    this.closed = new Promise((resolve) => (this.#resolveClosed = resolve));
    // Extensions claim their stream types and protocols before any stream is read.
    for (const ext of options.extensions ?? []) ext.attach?.(this);
    const wantsDatagrams = options.datagrams ?? (options.extensions ?? []).some((e) => e.datagrams);
    const base: SettingEntry[] = [
      [SettingId.QPACK_MAX_TABLE_CAPACITY, tableCapacity],
      [SettingId.QPACK_BLOCKED_STREAMS, blockedStreams],
      [SettingId.MAX_FIELD_SECTION_SIZE, maxFieldSectionSize],
    ];
    const enableConnect = role === 'server' && (this.#connectHandlers.size > 0 || (options.extensions ?? []).some((e) => (e.connectProtocols?.length ?? 0) > 0));
    if (enableConnect) base.push([SettingId.ENABLE_CONNECT_PROTOCOL, 1]);
    if (wantsDatagrams) base.push([SettingId.H3_DATAGRAM, 1]);
    if (options.grease ?? true) base.push([reservedCodePoint(this.#random()), Math.floor(this.#random() * 0x3fff)]);
    this.localSettings = mergeSettings(
      base,
      (options.extensions ?? []).map((e) => e.settings ?? []),
    );
    session.closed.then(
      () => this.#ended(undefined),
      (e: unknown) => this.#ended(e),
    );
    void this.#openOwnStreams();
    void this.#acceptUnidirectionalStreams();
    void this.#acceptBidirectionalStreams();
    if (wantsDatagrams) void this.#receiveDatagrams();
  }

  /** HTTP/3 as a client on a session whose ALPN is h3. */
  static client(session: Http3Session, options: Http3Options = {}): Http3Connection {
    return new Http3Connection(session, 'client', options);
  }

  /** HTTP/3 as a server on a session whose ALPN is h3: each request goes to `handler`. */
  static server(session: Http3Session, handler: Http3Handler, options: Http3ServerOptions = {}): Http3Connection {
    return new Http3Connection(session, 'server', options, handler, options.info);
  }

  /** The peer's SETTINGS once they have arrived. */
  get receivedSettings(): PeerSettings | undefined {
    return this.#received;
  }

  /** The error the connection ended with (undefined while open, or after a clean close). */
  get error(): Error | undefined {
    return this.#error;
  }

  /** True once the connection is closing or closed. */
  get isClosing(): boolean {
    return this.#closing;
  }

  /** True once either side sent GOAWAY: no new requests here. */
  get draining(): boolean {
    return this.goaway.draining;
  }

  /** Requests in flight (server: being served; client: awaiting or reading responses). */
  get activeRequests(): number {
    return this.#active;
  }

  /** QPACK statistics of both directions (dynamic table use). */
  get qpackStats(): { encoder: QpackEncoder['stats']; decoder: QpackDecoder['stats'] } {
    return { encoder: this.#encoder.stats, decoder: this.#decoder.stats };
  }

  /** Client: sends a request and resolves with the response head; the content follows in `body`. */
  fetch(input: RequestInfo | URL, init?: Http3RequestInit): Promise<Http3Response> {
    if (this.role !== 'client') return Promise.reject(new TypeError('fetch() is for client connections'));
    return clientFetch(this, input, init);
  }

  // ------------------------------------------------------------------ extension seam

  onUnidirectionalStream(type: bigint | number, handler: (stream: ReadableStream<Uint8Array>) => void): void {
    const t = BigInt(type);
    if (CRITICAL_STREAMS.has(t) || t === StreamType.PUSH) throw new TypeError(`stream type 0x${t.toString(16)} belongs to HTTP/3`);
    this.#uniClaims.set(t, handler);
  }

  onBidirectionalStream(signal: bigint | number, handler: (stream: Http3Stream) => void): void {
    const s = BigInt(signal);
    if (s <= BigInt(FrameType.MAX_PUSH_ID)) throw new TypeError(`signal 0x${s.toString(16)} is an HTTP/3 frame type`);
    this.#bidiClaims.set(s, handler);
  }

  onConnect(protocol: string, handler: (request: ConnectRequest) => void | Promise<void>): void {
    if (this.role !== 'server') throw new TypeError('onConnect() is for server connections');
    this.#connectHandlers.set(protocol, handler);
  }

  /** @internal The handler for an extended CONNECT protocol. */
  connectHandler(protocol: string): ((r: ConnectRequest) => void | Promise<void>) | undefined {
    return this.#connectHandlers.get(protocol);
  }

  connect(init: ConnectInit): Promise<ConnectResponse> {
    if (this.role !== 'client') return Promise.reject(new TypeError('connect() is for client connections'));
    return extendedConnect(this, init);
  }

  async createUnidirectionalStream(type: bigint | number, prefix: Uint8Array = EMPTY): Promise<WritableStream<Uint8Array>> {
    const writable = await this.session.createUnidirectionalStream();
    const writer = writable.getWriter();
    await writer.write(prefixed(BigInt(type), prefix));
    writer.releaseLock();
    return writable;
  }

  async createBidirectionalStream(signal: bigint | number, prefix: Uint8Array = EMPTY): Promise<Http3Stream> {
    const stream = await this.openBidirectional();
    const writer = stream.writable.getWriter();
    await writer.write(prefixed(BigInt(signal), prefix));
    writer.releaseLock();
    return stream;
  }

  onGoaway(handler: (id: bigint) => void): void {
    this.#goawayHandlers.push(handler);
  }

  // ------------------------------------------------------------------ closing

  /** Closes the connection at once: H3_NO_ERROR (RFC 9114 §5.2) by default, or `code`. */
  close(code: number = H3ErrorCode.H3_NO_ERROR, reason = ''): void {
    if (this.#closing) return;
    this.#closing = true;
    this.session.close({ closeCode: BigInt(code), reason });
  }

  /**
   * Graceful shutdown (RFC 9114 §5.2): sends GOAWAY (a server names the
   * first request it will not serve; requests below it are served, later
   * ones rejected with H3_REQUEST_REJECTED and retried by the client), waits
   * until the requests in flight are done, then closes with H3_NO_ERROR. A
   * server's request is done once the client acknowledged its whole response
   * (quic-transport's `writer.close()` resolves then), so nothing is cut off;
   * `lingerMs` (default 0) lets a server wait that much longer for the
   * client to close first.
   */
  async shutdown(reason = 'shutting down', options: { lingerMs?: number } = {}): Promise<void> {
    if (this.#closing) return;
    if (this.goaway.sent === undefined) {
      const id = this.goaway.prepare();
      this.#writeControl(encodeFrame(FrameType.GOAWAY, prefixed(id, EMPTY)));
    }
    if (this.#active > 0) await new Promise<void>((resolve) => (this.#idle = resolve));
    if (this.#closing) return;
    // A client has read everything once its requests are done; a server's responses are acknowledged.
    if (this.role === 'server' && options.lingerMs) {
      let timer: ReturnType<typeof setTimeout> | undefined;
      await Promise.race([this.closed, new Promise<void>((resolve) => (timer = setTimeout(resolve, options.lingerMs)))]);
      clearTimeout(timer);
    }
    this.close(H3ErrorCode.H3_NO_ERROR, reason);
  }

  /** @internal A handler threw: the client got a 500. */
  handlerFailed(error: unknown): void {
    (this.#options as Http3ServerOptions).onError?.(error);
  }

  /** @internal A request started (server: accepted; client: sent). */
  requestStarted(): void {
    this.#active++;
  }

  /** @internal A request finished either way. */
  requestFinished(): void {
    if (--this.#active > 0) return;
    const idle = this.#idle;
    this.#idle = undefined;
    idle?.();
    // A client whose server sent GOAWAY closes once its last request is done (RFC 9114 §5.2).
    if (this.role === 'client' && this.goaway.received !== undefined) this.close(H3ErrorCode.H3_NO_ERROR, 'GOAWAY received, requests done');
  }

  /**
   * Connection error (RFC 9114 §8): closes the session with the error's
   * code; the first error wins. A QPACK error keeps its RFC 9204 §6 code;
   * anything else is H3_INTERNAL_ERROR.
   */
  fail(error: unknown): void {
    if (this.#closing) return;
    const h3 = toHttp3Error(error, 'connection');
    this.#error = h3;
    this.#closing = true;
    this.#rejectSettings(h3);
    this.session.close({ closeCode: BigInt(h3.code), reason: h3.message.slice(0, 200) });
  }

  /**
   * A request stream failed: a connection-scoped error closes the
   * connection; a stream-scoped one resets and stops the stream with its
   * code (RFC 9114 §8); anything else (we cancelled, the peer reset, the
   * session went away) with H3_REQUEST_CANCELLED (§4.1.1), a no-op on a
   * stream already gone. Blocked QPACK state for it is dropped (RFC 9204 §4.4.2).
   */
  streamFailed(error: unknown, streamId: bigint, stream: { cancel(r: unknown): void; abort(r: unknown): void }): void {
    const h3 = Http3Error.isInstance(error) || QpackError.isInstance(error) ? toHttp3Error(error, 'stream') : undefined;
    if (h3?.scope === 'connection') {
      this.fail(h3);
      return;
    }
    const code = h3 && !h3.remote ? h3.code : H3ErrorCode.H3_REQUEST_CANCELLED;
    const reason = streamReason(code, error instanceof Error ? error.message : String(error));
    this.releaseStream(streamId);
    stream.cancel(reason);
    stream.abort(reason);
  }

  /** @internal The stream will not be read further: cancel QPACK's blocked section for it. */
  releaseStream(streamId: bigint): void {
    for (const w of this.#blocked.get(streamId) ?? []) w.reject(new Http3Error(H3ErrorCode.H3_REQUEST_CANCELLED, 'stream', 'stream abandoned while its header section was blocked'));
    this.#blocked.delete(streamId);
    try {
      this.#decoder.cancelStream(streamId);
      this.#flushDecoder();
    } catch {
      // the decoder failed (a QPACK connection error is already closing the connection)
    }
  }

  #ended(error: unknown): void {
    this.#closing = true;
    const e = this.#error ?? (error === undefined ? undefined : error instanceof Error ? error : new Error(String(error)));
    this.#rejectSettings(e ?? new Error('connection closed before SETTINGS'));
    for (const waiters of this.#blocked.values()) for (const w of waiters) w.reject(e ?? new Error('connection closed'));
    this.#blocked.clear();
    const idle = this.#idle;
    this.#idle = undefined;
    idle?.();
    this.#resolveClosed(e);
  }

  #random(): number {
    return (this.#options.random ?? Math.random)();
  }

  // ------------------------------------------------------------------ QPACK for request streams

  encodeSection(streamId: bigint, fields: readonly FieldLine[]): Uint8Array {
    const section = this.#encoder.encodeFieldSection(streamId, fields);
    this.#flushEncoder();
    return section;
  }

  decodeSection(streamId: bigint, section: Uint8Array): Promise<FieldLine[]> | FieldLine[] {
    let result;
    try {
      result = this.#decoder.decodeFieldSection(streamId, section);
    } finally {
      this.#flushDecoder();
    }
    if ('fields' in result) return result.fields;
    // RFC 9204 §2.1.2: blocked until the encoder stream brings the entries it references.
    return new Promise<FieldLine[]>((resolve, reject) => {
      const waiters = this.#blocked.get(streamId);
      if (waiters) waiters.push({ resolve, reject });
      else this.#blocked.set(streamId, [{ resolve, reject }]);
    });
  }

  /**
   * RFC 9204 §2.1.2: the instructions a section depends on go out before its
   * HEADERS frame. Until our encoder stream is open (the peer's SETTINGS can
   * arrive first) they wait in the encoder, which bounds them (§7.3), and
   * go out as the stream opens.
   */
  #flushEncoder(): void {
    if (!this.#encoderStream) return;
    const bytes = this.#encoder.takeEncoderStreamData();
    if (bytes.length > 0) this.#writeCritical(this.#encoderStream, bytes);
  }

  /** Section Acknowledgments and the rest (RFC 9204 §4.4) likewise wait in the decoder until our decoder stream is open. */
  #flushDecoder(): void {
    if (!this.#decoderStream) return;
    const bytes = this.#decoder.takeDecoderStreamData();
    if (bytes.length > 0) this.#writeCritical(this.#decoderStream, bytes);
  }

  /** A write to a critical stream: a direct writer's promise is already handled (quic-transport's STREAM_IO), no reaction per write then. */
  #writeCritical(writer: StreamWriter, bytes: Uint8Array): void {
    const p = writer.write(bytes);
    if (!this.#criticalDirect) p.catch(noop);
  }

  /** Whether our critical streams are written through quic-transport's direct writer. */
  #criticalDirect = false;

  // ------------------------------------------------------------------ our streams

  async #openOwnStreams(): Promise<void> {
    const grease = this.#options.grease ?? true;
    try {
      // RFC 9114 §6.2.1: SETTINGS as the first frame of our control stream, sent without waiting for the peer;
      // §7.2.8: a reserved frame type after it (GREASE).
      let control = encodeFrame(FrameType.SETTINGS, encodeSettings(this.localSettings));
      if (grease) control = concat(control, encodeFrame(reservedCodePoint(this.#random()), EMPTY));
      this.#controlStream = this.#startCritical(await this.#newStream(), StreamType.CONTROL, control);
      for (const frame of this.#controlPending.splice(0)) this.#writeControl(frame);
      // RFC 9204 §4.2: the encoder and decoder streams stay open for the life of the connection. What QPACK
      // produced before they existed is taken in the same turn as the stream is stored, so nothing falls between.
      this.#encoderStream = this.#startCritical(await this.#newStream(), StreamType.QPACK_ENCODER, EMPTY);
      this.#flushEncoder();
      this.#decoderStream = this.#startCritical(await this.#newStream(), StreamType.QPACK_DECODER, EMPTY);
      this.#flushDecoder();
      // RFC 9114 §6.2.3: a stream of a reserved type, to keep peers from depending on known types only.
      if (grease) void this.#sendGreaseStream();
    } catch (e) {
      if (!this.#closing) this.fail(e);
    }
  }

  /** A critical stream of ours: written through quic-transport's direct writer when the session offers it (a Section Acknowledgment per request, RFC 9204 §4.4.1). */
  async #newStream(): Promise<StreamWriter> {
    const writable = await this.session.createUnidirectionalStream();
    const direct = streamIo(writable)?.writer;
    this.#criticalDirect = direct !== undefined;
    const writer = direct ?? writable.getWriter();
    writer.closed.catch(noop);
    return writer;
  }

  /** Writes a critical stream's type (RFC 9114 §6.2) and first bytes; synchronous, so the caller stores the writer in the same turn. */
  #startCritical(writer: StreamWriter, type: bigint, first: Uint8Array): StreamWriter {
    writer.write(prefixed(type, first)).catch(noop);
    return writer;
  }

  async #sendGreaseStream(): Promise<void> {
    try {
      const writer = (await this.createUnidirectionalStream(reservedCodePoint(this.#random()), new TextEncoder().encode('GREASE is the word'))).getWriter();
      await writer.close();
    } catch {
      // the peer may stop it (RFC 9114 §6.2: unknown types are aborted); nothing depends on it
    }
  }

  #writeControl(frame: Uint8Array): void {
    if (this.#controlStream) this.#controlStream.write(frame).catch(noop);
    else this.#controlPending.push(frame);
  }

  // ------------------------------------------------------------------ peer's unidirectional streams

  #acceptUnidirectionalStreams(): Promise<void> {
    return forEach(this.session.incomingUnidirectionalStreams, (readable) => void this.#unidirectional(readable));
  }

  async #unidirectional(readable: ReadableStream<Uint8Array>): Promise<void> {
    const reader = readable.getReader();
    let prefix;
    try {
      prefix = await readPrefix(reader);
    } catch {
      return; // RFC 9114 §6.2: a stream reset before its header is tolerated
    }
    if (prefix === undefined) return;
    const type = prefix.value;
    const critical = CRITICAL_STREAMS.get(type);
    if (critical !== undefined) return this.#critical(type, critical, reader, prefix.rest);
    if (type === StreamType.PUSH) {
      // RFC 9114 §6.2.2: a client-initiated push stream is H3_STREAM_CREATION_ERROR; §4.6: a push stream
      // when we never sent MAX_PUSH_ID carries a push ID above the maximum, H3_ID_ERROR.
      if (this.role === 'server') this.fail(connectionError(H3ErrorCode.H3_STREAM_CREATION_ERROR, 'push stream from a client'));
      else this.fail(connectionError(H3ErrorCode.H3_ID_ERROR, 'push stream although no push was allowed'));
      return;
    }
    const claim = this.#uniClaims.get(type);
    if (claim) {
      claim(withHead(prefix.rest, reader));
      return;
    }
    // RFC 9114 §6.2, §9: unknown and reserved stream types: abort reading, never a connection error.
    reader.cancel(streamReason(H3ErrorCode.H3_STREAM_CREATION_ERROR, `unknown stream type 0x${type.toString(16)}`)).catch(noop);
  }

  async #critical(type: bigint, name: string, reader: ReadableStreamDefaultReader<Uint8Array>, rest: Uint8Array): Promise<void> {
    // RFC 9114 §6.2.1, RFC 9204 §4.2: a second control, encoder or decoder stream is H3_STREAM_CREATION_ERROR.
    if (this.#peerCritical.has(type)) {
      this.fail(connectionError(H3ErrorCode.H3_STREAM_CREATION_ERROR, `second ${name} stream`));
      return;
    }
    this.#peerCritical.add(type);
    const consume = this.#criticalConsumer(type);
    try {
      if (rest.length > 0) consume(rest);
      for (;;) {
        const { value, done } = await reader.read();
        // RFC 9114 §6.2.1, RFC 9204 §4.2: closing a critical stream is H3_CLOSED_CRITICAL_STREAM.
        if (done) throw connectionError(H3ErrorCode.H3_CLOSED_CRITICAL_STREAM, `peer closed its ${name} stream`);
        consume(value);
      }
    } catch (e) {
      if (Http3Error.isInstance(e) || QpackError.isInstance(e)) this.fail(e);
      // A reset (or the session going away, where fail() does nothing).
      else this.fail(connectionError(H3ErrorCode.H3_CLOSED_CRITICAL_STREAM, `peer reset its ${name} stream (${errorCodeOf(e) ?? String(e)})`));
    }
  }

  #criticalConsumer(type: bigint): (bytes: Uint8Array) => void {
    if (type === StreamType.CONTROL) {
      const control = new ControlStreamReceiver(this.role, this.#options.controlStream);
      return (bytes) => {
        for (const e of control.push(bytes, this.#now())) this.#control(e);
      };
    }
    if (type === StreamType.QPACK_ENCODER) {
      return (bytes) => {
        let unblocked;
        try {
          unblocked = this.#decoder.receiveEncoderStream(bytes);
        } finally {
          this.#flushDecoder();
        }
        for (const section of unblocked) {
          const waiters = this.#blocked.get(section.streamId);
          const waiter = waiters?.shift();
          if (waiters?.length === 0) this.#blocked.delete(section.streamId);
          if ('fields' in section) waiter?.resolve(section.fields);
          else waiter?.reject(section.error);
        }
      };
    }
    return (bytes) => this.#encoder.receiveDecoderStream(bytes);
  }

  #control(e: ControlEvent): void {
    if (e.kind === 'settings') return this.#onSettings(e.settings);
    if (e.kind === 'goaway') return this.#onGoaway(e.id);
    // max-push-id: we never push, so the limit changes nothing (RFC 9114 §7.2.7).
  }

  #onSettings(settings: Map<bigint, bigint>): void {
    // RFC 9297 §2.1.1: SETTINGS_H3_DATAGRAM = 1 without QUIC DATAGRAM support (max_datagram_frame_size) is H3_SETTINGS_ERROR.
    if (settings.get(SettingId.H3_DATAGRAM) === 1n && this.localSettings.get(SettingId.H3_DATAGRAM) === 1n && !((this.session.datagrams?.maxDatagramSize ?? 0) > 0)) {
      throw connectionError(H3ErrorCode.H3_SETTINGS_ERROR, 'SETTINGS_H3_DATAGRAM = 1 without QUIC DATAGRAM frames');
    }
    this.#received = settings;
    // RFC 9204 §3.2.3, §5: the encoder takes the peer's exact capacity (the Required Insert Count wraps on it);
    // our own bound on the table we keep for it is `tableCapacityLimit`.
    this.#encoder.applyPeerSettings({
      maxTableCapacity: clampSetting(settings.get(SettingId.QPACK_MAX_TABLE_CAPACITY)),
      maxBlockedStreams: clampSetting(settings.get(SettingId.QPACK_BLOCKED_STREAMS)),
    });
    this.#resolveSettings(settings);
  }

  #onGoaway(id: bigint): void {
    this.goaway.receive(id);
    // RFC 9114 §5.2: requests at or above the ID were not processed; fail them as retryable.
    for (const [streamId, fail] of this.requests) {
      if (this.goaway.unprocessed(streamId)) fail(new Http3Error(H3ErrorCode.H3_REQUEST_REJECTED, 'stream', `server sent GOAWAY(${id}): request on stream ${streamId} not processed`, { retryable: true, remote: true }));
    }
    for (const h of this.#goawayHandlers) h(id);
    if (this.role === 'client' && this.#active === 0) this.close(H3ErrorCode.H3_NO_ERROR, 'GOAWAY received');
  }

  // ------------------------------------------------------------------ bidirectional streams

  /** @internal Opens a request stream (or an extension's), with its ID. */
  async openBidirectional(): Promise<Http3Stream> {
    const s = await this.session.createBidirectionalStream();
    return this.#wrap(s, s.id === undefined ? this.#nextId('local') : BigInt(s.id));
  }

  #nextId(which: 'local' | 'peer'): bigint {
    // Without IDs from the session: client-initiated bidirectional streams are 0, 4, 8, … (RFC 9000 §2.1), server-initiated 1, 5, 9, …
    const base = (which === 'local') === (this.role === 'client') ? 0n : 1n;
    const n = which === 'local' ? this.#localBidi++ : this.#peerBidi++;
    return base + 4n * n;
  }

  #wrap(s: SessionBidirectionalStream, id: bigint): Http3Stream {
    return new SessionStream(id, s);
  }

  #acceptBidirectionalStreams(): Promise<void> {
    const accept = (s: SessionBidirectionalStream): void => void this.#bidirectional(this.#wrap(s, s.id === undefined ? this.#nextId('peer') : BigInt(s.id)));
    if ((this.session as { [ACCEPT_BIDI]?: (f: typeof accept) => boolean })[ACCEPT_BIDI]?.(accept)) return Promise.resolve();
    return forEach(this.session.incomingBidirectionalStreams, accept);
  }

  async #bidirectional(stream: Http3Stream): Promise<void> {
    let head: Uint8Array | undefined;
    if (this.#bidiClaims.size > 0) {
      const reader = stream.readable.getReader();
      let prefix;
      try {
        prefix = await readPrefix(reader);
      } catch {
        return; // reset before its first varint
      }
      const claim = prefix && this.#bidiClaims.get(prefix.value);
      if (claim) {
        claim({ id: stream.id, readable: withHead(prefix!.rest, reader), writable: stream.writable, abort: (code, reason) => stream.abort(code, reason) });
        return;
      }
      head = prefix?.bytes;
      reader.releaseLock();
      // Peeked through the Web Streams: the request goes on through them.
      stream = { id: stream.id, readable: stream.readable, writable: stream.writable, abort: stream.abort };
    }
    if (this.role === 'client') {
      // RFC 9114 §6.1: a server-initiated bidirectional stream (no extension claimed it) is H3_STREAM_CREATION_ERROR.
      this.fail(connectionError(H3ErrorCode.H3_STREAM_CREATION_ERROR, 'server-initiated bidirectional stream'));
      return;
    }
    await serveRequest(this, this.#handler!, stream, head);
  }

  // ------------------------------------------------------------------ HTTP datagrams (RFC 9297 §2.1)

  /** @internal Sends an HTTP datagram (already carrying its quarter stream ID). */
  sendDatagram(data: Uint8Array): Promise<void> {
    // RFC 9297 §2.1.1: not before SETTINGS_H3_DATAGRAM was both sent and received with the value 1.
    if (this.localSettings.get(SettingId.H3_DATAGRAM) !== 1n || this.#received?.get(SettingId.H3_DATAGRAM) !== 1n) {
      return Promise.reject(new TypeError('HTTP datagrams are not enabled on both sides (SETTINGS_H3_DATAGRAM)'));
    }
    const datagrams = this.session.datagrams;
    if (!datagrams) return Promise.reject(new TypeError('the QUIC session has no datagrams'));
    if (data.length > datagrams.maxDatagramSize) return Promise.reject(new RangeError(`datagram of ${data.length} bytes above the limit of ${datagrams.maxDatagramSize}`));
    this.#datagramWriter ??= datagrams.writable.getWriter();
    return this.#datagramWriter.write(data);
  }

  /** @internal The largest datagram payload the session takes now. */
  get maxDatagramSize(): number {
    return this.session.datagrams?.maxDatagramSize ?? 0;
  }

  async #receiveDatagrams(): Promise<void> {
    const datagrams = this.session.datagrams;
    if (!datagrams) return;
    try {
      await forEach(
        datagrams.readable,
        (data) => {
          const { streamId, payload } = decodeHttpDatagram(data);
          // RFC 9297 §2.1: a datagram for a stream we do not know (yet, or any more) is dropped.
          this.tunnels.get(streamId)?.deliverDatagram(payload);
        },
        true,
      );
    } catch (e) {
      this.fail(e); // H3_DATAGRAM_ERROR (RFC 9297 §2.1)
    }
  }
}

/**
 * Calls `f` for each item of a session's incoming queue until it ends. The
 * queue erroring means the session is gone: that ends the loop quietly; an
 * error `f` throws ends it too, and is rethrown when `rethrow` is set.
 */
async function forEach<T>(queue: ReadableStream<T>, f: (item: T) => void, rethrow = false): Promise<void> {
  const reader = queue.getReader();
  for (;;) {
    let next: ReadableStreamReadResult<T>;
    try {
      next = await reader.read();
    } catch {
      return; // the session is gone; nothing more will arrive
    }
    if (next.done) return;
    try {
      f(next.value);
    } catch (e) {
      if (rethrow) throw e;
      return;
    }
  }
}

/** A setting value as the QPACK module takes it: a Number (values above 2^53 are inexact, and only ever compared). */
function clampSetting(value: bigint | undefined): number {
  return value === undefined ? 0 : Number(value);
}

/** Any error as an `Http3Error`: QPACK errors keep their code (connection errors, RFC 9204 §6). */
export function toHttp3Error(error: unknown, scope: 'connection' | 'stream'): Http3Error {
  if (Http3Error.isInstance(error)) return error;
  if (QpackError.isInstance(error)) return new Http3Error(error.code, 'connection', error.reason, { cause: error });
  return new Http3Error(H3ErrorCode.H3_INTERNAL_ERROR, scope, error instanceof Error ? error.message : String(error), { cause: error });
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

/**
 * A session's bidirectional stream with its HTTP/3 ID. The Web Streams only
 * when asked for: a request reads and writes through the session's direct
 * sides (STREAM_IO) when it has them. A class, not an object literal with
 * accessors (which V8 builds on a slow path, once per request).
 */
class SessionStream implements Http3Stream {
  readonly #s: SessionBidirectionalStream;
  readonly [STREAM_IO]: unknown;

  constructor(
    readonly id: bigint,
    s: SessionBidirectionalStream,
  ) {
    this.#s = s;
    this[STREAM_IO] = streamIo(s);
  }

  get readable(): ReadableStream<Uint8Array> {
    return this.#s.readable;
  }

  get writable(): WritableStream<Uint8Array> {
    return this.#s.writable;
  }

  abort(code: bigint | number, reason?: string): void {
    const abortable = this.#s as { abort?: (code?: bigint) => void };
    if (typeof abortable.abort === 'function') return abortable.abort(BigInt(code));
    const r = streamReason(code, reason ?? 'aborted');
    this.#s.readable.cancel(r).catch(noop);
    this.#s.writable.abort(r).catch(noop);
  }
}
