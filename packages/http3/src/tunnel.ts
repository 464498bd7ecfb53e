/**
 * @module tunnel
 * Extended CONNECT (RFC 9220) and the stream it leaves open: the client
 * sends CONNECT with `:protocol` once the server has enabled it (§3), the
 * server routes it to the extension serving that protocol (others get 501),
 * and after a 2xx response the request stream carries the tunnel's data in
 * DATA frames both ways (RFC 9114 §4.4) — with the Capsule Protocol, a
 * sequence of capsules (RFC 9297 §3) — beside HTTP datagrams bound to the
 * stream by its quarter stream ID (RFC 9297 §2.1).
 */
import { CapsuleDecoder, CapsuleType, encodeCapsule } from './capsule.js';
import type { Http3Connection } from './connection.js';
import { encodeHttpDatagram, httpDatagramOverhead } from './datagram.js';
import { H3ErrorCode, Http3Error, streamError } from './errors.js';
import type { Capsule, CapsuleOptions, ConnectInit, ConnectRequest, ConnectResponse, Http3Stream, Http3Tunnel, HttpDatagrams } from './extension.js';
import { MessageReader, MessageWriter } from './message-io.js';
import { fromHeaders, parseResponseHead, parseTrailers, type RequestHead, toHeaders } from './message.js';
import type { FieldLine } from './qpack/index.js';
import { sendResponse } from './response.js';
import { streamIo, streamReason } from './session.js';
import { SettingId } from './settings.js';

const noop = (): void => undefined;

/** Datagrams queued per tunnel for a slow reader; newer ones are dropped beyond it (datagrams are unreliable). */
const DATAGRAM_QUEUE = 64;

/** The tunnel over a request stream after a 2xx response. */
export class TunnelImpl implements Http3Tunnel {
  readonly readable: ReadableStream<Uint8Array>;
  readonly writable: WritableStream<Uint8Array>;
  readonly datagrams: HttpDatagrams;
  /** Settles once both directions are done (our FIN or reset, and the peer's end). */
  readonly finished: Promise<void>;
  #datagramQueue: ReadableStreamDefaultController<Uint8Array> | undefined;
  #readEnded!: () => void;

  constructor(
    readonly conn: Http3Connection,
    readonly streamId: bigint,
    private readonly reader: MessageReader,
    private readonly writer: MessageWriter,
    /** False after a non-2xx response: the readable is the response content, nothing is written. */
    open: boolean,
  ) {
    const readEnd = new Promise<void>((resolve) => (this.#readEnded = resolve));
    this.finished = Promise.allSettled([readEnd, writer.writer.closed]).then(noop);
    const fail = (e: unknown): void => conn.streamFailed(e, streamId, { cancel: (r) => reader.cancel(r), abort: (r) => writer.abort(r) });
    this.readable = new ReadableStream<Uint8Array>(
      {
        pull: async (controller) => {
          try {
            for (;;) {
              const part = await reader.read();
              if (part.kind === 'data') return controller.enqueue(part.chunk);
              if (part.kind === 'end') {
                this.#ended();
                return controller.close();
              }
              parseTrailers(part.fields);
              reader.framing.headersDone();
            }
          } catch (e) {
            this.#ended();
            fail(e);
            controller.error(e);
          }
        },
        cancel: (reason) => reader.cancel(streamReason(H3ErrorCode.H3_NO_ERROR, `tunnel reading stopped: ${String(reason)}`)),
      },
      { highWaterMark: 0 },
    );
    this.writable = new WritableStream<Uint8Array>(
      {
        write: (chunk) => writer.data(chunk),
        close: () => writer.close(),
        abort: (reason) => writer.abort(reason),
      },
      new ByteLengthQueuingStrategy({ highWaterMark: 64 * 1024 }),
    );
    if (!open) {
      const w = this.writable.getWriter();
      w.close().catch(noop);
    }
    const tunnel = this;
    this.datagrams = {
      readable: new ReadableStream<Uint8Array>({ start: (c) => void (this.#datagramQueue = c) }, { highWaterMark: DATAGRAM_QUEUE }),
      writable: new WritableStream<Uint8Array>({
        write: (payload) => conn.sendDatagram(encodeHttpDatagram(streamId, payload)),
      }),
      get maxDatagramSize() {
        return Math.max(0, tunnel.conn.maxDatagramSize - httpDatagramOverhead(streamId));
      },
    };
    if (open) conn.tunnels.set(streamId, this);
  }

  /** A datagram for this stream arrived (QUIC DATAGRAM or DATAGRAM capsule); dropped when the queue is full. */
  deliverDatagram(payload: Uint8Array): void {
    const q = this.#datagramQueue;
    if (q && (q.desiredSize ?? 0) > 0) q.enqueue(payload);
  }

  #ended(): void {
    this.#readEnded();
    // RFC 9297 §2.1: datagrams after the receive side closed are dropped.
    this.conn.tunnels.delete(this.streamId);
    try {
      this.#datagramQueue?.close();
    } catch {
      // already closed
    }
  }

  capsules(options: CapsuleOptions = {}): { readonly readable: ReadableStream<Capsule>; readonly writable: WritableStream<Capsule> } {
    const wanted = options.types ? new Set(options.types) : undefined;
    const decoder = new CapsuleDecoder({
      // DATAGRAM capsules are always taken, to become HTTP datagrams (RFC 9297 §3.5).
      wanted: (type) => type === CapsuleType.DATAGRAM || (wanted ? wanted.has(type) : true),
      ...(options.maxCapsuleSize === undefined ? {} : { maxCapsuleSize: options.maxCapsuleSize }),
    });
    const source = this.readable.getReader();
    const readable = new ReadableStream<Capsule>(
      {
        pull: async (controller) => {
          try {
            for (;;) {
              const { value, done } = await source.read();
              if (done) {
                decoder.finish();
                return controller.close();
              }
              let delivered = false;
              for (const capsule of decoder.push(value)) {
                if (capsule.type === CapsuleType.DATAGRAM) this.deliverDatagram(capsule.value);
                else {
                  controller.enqueue(capsule);
                  delivered = true;
                }
              }
              if (delivered) return;
            }
          } catch (e) {
            // RFC 9297 §3.3: a malformed capsule sequence is a malformed message (H3_MESSAGE_ERROR on the stream).
            this.abort(codeOf(e), e instanceof Error ? e.message : String(e));
            throw e;
          }
        },
        cancel: (reason) => source.cancel(reason),
      },
      { highWaterMark: 0 },
    );
    const sink = this.writable.getWriter();
    const writable = new WritableStream<Capsule>({
      write: (capsule) => sink.write(encodeCapsule(capsule.type, capsule.value)),
      close: () => sink.close(),
      abort: (reason) => sink.abort(reason),
    });
    return { readable, writable };
  }

  abort(code: bigint | number, reason = 'tunnel aborted'): void {
    this.#ended();
    this.conn.releaseStream(this.streamId);
    const r = streamReason(code, reason);
    this.reader.cancel(r);
    this.writer.abort(r);
  }
}

function codeOf(e: unknown): number {
  return Http3Error.isInstance(e) ? e.code : H3ErrorCode.H3_REQUEST_CANCELLED;
}

/** Client: an extended CONNECT request (RFC 9220 §3). */
export async function extendedConnect(conn: Http3Connection, init: ConnectInit): Promise<ConnectResponse> {
  init.signal?.throwIfAborted();
  const settings = await conn.peerSettings;
  // RFC 9220 §3: a client MUST NOT send :protocol unless the server sent SETTINGS_ENABLE_CONNECT_PROTOCOL = 1.
  if (settings.get(SettingId.ENABLE_CONNECT_PROTOCOL) !== 1n) throw new TypeError('the server does not support extended CONNECT (SETTINGS_ENABLE_CONNECT_PROTOCOL)');
  if (conn.draining) throw new Http3Error(H3ErrorCode.H3_REQUEST_REJECTED, 'stream', 'the connection is going away (GOAWAY)', { retryable: true });
  const url = new URL(init.url);
  const fields: FieldLine[] = [
    { name: ':method', value: 'CONNECT' },
    { name: ':protocol', value: init.protocol },
    { name: ':scheme', value: url.protocol.slice(0, -1) },
    { name: ':authority', value: url.host },
    { name: ':path', value: `${url.pathname}${url.search}` },
  ];
  fromHeaders(init.headers, fields);
  const stream = await conn.openBidirectional();
  // In flight (a GOAWAY'd client connection stays open for it) until the tunnel is done both ways.
  conn.requestStarted();
  let counted = true;
  const io = streamIo(stream);
  const reader = new MessageReader(conn, stream.id, io?.reader ?? stream.readable, 'client');
  const writer = new MessageWriter(conn, stream.id, io?.writer ?? stream.writable);
  const onAbort = (): void => conn.streamFailed(init.signal?.reason, stream.id, { cancel: (r) => reader.cancel(r), abort: (r) => writer.abort(r) });
  init.signal?.addEventListener('abort', onAbort, { once: true });
  try {
    await writer.headers(fields);
    for (;;) {
      const part = await reader.read();
      if (part.kind !== 'headers') throw streamError(H3ErrorCode.H3_MESSAGE_ERROR, 'stream ended before the CONNECT response');
      const head = parseResponseHead(part.fields);
      if (head.status < 200) {
        reader.framing.headersDone({ interim: true });
        continue;
      }
      reader.framing.headersDone();
      const ok = head.status < 300;
      const tunnel = new TunnelImpl(conn, stream.id, reader, writer, ok);
      counted = false;
      void tunnel.finished.then(() => conn.requestFinished());
      return { status: head.status, ok, headers: toHeaders(head.fields), tunnel };
    }
  } catch (e) {
    conn.streamFailed(e, stream.id, { cancel: (r) => reader.cancel(r), abort: (r) => writer.abort(r) });
    throw e;
  } finally {
    if (counted) conn.requestFinished();
    init.signal?.removeEventListener('abort', onAbort);
  }
}

/** Server: a CONNECT request, routed by its `:protocol` (RFC 9220 §4) or answered 501. */
export async function serveConnectRequest(conn: Http3Connection, ctx: { stream: Http3Stream; reader: MessageReader; writer: MessageWriter; head: RequestHead }): Promise<void> {
  const { stream, reader, writer, head } = ctx;
  const handler = head.protocol === undefined ? undefined : conn.connectHandler(head.protocol);
  if (!handler) {
    // RFC 9110 §15.6.2: a CONNECT (classic, or for a protocol nobody serves) we do not implement.
    reader.cancel(streamReason(H3ErrorCode.H3_NO_ERROR, 'not implemented'));
    await sendResponse(writer, 'CONNECT', new Response(null, { status: 501 }), noop);
    return;
  }
  let answered = false;
  let settle!: (tunnel: TunnelImpl | undefined) => void;
  // Settles with the tunnel once accept() or reject() answered, or when the client gives up first (its reset ends our side).
  const outcome = new Promise<TunnelImpl | undefined>((resolve) => (settle = resolve));
  writer.writer.closed.then(
    () => settle(undefined),
    () => settle(undefined),
  );
  const request: ConnectRequest = {
    streamId: stream.id,
    protocol: head.protocol!,
    scheme: head.scheme!,
    authority: head.authority!,
    path: head.path!,
    url: `${head.scheme}://${head.authority}${head.path}`,
    headers: toHeaders(head.fields),
    connection: conn,
    async accept(init = {}) {
      if (answered) throw new TypeError('the CONNECT request was already answered');
      const status = init.status ?? 200;
      if (status < 200 || status > 299) throw new RangeError(`accept() takes a 2xx status, got ${status}`);
      answered = true;
      const fields: FieldLine[] = [{ name: ':status', value: String(status) }];
      fromHeaders(init.headers, fields);
      await writer.headers(fields);
      const tunnel = new TunnelImpl(conn, stream.id, reader, writer, true);
      settle(tunnel);
      return tunnel;
    },
    async reject(init) {
      if (answered) throw new TypeError('the CONNECT request was already answered');
      if (init.status < 300 && init.status >= 200) throw new RangeError(`reject() takes a non-2xx status, got ${init.status}`);
      answered = true;
      reader.cancel(streamReason(H3ErrorCode.H3_NO_ERROR, 'rejected'));
      await sendResponse(writer, 'CONNECT', new Response((init.body ?? null) as BodyInit | null, { status: init.status, headers: init.headers ?? {} }), noop);
      settle(undefined);
    },
  };
  try {
    // The handler answers with accept() or reject(), now or later; what it returns does not matter.
    await handler(request);
  } catch (e) {
    if (answered) throw e;
    answered = true;
    conn.handlerFailed(e);
    await sendResponse(writer, 'CONNECT', new Response(null, { status: 500 }), noop);
    return;
  }
  // The request stays in flight (for a graceful shutdown's wait) until the tunnel is done both ways.
  const tunnel = await outcome;
  await tunnel?.finished;
}
