/**
 * @module http3/node
 * The Node entry of @tsquic/http3: `serve()` and the pooled `fetch` client
 * over `@tsquic/quic-transport`'s `QuicEndpoint` (node:dgram).
 */
export { serve, type Http3Server, type ServeInfo, type ServeOptions } from './serve.js';
export { closeDefaultClient, createClient, fetch, Http3Client, type ClientOptions } from './client.js';
export { pemBlocks, toCertificateChain, toPrivateKey } from './pem.js';
