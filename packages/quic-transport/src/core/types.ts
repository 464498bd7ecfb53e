/**
 * @module core/types
 * The types a connection speaks in (RFC 9000): network paths, datagrams out,
 * events for the application, how a connection ended, its statistics, and
 * the record of what each sent packet carried (RFC 9002 §2, kept to
 * acknowledge or resend it). A leaf: every other core module may import it.
 */
import type { QuicVersion } from '@tsquic/quic-crypto-keys';
import type { CipherSuite, SessionTicket } from '@tsquic/tls13-handshake';
import type { SpaceId } from './recovery/loss-detection.js';
import type { StreamEvent, StreamRecord } from './streams/streams.js';

/**
 * A network path as the shell reports it: the peer's address and port, and
 * `local`, an opaque tag for our side when the shell has more than one socket
 * (a server's preferred address); packets for a path leave through that socket.
 */
export interface Path {
  address: string;
  port: number;
  local?: string;
}

/** Both ends of two paths are the same. */
export function samePath(a: Path, b: Path): boolean {
  return a.address === b.address && a.port === b.port && a.local === b.local;
}

/** A datagram to send: its bytes, where to, and its ECN marking. */
export interface Transmit {
  path: Path;
  data: Uint8Array;
  /** Set the IP header's ECN field to ECT(0) for this datagram (RFC 9000 §13.4), if the platform can. */
  ecn?: 'ect0';
}

/** What the handshake settled, reported by `handshake-complete` and the shells' `ready`. */
export interface HandshakeInfo {
  alpn: string | undefined;
  cipherSuite: CipherSuite;
  /** The suite's IANA name, e.g. `TLS_AES_128_GCM_SHA256`. */
  cipherSuiteName: string;
  resumed: boolean;
  peerCertificates: Uint8Array[];
  earlyData: 'accepted' | 'rejected' | 'not-offered';
  /** The QUIC version in use (after any compatible version negotiation, RFC 9368). */
  version: QuicVersion;
}

/** How a connection ended (the `closed` event, `QuicConnectionError.info`). */
export interface CloseInfo {
  /**
   * The code of the CONNECTION_CLOSE (`kind: 'close'`): a transport error code (RFC 9000 §20.1) or
   * the application's. The other kinds end without one and carry NO_ERROR (0): read `kind` first —
   * a handshake that timed out is `kind: 'handshake-timeout'`, not a clean close.
   */
  code: bigint;
  reason: string;
  /** An application close (CONNECTION_CLOSE 0x1d) rather than a transport error. */
  application: boolean;
  /** The peer closed (we received its CONNECTION_CLOSE) rather than us. */
  remote: boolean;
  /** How it ended: CONNECTION_CLOSE, idle timeout, handshake timeout, stateless reset, version negotiation. */
  kind: 'close' | 'idle' | 'handshake-timeout' | 'stateless-reset' | 'version-negotiation';
}

/** What a connection reports through `pollEvent()`. */
export type ConnEvent =
  /** Server: the application protocol is chosen (before the handshake completes: 0-RTT streams can be routed by it). */
  | { type: 'alpn'; alpn: string; serverName: string | undefined }
  | { type: 'handshake-complete'; info: HandshakeInfo }
  | { type: 'handshake-confirmed' }
  | StreamEvent
  | { type: 'session-ticket'; ticket: SessionTicket }
  | { type: 'new-token'; token: Uint8Array }
  | { type: 'datagram'; data: Uint8Array }
  | { type: 'closed'; info: CloseInfo };

/** Where a connection is in its life (RFC 9000 §10: closing and draining before closed). */
export type ConnState = 'handshake' | 'established' | 'closing' | 'draining' | 'closed';

/** A connection's counters and recovery state (`getStats()`, the shells' `stats`). */
export interface ConnStats {
  packetsSent: number;
  packetsReceived: number;
  bytesSent: number;
  bytesReceived: number;
  /** Packets declared lost (RFC 9002 §6.1), PMTU probes (RFC 8899) not counted. */
  packetsLost: number;
  packetsDropped: number;
  smoothedRtt: number;
  minRtt: number;
  cwnd: number;
  bytesInFlight: number;
  congestionEvents: number;
  keyUpdates: number;
  /** Sent packets awaiting acknowledgement or loss, all spaces: bounded whatever the peer withholds. */
  sentPacketsTracked: number;
  /** The largest UDP payload we send on the current path (RFC 8899 DPLPMTUD raises it). */
  maxDatagramSize: number;
  /** ECN on the current path (RFC 9000 §13.4.2): testing, unknown, capable or failed. */
  ecn: 'testing' | 'unknown' | 'capable' | 'failed';
}

/** @internal What a sent packet carried, to acknowledge or resend it. */
export type SentFrame =
  | StreamRecord
  | { k: 'crypto'; space: SpaceId; offset: number; len: number }
  | { k: 'ack'; largest: number }
  | { k: 'handshake_done' }
  | { k: 'new_connection_id'; seq: number }
  | { k: 'retire_connection_id'; seq: number }
  | { k: 'ping' }
  | { k: 'pmtu'; size: number }
  | { k: 'new_token'; token: Uint8Array }
  | { k: 'datagram' }
  | { k: 'path' }
  | { k: 'ack_frequency'; seq: number }
  | { k: 'immediate_ack' };

/** @internal */
export interface SentInfo {
  frames: SentFrame[];
  /** Sent in a 0-RTT packet (retransmitted as 1-RTT if the server rejects early data). */
  zeroRtt?: boolean;
  /** Write-key generation for 1-RTT packets (key update confirmation). */
  gen: number;
}
