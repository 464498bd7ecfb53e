/**
 * @module qpack-api
 * The one place HTTP/3 imports QPACK (RFC 9204) from: the encoder, the
 * decoder, their errors and the field line type.
 */
export { QpackDecoder, QpackEncoder, QpackError, QpackErrorCode, QpackFieldSectionTooLarge, type FieldLine } from './qpack-shim/index.js';
