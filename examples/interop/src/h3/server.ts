/**
 * @module h3/server
 * The server side of HTTP/3 request streams (RFC 9114 §4.1, §6.1): read the
 * request head (HEADERS, after any unknown frames), answer through a handler
 * with HEADERS and DATA frames and FIN, and read the rest of the request
 * concurrently so that its framing is checked and its FIN is seen.
 */
import { StreamByteReader } from '../byte-reader.js';
import { decodeFieldSection, encodeFieldSection, type FieldLine } from '../qpack/field-section.js';
import type { BidirectionalStream, Session } from '../session.js';
import { H3Connection, type H3Options, type RequestStream } from './connection.js';
import { connectionError, H3ErrorCode, streamError } from './errors.js';
import { classifyFrame, readFrameHeader, readFramePayload, readPayloadChunk, skipFramePayload } from './frame-reader.js';
import { encodeFrame, encodeFrameHeader, FrameType } from './frames.js';
import { contentLengthOf, parseRequestHead, parseTrailers, type RequestHead } from './message.js';

/** What a handler answers. */
export interface H3Response {
  readonly status: number;
  /** Regular fields (lowercase names), after :status and content-length. */
  readonly fields?: readonly FieldLine[];
  /** Sent as content-length when given; the body must then have exactly this many bytes. */
  readonly contentLength?: number;
  /** The content, pulled chunk by chunk as the stream accepts it (back-pressure). */
  readonly body?: AsyncIterable<Uint8Array>;
}

export type H3Handler = (request: RequestHead) => Promise<H3Response> | H3Response;

const noop = (): void => undefined;

/** Serves HTTP/3 on a session whose ALPN is h3; returns the connection (close it to stop). */
export function serveH3(session: Session, handler: H3Handler, options: H3Options = {}): H3Connection {
  const conn = H3Connection.open(session, 'server', options);
  void acceptRequests(conn, handler);
  return conn;
}

async function acceptRequests(conn: H3Connection, handler: H3Handler): Promise<void> {
  const incoming = conn.session.incomingBidirectionalStreams.getReader();
  try {
    for (;;) {
      const { value, done } = await incoming.read();
      if (done) return;
      void handleRequest(conn, value, handler);
    }
  } catch {
    // the session is gone
  }
}

async function handleRequest(conn: H3Connection, bidi: BidirectionalStream, handler: H3Handler): Promise<void> {
  const stream: RequestStream = { reader: new StreamByteReader(bidi.readable), writer: bidi.writable.getWriter() };
  stream.writer.closed.catch(noop);
  let head: RequestHead;
  try {
    head = await readRequestHead(conn, stream.reader);
  } catch (e) {
    conn.streamFailed(e, stream);
    return;
  }
  const rest = readRequestRest(conn, stream.reader, head).catch((e: unknown) => conn.streamFailed(e, stream));
  let response: H3Response;
  try {
    response = await handler(head);
  } catch {
    response = { status: 500, contentLength: 0 };
  }
  try {
    await writeResponse(stream.writer, head, response);
  } catch (e) {
    // Our body source failed, or the peer stopped reading, or the session went away.
    conn.streamFailed(streamError(H3ErrorCode.H3_INTERNAL_ERROR, `response not completed: ${String(e)}`), stream);
  }
  await rest;
}

/** Frames up to and including the request's HEADERS (RFC 9114 §4.1). */
async function readRequestHead(conn: H3Connection, r: StreamByteReader): Promise<RequestHead> {
  const { maxFieldSectionSize } = conn.options;
  for (;;) {
    const header = await readFrameHeader(r);
    // RFC 9114 §4.1: a stream that ends without a complete request: H3_REQUEST_INCOMPLETE.
    if (header === undefined) throw streamError(H3ErrorCode.H3_REQUEST_INCOMPLETE, 'request stream ended before HEADERS');
    const kind = classifyFrame(header.type, 'request', 'server');
    if (kind === 'ignore') {
      await skipFramePayload(r, header);
      continue;
    }
    // RFC 9114 §4.1: a DATA frame before any HEADERS frame is H3_FRAME_UNEXPECTED.
    if (kind !== 'headers') throw connectionError(H3ErrorCode.H3_FRAME_UNEXPECTED, `${kind} frame before HEADERS`);
    const payload = await readFramePayload(r, header, 2 * maxFieldSectionSize, () =>
      streamError(H3ErrorCode.H3_MESSAGE_ERROR, `HEADERS frame of ${header.length} bytes`),
    );
    return parseRequestHead(decodeFieldSection(payload, { maxFieldSectionSize }));
  }
}

/** The request's content and trailers after its HEADERS, discarded but checked (RFC 9114 §4.1, §4.1.2). */
async function readRequestRest(conn: H3Connection, r: StreamByteReader, head: RequestHead): Promise<void> {
  const { maxFieldSectionSize } = conn.options;
  const expected = contentLengthOf(head.fields);
  let received = 0;
  let trailers = false;
  for (;;) {
    const header = await readFrameHeader(r);
    if (header === undefined) break;
    const kind = classifyFrame(header.type, 'request', 'server');
    if (kind === 'ignore') {
      await skipFramePayload(r, header);
      continue;
    }
    // RFC 9114 §4.1: a HEADERS or DATA frame after the trailing HEADERS frame is H3_FRAME_UNEXPECTED.
    if (trailers) throw connectionError(H3ErrorCode.H3_FRAME_UNEXPECTED, `${kind} frame after trailers`);
    if (kind === 'data') {
      let left = header.length;
      while (left > 0) left -= (await readPayloadChunk(r, Math.min(left, 64 * 1024))).length;
      received += header.length;
      continue;
    }
    const payload = await readFramePayload(r, header, 2 * maxFieldSectionSize, () =>
      streamError(H3ErrorCode.H3_MESSAGE_ERROR, `trailer HEADERS frame of ${header.length} bytes`),
    );
    parseTrailers(decodeFieldSection(payload, { maxFieldSectionSize }));
    trailers = true;
  }
  // RFC 9114 §4.1.2: Content-Length not equal to the sum of DATA frame lengths is malformed.
  if (expected !== undefined && expected !== received) {
    throw streamError(H3ErrorCode.H3_MESSAGE_ERROR, `content-length ${expected}, ${received} bytes received`);
  }
}

function hasNoContent(method: string, status: number): boolean {
  return method === 'HEAD' || status === 204 || status === 304 || status < 200;
}

/** HEADERS, then one DATA frame per body chunk as the stream has room, then FIN (RFC 9114 §4.1). */
async function writeResponse(w: WritableStreamDefaultWriter<Uint8Array>, head: RequestHead, response: H3Response): Promise<void> {
  const fields: FieldLine[] = [[':status', String(response.status)]];
  if (response.contentLength !== undefined) fields.push(['content-length', String(response.contentLength)]);
  if (response.fields) fields.push(...response.fields);
  await w.ready;
  w.write(encodeFrame(FrameType.HEADERS, encodeFieldSection(fields))).catch(noop);
  if (response.body && !hasNoContent(head.method, response.status)) {
    let sent = 0;
    for await (const chunk of response.body) {
      if (chunk.length === 0) continue;
      sent += chunk.length;
      if (response.contentLength !== undefined && sent > response.contentLength) throw new RangeError('body longer than content-length');
      await w.ready;
      w.write(encodeFrameHeader(FrameType.DATA, chunk.length)).catch(noop);
      w.write(chunk).catch(noop);
    }
    if (response.contentLength !== undefined && sent !== response.contentLength) throw new RangeError('body shorter than content-length');
  }
  await w.close();
}

