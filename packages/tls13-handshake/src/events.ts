/**
 * @module events
 * The handshake boundary (the package README, "API"): the
 * events a Handshake returns, its configs and the serialisable SessionTicket.
 */
import type { AntiReplay } from './anti-replay.js';
import { toHex } from './codec.js';
import type { ChainLimits, TrustStore } from './certificates/chain.js';
import type { PeerVerifier } from './certificates/verifiers.js';
import type { HandshakeCrypto } from './crypto/provider.js';
import type { CipherSuite } from './key-schedule.js';
import type { Ticketer } from './ticket.js';

/** An encryption level (RFC 8446 §7, RFC 9001 §4): where handshake bytes are read and written. */
export type Level = 'initial' | 'early' | 'handshake' | 'application';
/** Which traffic key: the one we read with or the one we write with. */
export type Direction = 'read' | 'write';

/** A client session ticket (RFC 8446 §4.6.1): plain, serialisable data to store and pass back as `resume`. */
export interface SessionTicket {
  serverName: string;
  alpn: string;
  cipherSuite: CipherSuite;
  ticket: Uint8Array;
  resumptionSecret: Uint8Array;
  ageAdd: number;
  issuedAtMs: number;
  lifetimeS: number;
  maxEarlyData: number;
  appData?: Uint8Array;
}

/** What a Handshake returns, in order: data to send, keys to install, suspensions, completion or the terminal alert. */
export type HandshakeEvent =
  | { type: 'handshake-data'; level: Level; bytes: Uint8Array }
  | { type: 'keys'; level: Exclude<Level, 'initial'>; direction: Direction; cipherSuite: CipherSuite; secret: Uint8Array }
  | { type: 'client-hello'; serverName?: string; alpn: string[]; cipherSuites: number[]; transportParams?: Uint8Array; earlyDataOffered: boolean }
  | { type: 'peer-transport-params'; bytes: Uint8Array }
  | { type: 'verify-peer'; chain: Uint8Array[]; serverName?: string }
  /**
   * 0-RTT decided. A server that accepts gives the ticket's `maxEarlyData`
   * (RFC 8446 §4.6.1: the record layer refuses more; in QUIC it is 0xffffffff
   * and the transport's flow control bounds 0-RTT data). A server that sends
   * a HelloRetryRequest to a ClientHello offering 0-RTT rejects it (§4.2.10).
   */
  | { type: 'early-data'; status: 'accepted' | 'rejected'; maxEarlyData?: number }
  | { type: 'session-ticket'; ticket: SessionTicket }
  | {
      type: 'complete';
      alpn?: string;
      cipherSuite: CipherSuite;
      resumed: boolean;
      peerCertificates: Uint8Array[];
      earlyData: 'accepted' | 'rejected' | 'not-offered';
    }
  /**
   * Terminal. QUIC closes with CRYPTO_ERROR 0x100 + description, or with
   * `quicError` when RFC 9001 names a transport error for the fault (§4.6.1, §8.4: PROTOCOL_VIOLATION).
   */
  | { type: 'alert'; description: number; sent: boolean; quicError?: number; /** Why we sent it (ours only; never on the wire). */ reason?: string };

/** The key-exchange groups (RFC 8446 §4.2.7), by name; `x25519mlkem768` is the opt-in hybrid. */
export type GroupName = 'x25519' | 'secp256r1' | 'secp384r1' | 'x25519mlkem768';

/** What both sides configure: profile, ALPN, suites, groups, crypto provider, limits and key log. */
export interface CommonConfig {
  profile: { kind: 'quic'; transportParams: Uint8Array } | { kind: 'tls' };
  alpn: string[];
  cipherSuites?: CipherSuite[];
  groups?: GroupName[];
  /** Random bytes (default: the provider's); injectable for the RFC 8448 vectors. */
  random?: (n: number) => Uint8Array;
  maxHandshakeBufferBytes?: number;
  crypto?: HandshakeCrypto;
  /** Receives NSS key log lines (SSLKEYLOGFILE format) as secrets are derived. */
  keylog?: (line: string) => void;
  /**
   * Bounds on the peer's certificate chain and on the work of verifying it
   * (default `DEFAULT_CHAIN_LIMITS`). `maxCertificates` and `maxChainBytes`
   * apply to every Certificate message; the rest to `verify: 'chain'`.
   */
  chainLimits?: Partial<ChainLimits>;
}

/**
 * How to check the peer's certificate chain (RFC 8446 §4.4.2.4):
 * - `'chain'`: RFC 5280 path validation to `trustAnchors` with the server's identity (RFC 6125), synchronously inside `receive()`;
 * - a `PeerVerifier` function: your synchronous policy (pinning, trust-on-first-use, `chainVerifier`, `allOf(...)`);
 * - `'event'`: emit `verify-peer` and suspend until `resume(verdict)` (asynchronous checks, e.g. pkijs' WebCrypto engine);
 * - `'none'`: no check of the chain (CertificateVerify still proves the key). Must be explicit.
 */
export type VerifyMode = 'chain' | 'none' | 'event' | PeerVerifier;

/** A client: server name, how the server certificate is verified (`trustAnchors`, `verify`), resumption and 0-RTT. */
export interface ClientConfig extends CommonConfig {
  /** The server's host name (sent as SNI) or IP address (not sent; checked against iPAddress SANs). */
  serverName?: string;
  /** DER certificates to anchor chains to (or a shared TrustStore); implies `verify: 'chain'` by default. */
  trustAnchors?: readonly Uint8Array[] | TrustStore;
  /** Default 'chain' when `trustAnchors` is given; otherwise required (TypeError without it). */
  verify?: VerifyMode;
  /** A ticket from an earlier connection's `session-ticket` event: offered as a PSK with (EC)DHE. */
  resume?: SessionTicket;
  /** Offer 0-RTT with `resume` when the ticket allows it: `keys(early, write)` follows the ClientHello. */
  enableEarlyData?: boolean;
  /** Client certificate, sent when the server asks (RFC 8446 §4.4.2): DER or PEM, leaf first. */
  certificateChain?: Uint8Array[];
  /** Its PKCS#8 key, DER or PEM (`PRIVATE KEY`); one that cannot sign is a TypeError from `createClient`. */
  privateKey?: Uint8Array;
}

/** A server: its certificate (or one per connection in `accept`), tickets, 0-RTT policy and client certificates. */
export interface ServerConfig extends CommonConfig {
  /** Our certificate chain, leaf first: DER certificates, or the PEM file's bytes (its CERTIFICATE blocks). */
  certificateChain?: Uint8Array[];
  /** Its PKCS#8 key, DER or PEM (`PRIVATE KEY`); one that cannot sign is a TypeError from `createServer`. */
  privateKey?: Uint8Array;
  /** Ask for a client certificate (RFC 8446 §4.3.2); 'require' fails an empty one with certificate_required(116). */
  requestClientCertificate?: boolean | 'require';
  /** Anchors for client certificates; implies `verify: 'chain'` by default. */
  trustAnchors?: readonly Uint8Array[] | TrustStore;
  /** How to check client certificates; required when `requestClientCertificate` is set without `trustAnchors`. */
  verify?: VerifyMode;
  /** Seals/opens tickets; without it, `ticketKey` (32 bytes, AES-256-GCM) enables the default ticketer; with neither, no tickets. */
  ticketer?: Ticketer;
  ticketKey?: Uint8Array;
  /** Ticket lifetime in seconds (RFC 8446 §4.6.1: at most 7 days). Default 7200. */
  ticketLifetimeS?: number;
  /** max_early_data_size advertised in tickets; QUIC allows only 0 or 0xffffffff (RFC 9001 §4.6.1). Default 0 (no 0-RTT). */
  maxEarlyData?: number;
  /**
   * The 0-RTT anti-replay register (RFC 8446 §8), e.g. one `StrikeRegister` shared by all of a server's
   * connections; its `windowMs` is the ticket-age freshness window. Without it 0-RTT is always rejected.
   */
  antiReplay?: AntiReplay;
}

/** What a server answers a ClientHello with in `accept()`: certificate, key and ALPN (each defaulting to the config's). */
export interface ServerChoice {
  /** The chain and key for this connection (SNI-based; DER or PEM); default: the ServerConfig's. */
  certificateChain?: Uint8Array[];
  privateKey?: Uint8Array;
  /**
   * The protocol to answer with (RFC 7301), one the client offered (else no_application_protocol);
   * default: the first of the config's `alpn` the client offered; '' (plain profile): no ALPN.
   */
  alpn?: string;
  transportParams?: Uint8Array;
  /** false rejects offered 0-RTT (default: accept when the ticket, ALPN and anti-replay allow). */
  earlyData?: boolean;
}

/** One TLS 1.3 handshake, sans-IO: bytes in per level, events out; suspends for `accept` and `resume`. */
export interface Handshake {
  readonly side: 'client' | 'server';
  readonly state: 'idle' | 'running' | 'suspended' | 'complete' | 'failed';
  readonly readLevel: Level;
  /**
   * Plain profile: the peer asked for a KeyUpdate (update_requested) that we
   * have not sent; call `keyUpdate(false)` before the next application data
   * (RFC 8446 §4.6.3). `TlsConnection` / `RecordLayer` do it in `write()`.
   */
  readonly keyUpdateRequested: boolean;
  /** Client: the ClientHello (and 0-RTT keys when resuming with early data). Server: nothing yet. */
  start(nowMs: number): HandshakeEvent[];
  /** The peer's handshake bytes at `level`, in any fragmentation; a peer fault is an `alert` event, never a throw. */
  receive(level: Level, bytes: Uint8Array, nowMs: number): HandshakeEvent[];
  /** Server, after a 'client-hello' event: continue with this certificate and ALPN. */
  accept(choice: ServerChoice): HandshakeEvent[];
  /** After a 'verify-peer' event: accept the peer's chain, or fail with the given alert. */
  resume(verdict: { ok: true } | { ok: false; alert: number }): HandshakeEvent[];
  /** RFC 8446 §7.5 exporter, after completion. */
  exportKeyingMaterial(label: string, context: Uint8Array, length: number): Uint8Array;
  /** Plain profile: a KeyUpdate message and new write keys (RFC 8446 §4.6.3); throws in the QUIC profile. */
  keyUpdate(requestPeer: boolean): HandshakeEvent[];
}

/** NSS key log labels (SSLKEYLOGFILE) per secret. */
export const KeylogLabel = {
  clientHandshake: 'CLIENT_HANDSHAKE_TRAFFIC_SECRET',
  serverHandshake: 'SERVER_HANDSHAKE_TRAFFIC_SECRET',
  clientApplication: 'CLIENT_TRAFFIC_SECRET_0',
  serverApplication: 'SERVER_TRAFFIC_SECRET_0',
  exporter: 'EXPORTER_SECRET',
  clientEarly: 'CLIENT_EARLY_TRAFFIC_SECRET',
} as const;

/** One NSS key log line: `LABEL <client_random hex> <secret hex>`. */
export function keylogLine(label: string, clientRandom: Uint8Array, secret: Uint8Array): string {
  return `${label} ${toHex(clientRandom)} ${toHex(secret)}`;
}
