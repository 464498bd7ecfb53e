/**
 * @module http3
 * HTTP/3 (RFC 9114) over any WebTransport-shaped QUIC session, with QPACK
 * (RFC 9204), extended CONNECT (RFC 9220) and HTTP datagrams and capsules
 * (RFC 9297). Browser-safe: no `node:*` here; `serve()` and the pooled
 * `fetch` over `@tsquic/quic-transport` are in `@tsquic/http3/node`.
 */
export { Http3Connection, type Http3Options, type Http3RequestInfo, type Http3ServerOptions } from './connection.js';
export { isRetryable, type Http3RequestInit, type Http3Response } from './client.js';
export { withTrailers, type TrailerSource } from './response.js';
export type { Http3Handler } from './server.js';
export { Http3Pool, type ConnectedSession, type Connector, type PoolOptions } from './pool.js';
export { H3ErrorCode, Http3Error, h3ErrorName, isReservedCodePoint, type H3ErrorScope } from './errors.js';
export { SettingId } from './settings.js';
export { StreamType } from './stream-types.js';
export { CapsuleType, encodeCapsule } from './capsule.js';
export { altSvc, parseAltSvc, type AltSvcEntry } from './alt-svc.js';
export type { Http3Session, SessionBidirectionalStream, SessionDatagrams } from './session.js';
export type { Capsule, CapsuleOptions, ConnectInit, ConnectRequest, ConnectResponse, Http3Extension, Http3ExtensionHost, Http3Stream, Http3Tunnel, HttpDatagrams, PeerSettings, SettingEntry } from './extension.js';
export * as qpack from './qpack/index.js';
