/**
 * @module http3
 * HTTP/3 (RFC 9114) over any WebTransport-shaped QUIC session, with QPACK
 * (RFC 9204), extended CONNECT (RFC 9220) and HTTP datagrams and capsules
 * (RFC 9297). Browser-safe: no `node:*` here; `serve()` and the pooled
 * `fetch` over `@tsquic/quic-transport` are in `@tsquic/http3/node`.
 */
export { H3ErrorCode, Http3Error, h3ErrorName, isReservedCodePoint, type H3ErrorScope } from './errors.js';
export type { Http3Session, SessionBidirectionalStream, SessionDatagrams } from './session.js';
export type {
  Capsule,
  CapsuleOptions,
  ConnectInit,
  ConnectRequest,
  ConnectResponse,
  Http3Extension,
  Http3ExtensionHost,
  Http3Stream,
  Http3Tunnel,
  HttpDatagrams,
  PeerSettings,
  SettingEntry,
} from './extension.js';
