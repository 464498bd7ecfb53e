/**
 * @module core/endpoint
 * A sans-IO endpoint (RFC 9000 §5.2): routes datagrams to connections by
 * Destination Connection ID, accepts new connections from client Initials
 * (at least 1200 bytes, §14.1; a DCID of at least 8 bytes, §7.2), answers
 * unknown versions with Version Negotiation (§6.1) and packets for unknown
 * connections with stateless resets (§10.3), and collects every
 * connection's output and timers. No sockets, no clock.
 */
import { defaultCrypto, StrikeRegister } from '@tsquic/tls13-handshake';
import {
  encodeRetry,
  encodeStatelessReset,
  encodeVersionNegotiation,
  isSupportedVersion,
  MIN_STATELESS_RESET_LENGTH,
  parsePacketHeader,
  QuicVersion,
  QuicWireError,
  statelessResetTokenOf,
} from '@tsquic/quic-wire';
import { cidKey } from './cid.js';
import type { EcnCodepoint } from './ecn.js';
import { TokenSealer } from './token.js';
import { defaultProvider, retryIntegrityTag } from '@tsquic/quic-crypto-keys';
import { defaultTransportSettings, pooledRandom, type ClientTlsSettings, type ConnectionHooks, type ServerTlsSettings, type TransportSettings } from './config.js';
import { Connection, type Path, type Transmit } from './connection.js';
import { DatagramBuffers } from './datagram-buffers.js';

export interface EndpointOptions {
  /** Accept connections with these TLS settings (server role). */
  server?: { tls: ServerTlsSettings; transport?: Partial<TransportSettings> };
  /** Defaults for connections we initiate. */
  transport?: Partial<TransportSettings>;
  hooks?: ConnectionHooks;
  /** Length of the connection IDs we issue (routing key). */
  connectionIdLength?: number;
  /** Secret for stateless reset tokens (RFC 9000 §10.3.2); random by default. */
  statelessResetKey?: Uint8Array;
  /** Most connections at once (default 10,000); Initials beyond it are dropped. */
  maxConnections?: number;
  /**
   * Most server handshakes in flight at once (default 1,000): Initials for new
   * connections beyond it are dropped (a Retry, when that policy asks for one,
   * is still sent: it costs no state).
   */
  maxHandshakes?: number;
  /** Per-connection hooks (qlog and key log per connection). */
  hooksFor?: (side: 'client' | 'server') => ConnectionHooks;
  /**
   * Address validation with Retry (RFC 9000 §8.1.2): 'always', 'never'
   * (default), or only while more than `handshakes` handshakes are in flight.
   * Clients holding a valid NEW_TOKEN token skip it.
   */
  retry?: 'always' | 'never' | { handshakes: number };
  /** Key for address validation tokens (32 bytes); random per endpoint by default. */
  tokenKey?: Uint8Array;
}

/** Default of `maxConnections`. */
export const DEFAULT_MAX_CONNECTIONS = 10_000;
/** Default of `maxHandshakes`. */
export const DEFAULT_MAX_HANDSHAKES = 1_000;

export type DatagramResult = { kind: 'routed'; conn: Connection } | { kind: 'new'; conn: Connection } | { kind: 'drop'; reason: string } | { kind: 'responded' };

export class Endpoint {
  /** The work area all of this endpoint's datagrams are built in. */
  private readonly buffers = new DatagramBuffers();
  private readonly routes = new Map<string, Connection>();
  readonly connections = new Set<Connection>();
  private readonly outbox: Transmit[] = [];
  private readonly cidLength: number;
  private readonly resetKey: Uint8Array;
  private readonly random: (n: number) => Uint8Array;
  private rr: Connection[] = [];
  private rrNext = 0;
  /** Stateless resets sent, Version Negotiation packets sent, datagrams dropped. */
  readonly counters = { statelessResets: 0, versionNegotiations: 0, dropped: 0, accepted: 0, retries: 0 };

  /** Seals and opens Retry and NEW_TOKEN tokens. */
  readonly tokens: TokenSealer;

  constructor(readonly opts: EndpointOptions = {}) {
    this.cidLength = opts.connectionIdLength ?? 8;
    this.random = opts.hooks?.random ?? pooledRandom();
    this.resetKey = opts.statelessResetKey ?? this.random(32);
    this.tokens = new TokenSealer((opts.hooks?.packetCrypto ?? defaultProvider()).aead('aes-256-gcm', opts.tokenKey ?? this.random(32)), this.random);
  }

  /** RFC 9000 §10.3.2: the token is a function of a static key and the connection ID. */
  resetTokenFor(cid: Uint8Array): Uint8Array {
    return defaultCrypto().hmac('sha256', this.resetKey, cid).subarray(0, 16);
  }

  private newCid = (): { cid: Uint8Array; resetToken: Uint8Array } => {
    let cid = this.random(this.cidLength);
    while (this.routes.has(cidKey(cid))) cid = this.random(this.cidLength);
    return { cid, resetToken: this.resetTokenFor(cid) };
  };

  private routeChange(conn: Connection) {
    return (added: Uint8Array | null, removed: Uint8Array | null) => {
      if (added) this.routes.set(cidKey(added), conn);
      if (removed && this.routes.get(cidKey(removed)) === conn) this.routes.delete(cidKey(removed));
    };
  }

  private hooks(side: 'client' | 'server'): ConnectionHooks {
    return { ...this.opts.hooks, ...this.opts.hooksFor?.(side) };
  }

  /** Start a connection to `path` (`token`: one the server gave in NEW_TOKEN, to skip address validation). */
  connect(now: number, path: Path, tls: ClientTlsSettings, transport?: Partial<TransportSettings>, version: QuicVersion = QuicVersion.V1, token?: Uint8Array): Connection {
    let conn!: Connection;
    const routes = (a: Uint8Array | null, r: Uint8Array | null) => this.routeChange(conn)(a, r);
    const pending: Array<[Uint8Array | null, Uint8Array | null]> = [];
    conn = new Connection(now, {
      side: 'client',
      path,
      tls,
      version,
      ...(token ? { token } : {}),
      transport: { ...this.opts.transport, ...transport, connectionIdLength: this.cidLength },
      hooks: this.hooks('client'),
      buffers: this.buffers,
      newCid: this.newCid,
      onCidChange: (a, r) => (conn ? routes(a, r) : pending.push([a, r])),
    });
    for (const [a, r] of pending) routes(a, r);
    this.add(conn);
    return conn;
  }

  private add(conn: Connection): void {
    this.connections.add(conn);
    this.rr.push(conn);
  }

  /** Route or accept one datagram. */
  handleDatagram(now: number, data: Uint8Array, path: Path, ecn?: EcnCodepoint): DatagramResult {
    if (data.length === 0) return this.drop('empty');
    let header;
    try {
      header = parsePacketHeader(data, 0, this.cidLength);
    } catch (e) {
      if (QuicWireError.isInstance(e)) return this.drop('malformed header');
      throw e;
    }
    const dcid = header.dcid;
    const conn = this.routes.get(cidKey(dcid));
    if (conn) {
      conn.handleDatagram(now, data, path, ecn);
      if (conn.state !== 'handshake') this.handshaking.delete(conn);
      return { kind: 'routed', conn };
    }
    if (header.form === 'short') {
      // RFC 9000 §10.3.1: an unroutable datagram may be a stateless reset for one of our connections.
      const token = statelessResetTokenOf(data);
      if (token) {
        for (const c of this.connections) {
          if (c.isStatelessReset(token)) {
            c.onStatelessReset();
            return { kind: 'routed', conn: c };
          }
        }
      }
      return this.statelessReset(data, dcid, path);
    }
    if (header.form === 'version-negotiation' || header.form === 'retry') return this.drop('no connection');
    const versions = this.opts.server?.transport?.versions ?? defaultTransportSettings.versions;
    if (header.form === 'unsupported-version' || (this.opts.server && header.form === 'long' && header.type === 'initial' && !versions.includes(header.version))) {
      // RFC 9000 §6.1: answer a datagram big enough to be an Initial with Version Negotiation
      // (listing a reserved version too, RFC 9000 §15, so clients keep tolerating unknown ones).
      if (data.length < 1200) return this.drop('unsupported version, too small');
      this.counters.versionNegotiations++;
      this.outbox.push({ path, data: encodeVersionNegotiation({ dcid: header.scid, scid: dcid, versions: [...versions, 0x1a2a3a4a], unusedBits: this.random(1)[0]! }) });
      return { kind: 'responded' };
    }
    if (!this.opts.server) return this.drop('not a server');
    if (header.type !== 'initial') return this.drop('no connection for a non-Initial long header');
    // RFC 9000 §14.1: Initials in datagrams under 1200 bytes are discarded; §7.2: the client's DCID is at least 8 bytes.
    if (data.length < 1200) return this.drop('Initial datagram under 1200 bytes');
    if (dcid.length < 8) return this.drop('Initial DCID under 8 bytes');
    if (!isSupportedVersion(header.version)) return this.drop('unsupported version');
    if (this.connections.size >= (this.opts.maxConnections ?? DEFAULT_MAX_CONNECTIONS)) return this.drop('connection limit');
    // RFC 9000 §8.1: a token from a Retry or NEW_TOKEN validates the address; otherwise maybe ask for one.
    let originalDcid: Uint8Array = dcid.slice();
    let retrySource: Uint8Array | undefined;
    let validated = false;
    if (header.token.length > 0) {
      const t = this.tokens.open(header.token, now, path.address, path.port);
      if (t?.kind === 'retry') {
        originalDcid = t.originalDcid;
        retrySource = dcid.slice();
        validated = true;
      } else if (t?.kind === 'new-token') validated = true;
      else if (this.retryWanted()) return this.drop('invalid or expired token'); // §8.1.3: discard, the client may retry
    }
    if (!validated && this.retryWanted()) return this.sendRetry(header.version, header.scid, dcid, path, now);
    if (this.handshaking.size >= (this.opts.maxHandshakes ?? DEFAULT_MAX_HANDSHAKES)) return this.drop('handshake limit');
    const local = this.newCid();
    let accepted!: Connection;
    const pending: Array<[Uint8Array | null, Uint8Array | null]> = [];
    accepted = new Connection(now, {
      side: 'server',
      path,
      tls: { antiReplay: this.antiReplay, ...this.opts.server.tls },
      version: header.version,
      transport: { ...this.opts.server.transport, connectionIdLength: this.cidLength },
      hooks: this.hooks('server'),
      buffers: this.buffers,
      server: { originalDcid, clientScid: header.scid.slice(), localCid: local.cid, resetToken: local.resetToken, retrySourceCid: retrySource, addressValidated: validated, newToken: () => this.tokens.seal('new-token', now, path.address, path.port) },
      newCid: this.newCid,
      onCidChange: (a, r) => (accepted ? this.routeChange(accepted)(a, r) : pending.push([a, r])),
    });
    for (const [a, r] of pending) this.routeChange(accepted)(a, r);
    // The client keeps using the original DCID until it sees our SCID: route it here too.
    this.routes.set(cidKey(dcid), accepted);
    this.originalDcids.set(accepted, cidKey(dcid));
    this.add(accepted);
    this.handshaking.add(accepted);
    this.counters.accepted++;
    accepted.handleDatagram(now, data, path, ecn);
    if (accepted.state !== 'handshake') this.handshaking.delete(accepted);
    return { kind: 'new', conn: accepted };
  }

  private readonly originalDcids = new Map<Connection, string>();
  /** Server connections still in their handshake (the maxHandshakes and Retry-under-load count). */
  private readonly handshaking = new Set<Connection>();

  /** Server handshakes in flight. */
  get handshakesInFlight(): number {
    return this.handshaking.size;
  }

  /** Is address validation by Retry wanted for a new Initial now? */
  private retryWanted(): boolean {
    const policy = this.opts.retry ?? 'never';
    if (policy === 'always') return true;
    if (policy === 'never') return false;
    return this.handshaking.size >= policy.handshakes;
  }

  /** RFC 9000 §17.2.5: a stateless Retry with a fresh SCID and a token for the client's address. */
  private sendRetry(version: QuicVersion, clientScid: Uint8Array, originalDcid: Uint8Array, path: Path, now: number): DatagramResult {
    let scid = this.random(this.cidLength);
    while (cidKey(scid) === cidKey(originalDcid)) scid = this.random(this.cidLength);
    const token = this.tokens.seal('retry', now, path.address, path.port, originalDcid);
    const body = encodeRetry({ version, dcid: clientScid, scid, token, unusedBits: this.random(1)[0]! });
    const tag = retryIntegrityTag(version, originalDcid, body);
    const packet = new Uint8Array(body.length + tag.length);
    packet.set(body);
    packet.set(tag, body.length);
    this.counters.retries++;
    this.outbox.push({ path, data: packet });
    return { kind: 'responded' };
  }
  /** RFC 8446 §8: 0-RTT anti-replay, one register for every connection of this endpoint (single-use tickets). */
  private readonly antiReplay = new StrikeRegister(100_000);

  /** RFC 9000 §10.3: tell a peer that lost its state; smaller than the trigger so resets cannot loop (§10.3.3). */
  private statelessReset(data: Uint8Array, dcid: Uint8Array, path: Path): DatagramResult {
    const size = Math.min(data.length - 1, 43);
    if (size < MIN_STATELESS_RESET_LENGTH) return this.drop('too small for a stateless reset');
    this.counters.statelessResets++;
    this.outbox.push({ path, data: encodeStatelessReset(this.resetTokenFor(dcid), this.random(size - 16)) });
    return { kind: 'responded' };
  }

  private drop(reason: string): DatagramResult {
    this.counters.dropped++;
    return { kind: 'drop', reason };
  }

  /** The next datagram to send (endpoint responses first, then connections round-robin), or null. */
  pollTransmit(now: number): Transmit | null {
    const out = this.outbox.shift();
    if (out) return out;
    // Round-robin by index: rotating the array would cost O(connections) per connection polled.
    const n = this.rr.length;
    for (let i = 0; i < n; i++) {
      const idx = (this.rrNext + i) % n;
      const t = this.rr[idx]!.pollTransmit(now);
      if (t) {
        this.rrNext = (idx + 1) % n;
        return t;
      }
    }
    return null;
  }

  /**
   * Give back a datagram from `pollTransmit` once the socket is done with it
   * (its send completed): its buffer is reused for a later datagram. Optional;
   * the datagram must not be used afterwards.
   */
  recycle(datagram: Uint8Array): void {
    this.buffers.recycle(datagram);
  }

  pollTimeout(): number | null {
    let t = Infinity;
    for (const c of this.connections) {
      const d = c.pollTimeout();
      if (d !== null && d < t) t = d;
    }
    return t === Infinity ? null : t;
  }

  /** Run every due timer, then forget closed connections. */
  handleTimeout(now: number): void {
    for (const c of this.connections) {
      const d = c.pollTimeout();
      if (d !== null && d <= now) c.handleTimeout(now);
    }
    this.collect();
  }

  /** Drop closed connections and their routes. */
  collect(): void {
    for (const c of this.handshaking) if (c.state !== 'handshake') this.handshaking.delete(c);
    for (const c of this.connections) {
      if (c.state === 'established') {
        const od = this.originalDcids.get(c);
        if (od && c.handshakeInfo) {
          // After the handshake the client never uses the original DCID again.
          this.originalDcids.delete(c);
          if (this.routes.get(od) === c) this.routes.delete(od);
        }
      }
      if (!c.isClosed) continue;
      this.connections.delete(c);
      this.rr = this.rr.filter((x) => x !== c);
      this.rrNext = this.rr.length ? this.rrNext % this.rr.length : 0;
      for (const [k, v] of this.routes) if (v === c) this.routes.delete(k);
      this.originalDcids.delete(c);
    }
  }
}
