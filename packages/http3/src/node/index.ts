/**
 * @module http3/node
 * The Node entry of @tsquic/http3: `serve()` and the pooled `fetch` client
 * over `@tsquic/quic-transport`'s `QuicEndpoint` (node:dgram).
 */
export { serve, type Http3Server, type ServeInfo, type ServeOptions } from './serve.js';
export { closeDefaultClient, createClient, fetch, Http3Client, type ClientOptions } from './client.js';
export { pemBlocks, toCertificateChain, toPrivateKey } from './pem.js';
/** Trust policies for `createClient` (quic-transport's, re-exported so the package alone suffices). */
export { allOf, chainVerifier, pinSpkiSha256, spkiSha256, trustCertificate } from '@tsquic/quic-transport';
