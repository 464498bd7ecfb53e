/**
 * @module message-io
 * The Web Streams shell around one HTTP message on a request stream
 * (RFC 9114 §4.1): `MessageReader` pulls the stream's bytes through
 * `MessageFraming` and QPACK and yields header sections and content with
 * back-pressure (nothing is read from QUIC before the application asks, so
 * flow control throttles the peer); `MessageWriter` sends HEADERS, DATA and
 * trailers, waiting on the writer's `ready` (the transport's send buffer).
 */
import { encodeFrameHeader, FrameType, type Role } from './frames.js';
import { MessageFraming } from './request-stream.js';
import { varintLength, writeVarint } from './varint.js';
import type { FieldLine } from './qpack/index.js';
import type { StreamReader, StreamWriter } from './session.js';

/** What a message reader needs from its connection: QPACK for this stream. */
export interface SectionCodec {
  /** Decodes a header section received on `streamId` (waits while it is blocked, RFC 9204 §2.1.2). */
  decodeSection(streamId: bigint, section: Uint8Array): Promise<FieldLine[]> | FieldLine[];
  /** Encodes a header section for `streamId` (encoder-stream instructions are sent first). */
  encodeSection(streamId: bigint, fields: readonly FieldLine[]): Uint8Array;
  readonly maxHeadersFrameSize: number;
}

export type MessagePart = { readonly kind: 'headers'; readonly fields: FieldLine[] } | { readonly kind: 'data'; readonly chunk: Uint8Array } | { readonly kind: 'end' };

const END: MessagePart = { kind: 'end' };
const headersPart = (fields: FieldLine[]): MessagePart => ({ kind: 'headers', fields });

export class MessageReader {
  readonly framing: MessageFraming;
  readonly #reader: StreamReader;
  #done = false;

  constructor(
    readonly codec: SectionCodec,
    readonly streamId: bigint,
    /** The stream's readable, or a reader of it (quic-transport's direct one). */
    source: ReadableStream<Uint8Array> | StreamReader,
    receiver: Role,
    /** Bytes already read off the stream (after a peeked first varint). */
    head?: Uint8Array,
  ) {
    this.framing = new MessageFraming(receiver, codec); // the codec carries the connection's maxHeadersFrameSize
    this.#reader = source instanceof ReadableStream ? source.getReader() : source;
    if (head && head.length > 0) this.framing.feed(head);
  }

  /** True once the stream's FIN has been read and checked. */
  get done(): boolean {
    return this.#done;
  }

  /**
   * The next header section, content chunk or the end. Rejects with
   * `Http3Error` or the transport's reset reason. Written with `then`, not
   * as an async function: a request's reads are most of what its reader
   * allocates, and a part already at hand takes one promise.
   */
  read(): Promise<MessagePart> {
    try {
      for (let e = this.framing.next(); e; e = this.framing.next()) {
        if (e.kind === 'data') {
          if (e.chunk.length > 0) return Promise.resolve(e);
        } else if (e.kind === 'frame') {
          const fields = this.codec.decodeSection(this.streamId, e.payload);
          return fields instanceof Promise ? fields.then(headersPart) : Promise.resolve(headersPart(fields));
        }
      }
      return this.#done ? Promise.resolve(END) : this.#reader.read().then(this.#fed);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /** The stream's next bytes (or its end) given to the framing, then the next part. */
  readonly #fed = (r: ReadableStreamReadResult<Uint8Array>): MessagePart | Promise<MessagePart> => {
    if (r.done) {
      this.#done = true;
      this.framing.finish();
      return END;
    }
    this.framing.feed(r.value);
    return this.read();
  };

  /** Stops reading (STOP_SENDING with `reason.code`); never rejects. */
  cancel(reason: unknown): void {
    this.#done = true;
    this.#reader.cancel(reason).catch(() => undefined);
  }
}

const noop = (): void => undefined;

/**
 * Frames up to this size are cut from a shared slab instead of each getting
 * an ArrayBuffer of its own (a small response's HEADERS+DATA: an
 * ArrayBuffer costs about a microsecond to make and collect on Node 20, a
 * view a fifth of that) — Node's own pool for small Buffers, in Web
 * terms. quic-transport keeps a written chunk as it is until acknowledged
 * and never transfers its buffer; a slab region is written once and never
 * reused, so a view stays intact however long it is kept, and a slab is
 * freed once its last view is acknowledged (at most 8 KiB held per small
 * frame still unacknowledged, as with Node's pool).
 */
const SLAB_MAX = 512;
const SLAB_SIZE = 8 * 1024;
let slab = new Uint8Array(SLAB_SIZE);
let slabUsed = 0;

function slabBuffer(length: number): Uint8Array {
  if (length > SLAB_MAX) return new Uint8Array(length);
  if (slabUsed + length > SLAB_SIZE) {
    slab = new Uint8Array(SLAB_SIZE);
    slabUsed = 0;
  }
  return slab.subarray(slabUsed, (slabUsed += length));
}

/** Largest chunk copied next to its DATA frame header (one write instead of two). */
const COALESCE_MAX = 16 * 1024;

export class MessageWriter {
  readonly writer: StreamWriter;

  constructor(
    readonly codec: SectionCodec,
    readonly streamId: bigint,
    /** The stream's writable, or a writer of it (quic-transport's direct one). */
    sink: WritableStream<Uint8Array> | StreamWriter,
  ) {
    if (sink instanceof WritableStream) {
      this.writer = sink.getWriter();
      this.writer.closed.catch(noop);
    } else {
      this.writer = sink; // a direct writer makes its `closed` when asked (and marks it handled)
      this.#direct = true;
    }
  }

  /** Writing to a direct writer (quic-transport's, which never transfers a chunk's buffer): small frames may share a slab. */
  readonly #direct: boolean = false;

  /** A buffer for one write: a small one cut from the shared slab when the writer is direct, otherwise its own. */
  #buffer(length: number): Uint8Array {
    return this.#direct ? slabBuffer(length) : new Uint8Array(length);
  }

  /**
   * A HEADERS frame (header or trailer section). `data`, when given, follows
   * as one DATA frame — in the same write (one buffer, frame headers written
   * in place) when it is small, so a small response is one write. Returns
   * nothing when everything was written at once (no promise to wait on).
   */
  headers(fields: readonly FieldLine[], data?: Uint8Array): Promise<void> | undefined {
    const section = this.codec.encodeSection(this.streamId, fields);
    const small = data !== undefined && data.length > 0 && data.length <= COALESCE_MAX ? data : undefined;
    const headersLength = varintLength(FrameType.HEADERS) + varintLength(section.length) + section.length;
    const out = this.#buffer(headersLength + (small ? varintLength(FrameType.DATA) + varintLength(small.length) + small.length : 0));
    out.set(section, writeVarint(out, writeVarint(out, 0, FrameType.HEADERS), section.length));
    if (small) out.set(small, writeVarint(out, writeVarint(out, headersLength, FrameType.DATA), small.length));
    const rest = data && !small ? data : undefined;
    if (!this.#room()) return this.writer.ready.then(() => this.#send(out, rest));
    return this.#send(out, rest);
  }

  /** Writes a HEADERS frame built by `headers()`, then `rest` as a DATA frame. */
  #send(out: Uint8Array, rest: Uint8Array | undefined): Promise<void> | undefined {
    this.#write(out);
    return rest ? this.data(rest) : undefined;
  }

  /** One DATA frame (RFC 9114 §7.2.1); waits for room in the send buffer first. */
  async data(chunk: Uint8Array): Promise<void> {
    if (chunk.length === 0) return;
    if (!this.#room()) await this.writer.ready;
    const header = encodeFrameHeader(FrameType.DATA, chunk.length);
    if (chunk.length <= COALESCE_MAX) {
      const out = this.#buffer(header.length + chunk.length);
      out.set(header, 0);
      out.set(chunk, header.length);
      this.#write(out);
    } else {
      this.#write(header);
      this.#write(chunk);
    }
  }

  /**
   * Queues a write whose outcome is seen through `ready` and `close()`. A direct writer's promises are
   * already marked handled (quic-transport's STREAM_IO contract): no reaction, no microtask per write.
   */
  #write(chunk: Uint8Array): void {
    const p = this.writer.write(chunk);
    if (!this.#direct) p.catch(noop);
  }

  /** Whether `ready` has settled with room to write: no turn spent awaiting it then (a small response's only write). */
  #room(): boolean {
    const size = this.writer.desiredSize;
    return size !== null && size > 0;
  }

  /** FIN, once everything queued was accepted; rejects if the stream was reset or stopped. */
  close(): Promise<void> {
    return this.writer.close();
  }

  /** RESET_STREAM with `reason.code`; never rejects. */
  abort(reason: unknown): void {
    this.writer.abort(reason).catch(noop);
  }
}
