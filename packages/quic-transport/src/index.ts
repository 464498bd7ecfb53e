/**
 * @module quic-transport
 * QUIC connections and streams (RFC 9000, 9001, 9002).
 */
export * from './core/index.js';
