/**
 * @module quic-transport
 * QUIC connections and streams (RFC 9000, 9001, 9002): the sans-IO core
 * (also at `@tsquic/quic-transport/core`, browser-safe) and the `node:dgram`
 * endpoint with WebTransport-shaped connections and Web Streams.
 */
export * from './core/index.js';
export { QuicEndpoint, type BindOptions, type ConnectOptions, type ListenOptions } from './node/endpoint.js';
export { QuicConnection, type CloseOptions } from './node/connection.js';
export type { QuicBidirectionalStream } from './node/stream.js';
export { QuicStreamError, QuicConnectionError } from './node/errors.js';
export { allOf, chainVerifier, pinSpkiSha256, spkiSha256, trustCertificate, type PeerVerifier } from './trust.js';
