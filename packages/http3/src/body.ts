/**
 * @module body
 * Message content in and out of the Fetch API's shapes: a request body given
 * as a string, bytes, a `ReadableStream`, a `Blob`, `FormData` or
 * `URLSearchParams` becomes either known bytes (sent with Content-Length, and
 * replayable on another connection) or a stream (RFC 9114 §4.1: DATA frames
 * as it produces, with back-pressure); received content becomes a
 * pull-based `ReadableStream` (nothing read from QUIC before the consumer
 * asks).
 */
import type { MessageWriter } from './message-io.js';

export type BodySource = { readonly bytes: Uint8Array } | { readonly stream: ReadableStream<Uint8Array> } | null;

export interface ExtractedBody {
  readonly source: BodySource;
  /** The Content-Type the body implies (FormData's multipart boundary, a Blob's type, text for strings). */
  readonly contentType?: string;
}

const encoder = new TextEncoder();

const NO_BODY: ExtractedBody = { source: null };

/**
 * Extracts a body (Fetch "extract a body"), keeping bytes as bytes so they
 * can be replayed: at once for no body, strings, bytes and streams; only a
 * body the platform must serialise (Blob, FormData, …) takes a promise.
 */
export function extractBody(body: unknown): ExtractedBody | Promise<ExtractedBody> {
  if (body === undefined || body === null) return NO_BODY;
  if (typeof body === 'string') return { source: { bytes: encoder.encode(body) }, contentType: 'text/plain;charset=UTF-8' };
  if (body instanceof Uint8Array) return { source: { bytes: body } };
  if (body instanceof ArrayBuffer) return { source: { bytes: new Uint8Array(body) } };
  if (ArrayBuffer.isView(body)) return { source: { bytes: new Uint8Array(body.buffer, body.byteOffset, body.byteLength) } };
  if (body instanceof ReadableStream) return { source: { stream: body as ReadableStream<Uint8Array> } };
  return serialised(body as BodyInit);
}

/** Blob, FormData, URLSearchParams (where the runtime has them): the platform serialises them. */
async function serialised(body: BodyInit): Promise<ExtractedBody> {
  const response = new Response(body);
  const contentType = response.headers.get('content-type') ?? undefined;
  const bytes = new Uint8Array(await response.arrayBuffer());
  return contentType === undefined ? { source: { bytes } } : { source: { bytes }, contentType };
}

/** The number of bytes a source will send, when known. */
export function knownLength(source: BodySource): number | undefined {
  return source && 'bytes' in source ? source.bytes.length : undefined;
}

/**
 * Sends a body as DATA frames through `writer`. A stream is read one chunk
 * at a time, each sent once the transport has room (back-pressure reaches the
 * producer). Rejects when the stream errors or the QUIC stream is reset.
 */
export async function sendBody(writer: MessageWriter, source: BodySource): Promise<void> {
  if (source === null) return;
  if ('bytes' in source) return writer.data(source.bytes);
  const reader = source.stream.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      // Read to its end: the reader is not released (releasing makes an error for its `closed`), the stream is spent.
      if (done) return;
      if (!(value instanceof Uint8Array)) throw new TypeError('body streams must produce Uint8Array chunks');
      await writer.data(value);
    }
  } catch (e) {
    reader.cancel(e).catch(() => undefined);
    throw e;
  }
}
