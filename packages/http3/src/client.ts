/**
 * @module client
 * The client side of a request stream (RFC 9114 §4.1, §6.1), Fetch-shaped:
 * a `Request` (or URL and init) goes out as HEADERS, DATA and trailers with
 * back-pressure while the response is read concurrently (a server may answer
 * before the request body ends, §4.1.2); interim 1xx responses are skipped;
 * the final response becomes a standard `Response` whose body is a
 * pull-based stream checked against framing and Content-Length, with its
 * trailers in `response.trailers`. An `AbortSignal` resets and stops the
 * stream with H3_REQUEST_CANCELLED (§4.1.1); GOAWAY fails requests the
 * server never processed with a retryable error (§5.2).
 */
import { extractBody, knownLength, sendBody, type ExtractedBody } from './body.js';
import type { Http3Connection } from './connection.js';
import { H3ErrorCode, Http3Error, streamError } from './errors.js';
import { MessageReader, MessageWriter } from './message-io.js';
import { appendFields, contentLengthOf, fieldSectionSize, fromHeaders, parseResponseHead, parseTrailers, PendingTrailers, settleTrailers } from './message.js';
import { FieldSectionTooLargeError, QpackError, type FieldLine } from './qpack/index.js';
import { sendTrailers, type TrailerSource } from './response.js';
import { errorCodeOf, streamIo, streamReason, type StreamReader, type StreamWriter } from './session.js';
import { SettingId } from './settings.js';

export interface Http3RequestInit extends RequestInit {
  /** Trailer fields sent after the request body (RFC 9114 §4.1): fields, a promise, or a function called once the body is sent. */
  readonly trailers?: TrailerSource;
}

/** A Fetch `Response` with what HTTP/3 adds. */
export interface Http3Response extends Response {
  /** The response's trailer fields; resolves once the body has been read to the end (empty when none). */
  readonly trailers: Promise<Headers>;
  /** The request stream's ID. */
  readonly streamId: bigint;
}

/** Sets a response's `url` and `redirected` (Fetch §4.1: the URL list's last entry, and whether there were several). */
export let setLocation: (response: Http3Response, url: URL, redirected: boolean) => Http3Response;

/** A response's content as the exchange delivers it: as a stream, or all at once. */
interface Content {
  /** The pull-based stream (made once, when `body` is first asked for); `onRead` is called at its first pull. */
  stream(onRead: () => void): ReadableStream<Uint8Array>;
  /** Every byte, read straight off the request stream (rejects as a read of the stream would). */
  all(): Promise<Uint8Array>;
}

const decoder = new TextDecoder();

/**
 * The `Response` a fetch resolves with: a standard one, with `trailers` and
 * `streamId`, and the `url` and `redirected` of the fetch that made it. Its
 * `body` stream is made only when asked for: `arrayBuffer()`, `text()`,
 * `json()`, `bytes()` and `blob()` read the content straight off the
 * request stream (the Web Stream and the platform's reading of it were most
 * of a small response's cost).
 */
class ClientResponse extends Response implements Http3Response {
  declare readonly trailers: Promise<Headers>;
  readonly streamId: bigint;
  #url = '';
  #redirected = false;
  readonly #content: Content | null;
  readonly #trailers: PendingTrailers;
  #stream: ReadableStream<Uint8Array> | undefined;
  #used = false;

  constructor(content: Content | null, init: ResponseInit, trailers: PendingTrailers, streamId: bigint) {
    super(null, init);
    this.#content = content;
    this.#trailers = trailers;
    this.streamId = streamId;
  }

  static {
    setLocation = (response, url, redirected) => {
      if (response instanceof ClientResponse) {
        response.#url = url.href;
        response.#redirected = redirected;
      } else Object.defineProperties(response, { url: { value: url.href }, redirected: { value: redirected } });
      return response;
    };
    const get = <T>(f: (r: ClientResponse) => T): PropertyDescriptor => ({
      configurable: true,
      enumerable: true,
      get(this: ClientResponse) {
        return f(this);
      },
    });
    Object.defineProperties(ClientResponse.prototype, {
      url: get((r) => r.#url),
      redirected: get((r) => r.#redirected),
      body: get((r) => (r.#content ? (r.#stream ??= r.#content.stream(() => (r.#used = true))) : null)),
      bodyUsed: get((r) => r.#used),
      // Made when first read: most responses' trailers never are.
      trailers: get((r) => r.#trailers.trailers),
    });
  }

  /** The whole content, once (Fetch "consume body": a body already read or locked is unusable). */
  async #consume(): Promise<Uint8Array> {
    if (this.#used || this.#stream?.locked) throw new TypeError('Body is unusable: Body has already been read');
    if (this.#stream) return new Uint8Array(await new Response(this.#stream).arrayBuffer());
    this.#used = true;
    return this.#content ? this.#content.all() : new Uint8Array(0);
  }

  override async arrayBuffer(): Promise<ArrayBuffer> {
    const b = await this.#consume();
    return b.byteOffset === 0 && b.byteLength === b.buffer.byteLength ? (b.buffer as ArrayBuffer) : (b.slice().buffer as ArrayBuffer);
  }

  override async bytes(): Promise<Uint8Array<ArrayBuffer>> {
    return (await this.#consume()) as Uint8Array<ArrayBuffer>;
  }

  override async text(): Promise<string> {
    return decoder.decode(await this.#consume());
  }

  override async json(): Promise<unknown> {
    return JSON.parse(await this.text()) as unknown;
  }

  override async blob(): Promise<Blob> {
    return new Blob([(await this.#consume()) as Uint8Array<ArrayBuffer>], { type: this.headers.get('content-type') ?? '' });
  }

  override async formData(): Promise<FormData> {
    return new Response((await this.#consume()) as Uint8Array<ArrayBuffer>, { headers: this.headers }).formData();
  }

  override clone(): Http3Response {
    if (this.#used || this.#stream?.locked) throw new TypeError('Response.clone: Body has already been consumed.');
    let body: ReadableStream<Uint8Array> | null = this.body;
    if (body) [this.#stream, body] = body.tee();
    const copy = new Response(body, { status: this.status, statusText: this.statusText, headers: this.headers });
    Object.defineProperties(copy, { trailers: { value: this.trailers }, streamId: { value: this.streamId }, url: { value: this.#url }, redirected: { value: this.#redirected } });
    return copy as Http3Response;
  }
}

const noop = (): void => undefined;
const NO_BODY_METHODS: ReadonlySet<string> = new Set(['GET', 'HEAD']);
/** Fetch's method normalisation: these are uppercased, any other method is sent as given. */
const NORMALISED_METHODS: ReadonlySet<string> = new Set(['DELETE', 'GET', 'HEAD', 'OPTIONS', 'POST', 'PUT']);

/** The request head and body taken from Fetch's two-argument form (`body` extracted from it, see `bodyOf`). */
function requestParts(input: RequestInfo | URL, init: Http3RequestInit, body: ExtractedBody) {
  const req = input instanceof Request ? input : undefined;
  const url = input instanceof URL ? input : new URL(req ? req.url : String(input));
  if (url.protocol !== 'https:') throw new TypeError(`HTTP/3 needs an https URL, got ${url.protocol}`);
  const rawMethod = init.method ?? req?.method ?? 'GET';
  const method = NORMALISED_METHODS.has(rawMethod.toUpperCase()) ? rawMethod.toUpperCase() : rawMethod;
  const given = init.headers ?? req?.headers;
  const headers = given === undefined ? undefined : new Headers(given);
  if (body.source && NO_BODY_METHODS.has(method)) throw new TypeError(`a ${method} request cannot have a body`);
  const fields: FieldLine[] = [
    { name: ':method', value: method },
    { name: ':scheme', value: 'https' },
    { name: ':authority', value: url.host },
    { name: ':path', value: `${url.pathname}${url.search}` },
  ];
  if (headers) fromHeaders(headers, fields);
  if (body.contentType !== undefined && !headers?.has('content-type')) fields.push({ name: 'content-type', value: body.contentType });
  const length = knownLength(body.source);
  if (length !== undefined && !headers?.has('content-length') && (length > 0 || !NO_BODY_METHODS.has(method))) {
    fields.push({ name: 'content-length', value: String(length) });
  }
  const signal = init.signal ?? req?.signal ?? undefined;
  return { url, method, fields, source: body.source, signal, trailers: init.trailers };
}

/** The body of Fetch's two-argument form, extracted (a promise only for a body the platform serialises). */
function bodyOf(input: RequestInfo | URL, init: Http3RequestInit): ExtractedBody | Promise<ExtractedBody> {
  return extractBody(init.body !== undefined ? init.body : input instanceof Request ? input.body : null);
}

export async function clientFetch(conn: Http3Connection, input: RequestInfo | URL, init: Http3RequestInit = {}): Promise<Http3Response> {
  const body = bodyOf(input, init);
  const parts = requestParts(input, init, body instanceof Promise ? await body : body);
  parts.signal?.throwIfAborted();
  // RFC 9114 §5.2: after GOAWAY no new requests on this connection.
  if (conn.draining) throw new Http3Error(H3ErrorCode.H3_REQUEST_REJECTED, 'stream', 'the connection is going away (GOAWAY)', { retryable: true });
  if (conn.isClosing) throw new Http3Error(H3ErrorCode.H3_REQUEST_REJECTED, 'stream', 'the connection is closed', { retryable: true, cause: conn.error });
  // RFC 9114 §4.2.2: do not send a header section above the peer's limit.
  const limit = conn.receivedSettings?.get(SettingId.MAX_FIELD_SECTION_SIZE);
  const size = fieldSectionSize(parts.fields);
  if (limit !== undefined && BigInt(size) > limit) throw new TypeError(`request header section of ${size} bytes exceeds the server's limit of ${limit}`);
  let stream;
  try {
    stream = await conn.openBidirectional();
  } catch (e) {
    // Waiting for MAX_STREAMS credit when the connection went away: the request was never sent.
    throw new Http3Error(H3ErrorCode.H3_REQUEST_REJECTED, 'stream', 'the connection closed before the request could be sent', { retryable: true, cause: e });
  }
  if (conn.draining) {
    // RFC 9114 §5.2: a GOAWAY arrived while we waited for the stream; do not send on it.
    stream.abort(H3ErrorCode.H3_REQUEST_CANCELLED, 'GOAWAY received before sending');
    throw new Http3Error(H3ErrorCode.H3_REQUEST_REJECTED, 'stream', 'the connection is going away (GOAWAY)', { retryable: true });
  }
  const io = streamIo(stream);
  return new Exchange(conn, stream.id, io?.reader ?? stream.readable, io?.writer ?? stream.writable, parts).response;
}

class Exchange {
  readonly response: Promise<Http3Response>;
  readonly #conn: Http3Connection;
  readonly #reader: MessageReader;
  readonly #writer: MessageWriter;
  readonly #id: bigint;
  #resolve!: (r: Http3Response) => void;
  #reject!: (e: unknown) => void;
  #body: ReadableStreamDefaultController<Uint8Array> | undefined;
  /** `response.trailers`, made when first read, settled when the exchange ends. */
  readonly #trailers = new PendingTrailers();
  #trailerFields: FieldLine[] | undefined;
  #finished = false;
  #unsubscribe = noop;

  constructor(conn: Http3Connection, id: bigint, readable: ReadableStream<Uint8Array> | StreamReader, writable: WritableStream<Uint8Array> | StreamWriter, parts: ReturnType<typeof requestParts>) {
    this.#conn = conn;
    this.#id = id;
    this.response = new Promise((resolve, reject) => ((this.#resolve = resolve), (this.#reject = reject)));
    this.#reader = new MessageReader(conn, id, readable, 'client');
    this.#writer = new MessageWriter(conn, id, writable);
    conn.requestStarted();
    conn.requests.set(id, (e) => void this.#fail(e));
    const signal = parts.signal;
    if (signal) {
      const onAbort = (): void => void this.#fail(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      this.#unsubscribe = () => signal.removeEventListener('abort', onAbort);
    }
    void this.#send(parts);
    void this.#receive(parts.method);
  }

  async #send(parts: ReturnType<typeof requestParts>): Promise<void> {
    try {
      const small = parts.source && 'bytes' in parts.source ? parts.source.bytes : undefined;
      const written = this.#writer.headers(parts.fields, small);
      if (written) await written;
      // No promise turn for a body or trailers the request does not have.
      if (parts.source && !small) await sendBody(this.#writer, parts.source);
      const trailers = sendTrailers(this.#writer, parts.trailers);
      if (trailers) await trailers;
      // RFC 9114 §4.1: after sending a request, a client MUST close the stream for sending.
      await this.#writer.close();
    } catch (e) {
      // RFC 9114 §4.1.2: a server that answered early may stop our body with H3_NO_ERROR; the response still counts.
      if (errorCodeOf(e) === BigInt(H3ErrorCode.H3_NO_ERROR)) return;
      this.#fail(e);
    }
  }

  async #receive(method: string): Promise<void> {
    try {
      for (;;) {
        const part = await this.#reader.read();
        if (part.kind !== 'headers') throw streamError(H3ErrorCode.H3_MESSAGE_ERROR, 'response stream ended before a final response');
        const head = parseResponseHead(part.fields);
        if (head.status < 200) {
          this.#reader.framing.headersDone({ interim: true });
          continue;
        }
        const noContent = method === 'HEAD' || head.status === 204 || head.status === 304;
        this.#reader.framing.headersDone({ contentLength: contentLengthOf(head.fields), noContent });
        const response = new ClientResponse(noContent ? null : this.#content(), { status: head.status }, this.#trailers, this.#id);
        appendFields(response.headers, head.fields);
        this.#resolve(response);
        if (noContent) await this.#drain();
        return;
      }
    } catch (e) {
      this.#fail(FieldSectionTooLargeError.isInstance(e) ? streamError(H3ErrorCode.H3_EXCESSIVE_LOAD, e.message) : e);
    }
  }

  /** The response's content, read as a stream or all at once (see ClientResponse). */
  #content(): Content {
    return {
      stream: (onRead) => this.#bodyStream(onRead),
      all: async () => {
        const chunks: Uint8Array[] = [];
        let size = 0;
        for (let c = await this.#nextChunk(); c; c = await this.#nextChunk()) {
          chunks.push(c);
          size += c.length;
        }
        // Always a copy, as the platform's consumption of a body stream makes: a chunk may be a view into its packet, whose buffer holds other bytes too.
        const all = new Uint8Array(size);
        let at = 0;
        for (const c of chunks) all.set(c, (at += c.length) - c.length);
        return all;
      },
    };
  }

  /** The next piece of content, or null at its end (trailers collected on the way); an error fails the exchange and is thrown as described. */
  async #nextChunk(): Promise<Uint8Array | null> {
    try {
      for (;;) {
        const part = await this.#reader.read();
        if (part.kind === 'data') return part.chunk;
        if (part.kind === 'end') {
          this.#finish();
          return null;
        }
        const fields = parseTrailers(part.fields);
        this.#reader.framing.headersDone();
        this.#trailerFields = fields;
      }
    } catch (e) {
      throw this.#fail(e) ?? e;
    }
  }

  #bodyStream(onRead: () => void): ReadableStream<Uint8Array> {
    return new ReadableStream<Uint8Array>(
      {
        start: (controller) => {
          this.#body = controller;
        },
        pull: async (controller) => {
          onRead();
          try {
            const chunk = await this.#nextChunk();
            if (chunk) controller.enqueue(chunk);
            else controller.close();
          } catch {
            // #fail errored the stream
          }
        },
        cancel: (reason) => {
          this.#fail(reason ?? new Error('response body cancelled'), true);
        },
      },
      { highWaterMark: 0 },
    );
  }

  async #drain(): Promise<void> {
    try {
      for (;;) {
        const part = await this.#reader.read();
        if (part.kind === 'end') return this.#finish();
        if (part.kind === 'headers') {
          this.#trailerFields = parseTrailers(part.fields);
          this.#reader.framing.headersDone();
        }
      }
    } catch (e) {
      this.#fail(e);
    }
  }

  #finish(): void {
    if (this.#finished) return;
    this.#finished = true;
    settleTrailers(this.#trailers, { fields: this.#trailerFields ?? [] });
    this.#done();
  }

  #done(): void {
    this.#unsubscribe();
    this.#conn.requests.delete(this.#id);
    this.#conn.requestFinished();
  }

  /** Ends the exchange with an error: rejects what is pending and resets the stream (§4.1.1, §8); returns the error as described (undefined when it had ended already). */
  #fail(e: unknown, cancelled = false): unknown {
    if (this.#finished) return undefined;
    this.#finished = true;
    const error = this.#describe(e ?? new Error('request failed'));
    this.#conn.streamFailed(error, this.#id, { cancel: (r) => this.#reader.cancel(r), abort: (r) => this.#writer.abort(r) });
    this.#reject(error);
    settleTrailers(this.#trailers, { error });
    if (!cancelled) {
      try {
        this.#body?.error(error);
      } catch {
        // already closed
      }
    }
    this.#done();
    return error;
  }

  /** A transport-level ending as an `Http3Error`: the peer's reset code, retryable when the server did not process the request. */
  #describe(e: unknown): unknown {
    if (Http3Error.isInstance(e) || QpackError.isInstance(e)) return e;
    const message = e instanceof Error ? e.message : String(e);
    if (this.#conn.goaway.unprocessed(this.#id)) {
      return new Http3Error(H3ErrorCode.H3_REQUEST_REJECTED, 'stream', `not processed before GOAWAY: ${message}`, { retryable: true, remote: true, cause: e });
    }
    const code = errorCodeOf(e);
    if (code === undefined) return e;
    // RFC 9114 §4.1.1: H3_REQUEST_REJECTED says the server did no processing; the request may be retried.
    const rejected = code === BigInt(H3ErrorCode.H3_REQUEST_REJECTED);
    return new Http3Error(Number(code), 'stream', `request stream ended by the peer: ${message}`, { remote: true, retryable: rejected, cause: e });
  }
}

/** Whether a failed request may be sent again elsewhere: the server never processed it (RFC 9114 §4.1.1, §5.2). */
export function isRetryable(error: unknown): boolean {
  if (Http3Error.isInstance(error)) return error.retryable;
  return errorCodeOf(error) === BigInt(H3ErrorCode.H3_REQUEST_REJECTED);
}
