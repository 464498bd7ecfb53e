/**
 * @module response
 * Sending a `Response` on a request stream (RFC 9114 §4.1): HEADERS, the
 * body as DATA frames with back-pressure, trailers, FIN. A body that does not
 * match its Content-Length is never sent malformed (§4.1.2); responses to
 * HEAD, and 204 and 304 responses, carry no content (RFC 9110 §6.4.1).
 * Trailers ride on a `Response` through `withTrailers`. Used by the request
 * server (server.ts) and by extended CONNECT (tunnel.ts).
 */
import { type BodySource, sendBody } from './body.js';
import { H3ErrorCode, Http3Error, streamError } from './errors.js';
import type { MessageWriter } from './message-io.js';
import { contentLengthOf, fromHeaders } from './message.js';
import type { FieldLine } from './qpack/index.js';

const noop = (): void => undefined;

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

/** Resolves a trailer source to field lines (empty when none). */
export async function resolveTrailers(source: TrailerSource | undefined): Promise<FieldLine[]> {
  if (source === undefined) return [];
  const init = await (typeof source === 'function' ? source() : source);
  return fromHeaders(init);
}

/** RFC 9110 §6.4.1: responses to HEAD, and 204 and 304 responses, have no content. */
function hasNoContent(method: string, status: number): boolean {
  return method === 'HEAD' || status === 204 || status === 304;
}

/** Sends a `Response`: HEADERS, then its body as DATA frames, then its trailers, then FIN. */
export async function sendResponse(writer: MessageWriter, method: string, response: Response, onError: (e: unknown) => void): Promise<void> {
  const fields: FieldLine[] = [{ name: ':status', value: String(response.status) }];
  fromHeaders(response.headers, fields);
  const declared = contentLengthOf(fields.slice(1));
  const body = hasNoContent(method, response.status) ? null : response.body;
  if (!body) {
    response.body?.cancel().catch(noop);
    await writer.headers(fields);
  } else {
    await writer.headers(fields);
    const counted = countingSource(body, declared);
    try {
      await sendBody(writer, counted.source);
    } catch (e) {
      onError(e);
      throw Http3Error.isInstance(e) ? e : streamError(H3ErrorCode.H3_INTERNAL_ERROR, `response body failed: ${e instanceof Error ? e.message : String(e)}`);
    }
    counted.check();
  }
  const trailers = await resolveTrailers(trailersOf(response));
  if (trailers.length > 0) await writer.headers(trailers);
  await writer.close();
}

/** A body source that checks the bytes sent against a declared Content-Length (RFC 9114 §4.1.2: never send a malformed message). */
function countingSource(body: ReadableStream<Uint8Array>, declared: number | undefined): { source: BodySource; check(): void } {
  if (declared === undefined) return { source: { stream: body }, check: noop };
  let sent = 0;
  const mismatch = (): Http3Error => streamError(H3ErrorCode.H3_INTERNAL_ERROR, `response body of ${sent} bytes, content-length ${declared}`);
  const stream = body.pipeThrough(
    new TransformStream<Uint8Array, Uint8Array>({
      transform(chunk, controller) {
        sent += chunk.length;
        if (sent > declared) throw mismatch();
        controller.enqueue(chunk);
      },
    }),
  );
  return {
    source: { stream },
    check() {
      if (sent !== declared) throw mismatch();
    },
  };
}
