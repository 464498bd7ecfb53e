/**
 * `@tsquic/quic-transport/streams`: QUIC over any datagram socket, with no
 * Node API — the endpoint shell (QuicSocketEndpoint), WebTransport-shaped
 * connections and Web Streams, and the DatagramSocket interface they run
 * over. `@tsquic/quic-transport`'s QuicEndpoint is this over `node:dgram`.
 *
 * @module @tsquic/quic-transport/streams
 */
export { QuicSocketEndpoint, parseTarget, type ConnectOptions, type EndpointShellOptions, type ListenOptions } from './endpoint.js';
export { QuicConnection, type CloseOptions, type Driver, type QuicDatagrams } from './connection.js';
export type { QuicBidirectionalStream } from './stream.js';
export { QuicConnectionError, QuicStreamError } from './errors.js';
export type { DatagramSocket, SocketAddress } from './socket.js';
