/**
 * @module stream-header
 * The header of a WebTransport data stream (draft-ietf-webtrans-http3 §4.1,
 * §4.2): after the unidirectional stream type 0x54 or the bidirectional
 * signal 0x41 (which @tsquic/http3's extension seam reads and writes), the
 * session ID as a QUIC varint (RFC 9000 §16). A session ID is the stream ID
 * of the session's CONNECT stream, so it must name a client-initiated
 * bidirectional stream (§4: otherwise H3_ID_ERROR on the connection).
 * `SessionIdReader` is a sans-IO push decoder: bytes in any fragmentation in,
 * the ID and the payload bytes that followed it out.
 */

/** §4.1: the HTTP/3 unidirectional stream type of WebTransport streams. */
export const WEBTRANSPORT_UNI_STREAM_TYPE = 0x54n;
/** §4.2: the signal value that opens a bidirectional WebTransport stream (WT_STREAM). */
export const WEBTRANSPORT_BIDI_SIGNAL = 0x41n;

/** RFC 9000 §2.1: client-initiated bidirectional stream IDs are 0 mod 4. */
export function isValidSessionId(id: bigint): boolean {
  return id >= 0n && id % 4n === 0n;
}

/** The session ID as a varint (RFC 9000 §16), in its shortest form. */
export function encodeSessionId(id: bigint): Uint8Array {
  if (id < 0n || id >= 1n << 62n) throw new RangeError(`session ID out of range: ${id}`);
  const length = id < 0x40n ? 1 : id < 0x4000n ? 2 : id < 0x40000000n ? 4 : 8;
  const out = new Uint8Array(length);
  let v = id;
  for (let i = length - 1; i >= 0; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  out[0]! |= [0, 0, 0x40, 0, 0x80, 0, 0, 0, 0xc0][length]!;
  return out;
}

/** Reads the session ID at the start of a stream's data, pushed in pieces of any size. */
export class SessionIdReader {
  #bytes: number[] = [];
  #length = 0;

  /**
   * The next bytes of the stream: once they complete the varint, the ID and
   * the bytes after it (payload, possibly empty); before that, undefined.
   */
  push(chunk: Uint8Array): { sessionId: bigint; rest: Uint8Array } | undefined {
    for (let i = 0; i < chunk.length; i++) {
      if (this.#bytes.length === 0) this.#length = 1 << (chunk[i]! >> 6);
      this.#bytes.push(chunk[i]!);
      if (this.#bytes.length === this.#length) {
        let id = BigInt(this.#bytes[0]! & 0x3f);
        for (let k = 1; k < this.#length; k++) id = (id << 8n) | BigInt(this.#bytes[k]!);
        return { sessionId: id, rest: chunk.subarray(i + 1) };
      }
    }
    return undefined;
  }
}

/** A stream positioned after its session ID: the bytes already read past it, and the reader for the rest. */
export interface AfterSessionId {
  readonly sessionId: bigint;
  readonly head: Uint8Array;
  readonly reader: ReadableStreamDefaultReader<Uint8Array>;
}

/**
 * Reads the session ID from the front of `readable`; undefined when the
 * stream ends (or is reset) before the ID is complete.
 */
export async function readSessionId(readable: ReadableStream<Uint8Array>): Promise<AfterSessionId | undefined> {
  const reader = readable.getReader();
  const ids = new SessionIdReader();
  for (;;) {
    let next;
    try {
      next = await reader.read();
    } catch {
      return undefined;
    }
    if (next.done) return undefined;
    const got = ids.push(next.value);
    if (got) return { sessionId: got.sessionId, head: got.rest, reader };
  }
}
