/**
 * The sans-IO QUIC core: no sockets, no clocks; `now` comes in with every call.
 *
 * @module @tsquic/quic-transport/core
 */
export { RangeSet } from './range-set.js';
export { TransportError, TransportErrorCode } from './errors.js';
export { Connection, type ConnectionOptions } from './connection.js';
export type { CloseInfo, ConnEvent, ConnState, ConnStats, HandshakeInfo, Path, Transmit } from './types.js';
export { ANTI_REPLAY_WINDOW_MS, DEFAULT_MAX_CONNECTIONS, DEFAULT_MAX_HANDSHAKES, DEFAULT_STATELESS_RESET_RATE, Endpoint, type DatagramResult, type EndpointOptions } from './endpoint.js';
// 0-RTT anti-replay and single-use NEW_TOKEN tokens: the handshake package's registers (one implementation).
export { MemoryReplayStore, SharedReplayStore, StrikeRegister, type AntiReplay, type ReplayStore, type StrikeRegisterOptions } from '@tsquic/tls13-handshake';
export { EcnValidator, type EcnCodepoint, type EcnState } from './ecn.js';
export { defaultTransportSettings, type ClientTlsSettings, type ConnectionHooks, type ServerTlsSettings, type TransportSettings } from './config.js';
export { defaultStreamSettings, type StreamSettings, type StreamEvent } from './streams/streams.js';
export { LossDetection, type AckInfo, type AckResult, type LossDetectionOptions, type SentPacket, type SpaceId } from './recovery/loss-detection.js';
export type { RttEstimator } from './recovery/rtt.js';
export type { AckedPacket, CongestionController } from './congestion/controller.js';
export type { HyStartPhase } from './congestion/hystart.js';
export { Cubic } from './congestion/cubic.js';
export { NewReno } from './congestion/new-reno.js';
export { QuicVersion } from '@tsquic/quic-crypto-keys';
export { configRotation, QUIC_LB_UNROUTABLE, QuicLbCidGenerator, QuicLbCodec, unroutableCid, workerOf, workerServerId, type QuicLbConfig, type QuicLbMode, type QuicLbPlaintext } from './quic-lb.js';
