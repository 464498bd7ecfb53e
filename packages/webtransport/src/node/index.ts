/**
 * @module @tsquic/webtransport/node
 * The Node entry: `new WebTransport(url, options)` over @tsquic/http3's
 * client and @tsquic/quic-transport, with `serverCertificateHashes`.
 * Servers use `webTransportServer()` from the main entry with
 * `serve()` from `@tsquic/http3/node`.
 */
export { WebTransport, closePooledConnections, type WebTransportOptions } from './web-transport.js';
export { certificateHashRefusal, type WebTransportHash } from './certificate-hashes.js';
