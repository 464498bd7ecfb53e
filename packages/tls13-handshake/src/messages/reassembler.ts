/**
 * @module messages/reassembler
 * Handshake message framing across any fragmentation (RFC 8446 §5.1: messages
 * may be split across records / CRYPTO frames and coalesced): bytes in,
 * whole `msg_type ‖ uint24 length ‖ body` messages out, with a size bound.
 */
import { AlertDescription, fail } from '../alert.js';

export interface RawMessage {
  msgType: number;
  body: Uint8Array;
  /** The whole message with its header, as hashed into the transcript. */
  raw: Uint8Array;
}

export class Reassembler {
  private buf = new Uint8Array(0);
  constructor(private readonly maxBytes: number) {}

  get pending(): number {
    return this.buf.length;
  }

  /** Appends `bytes` and returns every complete message now available. */
  push(bytes: Uint8Array): RawMessage[] {
    if (this.buf.length + bytes.length > this.maxBytes) {
      // RFC 9001 §4.1.3-like bound: a flight larger than we accept → alert.
      fail(AlertDescription.unexpected_message, 'handshake buffer limit exceeded');
    }
    const joined = new Uint8Array(this.buf.length + bytes.length);
    joined.set(this.buf);
    joined.set(bytes, this.buf.length);
    const out: RawMessage[] = [];
    let off = 0;
    while (joined.length - off >= 4) {
      const len = (joined[off + 1]! << 16) | (joined[off + 2]! << 8) | joined[off + 3]!;
      // Never wait for a message we would refuse to buffer anyway.
      if (4 + len > this.maxBytes) fail(AlertDescription.unexpected_message, 'handshake message exceeds the buffer limit');
      if (joined.length - off < 4 + len) break;
      const raw = joined.subarray(off, off + 4 + len);
      out.push({ msgType: raw[0]!, body: raw.subarray(4), raw });
      off += 4 + len;
    }
    this.buf = joined.slice(off);
    return out;
  }
}
