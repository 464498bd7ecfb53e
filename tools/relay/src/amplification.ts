/**
 * @module amplification
 * The anti-amplification limit seen from the path (RFC 9000 §8.1): until
 * a server has received a Handshake packet from the client, it may send at
 * most three times the bytes it has received. The meter is fed what the
 * relay actually delivered to the server and what the server sent, per
 * connection (per client binding), and reports the largest ratio reached,
 * as the runner's amplificationlimit test checks it in its pcap.
 * Packet types are read from the unprotected long-header bits (RFC 9000
 * §17.2; RFC 9369 §3.2 for v2's renumbered types), walking coalesced
 * packets by their Length field.
 */

const V2 = 0x6b3343cf;
/** Long-header type bits → name, per version (RFC 9000 §17.2, RFC 9369 §3.2). */
const LONG_TYPES: Readonly<Record<'v1' | 'v2', readonly LongType[]>> = {
  v1: ['initial', '0rtt', 'handshake', 'retry'],
  v2: ['retry', 'initial', '0rtt', 'handshake'],
};
export type LongType = 'initial' | '0rtt' | 'handshake' | 'retry';

/** RFC 9000 §16 variable-length integer at `at`: [value, length], or undefined past the end. */
function varint(d: Uint8Array, at: number): [number, number] | undefined {
  if (at >= d.length) return undefined;
  const len = 1 << (d[at]! >> 6);
  if (at + len > d.length) return undefined;
  let v = d[at]! & 0x3f;
  for (let i = 1; i < len; i++) v = v * 256 + d[at + i]!;
  return [v, len];
}

/** The long-header packet types in a datagram, in order (short-header and unparseable tails are ignored). */
export function longHeaderTypes(d: Uint8Array): LongType[] {
  const out: LongType[] = [];
  let at = 0;
  while (at + 7 <= d.length && (d[at]! & 0x80) !== 0) {
    const version = ((d[at + 1]! << 24) | (d[at + 2]! << 16) | (d[at + 3]! << 8) | d[at + 4]!) >>> 0;
    if (version === 0) break; // Version Negotiation
    const type = LONG_TYPES[version === V2 ? 'v2' : 'v1'][(d[at]! >> 4) & 3]!;
    out.push(type);
    if (type === 'retry') break;
    let p = at + 5;
    p += 1 + d[p]!; // DCID
    if (p >= d.length) break;
    p += 1 + d[p]!; // SCID
    if (type === 'initial') {
      const t = varint(d, p);
      if (!t) break;
      p += t[1] + t[0];
    }
    const l = varint(d, p);
    if (!l) break;
    at = p + l[1] + l[0];
  }
  return out;
}

export interface AmplificationReport {
  /** Bytes the server sent before it received the client's first Handshake packet. */
  serverBytes: number;
  /** Bytes delivered to the server in that time. */
  clientBytes: number;
  /** The largest serverBytes / clientBytes ratio reached (checked at every server datagram). */
  maxRatio: number;
  /** Whether a client Handshake packet reached the server. */
  handshakeReceived: boolean;
}

export class AmplificationMeter {
  private serverBytes = 0;
  private clientBytes = 0;
  private maxRatio = 0;
  private handshake = false;

  /** A datagram the relay delivered to the server. */
  toServer(d: Uint8Array): void {
    if (this.handshake) return;
    this.clientBytes += d.length;
    if (longHeaderTypes(d).includes('handshake')) this.handshake = true;
  }

  /** A datagram the server sent (as it reached the relay, before any impairment). */
  fromServer(d: Uint8Array): void {
    if (this.handshake) return;
    this.serverBytes += d.length;
    const r = this.clientBytes > 0 ? this.serverBytes / this.clientBytes : Infinity;
    if (r > this.maxRatio) this.maxRatio = r;
  }

  report(): AmplificationReport {
    return { serverBytes: this.serverBytes, clientBytes: this.clientBytes, maxRatio: this.maxRatio, handshakeReceived: this.handshake };
  }
}
