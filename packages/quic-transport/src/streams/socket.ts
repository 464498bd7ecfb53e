/**
 * @module streams/socket
 * The datagram socket a QUIC endpoint runs over (DESIGN.md "The transport:
 * sans-IO core, thin shell"): send a datagram to an address, receive
 * datagrams with their source. `node:dgram` is one implementation
 * (node/endpoint.ts); a test's in-memory pair (test/streams/) or another
 * runtime's UDP API is another. Nothing here touches Node.
 */

/** An IP address (literal) and port. */
export interface SocketAddress {
  address: string;
  port: number;
}

/** What the endpoint needs of a UDP socket: send, receive, close, and optionally unref/ref (node:dgram, an in-memory pair, another runtime's UDP). */
export interface DatagramSocket {
  /** Where this socket is bound. */
  readonly localAddress: SocketAddress;
  /**
   * Send one datagram. `sent` (optional) runs once the socket no longer
   * needs `data` (the endpoint reuses large buffers then); an error there
   * counts as a lost datagram. Must not throw for a network error.
   */
  send(data: Uint8Array, to: SocketAddress, sent?: (err?: Error | null) => void): void;
  /** Deliver each incoming datagram (and its source) to `receive`; set once by the endpoint. */
  onDatagram(receive: (data: Uint8Array, from: SocketAddress) => void): void;
  /** Stop receiving and release the socket. */
  close(): void;
  /** Let the process exit while the socket is open (Node: `socket.unref()`), and undo it. */
  unref?(): void;
  /** Undo `unref()`: keep the process alive while the socket is open. */
  ref?(): void;
}
