/**
 * @module response
 * Sending a `Response` on a request stream (RFC 9114 §4.1): HEADERS, the
 * body as DATA frames with back-pressure, trailers, FIN. A body that does not
 * match its Content-Length is never sent malformed (§4.1.2); responses to
 * HEAD, and 204 and 304 responses, carry no content (RFC 9110 §6.4.1).
 * Trailers ride on a `Response` through `withTrailers`. Used by the request
 * server (server.ts) and by extended CONNECT (tunnel.ts).
 */
import { H3ErrorCode, Http3Error, streamError } from './errors.js';
import type { MessageWriter } from './message-io.js';
import { contentLengthOf, fromHeaders } from './message.js';
import type { FieldLine } from './qpack/index.js';

const noop = (): void => undefined;
const RESOLVED = Promise.resolve();

/** Trailer fields a handler attaches to its `Response` (see `withTrailers`). */
const TRAILERS = Symbol.for('@tsquic/http3/trailers');

export type TrailerSource = HeadersInit | Promise<HeadersInit> | (() => HeadersInit | Promise<HeadersInit>);

/**
 * Attaches trailer fields to a response (sent after its body, RFC 9114
 * §4.1): a `HeadersInit`, a promise of one, or a function called once the
 * body has been sent (e.g. to send a checksum of what was streamed).
 */
export function withTrailers<R extends Response>(response: R, trailers: TrailerSource): R {
  (response as unknown as Record<symbol, TrailerSource>)[TRAILERS] = trailers;
  return response;
}

/** The trailers a handler attached, if any. */
export function trailersOf(message: object): TrailerSource | undefined {
  return (message as Record<symbol, TrailerSource | undefined>)[TRAILERS];
}

/** Resolves a trailer source to field lines. */
async function resolveTrailers(source: TrailerSource): Promise<FieldLine[]> {
  const init = await (typeof source === 'function' ? source() : source);
  return fromHeaders(init);
}

/**
 * Sends the trailer section of a message whose trailers come from `source`, when it has any fields;
 * without a source there is nothing to wait for (undefined, not a promise).
 */
export function sendTrailers(writer: MessageWriter, source: TrailerSource | undefined): Promise<void> | undefined {
  return source === undefined ? undefined : resolveTrailers(source).then((trailers) => (trailers.length > 0 ? writer.headers(trailers) : undefined));
}

/** RFC 9110 §6.4.1: responses to HEAD, and 204 and 304 responses, have no content. */
function hasNoContent(method: string, status: number): boolean {
  return method === 'HEAD' || status === 204 || status === 304;
}

/**
 * Sends a `Response`: HEADERS, then its body as DATA frames, then its
 * trailers, then FIN; settles when the peer has acknowledged all of it (the
 * writer's `close()`), holding nothing of the response meanwhile.
 */
export function sendResponse(writer: MessageWriter, method: string, response: Response, onError: (e: unknown) => void): Promise<void> {
  let written: Promise<void> | undefined;
  try {
    written = writeResponse(writer, method, response, onError);
  } catch (e) {
    return Promise.reject(e);
  }
  return written ? written.then(() => writer.close()) : writer.close();
}

/**
 * All of a `Response` but the FIN: HEADERS, its body as DATA frames, its
 * trailers. Undefined when all of it was written at once (a body whose bytes
 * are at hand, no trailers): no promise to wait on then. A body that fails
 * (its stream errors, or it does not match its Content-Length) goes to
 * `onError` and ends in an Http3Error, thrown or rejected.
 */
export function writeResponse(writer: MessageWriter, method: string, response: Response, onError: (e: unknown) => void): Promise<void> | undefined {
  const fields: FieldLine[] = [{ name: ':status', value: String(response.status) }];
  fromHeaders(response.headers, fields);
  const body = hasNoContent(method, response.status) ? null : response.body;
  let written: Promise<void> | undefined;
  if (!body) {
    response.body?.cancel().catch(noop);
    written = writer.headers(fields);
  } else {
    const source = bodySource(response, body);
    try {
      // contentLengthOf looks at content-length lines only: the :status line needs no slicing off.
      const declared = contentLengthOf(fields);
      written = source === undefined ? sendContent(writer, fields, body, declared) : sendSource(writer, fields, source, declared);
    } catch (e) {
      throw bodyFailed(e, onError);
    }
    if (written) written = written.catch((e: unknown) => Promise.reject(bodyFailed(e, onError)));
  }
  const trailers = trailersOf(response);
  if (trailers === undefined) return written;
  return (written ?? RESOLVED).then(() => sendTrailers(writer, trailers));
}

/** A body that failed: told to `onError`, and as the stream error it ends in (H3_INTERNAL_ERROR unless it is one). */
function bodyFailed(e: unknown, onError: (e: unknown) => void): Http3Error {
  onError(e);
  return Http3Error.isInstance(e) ? e : streamError(H3ErrorCode.H3_INTERNAL_ERROR, `response body failed: ${e instanceof Error ? e.message : String(e)}`);
}

/** The keys of undici's state on a `Response` and of Node's on a `ReadableStream` (null where there is none), looked up once. */
let stateKey: symbol | null | undefined;
let streamStateKey: symbol | null | undefined;
const encoder = new TextEncoder();

const ownSymbol = (o: object, description: string): symbol | null => Object.getOwnPropertySymbols(o).find((k) => k.description === description) ?? null;

/**
 * The bytes or string a `Response` body was made from, where the platform
 * keeps them beside the body's stream and the stream is untouched. undici
 * (the Fetch API of Node 20 and 22) holds a body's source in the response's
 * internal state: a copy of the bytes given (the Fetch standard's "extract a
 * body" copies them), or the string. Sending the source as it is skips
 * reading it through the stream — a reader, an async pull, a byte-stream
 * enqueue that detaches the buffer, a close — a sixth of the server's CPU
 * per small request on Node 20 besides the handler's own. Elsewhere (Node
 * 24's undici keeps its state in private fields; Deno, Bun, browsers), and
 * for any other body (a stream, a Blob, FormData, a body read or locked),
 * the stream is read. The stream itself is left as it is: nothing holds it.
 */
function bodySource(response: Response, body: ReadableStream<Uint8Array>): Uint8Array | string | undefined {
  if (stateKey === undefined) stateKey = ownSymbol(response, 'state');
  if (stateKey === null) return undefined;
  const inner = (response as unknown as Record<symbol, { body?: { stream?: unknown; source?: unknown } | null } | undefined>)[stateKey]?.body;
  if (!inner || inner.stream !== body || !untouched(response, body)) return undefined;
  const source = inner.source;
  return source instanceof Uint8Array || typeof source === 'string' ? source : undefined;
}

/**
 * Whether a body's stream was never read, cancelled or locked: its [[disturbed]] and [[reader]] slots where
 * Node keeps them under a symbol (30 ns), else `locked` and `bodyUsed` (0.8 µs together on Node 20, whose
 * transferable streams are slow objects).
 */
function untouched(response: Response, body: ReadableStream<Uint8Array>): boolean {
  if (streamStateKey === undefined) streamStateKey = ownSymbol(body, 'kState');
  const slots = streamStateKey === null ? undefined : (body as unknown as Record<symbol, { disturbed?: unknown; reader?: unknown } | undefined>)[streamStateKey];
  if (slots && typeof slots.disturbed === 'boolean' && 'reader' in slots) return !slots.disturbed && slots.reader === undefined;
  return !body.locked && !response.bodyUsed;
}

/**
 * A body whose bytes are at hand (`bodySource`): checked against its Content-Length before anything is sent
 * (RFC 9114 §4.1.2), then written with the HEADERS frame; undefined when all of it was written at once.
 */
function sendSource(writer: MessageWriter, fields: readonly FieldLine[], source: Uint8Array | string, declared: number | undefined): Promise<void> | undefined {
  const bytes = typeof source === 'string' ? encoder.encode(source) : source;
  if (declared !== undefined && bytes.length !== declared) throw streamError(H3ErrorCode.H3_INTERNAL_ERROR, `response body of ${bytes.length} bytes, content-length ${declared}`);
  return writer.headers(fields, bytes.length > 0 ? bytes : undefined);
}

/**
 * HEADERS, then the body as DATA frames with back-pressure, each chunk
 * counted against a declared Content-Length before it is sent (RFC 9114
 * §4.1.2: never send a malformed message). A first chunk already at hand
 * (a body made from bytes or a string) leaves in the HEADERS frame's write;
 * otherwise the HEADERS leave at once, ahead of a body still being made.
 */
async function sendContent(writer: MessageWriter, fields: readonly FieldLine[], body: ReadableStream<Uint8Array>, declared: number | undefined): Promise<void> {
  let sent = 0;
  const mismatch = (): Http3Error => streamError(H3ErrorCode.H3_INTERNAL_ERROR, `response body of ${sent} bytes, content-length ${declared}`);
  const counted = (chunk: unknown): Uint8Array => {
    if (!(chunk instanceof Uint8Array)) throw new TypeError('body streams must produce Uint8Array chunks');
    sent += chunk.length;
    if (declared !== undefined && sent > declared) throw mismatch();
    return chunk;
  };
  const reader = body.getReader();
  try {
    let next = reader.read();
    // Whether the first read settled already: its reaction runs before this function's next turn if so (a race
    // with a resolved promise, without Promise.race's promise and array). A failed read is thrown below.
    let first: ReadableStreamReadResult<Uint8Array> | undefined;
    next.then((r) => (first = r), noop);
    await RESOLVED;
    // A handler that returned its Response at once was not awaited (server.ts): the body's start may take this turn.
    if (first === undefined) await RESOLVED;
    if (first === undefined || first.done) await writer.headers(fields);
    else {
      const written = writer.headers(fields, counted(first.value));
      if (written) await written;
      next = reader.read();
    }
    for (let r = await next; !r.done; r = await next) {
      await writer.data(counted(r.value));
      next = reader.read();
    }
  } catch (e) {
    reader.cancel(e).catch(noop);
    throw e;
  }
  // The body is read to its end: the reader is not released (releasing makes an error for its `closed`), the stream is spent.
  if (declared !== undefined && sent !== declared) throw mismatch();
}
