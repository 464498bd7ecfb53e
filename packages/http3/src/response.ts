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
  return writeResponse(writer, method, response, onError).then(() => writer.close());
}

/** All of a `Response` but the FIN: HEADERS, its body as DATA frames, its trailers. */
export async function writeResponse(writer: MessageWriter, method: string, response: Response, onError: (e: unknown) => void): Promise<void> {
  const fields: FieldLine[] = [{ name: ':status', value: String(response.status) }];
  fromHeaders(response.headers, fields);
  const body = hasNoContent(method, response.status) ? null : response.body;
  if (!body) {
    response.body?.cancel().catch(noop);
    await writer.headers(fields);
  } else {
    try {
      await sendContent(writer, fields, body, contentLengthOf(fields.slice(1)));
    } catch (e) {
      onError(e);
      throw Http3Error.isInstance(e) ? e : streamError(H3ErrorCode.H3_INTERNAL_ERROR, `response body failed: ${e instanceof Error ? e.message : String(e)}`);
    }
  }
  const trailers = sendTrailers(writer, trailersOf(response));
  if (trailers) await trailers;
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
