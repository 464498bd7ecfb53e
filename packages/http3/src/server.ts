/**
 * @module server
 * The server side of a request stream (RFC 9114 §4.1, §6.1): read and
 * validate the request head, hand a Fetch `Request` to the handler (its body
 * a pull-based stream, its `signal` aborted when the client cancels), and
 * send the handler's `Response` as HEADERS, DATA and trailers with
 * back-pressure. Requests excluded by our GOAWAY are rejected with
 * H3_REQUEST_REJECTED (§5.2); extended CONNECT goes to the extension that
 * serves its `:protocol` (RFC 9220), anything else CONNECT is answered 501.
 */
import type { Http3Connection, Http3RequestInfo } from './connection.js';
import { H3ErrorCode, streamError } from './errors.js';
import type { Http3Stream } from './extension.js';
import { MessageReader, MessageWriter } from './message-io.js';
import { appendFields, contentLengthOf, parseRequestHead, parseTrailers, PendingTrailers, type RequestHead, settleTrailers, trailersSettled } from './message.js';
import { FieldSectionTooLargeError, type FieldLine } from './qpack/index.js';
import { sendResponse, writeResponse } from './response.js';
import { streamIo, streamReason } from './session.js';
import { SettingId } from './settings.js';
import { serveConnectRequest } from './tunnel.js';

/** The fetch-handler shape of Deno.serve, Bun.serve and srvx, with HTTP/3 details in `info`. */
export type Http3Handler = (request: Request, info: Http3RequestInfo) => Response | Promise<Response>;

const noop = (): void => undefined;

/** Methods whose requests carry no content we pass on (RFC 9110 §9.3.1, §9.3.2). */
const NO_BODY_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD']);

export async function serveRequest(conn: Http3Connection, handler: Http3Handler, stream: Http3Stream, head?: Uint8Array): Promise<void> {
  const id = stream.id;
  // RFC 9114 §5.2: a request at or above the ID of a GOAWAY we sent is rejected, and the client retries it elsewhere.
  if (!conn.goaway.admitRequest(id)) {
    stream.abort(H3ErrorCode.H3_REQUEST_REJECTED, 'request after GOAWAY');
    return;
  }
  conn.requestStarted();
  const io = streamIo(stream);
  const reader = new MessageReader(conn, id, io?.reader ?? stream.readable, 'server', head);
  const writer = new MessageWriter(conn, id, io?.writer ?? stream.writable);
  const fail = (e: unknown): void => conn.streamFailed(e, id, { cancel: (r) => reader.cancel(r), abort: (r) => writer.abort(r) });
  try {
    let request: RequestHead;
    try {
      const first = await reader.read();
      if (first.kind !== 'headers') throw streamError(H3ErrorCode.H3_REQUEST_INCOMPLETE, 'no request header section');
      request = parseRequestHead(first.fields, conn.localSettings.get(SettingId.ENABLE_CONNECT_PROTOCOL) === 1n);
      reader.framing.headersDone({ contentLength: contentLengthOf(request.fields) });
    } catch (e) {
      // RFC 9114 §4.2.2: a header section above our limit is answered 431 rather than decoded.
      if (FieldSectionTooLargeError.isInstance(e)) return await respondTooLarge(conn, reader, writer);
      throw e;
    }
    if (request.method === 'CONNECT') return await serveConnectRequest(conn, { stream, reader, writer, head: request });
    await handle(conn, handler, request, reader, writer, id);
  } catch (e) {
    fail(e);
  } finally {
    conn.requestFinished();
  }
}

async function respondTooLarge(conn: Http3Connection, reader: MessageReader, writer: MessageWriter): Promise<void> {
  conn.releaseStream(writer.streamId);
  reader.cancel(streamReason(H3ErrorCode.H3_NO_ERROR, 'header section too large'));
  await writer.headers([{ name: ':status', value: '431' }]);
  await writer.close();
}

/** The request's content as a pull-based stream, its trailers handed to `info` on the way (RFC 9114 §4.1). */
function requestBody(reader: MessageReader, info: RequestInfo, onError: (e: unknown) => void): ReadableStream<Uint8Array> {
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        try {
          for (;;) {
            const part = await reader.read();
            if (part.kind === 'data') return controller.enqueue(part.chunk);
            if (part.kind === 'end') {
              settleTrailers(info, { fields: [] });
              return controller.close();
            }
            const fields = parseTrailers(part.fields);
            reader.framing.headersDone();
            settleTrailers(info, { fields });
          }
        } catch (e) {
          settleTrailers(info, { error: e });
          onError(e);
          controller.error(e);
        }
      },
      cancel(reason) {
        reader.cancel(streamReason(H3ErrorCode.H3_NO_ERROR, `request body not read: ${String(reason)}`));
      },
    },
    { highWaterMark: 0 },
  );
}

/**
 * The handler's `info`: the request's own fields, with the connection's
 * (`conn.info`: the Node server's `remoteAddress`, `quic`) on a prototype
 * shared by the connection's requests instead of copied into each; the
 * `trailers` promise is made when first read (most handlers never do).
 */
class RequestInfo extends PendingTrailers implements Http3RequestInfo {
  readonly [key: string]: unknown;

  constructor(
    readonly streamId: bigint,
    readonly connection: Http3Connection,
  ) {
    super();
  }
}

/** Each connection's `RequestInfo` class, its `conn.info` fields (getters as getters) on the class's prototype. */
const infoClasses = new WeakMap<Http3Connection, new (streamId: bigint, connection: Http3Connection) => RequestInfo>();

function requestInfo(conn: Http3Connection, id: bigint): RequestInfo {
  let Info = infoClasses.get(conn);
  if (!Info) {
    Info = class extends RequestInfo {};
    Object.defineProperties(Info.prototype, Object.getOwnPropertyDescriptors(conn.info));
    infoClasses.set(conn, Info);
  }
  return new Info(id, conn);
}

/**
 * The `Request` init for a method and body: none at all for a bodiless GET (the platform converts an init
 * dictionary member by member, ~0.7 µs on Node 20 even when every member is a default). Header fields are
 * appended afterwards (`appendFields`).
 */
function requestInit(method: string, body: ReadableStream<Uint8Array> | null): RequestInit | undefined {
  if (body) return { method, body, duplex: 'half' } as RequestInit;
  return method === 'GET' ? undefined : { method };
}

/** Aborts a request's signal (the client cancelled, or its stream failed). */
let abortRequest: (request: ServerRequest, reason: unknown) => void;
/** Sets what starts watching a request for the client's cancellation, once its signal is asked for. */
let watchSignal: (request: ServerRequest, watch: () => void) => void;

/**
 * The handler's `Request`: a standard one whose `signal` is made when first
 * read (most handlers never do) and aborts when the client cancels, instead
 * of an AbortController per request linked into the platform's own; a
 * clone's `signal` is the same one.
 */
class ServerRequest extends Request {
  #aborter: AbortController | undefined;
  #aborted: { reason: unknown } | undefined;
  /** Starts watching for the client's cancellation; called when the signal is first made. */
  #watch: (() => void) | undefined;

  static {
    watchSignal = (request, watch) => {
      request.#watch = watch;
    };
    abortRequest = (request, reason) => {
      if (request.#aborted) return;
      request.#aborted = { reason };
      request.#aborter?.abort(reason);
    };
    Object.defineProperty(ServerRequest.prototype, 'signal', {
      configurable: true,
      enumerable: true,
      get(this: ServerRequest): AbortSignal {
        if (!this.#aborter) {
          this.#aborter = new AbortController();
          const watch = this.#watch;
          this.#watch = undefined;
          watch?.();
          if (this.#aborted) this.#aborter.abort(this.#aborted.reason);
        }
        return this.#aborter.signal;
      },
    });
  }

  override clone(): Request {
    const copy = super.clone();
    Object.defineProperty(copy, 'signal', { configurable: true, enumerable: true, get: () => this.signal });
    return copy;
  }
}

async function handle(conn: Http3Connection, handler: Http3Handler, head: RequestHead, reader: MessageReader, writer: MessageWriter, id: bigint): Promise<void> {
  const info = requestInfo(conn, id);
  let failed: unknown;
  let request: ServerRequest | undefined;
  const onError = (e: unknown): void => {
    failed ??= e;
    if (request) abortRequest(request, e);
  };
  const hasBody = !NO_BODY_METHODS.has(head.method);
  const body = hasBody ? requestBody(reader, info, onError) : null;
  const authority = head.authority ?? head.fields.find((f) => f.name === 'host')?.value ?? '';
  const url = `${head.scheme}://${authority}${head.path}`;
  try {
    request = new ServerRequest(url, requestInit(head.method, body));
    appendFields(request.headers, head.fields);
    // A client that cancels (STOP_SENDING) errors our sending side: a signal the handler asked for follows at once, body read or not.
    watchSignal(request, () => void writer.writer.closed.catch(onError));
    if (failed !== undefined) abortRequest(request, failed);
  } catch (e) {
    // The Fetch API refuses some methods (TRACE, TRACK) and URLs: 400, never the handler.
    await sendResponse(writer, head.method, new Response(`bad request: ${e instanceof Error ? e.message : String(e)}`, { status: 400 }), onError);
    return;
  }
  // GET and HEAD carry no content we pass on, but the stream's framing and FIN are still read and checked.
  const drained = hasBody ? undefined : drain(reader, info, onError);
  let response: Response | undefined;
  try {
    // A Response returned at once is not awaited: a body whose bytes are at hand is written now, and a streamed
    // one gets the turn its start takes in sendContent (response.ts), so its first chunk still joins the HEADERS.
    const returned = handler(request, info);
    response = returned instanceof Response ? returned : await returned;
    if (!(response instanceof Response)) throw new TypeError('the handler did not return a Response');
  } catch (e) {
    if (failed !== undefined) throw failed;
    conn.handlerFailed(e);
    response = new Response(null, { status: 500 });
  }
  const written = writeResponse(writer, head.method, response, onError);
  if (written) await written;
  // While the FIN waits for the client's acknowledgement (a round trip, many requests at a time) nothing of the
  // request or response is held: they die young, instead of surviving garbage collections in the new space.
  request = undefined;
  response = undefined;
  await writer.close();
  // A bodiless request's FIN has almost always been read by now (its trailer outcome is recorded): no turn then.
  if (drained && !trailersSettled(info)) await drained;
  if (failed !== undefined) throw failed;
  // RFC 9114 §4.1.2: the response is complete; a request body nobody read is stopped with H3_NO_ERROR.
  if (!reader.done) reader.cancel(streamReason(H3ErrorCode.H3_NO_ERROR, 'response complete'));
}

/** Reads a bodiless request to its FIN, checking its framing and collecting any trailers; never rejects (errors go to `onError`). */
async function drain(reader: MessageReader, info: RequestInfo, onError: (e: unknown) => void): Promise<void> {
  let collected: FieldLine[] | undefined;
  try {
    for (let part = await reader.read(); part.kind !== 'end'; part = await reader.read()) {
      if (part.kind === 'headers') {
        (collected ??= []).push(...parseTrailers(part.fields));
        reader.framing.headersDone();
      }
    }
  } catch (e) {
    settleTrailers(info, { error: e });
    onError(e);
    return;
  }
  settleTrailers(info, { fields: collected ?? [] });
}
