/**
 * @module core/endpoint
 * A sans-IO endpoint (RFC 9000 §5.2): routes datagrams to connections by
 * Destination Connection ID, accepts new connections from client Initials
 * (at least 1200 bytes, §14.1; a DCID of at least 8 bytes, §7.2; a first
 * packet that opens and carries CRYPTO data, before any state is kept),
 * validates addresses with Retry and tokens (§8.1: always, never, or by
 * itself under load; NEW_TOKEN tokens single-use), answers unknown versions
 * with Version Negotiation (§6.1) and packets for unknown connections with
 * rate-limited stateless resets (§10.3), recognises stateless resets for its
 * own connections in one lookup, and collects every connection's output and
 * timers. No sockets, no clock.
 */
import { EARLY_DATA_AGE_WINDOW_MS, StrikeRegister, type AntiReplay } from '@tsquic/tls13-handshake';
import { encodeStatelessReset, encodeVersionNegotiation, isSupportedVersion, MIN_STATELESS_RESET_LENGTH, parsePacketHeader, QuicVersion, QuicWireError, statelessResetTokenOf, TransportErrorCode, type LongHeader } from '@tsquic/quic-wire';
import { defaultProvider, type CryptoProvider } from '@tsquic/quic-crypto-keys';
import { cidKey } from './cid.js';
import { DeadlineQueue } from './deadlines.js';
import type { EcnCodepoint } from './ecn.js';
import { TOKEN_LIFETIMES, TokenSealer } from './token.js';
import { initialCarriesCrypto, initialClose, RateLimit, ResetTokenTable, resetTokenFunction, retryPacket } from './stateless.js';
import { defaultTransportSettings, pooledRandom, resolveSettings, type ClientTlsSettings, type ConnectionHooks, type ServerTlsSettings, type TransportSettings } from './config.js';
import { Connection, type ConnectionOptions } from './connection.js';
import type { ConnEvent, Path, Transmit } from './types.js';
import { DatagramBuffers } from './datagram-buffers.js';

/** An endpoint's settings: the server role, defaults for every connection, limits, hooks. */
export interface EndpointOptions {
  /** Accept connections with these TLS settings (server role). */
  server?: { tls: ServerTlsSettings; transport?: Partial<TransportSettings> };
  /** Defaults for connections we initiate. */
  transport?: Partial<TransportSettings>;
  hooks?: ConnectionHooks;
  /**
   * Length of the connection IDs we issue (routing key), 0–20. Zero-length
   * IDs (a client's choice, RFC 9000 §5.1) allow one connection per
   * endpoint; a short length caps the connections at once (1 byte: 256),
   * beyond which new connections are refused.
   */
  connectionIdLength?: number;
  /**
   * Where the connection IDs we issue come from, each `connectionIdLength`
   * bytes: e.g. a `QuicLbCidGenerator`'s `next` (draft-ietf-quic-load-balancers),
   * so that a load balancer or a machine's demultiplexer routes packets by
   * their Destination Connection ID alone. Null: none is left (no new
   * connection is accepted). Default: random bytes.
   */
  connectionIds?: () => Uint8Array | null;
  /** Secret for stateless reset tokens (RFC 9000 §10.3.2); random by default. */
  statelessResetKey?: Uint8Array;
  /** Stateless resets (and INVALID_TOKEN closes) sent per second at most, in bursts of as many (default 100). */
  statelessResetRate?: number;
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
   * Address validation with Retry (RFC 9000 §8.1.2): 'auto' (default: once
   * half of `maxHandshakes` are in flight, new clients are asked to prove
   * their address before they get any state), 'always', 'never', or once
   * `handshakes` handshakes are in flight. Clients holding a valid NEW_TOKEN
   * token skip it.
   */
  retry?: 'auto' | 'always' | 'never' | { handshakes: number };
  /** Key for address validation tokens (32 bytes); random per endpoint by default. */
  tokenKey?: Uint8Array;
  /** How long a NEW_TOKEN token is honoured (ms; default 24 h). */
  newTokenLifetimeMs?: number;
  /**
   * Single use of NEW_TOKEN tokens (RFC 9000 §8.1.4): a register of the
   * tokens accepted within their lifetime (tls13-handshake's
   * `StrikeRegister`, the same register as 0-RTT anti-replay). Default:
   * 100,000 tokens; when it is full, tokens are not honoured (the client is
   * validated as if it had none). Give one register (over one shared
   * `ReplayStore`) to every endpoint that shares `tokenKey`.
   */
  tokenReplay?: AntiReplay;
  /**
   * 0-RTT anti-replay (RFC 8446 §8, RFC 9001 §9.2): each ticket's early data
   * is accepted once. Default: a register of 100,000 tickets, each
   * remembered for 20 s (twice the 10 s ticket-age tolerance, after which a
   * replayed ClientHello fails the age check anyway); when it is full, 0-RTT
   * is rejected (the handshake goes on in 1-RTT), never accepted twice. Give
   * one register to every endpoint that shares a `ticketKey` (a server farm:
   * `new StrikeRegister({ store })` over a shared `ReplayStore`, e.g.
   * `SharedReplayStore` for worker threads).
   */
  antiReplay?: AntiReplay;
}

/** Default of `maxConnections`. */
export const DEFAULT_MAX_CONNECTIONS = 10_000;
/** Default of `maxHandshakes`. */
export const DEFAULT_MAX_HANDSHAKES = 1_000;
/** Default of `statelessResetRate` (per second). */
export const DEFAULT_STATELESS_RESET_RATE = 100;
/** The default 0-RTT anti-replay window: a replay is refused this long after the first use (then the ticket age gives it away). */
export const ANTI_REPLAY_WINDOW_MS = 2 * EARLY_DATA_AGE_WINDOW_MS;

/** What `Endpoint.receive` did with a datagram: routed to a connection, made a new one, answered statelessly (Version Negotiation, Retry, stateless reset), or dropped and why. */
export type DatagramResult = { kind: 'routed'; conn: Connection } | { kind: 'new'; conn: Connection } | { kind: 'drop'; reason: string } | { kind: 'responded' };

/** What a client's token says about its address (RFC 9000 §8.1.2–§8.1.4). */
type Validation = { validated: boolean; originalDcid: Uint8Array; retrySource?: Uint8Array } | 'invalid-retry-token';

/** The sans-IO endpoint: routes datagrams to connections by connection ID, accepts new ones (Retry, limits), answers statelessly, and yields every connection's datagrams and events. */
export class Endpoint {
  /** The work area all of this endpoint's datagrams are built in. */
  private readonly buffers = new DatagramBuffers();
  private readonly routes = new Map<string, Connection>();
  readonly connections = new Set<Connection>();
  private readonly outbox: Transmit[] = [];
  private readonly cidLength: number;
  /** RFC 9000 §10.3.2: the stateless reset token of a connection ID of ours. */
  readonly resetTokenFor: (cid: Uint8Array) => Uint8Array;
  private readonly random: (n: number) => Uint8Array;
  private readonly provider: CryptoProvider;
  /** Each connection's next deadline: the earliest is read at once, whatever the number of connections. */
  private readonly deadlines = new DeadlineQueue<Connection>();
  /** Connections that may have a datagram to send, in round-robin order (one that sends goes to the back). */
  private readonly sendable = new Set<Connection>();
  /** Connections that may have events for the application. */
  private readonly eventful = new Set<Connection>();
  /** Connections whose deadline (or state) may have changed since it was last read. */
  private readonly dirty = new Set<Connection>();
  /** Stateless resets sent, Version Negotiation packets sent, datagrams dropped. */
  readonly counters = { statelessResets: 0, versionNegotiations: 0, dropped: 0, accepted: 0, retries: 0, invalidTokens: 0 };

  /** @internal Seals and opens Retry and NEW_TOKEN tokens. */
  readonly tokens: TokenSealer;
  /** NEW_TOKEN tokens already used (RFC 9000 §8.1.4). */
  private readonly tokenReplay: AntiReplay;
  /** RFC 8446 §8: 0-RTT anti-replay, one register for every connection of this endpoint. */
  private readonly antiReplay: AntiReplay;
  /** How long a NEW_TOKEN token is honoured. */
  private readonly newTokenLifetime: number;
  /** Peers' stateless reset tokens → their connection (RFC 9000 §10.3.1). */
  private readonly resetTokens: ResetTokenTable<Connection>;
  /** Stateless resets and INVALID_TOKEN closes: anyone can ask for them, so they are rate-limited. */
  private readonly statelessLimit: RateLimit;

  constructor(readonly opts: EndpointOptions = {}) {
    this.cidLength = opts.connectionIdLength ?? 8;
    if (!(this.cidLength >= 0 && this.cidLength <= 20)) throw new RangeError(`connectionIdLength must be 0–20, got ${this.cidLength}`);
    this.random = opts.hooks?.random ?? pooledRandom();
    this.provider = opts.hooks?.packetCrypto ?? defaultProvider();
    this.resetTokenFor = resetTokenFunction(opts.statelessResetKey ?? this.random(32));
    const lifetimes = { ...TOKEN_LIFETIMES, ...(opts.newTokenLifetimeMs ? { 'new-token': opts.newTokenLifetimeMs } : {}) };
    this.tokens = new TokenSealer(this.provider.aead('aes-256-gcm', opts.tokenKey ?? this.random(32)), this.random, lifetimes);
    this.newTokenLifetime = lifetimes['new-token'];
    this.tokenReplay = opts.tokenReplay ?? new StrikeRegister({ windowMs: this.newTokenLifetime });
    this.antiReplay = opts.antiReplay ?? new StrikeRegister({ windowMs: EARLY_DATA_AGE_WINDOW_MS });
    this.resetTokens = new ResetTokenTable(this.provider.headerProtection('aes-256', this.random(32)));
    this.statelessLimit = new RateLimit(opts.statelessResetRate ?? DEFAULT_STATELESS_RESET_RATE);
  }

  /**
   * A connection ID no connection of ours answers to (RFC 9000 §5.1), or null
   * when none is left: random tries, then (for 1- and 2-byte IDs) a search of
   * the whole space, so a full space is an answer, never a spin.
   */
  private freshCid(): Uint8Array | null {
    const issue = this.opts.connectionIds;
    if (issue) {
      for (let i = 0; i < 8; i++) {
        const cid = issue();
        if (cid === null) return null;
        if (cid.length !== this.cidLength) throw new RangeError(`connectionIds gave a ${cid.length}-byte connection ID; connectionIdLength is ${this.cidLength}`);
        if (!this.routes.has(cidKey(cid))) return cid;
      }
      return null;
    }
    for (let i = 0; i < 8; i++) {
      const cid = this.random(this.cidLength);
      if (!this.routes.has(cidKey(cid))) return cid;
    }
    if (this.cidLength > 2) return null;
    const n = 256 ** this.cidLength;
    const from = this.cidLength === 0 ? 0 : this.random(1)[0]!;
    for (let i = 0; i < n; i++) {
      const v = (from + i) % n;
      const cid = this.cidLength === 2 ? Uint8Array.of(v >> 8, v & 0xff) : this.cidLength === 1 ? Uint8Array.of(v) : new Uint8Array(0);
      if (!this.routes.has(cidKey(cid))) return cid;
    }
    return null;
  }

  private newCid = (): { cid: Uint8Array; resetToken: Uint8Array } | null => {
    const cid = this.freshCid();
    return cid ? { cid, resetToken: this.resetTokenFor(cid) } : null;
  };

  /** A connection's hooks: the endpoint's pooled randomness unless the caller gives its own (one platform call per 4 KB, not per TLS random or connection ID). */
  private hooks(side: 'client' | 'server'): ConnectionHooks {
    return { random: this.random, ...this.opts.hooks, ...this.opts.hooksFor?.(side) };
  }

  /**
   * Make a connection whose connection IDs route here and whose peer's reset
   * tokens are known to this endpoint (changes made while it is being
   * constructed are applied once it exists).
   */
  private attach(make: (wiring: Pick<ConnectionOptions, 'newCid' | 'onCidChange' | 'onResetTokenChange' | 'buffers' | 'onWake'>) => Connection): Connection {
    let conn: Connection | undefined;
    const early: Array<() => void> = [];
    const later = (f: () => void) => (conn ? f() : early.push(f));
    conn = make({
      buffers: this.buffers,
      newCid: this.newCid,
      onWake: () => later(() => this.touch(conn!)),
      onCidChange: (added, removed) =>
        later(() => {
          if (added) this.routes.set(cidKey(added), conn!);
          if (removed && this.routes.get(cidKey(removed)) === conn) this.routes.delete(cidKey(removed));
        }),
      onResetTokenChange: (added, removed) =>
        later(() => {
          if (added) this.resetTokens.add(added, conn!);
          if (removed) this.resetTokens.remove(removed, conn!);
        }),
    });
    this.connections.add(conn);
    for (const f of early) f();
    this.touch(conn);
    return conn;
  }

  /**
   * Start a connection to `path` (`token`: one the server gave in NEW_TOKEN, to skip address validation).
   * RangeError when this endpoint has no connection ID left to give it (zero-length IDs: one connection at a time).
   */
  connect(now: number, path: Path, tls: ClientTlsSettings, transport?: Partial<TransportSettings>, version: QuicVersion = QuicVersion.V1, token?: Uint8Array): Connection {
    return this.attach(
      (wiring) =>
        new Connection(now, {
          side: 'client',
          path,
          tls,
          version,
          ...(token ? { token } : {}),
          transport: { ...this.opts.transport, ...transport, connectionIdLength: this.cidLength },
          hooks: this.hooks('client'),
          ...wiring,
        }),
    );
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
      this.touch(conn);
      return { kind: 'routed', conn };
    }
    if (header.form === 'short') {
      // RFC 9000 §10.3.1: an unroutable datagram may be a stateless reset for one of our connections.
      const token = statelessResetTokenOf(data);
      const owner = token && this.resetTokens.ownerOf(token);
      if (owner) {
        owner.onStatelessReset();
        this.touch(owner);
        return { kind: 'routed', conn: owner };
      }
      return this.statelessReset(data, dcid, path, now);
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
    // Nothing is kept for an Initial that does not open (anyone can send random bytes with an Initial header).
    const initialKeys = initialCarriesCrypto(this.provider, data, header);
    if (!initialKeys) return this.drop('first Initial does not open or carries no CRYPTO data');
    const v = this.validate(header, now, path);
    if (v === 'invalid-retry-token') return this.invalidToken(header, path, now);
    if (!v.validated && this.retryWanted()) return this.sendRetry(header.version, header.scid, dcid, path, now);
    if (this.handshaking.size >= (this.opts.maxHandshakes ?? DEFAULT_MAX_HANDSHAKES)) return this.drop('handshake limit');
    const local = this.newCid();
    if (!local) return this.drop('connection ID space exhausted');
    const server = this.opts.server;
    const hooks = this.hooks('server');
    const accepted = this.attach(
      (wiring) =>
        new Connection(now, {
          side: 'server',
          path,
          tls: { antiReplay: this.antiReplay, ...server.tls },
          version: header.version,
          transport: this.serverSettingsFor(server),
          hooks,
          server: {
            originalDcid: v.originalDcid,
            clientScid: new Uint8Array(header.scid),
            localCid: local.cid,
            resetToken: local.resetToken,
            retrySourceCid: v.retrySource,
            addressValidated: v.validated,
            newToken: this.newTokenFactory(now, path),
            // Made with this endpoint's provider: handed over only when the connection uses the same one.
            ...((hooks.packetCrypto ?? defaultProvider()) === this.provider ? { initialKeys } : {}),
          },
          ...wiring,
        }),
    );
    // The client keeps using the original DCID until it sees our SCID: route it here too.
    this.routes.set(cidKey(dcid), accepted);
    this.originalDcids.set(accepted, cidKey(dcid));
    this.handshaking.add(accepted);
    this.counters.accepted++;
    accepted.handleDatagram(now, data, path, ecn);
    this.touch(accepted);
    return { kind: 'new', conn: accepted };
  }

  /**
   * Makes NEW_TOKEN tokens for a connection from `path` (RFC 9000 §8.1.3). A
   * method of its own: a closure made in `accept` would keep all of its
   * context alive for the connection's life, the first datagram included.
   */
  private newTokenFactory(now: number, path: Path): () => Uint8Array {
    const { address, port } = path;
    return () => this.tokens.seal('new-token', this.tokenTime(now), address, port);
  }

  private readonly originalDcids = new Map<Connection, string>();
  /** The settings of every connection this server accepts, resolved once per `opts.server.transport` object (it may be set again). */
  private serverSettings: { from: Partial<TransportSettings> | undefined; settings: TransportSettings } | undefined;

  private serverSettingsFor(server: NonNullable<EndpointOptions['server']>): TransportSettings {
    if (!this.serverSettings || this.serverSettings.from !== server.transport) this.serverSettings = { from: server.transport, settings: resolveSettings({ ...server.transport, connectionIdLength: this.cidLength }) };
    return this.serverSettings.settings;
  }
  /** Server connections still in their handshake (the maxHandshakes and Retry-under-load count). */
  private readonly handshaking = new Set<Connection>();

  /** Server handshakes in flight. */
  get handshakesInFlight(): number {
    return this.handshaking.size;
  }

  /** Tokens are stamped with calendar time when the shell gives it (they outlive the process). */
  private tokenTime(now: number): number {
    return this.opts.hooks?.wallClock?.() ?? now;
  }

  /**
   * RFC 9000 §8.1.2–§8.1.4: what the Initial's token proves. A Retry token of
   * ours that does not check out can only be answered with INVALID_TOKEN (the
   * client accepts no second Retry); a token that is not ours (another key,
   * e.g. before a restart), stale, or a NEW_TOKEN token already used counts
   * as no token (§8.1.3: proceed as if the address were not validated,
   * including a Retry).
   */
  private validate(header: LongHeader, now: number, path: Path): Validation {
    const none = { validated: false, originalDcid: new Uint8Array(header.dcid) };
    if (header.token.length === 0) return none;
    const t = this.tokens.inspect(header.token, this.tokenTime(now), path.address, path.port);
    if (!t.ok) return t.kind === 'retry' ? 'invalid-retry-token' : none;
    if (t.content.kind === 'retry') return { validated: true, originalDcid: t.content.originalDcid, retrySource: new Uint8Array(header.dcid) };
    // Remembered for the rest of the token's life: a replay is refused as long as the token itself would pass.
    const at = this.tokenTime(now);
    return this.tokenReplay.firstUse(t.content.id, at, t.content.issuedAt + this.newTokenLifetime) ? { ...none, validated: true } : none;
  }

  /** Is address validation by Retry wanted for a new Initial now? */
  private retryWanted(): boolean {
    const policy = this.opts.retry ?? 'auto';
    if (policy === 'always') return true;
    if (policy === 'never') return false;
    const threshold = policy === 'auto' ? Math.ceil((this.opts.maxHandshakes ?? DEFAULT_MAX_HANDSHAKES) / 2) : policy.handshakes;
    return this.handshaking.size >= threshold;
  }

  /** RFC 9000 §17.2.5: a stateless Retry with a fresh SCID and a token for the client's address. */
  private sendRetry(version: QuicVersion, clientScid: Uint8Array, originalDcid: Uint8Array, path: Path, now: number): DatagramResult {
    let scid = this.random(this.cidLength);
    while (this.cidLength > 0 && cidKey(scid) === cidKey(originalDcid)) scid = this.random(this.cidLength);
    const token = this.tokens.seal('retry', this.tokenTime(now), path.address, path.port, originalDcid);
    this.counters.retries++;
    this.outbox.push({ path, data: retryPacket(this.provider, { version, clientScid, scid, originalDcid, token, unusedBits: this.random(1)[0]! }) });
    return { kind: 'responded' };
  }

  /** RFC 9000 §8.1.2: a Retry token that does not check out: CONNECTION_CLOSE(INVALID_TOKEN) in an Initial, no state. */
  private invalidToken(header: LongHeader, path: Path, now: number): DatagramResult {
    if (!this.statelessLimit.take(now)) return this.drop('invalid Retry token (rate limit)');
    this.counters.invalidTokens++;
    const data = initialClose(this.provider, { version: header.version, clientDcid: header.dcid, clientScid: header.scid, scid: this.random(this.cidLength), code: TransportErrorCode.INVALID_TOKEN, reason: 'invalid Retry token' });
    this.outbox.push({ path, data });
    return { kind: 'responded' };
  }

  /** RFC 9000 §10.3: tell a peer that lost its state; smaller than the trigger so resets cannot loop (§10.3.3); rate-limited. */
  private statelessReset(data: Uint8Array, dcid: Uint8Array, path: Path, now: number): DatagramResult {
    const size = Math.min(data.length - 1, 43);
    if (size < MIN_STATELESS_RESET_LENGTH) return this.drop('too small for a stateless reset');
    if (!this.statelessLimit.take(now)) return this.drop('stateless reset rate limit');
    this.counters.statelessResets++;
    this.outbox.push({ path, data: encodeStatelessReset(this.resetTokenFor(dcid), this.random(size - 16)) });
    return { kind: 'responded' };
  }

  private drop(reason: string): DatagramResult {
    this.counters.dropped++;
    return { kind: 'drop', reason };
  }

  /** `conn` had input or an application call: it may have output, events and a new deadline. */
  private touch(conn: Connection): void {
    if (!this.connections.has(conn)) return;
    this.sendable.add(conn);
    this.eventful.add(conn);
    this.dirty.add(conn);
  }

  /**
   * The next datagram to send (endpoint responses first, then the
   * connections that had input or an application call since they last had
   * nothing to send, round-robin), or null.
   */
  pollTransmit(now: number): Transmit | null {
    const out = this.outbox.shift();
    if (out) return out;
    for (const c of this.sendable) {
      const t = c.pollTransmit(now);
      this.sendable.delete(c);
      this.dirty.add(c); // sending (or the pacer saying not yet) moves its timers
      if (t) {
        this.sendable.add(c); // to the back: the others go first
        return t;
      }
    }
    return null;
  }

  /** The next event of any connection that had input since its events were last drained, or null. */
  pollEvent(): { conn: Connection; event: ConnEvent } | null {
    for (const conn of this.eventful) {
      const event = conn.pollEvent();
      if (event) return { conn, event };
      this.eventful.delete(conn);
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

  /** The earliest deadline of any connection (absolute ms), or null. */
  pollTimeout(): number | null {
    this.collect();
    return this.deadlines.peek();
  }

  /** Run the timers of the connections that are due (only those). */
  handleTimeout(now: number): void {
    this.collect();
    const due: Connection[] = [];
    for (let c = this.deadlines.popDue(now); c; c = this.deadlines.popDue(now)) due.push(c);
    for (const c of due) {
      c.handleTimeout(now);
      this.touch(c);
    }
    this.collect();
  }

  /**
   * Read again the deadline and state of every connection touched since the
   * last call: closed ones are forgotten with their routes and their peers'
   * reset tokens; established ones stop answering to the client's original
   * DCID and leave the handshake count.
   */
  collect(): void {
    for (const c of this.dirty) {
      this.dirty.delete(c);
      if (c.state !== 'handshake') this.handshaking.delete(c);
      if (c.isClosed) {
        this.forget(c);
        continue;
      }
      const od = this.originalDcids.get(c);
      if (od && c.state === 'established' && c.handshakeInfo) {
        // After the handshake the client never uses the original DCID again.
        this.originalDcids.delete(c);
        if (this.routes.get(od) === c) this.routes.delete(od);
      }
      this.deadlines.set(c, c.pollTimeout());
    }
  }

  private forget(c: Connection): void {
    this.connections.delete(c);
    this.deadlines.delete(c);
    this.sendable.delete(c);
    this.handshaking.delete(c);
    for (const cid of c.localConnectionIds) if (this.routes.get(cidKey(cid)) === c) this.routes.delete(cidKey(cid));
    const od = this.originalDcids.get(c);
    if (od && this.routes.get(od) === c) this.routes.delete(od);
    this.originalDcids.delete(c);
    for (const t of c.peerResetTokens) this.resetTokens.remove(t, c);
  }
}
