/**
 * QUIC connections and streams (RFC 9000, 9001, 9002): the sans-IO core
 * (also at `@tsquic/quic-transport/core`, browser-safe), the endpoint shell
 * over any datagram socket with WebTransport-shaped connections and Web
 * Streams (also at `@tsquic/quic-transport/streams`, no Node API), and the
 * `node:dgram` endpoint.
 *
 * @module @tsquic/quic-transport
 */
export * from './core/index.js';
export * from './streams/index.js';
export { QuicEndpoint, type BindOptions } from './node/endpoint.js';
export { QuicCluster, type ClusterOptions } from './node/cluster.js';
export { allOf, chainVerifier, pinSpkiSha256, spkiSha256, trustCertificate, trustExactly, trustOnFirstUse, type PeerVerifier, type VerifyContext, type VerifyVerdict } from './trust.js';
