/**
 * @module core/packet-builder
 * The one way a packet is made (quinn's `PacketBuilder`, aioquic's
 * `start_packet`/`end_packet`): `PacketBuilder.start` writes the long
 * (RFC 9000 §17.2) or short (§17.3) header with the shortest packet number
 * encoding that the largest acknowledged allows (§17.1), frames go into
 * `w`, and `finish` pads — to the 4 bytes the header-protection sample needs
 * (RFC 9001 §5.4.2), and to a datagram size when asked (Initials, §14.1;
 * probes and path responses) — patches the Length field, seals the payload
 * in place (RFC 9001 §5.3) and applies header protection (§5.4). Every
 * packet goes through it: handshake and 1-RTT packets, PMTU probes, path
 * responses, CONNECTION_CLOSE, and the forged packets of the tests.
 */
import type { HeaderKey, PacketKey } from '@tsquic/quic-crypto-keys';
import { packetNumberLength, patchLength, truncatePacketNumber, writeLongHeader, writeShortHeader, Writer, type HeaderOffsets, type QuicVersion } from '@tsquic/quic-wire';

/** The AEAD tag every packet ends with (RFC 9001 §5.3). */
export const TAG = 16;

/** The packet types: the long-header ones, and '1rtt' (short header). */
export type PacketKind = 'initial' | 'handshake' | '0rtt' | '1rtt';

/** What a packet is sealed with: a packet key and a header key (RFC 9001 §5). */
export interface SealingKeys {
  packet: PacketKey;
  header: HeaderKey;
}

export interface PacketHeaderSpec {
  kind: PacketKind;
  version: QuicVersion;
  dcid: Uint8Array;
  /** Long headers only. */
  scid?: Uint8Array;
  /** Initial packets only (RFC 9000 §17.2.2). */
  token?: Uint8Array;
  pn: number;
  /** The largest packet number the peer acknowledged in this space (-1: none), for the encoding length (§17.1). */
  largestAcked: number;
  /** Short headers: the Key Phase bit (RFC 9001 §6). */
  keyPhase?: boolean;
  /** Force the packet-number length (tests; 1–4). */
  pnLength?: 1 | 2 | 3 | 4;
}

export class PacketBuilder {
  /** Frames are written here; it ends TAG bytes before the room, so the tag always fits. */
  readonly w: Writer;
  /** Where the payload (frames) starts. */
  readonly payloadStart: number;

  private constructor(
    private readonly buf: Uint8Array,
    private readonly start: number,
    readonly pn: number,
    private readonly pnOffset: number,
    private readonly pnLength: number,
    private readonly length: HeaderOffsets | undefined,
    private readonly keys: SealingKeys,
    w: Writer,
  ) {
    this.w = w;
    this.payloadStart = w.pos;
  }

  /**
   * Start a packet at `buf[start]` with `room` bytes at most (tag included);
   * null when not even the header, 4 bytes of payload and the tag fit.
   */
  static start(buf: Uint8Array, start: number, room: number, h: PacketHeaderSpec, keys: SealingKeys): PacketBuilder | null {
    const pnLength = h.pnLength ?? packetNumberLength(h.pn, h.largestAcked < 0 ? undefined : h.largestAcked);
    const headerSize = h.kind === '1rtt' ? 1 + h.dcid.length + pnLength : 7 + h.dcid.length + (h.scid?.length ?? 0) + (h.kind === 'initial' ? 8 + (h.token?.length ?? 0) : 0) + 2 + pnLength;
    if (room < headerSize + 4 + TAG) return null;
    const w = new Writer(buf, start, start + room - TAG);
    const truncatedPn = truncatePacketNumber(h.pn, pnLength);
    if (h.kind === '1rtt') {
      const pnOffset = writeShortHeader(w, { dcid: h.dcid, pnLength, truncatedPn, keyPhase: h.keyPhase === true });
      return new PacketBuilder(buf, start, h.pn, pnOffset, pnLength, undefined, keys, w);
    }
    const offsets = writeLongHeader(w, { type: h.kind, version: h.version, dcid: h.dcid, scid: h.scid ?? new Uint8Array(0), ...(h.kind === 'initial' && h.token ? { token: h.token } : {}), pnLength, truncatedPn });
    return new PacketBuilder(buf, start, h.pn, offsets.pnOffset, pnLength, offsets, keys, w);
  }

  /** Payload bytes written so far. */
  get payloadLength(): number {
    return this.w.pos - this.payloadStart;
  }

  /** Bytes this packet would take if finished now without padding (tag included). */
  get size(): number {
    return this.w.pos + TAG - this.start;
  }

  /**
   * Pad (PADDING frames, RFC 9000 §19.1), seal and protect; returns the
   * packet's end in the buffer. `datagramEnd`: pad until the packet ends at
   * least there (as far as the room allows). Returns the padding written too.
   */
  finish(datagramEnd = 0): { end: number; padding: number } {
    const w = this.w;
    // RFC 9001 §5.4.2: the sample starts 4 bytes after the packet number: pn + payload >= 4 bytes.
    let padding = Math.max(0, 4 - this.pnLength - this.payloadLength, datagramEnd - TAG - w.pos);
    padding = Math.min(padding, w.remaining);
    if (padding > 0) w.zeros(padding);
    const payloadEnd = w.pos;
    if (this.length) patchLength(this.buf, this.length, payloadEnd - this.pnOffset + TAG);
    this.keys.packet.sealInPlace(this.pn, this.buf, this.start, this.payloadStart, payloadEnd);
    const end = payloadEnd + TAG;
    this.keys.header.protect(this.buf.subarray(this.start, end), this.pnOffset - this.start);
    return { end, padding };
  }
}
