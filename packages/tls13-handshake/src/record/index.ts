/**
 * `@tsquic/tls13-handshake/record`: a TLS 1.3 record layer (RFC 8446 §5) for
 * the plain profile — a sans-IO core (`RecordLayer`), its building blocks
 * (`RecordProtection`, `RecordReader`, `RecordWriter`, `recordTrafficKeys`)
 * and a Web Streams connection (`TlsConnection`).
 *
 * @module @tsquic/tls13-handshake/record
 */
export { ContentType, AlertLevel, RecordAlert, RecordLimits, alertLevelFor } from './content-type.js';
export { TlsRecordError, TlsTruncatedError } from './errors.js';
export type { Aead, AeadAlg, HandshakeCrypto, HashAlg } from '../crypto/provider.js';
export type { CipherSuite, Direction, HandshakeEventLike, HandshakePort, Level, OtherEvent, PortEvent } from './handshake-port.js';
export { RecordProtection, recordNonce, recordHeader, type OpenedRecord } from './record-protection.js';
export { RecordReader, RecordWriter, type PaddingPolicy, type WireRecord } from './record-framing.js';
export { RecordSuites, recordTrafficKeys } from './traffic-keys.js';
export { RecordLayer, type RecordLayerEvent, type RecordLayerOptions, type RecordLayerOutput, type RecordLayerState } from './record-layer.js';
export { TlsConnection, type ClientHelloInfo, type DuplexStream, type HandshakeInfo, type ServerChooser, type SessionTicketLike, type TlsConnectionOptions, type TlsOpenOptions, type VerifyVerdict } from './connection.js';
