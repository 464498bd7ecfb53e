/**
 * @module request-stream
 * The frame sequence of one HTTP message on a request stream (RFC 9114
 * §4.1), sans-IO, for the endpoint receiving it: header section first
 * (after any number of interim 1xx responses, §4.1), then DATA, then at most
 * one trailer section, then nothing (§4.1: anything else is
 * H3_FRAME_UNEXPECTED); PUSH_PROMISE is H3_ID_ERROR for an endpoint that
 * never sent MAX_PUSH_ID (§7.2.5); unknown frame types are skipped (§9);
 * header sections are bounded (§4.2.2); content is counted against
 * Content-Length (§4.1.2). The shell feeds the stream's bytes, takes
 * events one at a time, and decodes the header sections with QPACK.
 */
import { connectionError, H3ErrorCode, type Http3Error, malformed, streamError } from './errors.js';
import { FrameDecoder, type FrameDisposition, type FrameEvent } from './frame-decoder.js';
import { classifyFrame, type Role } from './frames.js';

export type MessagePhase = 'head' | 'content' | 'trailers-received';

export interface MessageLimits {
  /** Largest encoded header or trailer section accepted (a HEADERS frame payload). */
  readonly maxHeadersFrameSize: number;
}

const SKIP: FrameDisposition = { action: 'skip' };
const STREAM: FrameDisposition = { action: 'stream' };

/** The disposition of a HEADERS frame under each limit in use (a connection's setting: a handful of values), made once per limit, not per message. */
const HEADERS_DISPOSITIONS = new Map<number, FrameDisposition>();

function headersDisposition(max: number): FrameDisposition {
  let d = HEADERS_DISPOSITIONS.get(max);
  if (!d) {
    d = { action: 'buffer', max, tooLarge: (): Http3Error => streamError(H3ErrorCode.H3_EXCESSIVE_LOAD, `HEADERS frame above ${max} bytes`) };
    if (HEADERS_DISPOSITIONS.size < 64) HEADERS_DISPOSITIONS.set(max, d);
  }
  return d;
}

export class MessageFraming {
  readonly #decoder: FrameDecoder;
  #phase: MessagePhase = 'head';
  #expected: number | undefined;
  #received = 0;
  #noContent = false;

  constructor(
    /** The endpoint receiving this message: a server reads requests, a client responses. */
    readonly receiver: Role,
    limits: MessageLimits,
  ) {
    const headers = headersDisposition(limits.maxHeadersFrameSize);
    this.#decoder = new FrameDecoder((type): FrameDisposition => {
      const kind = classifyFrame(type, 'request', receiver);
      if (kind === undefined) return SKIP;
      // RFC 9114 §7.2.5: a push ID above the maximum we allowed (we never sent MAX_PUSH_ID) is H3_ID_ERROR.
      if (kind === 'push-promise') throw connectionError(H3ErrorCode.H3_ID_ERROR, 'PUSH_PROMISE although no push was allowed');
      // RFC 9114 §4.1: DATA before the header section, or anything after the trailer section, is H3_FRAME_UNEXPECTED.
      if (this.#phase === 'trailers-received') throw connectionError(H3ErrorCode.H3_FRAME_UNEXPECTED, `${kind} frame after the trailer section`);
      if (kind === 'data') {
        if (this.#phase === 'head') throw connectionError(H3ErrorCode.H3_FRAME_UNEXPECTED, 'DATA frame before the header section');
        return STREAM;
      }
      return headers;
    });
  }

  get phase(): MessagePhase {
    return this.#phase;
  }

  /** Content bytes received so far. */
  get received(): number {
    return this.#received;
  }

  /** Gives the stream's next bytes (once `next()` returned undefined). */
  feed(chunk: Uint8Array): void {
    this.#decoder.feed(chunk);
  }

  /**
   * The next frame event from the bytes fed, or undefined when more are
   * needed: `frame` events are HEADERS (decode them, then call
   * `headersDone` before asking for the next event: it changes how the
   * following frames are judged), `data` events content (already counted).
   * Throws `Http3Error`.
   */
  next(): FrameEvent | undefined {
    const e = this.#decoder.next();
    if (e?.kind === 'data') {
      this.#received += e.chunk.length;
      // RFC 9114 §4.1.2: content beyond Content-Length is malformed; RFC 9110 §6.4.1: so is any content where none is allowed.
      if (this.#expected !== undefined && this.#received > this.#expected) throw malformed(`more content than content-length ${this.#expected}`);
      if (this.#noContent && e.chunk.length > 0) throw malformed('content in a message that cannot have any');
    }
    return e;
  }

  /**
   * A header section was decoded and validated: `interim` for a 1xx
   * response (another header section follows), `contentLength` when the
   * section carried one, `noContent` for responses that have no content
   * (to HEAD, 204, 304, RFC 9110 §6.4.1).
   */
  headersDone(info: { interim?: boolean; contentLength?: number | undefined; noContent?: boolean } = {}): void {
    if (this.#phase === 'content') {
      this.#phase = 'trailers-received';
      return;
    }
    if (info.interim) return;
    this.#phase = 'content';
    this.#expected = info.noContent ? undefined : info.contentLength;
    this.#noContent = info.noContent ?? false;
  }

  /**
   * The stream ended cleanly (FIN). RFC 9114 §7.1: a truncated frame is
   * H3_FRAME_ERROR; §4.1.2: content shorter than Content-Length is
   * malformed; a stream ending before the header section is
   * H3_REQUEST_INCOMPLETE (§4.1.1, §8.1).
   */
  finish(): void {
    this.#decoder.finish();
    if (this.#phase === 'head') throw streamError(H3ErrorCode.H3_REQUEST_INCOMPLETE, 'stream ended before a complete header section');
    if (this.#expected !== undefined && this.#received !== this.#expected) {
      throw malformed(`content-length ${this.#expected}, ${this.#received} bytes received`);
    }
  }
}
