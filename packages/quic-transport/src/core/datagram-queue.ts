/**
 * @module core/datagram-queue
 * Unreliable datagrams waiting to be sent (RFC 9221 §5): DATAGRAM frames go
 * once, never retransmitted, congestion controlled with their packet; a full
 * queue drops its oldest entry. And the largest payload one DATAGRAM frame
 * can carry to a peer (§3: within its max_datagram_frame_size and one
 * 1-RTT packet).
 */

export class DatagramQueue {
  readonly items: Uint8Array[] = [];

  constructor(private readonly limit: number) {}

  /** Queue `data`; beyond the limit the oldest waiting one is dropped (they are unreliable anyway). */
  push(data: Uint8Array): void {
    if (this.items.length >= this.limit) this.items.shift();
    this.items.push(data);
  }

  /**
   * The largest payload the peer accepts (0: none, or its transport
   * parameters are not known yet): the frame — type, Length varint,
   * payload — within `peerMax` and within one 1-RTT packet of
   * `datagramSize` bytes (short header with a `dcidLength`-byte DCID and
   * the longest packet number, AEAD tag).
   */
  static maxPayload(peerMax: number, datagramSize: number, dcidLength: number): number {
    if (peerMax === 0) return 0;
    const frameRoom = Math.min(peerMax, datagramSize - (1 + dcidLength + 4 + 16));
    return Math.max(0, frameRoom - 1 - (frameRoom - 1 > 16383 ? 4 : 2));
  }
}
