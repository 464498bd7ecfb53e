/**
 * @module @tsquic/webtransport
 * WebTransport over HTTP/3 (draft-ietf-webtrans-http3, the draft-02 wire
 * format Chromium speaks; see CHROMIUM.md) with the W3C WebTransport object
 * model, for clients and servers, as an extension of @tsquic/http3.
 * Browser-safe; `new WebTransport()` for Node is in `@tsquic/webtransport/node`.
 */
export { WebTransportSession, type SessionBinding, type WebTransportBidirectionalStream, type WebTransportCloseInfo, type WebTransportDatagramDuplexStream } from './session.js';
export { webTransportServer, isOriginAllowed, type WebTransportRequest, type WebTransportServerOptions } from './server.js';
export { webTransportClient, connectSession, type SessionRequestInit } from './client.js';
export type { WebTransportLimits } from './session-registry.js';
export { WebTransportError, type WebTransportErrorOptions, type WebTransportErrorSource } from './errors.js';
export { WebTransportErrorCode, WT_APPLICATION_ERROR_FIRST, WT_APPLICATION_ERROR_LAST, http3CodeToWebTransport, webTransportCodeToHttp3 } from './error-codes.js';
export { CapsuleType, MAX_CLOSE_MESSAGE_BYTES, decodeCloseSession, encodeCloseSession } from './capsules.js';
export { SESSION_GONE_CODE, SessionState, type SessionAction, type SessionInput, type SessionPhase } from './session-state.js';
export { SessionIdReader, encodeSessionId, isValidSessionId, WEBTRANSPORT_BIDI_SIGNAL, WEBTRANSPORT_UNI_STREAM_TYPE } from './stream-header.js';
export { DRAFT_HEADER, SETTINGS_ENABLE_WEBTRANSPORT, UPGRADE_TOKEN, missingSettings } from './settings.js';
