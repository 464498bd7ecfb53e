/**
 * @module h3/connection
 * The connection-wide part of an HTTP/3 endpoint (RFC 9114 §3.2, §6.2, §8;
 * RFC 9204 §4.2): it opens our control stream (SETTINGS first) and our QPACK
 * encoder and decoder streams, reads the peer's unidirectional streams
 * (control, QPACK, push, unknown), enforces the one-of-each and never-close
 * rules of the critical streams, and is the one place where an `H3Error`
 * becomes a connection close or a stream reset. Requests and responses live
 * in `h3/client` and `h3/server`.
 */
import { StreamByteReader } from '../byte-reader.js';
import { DecoderStreamReceiver, EncoderStreamReceiver } from '../qpack/instructions.js';
import { type Session, StreamError } from '../session.js';
import { encodeVarint } from '../varint.js';
import { connectionError, H3Error, H3ErrorCode } from './errors.js';
import { classifyFrame, readFrameHeader, readFramePayload, type Role, skipFramePayload } from './frame-reader.js';
import { decodeIdPayload, decodeSettings, encodeFrame, encodeSettings, FrameType, type Settings, SettingId } from './frames.js';
import { CRITICAL_STREAM_NAMES, StreamType } from './stream-types.js';

export interface H3Options {
  /** Our SETTINGS_MAX_FIELD_SECTION_SIZE, enforced on every field section we decode (default 64 KiB). */
  readonly maxFieldSectionSize?: number;
  /** Largest control-stream frame payload we accept; above it H3_EXCESSIVE_LOAD (default 16 KiB). */
  readonly maxControlFrameSize?: number;
  /** Add a reserved 0x1f * N + 0x21 setting to our SETTINGS (RFC 9114 §7.2.4.1 SHOULD; default true). */
  readonly grease?: boolean;
}

export interface ResolvedH3Options {
  readonly maxFieldSectionSize: number;
  readonly maxControlFrameSize: number;
  readonly grease: boolean;
}

/** The reserved setting we send: 0x1f * 2 + 0x21 = 0x5f (any value has no meaning). */
const GREASE_SETTING = 0x1f * 2 + 0x21;

const noop = (): void => undefined;

/** One request stream as a handler holds it: our reader of it and our writer to it. */
export interface RequestStream {
  readonly reader: StreamByteReader;
  readonly writer: WritableStreamDefaultWriter<Uint8Array>;
}

export class H3Connection {
  readonly options: ResolvedH3Options;
  /** Settles with the peer's SETTINGS (RFC 9114 §7.2.4), or rejects if the connection ends first. */
  readonly peerSettings: Promise<Settings>;
  #resolveSettings!: (s: Settings) => void;
  #rejectSettings!: (e: unknown) => void;
  #received: Settings | undefined;
  #closing = false;
  #error: H3Error | undefined;
  readonly #peerCritical = new Set<number>();
  #goaway: bigint | undefined;
  #maxPushId: bigint | undefined;
  readonly #ownStreams: WritableStreamDefaultWriter<Uint8Array>[] = [];

  private constructor(
    readonly session: Session,
    readonly role: Role,
    options: H3Options,
  ) {
    this.options = {
      maxFieldSectionSize: options.maxFieldSectionSize ?? 64 * 1024,
      maxControlFrameSize: options.maxControlFrameSize ?? 16 * 1024,
      grease: options.grease ?? true,
    };
    this.peerSettings = new Promise<Settings>((resolve, reject) => {
      this.#resolveSettings = resolve;
      this.#rejectSettings = reject;
    });
    this.peerSettings.catch(noop);
  }

  /** Starts HTTP/3 on a session whose ALPN is h3: opens our streams and reads the peer's. */
  static open(session: Session, role: Role, options: H3Options = {}): H3Connection {
    const c = new H3Connection(session, role, options);
    session.closed.then(
      () => c.#ended(undefined),
      (e: unknown) => c.#ended(e),
    );
    void c.#openOwnStreams();
    void c.#acceptUnidirectionalStreams();
    if (role === 'client') void c.#refuseBidirectionalStreams();
    return c;
  }

  /** The peer's SETTINGS once they have arrived. */
  get receivedSettings(): Settings | undefined {
    return this.#received;
  }

  /** The connection error we closed with, if we did. */
  get error(): H3Error | undefined {
    return this.#error;
  }

  /** True once the session is closed or closing. */
  get closing(): boolean {
    return this.#closing;
  }

  /** The last GOAWAY ID the peer sent (a stream ID from a server, a push ID from a client). */
  get goawayId(): bigint | undefined {
    return this.#goaway;
  }

  /** Graceful close (RFC 9114 §5.2: H3_NO_ERROR). */
  close(reason = ''): void {
    if (this.#closing) return;
    this.#closing = true;
    this.session.close({ closeCode: BigInt(H3ErrorCode.H3_NO_ERROR), reason });
  }

  /** Connection error (RFC 9114 §8): closes the session with the error's code; the first error wins. */
  fail(error: unknown): void {
    if (this.#closing) return;
    const h3 = H3Error.isInstance(error) ? error : new H3Error(H3ErrorCode.H3_INTERNAL_ERROR, 'connection', String(error));
    this.#error = h3;
    this.#closing = true;
    this.#rejectSettings(h3);
    this.session.close({ closeCode: BigInt(h3.code), reason: h3.message.slice(0, 200) });
  }

  /**
   * Handles a failure on a request stream: a connection-scoped `H3Error`
   * closes the connection; a stream-scoped one resets both directions of the
   * stream with its code (RFC 9114 §8); anything else (we cancelled, the peer
   * reset, the session went away) resets with H3_REQUEST_CANCELLED (§4.1.1),
   * which is a no-op on a stream that is already gone.
   */
  streamFailed(error: unknown, stream: RequestStream): void {
    if (H3Error.isInstance(error) && error.scope === 'connection') {
      this.fail(error);
      return;
    }
    const code = H3Error.isInstance(error) ? error.code : H3ErrorCode.H3_REQUEST_CANCELLED;
    const reason = new StreamError(BigInt(code), error instanceof Error ? error.message : String(error));
    void stream.reader.cancel(reason);
    stream.writer.abort(reason).catch(noop);
  }

  #ended(error: unknown): void {
    this.#closing = true;
    this.#rejectSettings(error ?? new Error('connection closed before SETTINGS'));
  }

  async #openOwnStreams(): Promise<void> {
    const settings: [number, number][] = [
      [SettingId.QPACK_MAX_TABLE_CAPACITY, 0], // RFC 9204 §5: no dynamic table, so no blocked streams and no encoder-stream state
      [SettingId.QPACK_BLOCKED_STREAMS, 0],
      [SettingId.MAX_FIELD_SECTION_SIZE, this.options.maxFieldSectionSize],
    ];
    if (this.options.grease) settings.push([GREASE_SETTING, 0x2a]);
    try {
      // RFC 9114 §6.2.1: SETTINGS as the first frame of our control stream, sent without waiting for the peer.
      await this.#openUnidirectional(StreamType.CONTROL, encodeFrame(FrameType.SETTINGS, encodeSettings(settings)));
      // RFC 9204 §4.2: the encoder and decoder streams stay open (and empty) for the life of the connection.
      await this.#openUnidirectional(StreamType.QPACK_ENCODER);
      await this.#openUnidirectional(StreamType.QPACK_DECODER);
    } catch (e) {
      if (!this.#closing) this.fail(e);
    }
  }

  async #openUnidirectional(type: number, first?: Uint8Array): Promise<void> {
    const writer = (await this.session.createUnidirectionalStream()).getWriter();
    this.#ownStreams.push(writer);
    writer.closed.catch(noop);
    const header = encodeVarint(type);
    await writer.write(first ? concat(header, first) : header);
  }

  async #acceptUnidirectionalStreams(): Promise<void> {
    const incoming = this.session.incomingUnidirectionalStreams.getReader();
    try {
      for (;;) {
        const { value, done } = await incoming.read();
        if (done) return;
        void this.#handleUnidirectionalStream(value);
      }
    } catch {
      // the session is gone; nothing more will arrive
    }
  }

  async #refuseBidirectionalStreams(): Promise<void> {
    const incoming = this.session.incomingBidirectionalStreams.getReader();
    try {
      const { done } = await incoming.read();
      // RFC 9114 §6.1: clients MUST treat a server-initiated bidirectional stream as H3_STREAM_CREATION_ERROR.
      if (!done) this.fail(connectionError(H3ErrorCode.H3_STREAM_CREATION_ERROR, 'server-initiated bidirectional stream'));
    } catch {
      // the session is gone
    }
  }

  async #handleUnidirectionalStream(readable: ReadableStream<Uint8Array>): Promise<void> {
    const r = new StreamByteReader(readable);
    let type: number | undefined;
    try {
      type = await r.readVarint();
    } catch {
      return; // RFC 9114 §6.2: a stream closed or reset before its header is tolerated
    }
    if (type === undefined) return;
    try {
      const critical = CRITICAL_STREAM_NAMES.get(type);
      if (critical !== undefined) {
        // RFC 9114 §6.2.1, RFC 9204 §4.2: a second control, encoder or decoder stream is H3_STREAM_CREATION_ERROR.
        if (this.#peerCritical.has(type)) throw connectionError(H3ErrorCode.H3_STREAM_CREATION_ERROR, `second ${critical} stream`);
        this.#peerCritical.add(type);
        await this.#readCriticalStream(type, r);
        // RFC 9114 §6.2.1, RFC 9204 §4.2: closing a critical stream is H3_CLOSED_CRITICAL_STREAM.
        throw connectionError(H3ErrorCode.H3_CLOSED_CRITICAL_STREAM, `peer closed its ${critical} stream`);
      }
      if (type === StreamType.PUSH) {
        // RFC 9114 §6.2.2: a client-initiated push stream; §4.6: a push stream although we never sent MAX_PUSH_ID.
        if (this.role === 'server') throw connectionError(H3ErrorCode.H3_STREAM_CREATION_ERROR, 'push stream from a client');
        throw connectionError(H3ErrorCode.H3_ID_ERROR, 'push stream without MAX_PUSH_ID');
      }
      // RFC 9114 §6.2, §9: unknown and reserved stream types: abort reading, never a connection error.
      await r.cancel(new StreamError(BigInt(H3ErrorCode.H3_STREAM_CREATION_ERROR), `unknown stream type 0x${type.toString(16)}`));
    } catch (e) {
      if (H3Error.isInstance(e)) this.fail(e);
      else if (CRITICAL_STREAM_NAMES.has(type)) {
        // The stream was reset (or the session is going away, in which case fail() does nothing).
        this.fail(connectionError(H3ErrorCode.H3_CLOSED_CRITICAL_STREAM, `peer reset its ${CRITICAL_STREAM_NAMES.get(type)} stream`));
      }
    }
  }

  /** Reads a critical stream until it ends (which the caller turns into an error). */
  async #readCriticalStream(type: number, r: StreamByteReader): Promise<void> {
    if (type === StreamType.CONTROL) return this.#readControlStream(r);
    const receiver = type === StreamType.QPACK_ENCODER ? new EncoderStreamReceiver() : new DecoderStreamReceiver();
    for (;;) {
      const chunk = await r.readChunk(4096);
      if (chunk === undefined) return;
      receiver.push(chunk);
    }
  }

  async #readControlStream(r: StreamByteReader): Promise<void> {
    const max = this.options.maxControlFrameSize;
    const tooLarge = (): H3Error => connectionError(H3ErrorCode.H3_EXCESSIVE_LOAD, `control frame above ${max} bytes`);
    const first = await readFrameHeader(r);
    if (first === undefined) return;
    // RFC 9114 §6.2.1: if the first frame of the control stream is any other frame type, H3_MISSING_SETTINGS.
    if (first.type !== FrameType.SETTINGS) throw connectionError(H3ErrorCode.H3_MISSING_SETTINGS, 'control stream does not start with SETTINGS');
    const settings = decodeSettings(await readFramePayload(r, first, max, tooLarge));
    this.#received = settings;
    this.#resolveSettings(settings);
    for (;;) {
      const header = await readFrameHeader(r);
      if (header === undefined) return;
      const kind = classifyFrame(header.type, 'control', this.role);
      if (kind === 'ignore') {
        await skipFramePayload(r, header);
        continue;
      }
      // RFC 9114 §7.2.4: a second SETTINGS frame is H3_FRAME_UNEXPECTED.
      if (kind === 'settings') throw connectionError(H3ErrorCode.H3_FRAME_UNEXPECTED, 'second SETTINGS frame');
      // GOAWAY, MAX_PUSH_ID and CANCEL_PUSH carry one varint: more than 8 bytes cannot be valid (§7.1).
      const payload = await readFramePayload(r, header, 8, () => connectionError(H3ErrorCode.H3_FRAME_ERROR, `${kind} payload too long`));
      const id = decodeIdPayload(payload, kind);
      if (kind === 'goaway') this.#onGoaway(id);
      else if (kind === 'max-push-id') this.#onMaxPushId(id);
      // RFC 9114 §7.2.3: we never promise (server) and never allow (client) a push, so any push ID is H3_ID_ERROR.
      else throw connectionError(H3ErrorCode.H3_ID_ERROR, `CANCEL_PUSH for push ID ${id}`);
    }
  }

  #onGoaway(id: bigint): void {
    // RFC 9114 §7.2.6: from a server, a client-initiated bidirectional stream ID; §5.2: never larger than before.
    if (this.role === 'client' && id % 4n !== 0n) throw connectionError(H3ErrorCode.H3_ID_ERROR, `GOAWAY with stream ID ${id}`);
    if (this.#goaway !== undefined && id > this.#goaway) throw connectionError(H3ErrorCode.H3_ID_ERROR, 'GOAWAY ID increased');
    this.#goaway = id;
  }

  #onMaxPushId(id: bigint): void {
    // RFC 9114 §7.2.7: a MAX_PUSH_ID frame cannot reduce the maximum push ID.
    if (this.#maxPushId !== undefined && id < this.#maxPushId) throw connectionError(H3ErrorCode.H3_ID_ERROR, 'MAX_PUSH_ID reduced');
    this.#maxPushId = id;
  }
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}
