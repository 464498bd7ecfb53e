/**
 * @module test/streams/memory-link
 * An in-memory DatagramSocket pair for the streams shell's tests: what one
 * end sends arrives at the other on a later turn of the event loop.
 */
import type { DatagramSocket, SocketAddress } from '../../src/streams/index.js';

/** One end of an in-memory datagram link; what it sends arrives at its peer on a later turn of the event loop. */
export class MemorySocket implements DatagramSocket {
  peer: MemorySocket | undefined;
  private receive: ((data: Uint8Array, from: SocketAddress) => void) | undefined;
  closed = false;
  sent = 0;
  constructor(readonly localAddress: SocketAddress) {}
  send(data: Uint8Array, _to: SocketAddress, sent?: (err?: Error | null) => void): void {
    this.sent++;
    const copy = data.slice();
    setImmediate(() => {
      sent?.(null);
      if (this.peer && !this.peer.closed) this.peer.receive?.(copy, this.localAddress);
    });
  }
  onDatagram(receive: (data: Uint8Array, from: SocketAddress) => void): void {
    this.receive = receive;
  }
  close(): void {
    this.closed = true;
  }
}

export function socketPair(): [MemorySocket, MemorySocket] {
  const a = new MemorySocket({ address: '192.0.2.1', port: 1111 });
  const b = new MemorySocket({ address: '192.0.2.2', port: 2222 });
  a.peer = b;
  b.peer = a;
  return [a, b];
}
