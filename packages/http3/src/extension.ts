/**
 * @module extension
 * The seam for HTTP/3 extensions such as WebTransport over HTTP/3
 * (draft-ietf-webtrans-http3) and MASQUE, on the same connection as ordinary
 * requests:
 *
 * 1. settings added to our SETTINGS frame, and the peer's read
 *    (RFC 9114 §7.2.4, §9: extensions negotiate by settings);
 * 2. unidirectional streams claimed by stream type (RFC 9114 §6.2, §9), handed
 *    over after the type varint;
 * 3. bidirectional streams claimed by a signal value in place of the first
 *    frame type (as WebTransport's 0x41), handed over after that varint;
 * 4. extended CONNECT (RFC 9220, `:protocol`) served and sent, the request
 *    stream kept open as a data/capsule stream after a 2xx response;
 * 5. HTTP datagrams bound to that stream (RFC 9297 §2.1, quarter stream ID)
 *    and capsules on it (RFC 9297 §3), unknown capsule types skipped;
 * 6. streams opened with their prefix (type or signal, then e.g. a session
 *    ID) written before they are handed out.
 *
 * An extension is a plain object given to `serve()`, `createClient()` or
 * `Http3Connection.server/client` in `extensions`; its `attach` runs
 * synchronously for every new connection, before any peer stream is read, so
 * its claims are in place when the first stream arrives.
 */
import type { Http3Session } from './session.js';

/** A setting identifier and value (RFC 9114 §7.2.4.1): 62-bit varints. */
export type SettingEntry = readonly [id: bigint | number, value: bigint | number];

/** The peer's SETTINGS as received: identifier → value (unknown identifiers included). */
export type PeerSettings = ReadonlyMap<bigint, bigint>;

export interface Http3Extension {
  /** A name for error messages. */
  readonly name: string;
  /**
   * Settings we add to our SETTINGS frame, e.g. WebTransport's
   * `[0x2b603742n, 1n]` (draft-02, what Chromium speaks). Two extensions giving one
   * identifier different values is a TypeError at connection start.
   */
  readonly settings?: readonly SettingEntry[];
  /**
   * The extension sends and receives HTTP datagrams (RFC 9297 §2.1.1): we
   * send SETTINGS_H3_DATAGRAM = 1, and the Node entry enables QUIC DATAGRAM
   * frames (max_datagram_frame_size) on its connections.
   */
  readonly datagrams?: boolean;
  /**
   * Extended CONNECT protocols (`:protocol`, RFC 9220) this extension serves;
   * a server with any sends SETTINGS_ENABLE_CONNECT_PROTOCOL = 1 and routes
   * matching requests to the handler registered with `onConnect`.
   */
  readonly connectProtocols?: readonly string[];
  /** Runs once per new connection, synchronously, before any peer stream is read: register claims here. */
  attach?(connection: Http3ExtensionHost): void;
}

/**
 * What an extension may do with a connection (`Http3Connection` implements
 * it, and adds `fetch` and the rest of the HTTP API).
 */
export interface Http3ExtensionHost {
  readonly role: 'client' | 'server';
  /** The QUIC connection underneath. */
  readonly session: Http3Session;
  /** The SETTINGS we send (extensions' entries included). */
  readonly localSettings: PeerSettings;
  /** The peer's SETTINGS once they arrive (RFC 9114 §7.2.4); rejects if the connection ends first. */
  readonly peerSettings: Promise<PeerSettings>;
  /** Resolves when the connection has ended: `undefined` for a clean close, else the error that ended it. */
  readonly closed: Promise<Error | undefined>;
  /**
   * (2) Claims unidirectional streams of `type` (RFC 9114 §6.2): `handler`
   * gets each one after its type varint. Must be called before such a stream
   * arrives (in `attach`); an unclaimed unknown type is stopped with
   * H3_STREAM_CREATION_ERROR as §6.2 asks.
   */
  onUnidirectionalStream(type: bigint | number, handler: (stream: ReadableStream<Uint8Array>) => void): void;
  /**
   * (3) Claims bidirectional streams whose first varint is `signal` instead
   * of a frame type (e.g. WebTransport's 0x41): `handler` gets each one after
   * that varint. Server-initiated bidirectional streams reach a client only
   * this way (otherwise H3_STREAM_CREATION_ERROR, RFC 9114 §6.1).
   */
  onBidirectionalStream(signal: bigint | number, handler: (stream: Http3Stream) => void): void;
  /**
   * (4) Server: serves extended CONNECT requests whose `:protocol` is
   * `protocol` (RFC 9220). Registering any sends
   * SETTINGS_ENABLE_CONNECT_PROTOCOL = 1 — so register in `attach`, before
   * our SETTINGS go out. Requests for protocols nobody serves get 501. The
   * handler answers with `accept()` or `reject()`, at once or later; one that
   * throws before answering gets 500.
   */
  onConnect(protocol: string, handler: (request: ConnectRequest) => void | Promise<void>): void;
  /** (4) Client: sends an extended CONNECT (waits for the server's SETTINGS_ENABLE_CONNECT_PROTOCOL, RFC 9220 §3). */
  connect(init: ConnectInit): Promise<ConnectResponse>;
  /** (6) Opens a unidirectional stream and writes `type` and `prefix` before handing it out. */
  createUnidirectionalStream(type: bigint | number, prefix?: Uint8Array): Promise<WritableStream<Uint8Array>>;
  /** (6) Opens a bidirectional stream and writes `signal` and `prefix` before handing it out. */
  createBidirectionalStream(signal: bigint | number, prefix?: Uint8Array): Promise<Http3Stream>;
  /** Calls `handler` when the peer sends GOAWAY (RFC 9114 §5.2), with its ID. */
  onGoaway(handler: (id: bigint) => void): void;
  /** Closes the connection: H3_NO_ERROR by default, or an error code. */
  close(code?: number, reason?: string): void;
}

/** A bidirectional stream handed to or opened by an extension. */
export interface Http3Stream {
  /** The QUIC stream ID. */
  readonly id: bigint;
  /** What follows the prefix (signal value, and what the opener wrote after it). */
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  /** Resets our sending side and stops the peer's (RESET_STREAM + STOP_SENDING) with `code`. */
  abort(code: bigint | number, reason?: string): void;
}

/** A capsule (RFC 9297 §3.2). */
export interface Capsule {
  readonly type: bigint;
  readonly value: Uint8Array;
}

/** HTTP datagrams of one request stream (RFC 9297 §2.1): payloads without the quarter stream ID. */
export interface HttpDatagrams {
  /** Datagrams received for this stream (and DATAGRAM capsules, RFC 9297 §3.5); the oldest are dropped when nobody reads. */
  readonly readable: ReadableStream<Uint8Array>;
  /** Each write sends one QUIC DATAGRAM frame; a payload above `maxDatagramSize` rejects with a RangeError. */
  readonly writable: WritableStream<Uint8Array>;
  /** The largest payload that fits one datagram now (the peer's limit minus the quarter stream ID); 0 when unavailable. */
  readonly maxDatagramSize: number;
}

export interface CapsuleOptions {
  /**
   * Capsule types the reader wants; any other type is skipped without being
   * buffered (RFC 9297 §3.2: unknown types are silently dropped). Default:
   * every type except DATAGRAM is delivered.
   */
  readonly types?: Iterable<bigint>;
  /** Largest capsule value delivered (default 64 KiB); a larger wanted capsule is H3_MESSAGE_ERROR. */
  readonly maxCapsuleSize?: number;
}

/**
 * The stream of an extended CONNECT (RFC 9220) after a 2xx response: its
 * content in both directions (DATA frame payloads; with the Capsule Protocol,
 * a sequence of capsules) and its HTTP datagrams.
 */
export interface Http3Tunnel {
  /** The request stream's ID (WebTransport's session ID). */
  readonly streamId: bigint;
  /** The peer's data: the payloads of its DATA frames, in order; ends with the peer's FIN. */
  readonly readable: ReadableStream<Uint8Array>;
  /** Our data: each chunk goes out as DATA frame(s), with back-pressure; close() sends FIN. */
  readonly writable: WritableStream<Uint8Array>;
  /** HTTP datagrams bound to this stream (RFC 9297 §2.1). */
  readonly datagrams: HttpDatagrams;
  /**
   * The Capsule Protocol view (RFC 9297 §3) over `readable` and `writable`
   * (it locks them): capsules in and out; received DATAGRAM capsules go to
   * `datagrams.readable`. Malformed or truncated capsules are H3_MESSAGE_ERROR.
   */
  capsules(options?: CapsuleOptions): { readonly readable: ReadableStream<Capsule>; readonly writable: WritableStream<Capsule> };
  /** Resets and stops the request stream with `code` (e.g. H3_REQUEST_CANCELLED, or an extension's code). */
  abort(code: bigint | number, reason?: string): void;
}

/** A request for an extended CONNECT (client side, RFC 9220 §3). */
export interface ConnectInit {
  /** `:protocol`, e.g. 'webtransport'. */
  readonly protocol: string;
  /** https URL: gives `:scheme`, `:authority` and `:path`. */
  readonly url: string | URL;
  /** Regular header fields (e.g. origin, sec-webtransport-http3-draft02). */
  readonly headers?: HeadersInit;
  readonly signal?: AbortSignal;
}

/** The answer to an extended CONNECT. */
export interface ConnectResponse {
  readonly status: number;
  readonly headers: Headers;
  /** True for a 2xx response: the tunnel is open. */
  readonly ok: boolean;
  /** The stream; after a non-2xx response `readable` is the response content and `writable` is closed. */
  readonly tunnel: Http3Tunnel;
}

/** An extended CONNECT received by a server (RFC 9220 §3, §4). */
export interface ConnectRequest {
  readonly streamId: bigint;
  readonly protocol: string;
  readonly scheme: string;
  readonly authority: string;
  readonly path: string;
  /** `${scheme}://${authority}${path}` */
  readonly url: string;
  readonly headers: Headers;
  readonly connection: Http3ExtensionHost;
  /** Answers 2xx (default 200) and opens the tunnel. */
  accept(init?: { status?: number; headers?: HeadersInit }): Promise<Http3Tunnel>;
  /** Answers with a non-2xx status and ends the stream (e.g. 403, 404, 429). */
  reject(init: { status: number; headers?: HeadersInit; body?: string | Uint8Array }): Promise<void>;
}
