/**
 * @module @tsquic/webtransport
 * WebTransport over HTTP/3 (draft-ietf-webtrans-http3, the draft-02 wire
 * format Chromium speaks; see CHROMIUM.md) with the W3C WebTransport object
 * model, for clients and servers.
 */
export { Http3ErrorCode, WT_APPLICATION_ERROR_FIRST, WT_APPLICATION_ERROR_LAST, http3CodeToWebTransport, webTransportCodeToHttp3 } from './error-codes.js';
