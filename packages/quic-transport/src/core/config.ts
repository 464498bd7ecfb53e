/**
 * @module core/config
 * What a connection can be told: transport settings (with the defaults a
 * user gets), TLS settings for each side, and the hooks the sans-IO core
 * takes instead of touching the outside world (randomness, key log, qlog).
 */
import { QuicVersion, type CryptoProvider } from '@tsquic/quic-crypto-keys';
import type { AntiReplay, CipherSuite, GroupName, HandshakeCrypto, PeerVerifier, SessionTicket } from '@tsquic/tls13-handshake';
import { defaultStreamSettings, type StreamSettings } from './streams/streams.js';
import type { DatagramBuffers } from './datagram-buffers.js';
import type { Path } from './types.js';
import type { InitialKeys } from './crypto-state.js';

/** A connection's transport settings (`defaultTransportSettings` shows the defaults). */
export interface TransportSettings {
  /** Our max_idle_timeout (ms); the effective one is the smaller of both sides' (RFC 9000 §10.1). */
  idleTimeoutMs: number;
  /** Give up a handshake that has not completed after this long (ms). */
  handshakeTimeoutMs: number;
  /** Send a PING after this much idle time (ms) to keep the connection alive; 0: never. */
  keepAliveMs: number;
  /** Largest UDP payload we send (before path MTU discovery raises it). */
  maxDatagramSize: number;
  /** max_udp_payload_size we advertise (what we accept); also the ceiling of PMTU discovery. */
  maxUdpPayloadSize: number;
  /** Probe for larger datagrams after the handshake (RFC 8899 DPLPMTUD). */
  pmtuDiscovery: boolean;
  congestionControl: 'cubic' | 'newreno';
  /** Pace sends (RFC 9002 §7.7). */
  pacing: boolean;
  ackDelayExponent: number;
  maxAckDelayMs: number;
  /** ACK after this many ack-eliciting packets (RFC 9000 §13.2.2 suggests 2). */
  ackElicitingThreshold: number;
  /**
   * The ACK frequency extension (draft-ietf-quic-ack-frequency): advertise
   * min_ack_delay, honour the peer's ACK_FREQUENCY and IMMEDIATE_ACK frames,
   * and, when the peer advertised it too, ask it for fewer ACKs during bulk
   * transfers. Off: neither is sent, and the frames are unknown to us.
   */
  ackFrequency: boolean;
  /** The min_ack_delay we advertise (µs): the shortest ACK delay our timers honour (Node's: 1 ms). */
  minAckDelayUs: number;
  activeConnectionIdLimit: number;
  /** Length of the connection IDs we issue (the endpoint routes on them). */
  connectionIdLength: number;
  initialRttMs: number;
  /** CRYPTO data buffered per level beyond what TLS consumed (RFC 9000 §7.5). */
  maxCryptoBuffer: number;
  streams: StreamSettings;
  disableActiveMigration: boolean;
  /**
   * Start a 1-RTT key update (RFC 9001 §6) after this many packets with one
   * key; 0: only when the AEAD confidentiality limit (§6.6) comes near.
   */
  keyUpdateInterval: number;
  /** Accept DATAGRAM frames up to this size (RFC 9221 max_datagram_frame_size); 0 disables them. */
  maxDatagramFrameSize: number;
  /** Datagrams queued for sending before the oldest are dropped (they are unreliable anyway). */
  datagramQueueLength: number;
  /**
   * QUIC versions we support, most preferred first (RFC 9368 compatible
   * version negotiation). A client lists them in version_information and
   * follows a server that answers its first Initial in one of them; a server
   * moves a client to the first of these that the client also lists (not
   * when the client offers 0-RTT, whose packets are in the client's version).
   */
  versions: QuicVersion[];
  /**
   * ECN (RFC 9000 §13.4): mark datagrams ECT(0) (`Transmit.ecn`) and validate
   * the peer's counts. Only useful when the shell can set the IP header's
   * ECN bits; `node:dgram` cannot, so the Node endpoint leaves it off.
   */
  ecn: boolean;
  /**
   * Server: addresses to offer in preferred_address (RFC 9000 §9.6, §18.2);
   * the endpoint must receive on them. Client: `usePreferredAddress` (default
   * true) moves to the server's preferred address of the same family once the
   * handshake is confirmed.
   */
  preferredAddress?: { ipv4?: { address: string; port: number }; ipv6?: { address: string; port: number } };
  usePreferredAddress: boolean;
}

/** The transport settings a connection gets when it is given none. */
export const defaultTransportSettings: TransportSettings = {
  idleTimeoutMs: 30_000,
  handshakeTimeoutMs: 10_000,
  keepAliveMs: 0,
  maxDatagramSize: 1200,
  maxUdpPayloadSize: 65527,
  pmtuDiscovery: true,
  congestionControl: 'cubic',
  pacing: true,
  ackDelayExponent: 3,
  maxAckDelayMs: 25,
  ackElicitingThreshold: 2,
  ackFrequency: true,
  minAckDelayUs: 1000,
  activeConnectionIdLimit: 4,
  connectionIdLength: 8,
  initialRttMs: 333,
  maxCryptoBuffer: 64 * 1024,
  streams: defaultStreamSettings,
  disableActiveMigration: false,
  keyUpdateInterval: 0,
  maxDatagramFrameSize: 0,
  datagramQueueLength: 64,
  versions: [QuicVersion.V1, QuicVersion.V2],
  ecn: false,
  usePreferredAddress: true,
};

/** A client's TLS settings: server name, ALPN, how the server's certificate is judged (docs/vocabulary.md), resumption and 0-RTT. */
export interface ClientTlsSettings {
  serverName?: string;
  alpn: string[];
  cipherSuites?: CipherSuite[];
  groups?: GroupName[];
  /**
   * How the server's certificate is judged (docs/vocabulary.md: the same words in every package):
   * - `'chain'`, the default when `trustAnchors` is given: RFC 5280 path validation to `trustAnchors`,
   *   validity, serverAuth, and `serverName` against the SANs (failures close with the precise alert:
   *   unknown_ca, certificate_expired…);
   * - a `PeerVerifier`: `trustExactly(der)` (the development server's one certificate),
   *   `pinSpkiSha256([...])`, `allOf(chainVerifier(...), pinSpkiSha256(...))`;
   * - `'none'`: no check of the chain (development only; must be explicit).
   */
  verify?: 'chain' | 'none' | PeerVerifier;
  /** DER CA certificates to build a path to (a CA file); implies `verify: 'chain'`. */
  trustAnchors?: Uint8Array[];
  /** @deprecated The same as `verify: verifier`. */
  verifier?: PeerVerifier;
  /**
   * @deprecated `verify: 'none'`, or a `PeerVerifier` as `verify` (`trustExactly(der)` for
   * `trustCertificate(der)`). A function here is given the DER chain (leaf first) and the server name
   * and returns true to accept.
   */
  verifyPeer?: 'none' | ((chain: Uint8Array[], serverName: string | undefined) => boolean);
  /** A ticket from an earlier connection, offered for resumption. */
  sessionTicket?: SessionTicket;
  /**
   * Send 0-RTT data with `sessionTicket` when the ticket allows it. Early
   * data can be replayed by an attacker: only use it for idempotent requests.
   */
  earlyData?: boolean;
  crypto?: HandshakeCrypto;
}

/** A server's TLS settings: its certificate and key (DER; the shells also take PEM), ALPN, tickets and 0-RTT. */
export interface ServerTlsSettings {
  /** The certificate chain (leaf first, DER) and its PKCS#8 private key, unless `certificateFor` picks one. */
  certificateChain: Uint8Array[];
  privateKey: Uint8Array;
  /**
   * Pick the chain and key per connection from the client's server name
   * (SNI) and the protocol chosen (ALPN), e.g. one certificate per host
   * name; undefined falls back to `certificateChain`/`privateKey`.
   */
  certificateFor?: (hello: { serverName: string | undefined; alpn: string }) => { certificateChain: Uint8Array[]; privateKey: Uint8Array } | undefined;
  /** ALPN protocols in our order of preference; a client offering none of them fails (alert 120). */
  alpn: string[];
  cipherSuites?: CipherSuite[];
  groups?: GroupName[];
  /** 32 bytes: enables session tickets (resumption). */
  ticketKey?: Uint8Array;
  /** Accept 0-RTT from resuming clients (needs `ticketKey`); replays are refused by a single-use ticket register. */
  earlyData?: boolean;
  /** 0-RTT replay guard shared by all connections of an endpoint (the endpoint supplies one: tls13-handshake's StrikeRegister). */
  antiReplay?: AntiReplay;
  crypto?: HandshakeCrypto;
}

/** What the sans-IO core takes from the outside instead of reaching for it: randomness, calendar time, packet crypto, key log, qlog. */
export interface ConnectionHooks {
  /** Randomness for connection IDs and tokens (crypto.getRandomValues by default). */
  random?: (n: number) => Uint8Array;
  /** NSS key log lines (SSLKEYLOGFILE). */
  keylog?: (line: string) => void;
  /** qlog events (QUIC event schema); the shell writes them as JSON-SEQ. */
  qlog?: (timeMs: number, name: string, data: Record<string, unknown>) => void;
  /** Packet protection provider (defaultProvider() of quic-crypto-keys by default). */
  packetCrypto?: CryptoProvider;
  /**
   * Calendar time (ms since the Unix epoch) for the TLS handshake: certificate
   * validity and session-ticket ages. Without it TLS gets the `now` passed in,
   * which is only right when `now` is epoch time; the Node endpoint passes
   * `Date.now`.
   */
  wallClock?: () => number;
}

/**
 * Random bytes drawn from a 4 KB pool refilled by crypto.getRandomValues:
 * one platform call per many connection IDs instead of one each (the call,
 * not the bytes, is what costs). Every byte is handed out once, as a copy.
 */
export function pooledRandom(): (n: number) => Uint8Array {
  let pool: Uint8Array = new Uint8Array(0);
  let off = 0;
  return (n) => {
    if (n > 256) return randomBytes(n);
    if (off + n > pool.length) {
      pool = randomBytes(4096);
      off = 0;
    }
    off += n;
    return pool.slice(off - n, off);
  };
}

export function randomBytes(n: number): Uint8Array {
  const b = new Uint8Array(n);
  globalThis.crypto.getRandomValues(b);
  return b;
}

/** Settings objects made by `resolveSettings` (never mutated: connections may share one). */
const resolved = new WeakSet<TransportSettings>();

/**
 * `transport` over the defaults. A resolved object comes back as it is, so
 * an endpoint resolves its server settings once and every connection it
 * accepts shares them (a few hundred bytes each otherwise).
 */
export function resolveSettings(transport: Partial<TransportSettings> | undefined): TransportSettings {
  if (transport && resolved.has(transport as TransportSettings)) return transport as TransportSettings;
  const s = { ...defaultTransportSettings, ...transport, streams: { ...defaultTransportSettings.streams, ...transport?.streams } };
  resolved.add(s);
  return s;
}

/** How a connection is made (the endpoint fills in the wiring). */
export interface ConnectionOptions {
  side: 'client' | 'server';
  path: Path;
  transport?: Partial<TransportSettings>;
  tls: ClientTlsSettings | ServerTlsSettings;
  hooks?: ConnectionHooks;
  /** @internal Where datagrams are built (an endpoint shares one among its connections). */
  buffers?: DatagramBuffers;
  version?: QuicVersion;
  /** Server: from the client's first Initial (and its token). */
  server?: {
    originalDcid: Uint8Array;
    clientScid: Uint8Array;
    localCid: Uint8Array;
    resetToken: Uint8Array;
    /** The SCID of our Retry, when the client came back with its token (RFC 9000 §7.3). */
    retrySourceCid?: Uint8Array;
    /** A valid Retry or NEW_TOKEN token proved the client's address (§8.1). */
    addressValidated?: boolean;
    /** Makes a token for a NEW_TOKEN frame (§8.1.3). */
    newToken?: () => Uint8Array;
    /**
     * The Initial keys the endpoint derived to check the first Initial (RFC 9001 §5.2), so they are derived once.
     * @internal
     */
    initialKeys?: InitialKeys;
  };
  /** Client: a token from an earlier NEW_TOKEN frame, sent in Initial packets. */
  token?: Uint8Array;
  /** Endpoint-provided CID factory (issued CIDs must route to this connection); null when the endpoint's CID space is full. */
  newCid?: () => { cid: Uint8Array; resetToken: Uint8Array } | null;
  /** A connection ID we issued became routable or stopped being (the endpoint routes on them). */
  onCidChange?: (added: Uint8Array | null, removed: Uint8Array | null) => void;
  /** A stateless reset token from the peer became valid or stopped being (the endpoint recognises resets by it, RFC 9000 §10.3.1). */
  onResetTokenChange?: (added: Uint8Array | null, removed: Uint8Array | null) => void;
  /** The application acted on the connection (it may have output or a new deadline): the endpoint polls it again. */
  onWake?: () => void;
}
