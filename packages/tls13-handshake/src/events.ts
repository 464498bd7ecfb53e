/**
 * @module events
 * The handshake boundary (DESIGN.md, INTERFACES.md "tls13-handshake"): the
 * events a Handshake returns, its configs and the serialisable SessionTicket.
 */
import type { HandshakeCrypto } from './crypto/provider.js';
import type { CipherSuite } from './key-schedule.js';

export type Level = 'initial' | 'early' | 'handshake' | 'application';
export type Direction = 'read' | 'write';

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

export type HandshakeEvent =
  | { type: 'handshake-data'; level: Level; bytes: Uint8Array }
  | { type: 'keys'; level: Exclude<Level, 'initial'>; direction: Direction; cipherSuite: CipherSuite; secret: Uint8Array }
  | { type: 'client-hello'; serverName?: string; alpn: string[]; cipherSuites: number[]; transportParams?: Uint8Array }
  | { type: 'peer-transport-params'; bytes: Uint8Array }
  | { type: 'verify-peer'; chain: Uint8Array[]; serverName?: string }
  | { type: 'early-data'; status: 'accepted' | 'rejected' }
  | { type: 'session-ticket'; ticket: SessionTicket }
  | {
      type: 'complete';
      alpn?: string;
      cipherSuite: CipherSuite;
      resumed: boolean;
      peerCertificates: Uint8Array[];
      earlyData: 'accepted' | 'rejected' | 'not-offered';
    }
  | { type: 'alert'; description: number; sent: boolean };

export type GroupName = 'x25519' | 'secp256r1' | 'secp384r1' | 'x25519mlkem768';

export interface CommonConfig {
  profile: { kind: 'quic'; transportParams: Uint8Array } | { kind: 'tls' };
  alpn: string[];
  cipherSuites?: CipherSuite[];
  groups?: GroupName[];
  random?: (n: number) => Uint8Array;
  maxHandshakeBufferBytes?: number;
  crypto?: HandshakeCrypto;
  keylog?: (line: string) => void;
}

export interface ClientConfig extends CommonConfig {
  serverName?: string;
  trustAnchors?: Uint8Array[];
  /** 'none' skips chain checks (CertificateVerify is still verified); 'event' emits verify-peer and suspends. */
  verify?: 'none' | 'event';
  /** A ticket from an earlier connection's `session-ticket` event: offered as a PSK with (EC)DHE. */
  resume?: SessionTicket;
  /** Offer 0-RTT with `resume` when the ticket allows it: `keys(early, write)` follows the ClientHello. */
  enableEarlyData?: boolean;
  /** Client certificate, sent when the server asks (RFC 8446 §4.4.2). */
  certificateChain?: Uint8Array[];
  privateKey?: Uint8Array;
}

export interface ServerConfig extends CommonConfig {
  certificateChain?: Uint8Array[];
  privateKey?: Uint8Array;
  requestClientCertificate?: boolean;
  /** Seals/opens tickets; without it, `ticketKey` (32 bytes, AES-256-GCM) enables the default ticketer; with neither, no tickets. */
  ticketer?: { seal(state: Uint8Array, nowMs: number): Uint8Array; open(t: Uint8Array, nowMs: number): Uint8Array | null };
  ticketKey?: Uint8Array;
  /** Ticket lifetime in seconds (RFC 8446 §4.6.1: at most 7 days). Default 7200. */
  ticketLifetimeS?: number;
  /** max_early_data_size advertised in tickets; QUIC allows only 0 or 0xffffffff (RFC 9001 §4.6.1). Default 0 (no 0-RTT). */
  maxEarlyData?: number;
  /** Single-use ticket guard for 0-RTT (e.g. a shared StrikeRegister); without it 0-RTT is always rejected. */
  antiReplay?: { firstUse(ticketId: Uint8Array, nowMs: number): boolean };
}

export interface ServerChoice {
  certificateChain: Uint8Array[];
  privateKey: Uint8Array;
  alpn: string;
  transportParams?: Uint8Array;
  /** false rejects offered 0-RTT (default: accept when the ticket, ALPN and anti-replay allow). */
  earlyData?: boolean;
}

export interface Handshake {
  readonly side: 'client' | 'server';
  readonly state: 'idle' | 'running' | 'suspended' | 'complete' | 'failed';
  readonly readLevel: Level;
  start(nowMs: number): HandshakeEvent[];
  receive(level: Level, bytes: Uint8Array, nowMs: number): HandshakeEvent[];
  accept(choice: ServerChoice): HandshakeEvent[];
  resume(verdict: { ok: true } | { ok: false; alert: number }): HandshakeEvent[];
  exportKeyingMaterial(label: string, context: Uint8Array, length: number): Uint8Array;
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

const toHex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/** One NSS key log line: `LABEL <client_random hex> <secret hex>`. */
export function keylogLine(label: string, clientRandom: Uint8Array, secret: Uint8Array): string {
  return `${label} ${toHex(clientRandom)} ${toHex(secret)}`;
}
