/**
 * @module h3/client
 * The client side of HTTP/3 request streams (RFC 9114 §4.1, §6.1): one
 * request per client-initiated bidirectional stream (HEADERS, then FIN),
 * interim responses skipped, the final response's content delivered as a
 * pull-based `ReadableStream` that checks framing, trailers and
 * Content-Length as it goes.
 */
import { StreamByteReader } from '../byte-reader.js';
import { decodeFieldSection, encodeFieldSection, type FieldLine, fieldSectionSize } from '../qpack/field-section.js';
import type { Session } from '../session.js';
import { StreamError } from '../session.js';
import { H3Connection, type H3Options, type RequestStream } from './connection.js';
import { connectionError, H3ErrorCode, streamError } from './errors.js';
import { classifyFrame, readFrameHeader, readFramePayload, readPayloadChunk, skipFramePayload } from './frame-reader.js';
import { encodeFrame, FrameType, SettingId } from './frames.js';
import { contentLengthOf, parseResponseHead, parseTrailers } from './message.js';

export interface H3RequestTarget {
  readonly authority: string;
  /** Path and query, starting with "/". */
  readonly path: string;
  readonly scheme?: string;
  readonly method?: 'GET' | 'HEAD';
  /** Extra regular fields (lowercase names). */
  readonly fields?: readonly FieldLine[];
}

export interface H3ClientResponse {
  readonly status: number;
  readonly fields: readonly FieldLine[];
  readonly contentLength: number | undefined;
  /** The content; errors with an `H3Error` for a malformed response, or with the peer's reset reason. */
  readonly body: ReadableStream<Uint8Array>;
  /** Trailer fields, once `body` has ended. */
  readonly trailers: () => readonly FieldLine[];
}

const noop = (): void => undefined;
const MAX_CHUNK = 64 * 1024;

export class H3Client {
  private constructor(readonly connection: H3Connection) {}

  /** Starts HTTP/3 as a client on a session whose ALPN is h3. */
  static open(session: Session, options: H3Options = {}): H3Client {
    return new H3Client(H3Connection.open(session, 'client', options));
  }

  /** Closes the connection with H3_NO_ERROR. */
  close(reason = ''): void {
    this.connection.close(reason);
  }

  /** Sends a request and resolves with the final response head; the content follows in `body`. */
  async request(target: H3RequestTarget): Promise<H3ClientResponse> {
    const conn = this.connection;
    if (conn.closing) throw new Error('HTTP/3 connection is closed');
    // RFC 9114 §5.2: after GOAWAY a client does not send new requests on the connection.
    if (conn.goawayId !== undefined) throw new Error('server sent GOAWAY');
    const method = target.method ?? 'GET';
    const fields: FieldLine[] = [
      [':method', method],
      [':scheme', target.scheme ?? 'https'],
      [':authority', target.authority],
      [':path', target.path],
      ...(target.fields ?? []),
    ];
    checkPeerLimit(conn, fields);
    const bidi = await conn.session.createBidirectionalStream();
    const stream: RequestStream = { reader: new StreamByteReader(bidi.readable), writer: bidi.writable.getWriter() };
    stream.writer.closed.catch(noop);
    await stream.writer.write(encodeFrame(FrameType.HEADERS, encodeFieldSection(fields)));
    // RFC 9114 §4.1: after sending a request, a client MUST close the stream for sending. A STOP_SENDING
    // from a server that already answered must not cost us the response, so this is not awaited.
    stream.writer.close().catch(noop);
    let head;
    try {
      head = await readResponseHead(conn, stream.reader);
    } catch (e) {
      conn.streamFailed(e, stream);
      throw e;
    }
    const noContent = method === 'HEAD' || head.status === 204 || head.status === 304;
    const contentLength = contentLengthOf(head.fields);
    const body = new ResponseBody(conn, stream, noContent ? 0 : contentLength, noContent);
    return {
      status: head.status,
      fields: head.fields,
      contentLength,
      body: body.stream,
      trailers: () => body.trailers,
    };
  }
}

/** RFC 9114 §4.2.2: do not send a header section above the peer's advertised limit. */
function checkPeerLimit(conn: H3Connection, fields: readonly FieldLine[]): void {
  const limit = conn.receivedSettings?.get(BigInt(SettingId.MAX_FIELD_SECTION_SIZE));
  if (limit !== undefined && BigInt(fieldSectionSize(fields)) > limit) {
    throw new RangeError(`request header section exceeds the server's limit of ${limit} bytes`);
  }
}

/** Frames up to the final response's HEADERS, skipping interim (1xx) responses. */
async function readResponseHead(conn: H3Connection, r: StreamByteReader): Promise<{ status: number; fields: readonly FieldLine[] }> {
  const { maxFieldSectionSize } = conn.options;
  for (;;) {
    const header = await readFrameHeader(r);
    if (header === undefined) throw streamError(H3ErrorCode.H3_MESSAGE_ERROR, 'response stream ended before a final response');
    const kind = classifyFrame(header.type, 'request', 'client');
    if (kind === 'ignore') {
      await skipFramePayload(r, header);
      continue;
    }
    // RFC 9114 §7.2.5: a push ID above what we advertised (we never sent MAX_PUSH_ID) is H3_ID_ERROR.
    if (kind === 'push-promise') throw connectionError(H3ErrorCode.H3_ID_ERROR, 'PUSH_PROMISE without MAX_PUSH_ID');
    // RFC 9114 §4.1: DATA before HEADERS (interim responses have no content) is H3_FRAME_UNEXPECTED.
    if (kind !== 'headers') throw connectionError(H3ErrorCode.H3_FRAME_UNEXPECTED, `${kind} frame before the response HEADERS`);
    const payload = await readFramePayload(r, header, 2 * maxFieldSectionSize, () =>
      streamError(H3ErrorCode.H3_MESSAGE_ERROR, `HEADERS frame of ${header.length} bytes`),
    );
    const head = parseResponseHead(decodeFieldSection(payload, { maxFieldSectionSize }));
    if (head.status === 101) throw streamError(H3ErrorCode.H3_MESSAGE_ERROR, '101 is not allowed in HTTP/3');
    if (head.status >= 200) return head;
  }
}

/** The content of a response as a pull source: one read, at most one DATA chunk. */
class ResponseBody {
  readonly stream: ReadableStream<Uint8Array>;
  trailers: readonly FieldLine[] = [];
  #inFrame = 0; // bytes of the current DATA frame not yet read
  #received = 0;
  #afterTrailers = false;

  constructor(
    readonly conn: H3Connection,
    readonly request: RequestStream,
    readonly expected: number | undefined,
    readonly noContent: boolean,
  ) {
    this.stream = new ReadableStream<Uint8Array>(
      {
        pull: (controller) => this.#pull(controller),
        cancel: () => {
          conn.streamFailed(new StreamError(BigInt(H3ErrorCode.H3_REQUEST_CANCELLED), 'response body cancelled'), request);
        },
      },
      { highWaterMark: 0 },
    );
  }

  async #pull(controller: ReadableStreamDefaultController<Uint8Array>): Promise<void> {
    try {
      const chunk = await this.#next();
      if (chunk === undefined) controller.close();
      else controller.enqueue(chunk);
    } catch (e) {
      this.conn.streamFailed(e, this.request);
      controller.error(e);
    }
  }

  async #next(): Promise<Uint8Array | undefined> {
    const r = this.request.reader;
    const { maxFieldSectionSize } = this.conn.options;
    for (;;) {
      if (this.#inFrame > 0) {
        const chunk = await readPayloadChunk(r, Math.min(this.#inFrame, MAX_CHUNK));
        this.#inFrame -= chunk.length;
        this.#received += chunk.length;
        // RFC 9114 §4.1.2: more content than Content-Length is malformed.
        if (this.expected !== undefined && this.#received > this.expected) {
          throw streamError(H3ErrorCode.H3_MESSAGE_ERROR, `more content than content-length ${this.expected}`);
        }
        return chunk;
      }
      const header = await readFrameHeader(r);
      if (header === undefined) {
        if (this.expected !== undefined && this.#received !== this.expected) {
          throw streamError(H3ErrorCode.H3_MESSAGE_ERROR, `content-length ${this.expected}, ${this.#received} bytes received`);
        }
        return undefined;
      }
      const kind = classifyFrame(header.type, 'request', 'client');
      if (kind === 'ignore') {
        await skipFramePayload(r, header);
        continue;
      }
      if (kind === 'push-promise') throw connectionError(H3ErrorCode.H3_ID_ERROR, 'PUSH_PROMISE without MAX_PUSH_ID');
      // RFC 9114 §4.1: HEADERS or DATA after the trailing HEADERS, or an additional response, is invalid.
      if (this.#afterTrailers) throw connectionError(H3ErrorCode.H3_FRAME_UNEXPECTED, `${kind} frame after trailers`);
      if (kind === 'data') {
        if (this.noContent && header.length > 0) throw streamError(H3ErrorCode.H3_MESSAGE_ERROR, 'content in a response without content');
        this.#inFrame = header.length;
        continue;
      }
      const payload = await readFramePayload(r, header, 2 * maxFieldSectionSize, () =>
        streamError(H3ErrorCode.H3_MESSAGE_ERROR, `trailer HEADERS frame of ${header.length} bytes`),
      );
      this.trailers = parseTrailers(decodeFieldSection(payload, { maxFieldSectionSize }));
      this.#afterTrailers = true;
    }
  }
}
