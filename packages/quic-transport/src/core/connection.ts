/**
 * @module core/connection
 * A QUIC connection as a sans-IO state machine (RFC 9000, RFC 9001,
 * RFC 9002): datagrams and time in, datagrams, one timer deadline and
 * events out. No sockets, no clock: every input carries `now` (ms).
 *
 * Four families of methods (quinn's split):
 * - getters: `state`, `stats`, `handshakeInfo`, ...
 * - input: `handleDatagram(now, data, path)`, `handleTimeout(now)`
 * - application: `openStream`, `write`, `finish`, `read`, `resetStream`, `stopSending`, `close`
 * - output: call `pollTransmit(now)` until null, then `pollTimeout()` and
 *   arm one timer; drain `pollEvent()` after every input.
 *
 * Sending is in sender.ts, receiving and frame handling in receiver.ts;
 * this file holds the state, the TLS handshake glue, timers and closing.
 */
import { defaultProvider, initialKeys, KeyPhase, keysFromSecret, QuicVersion, type CryptoProvider, type DirectionalKeys } from '@tsquic/quic-crypto-keys';
import { decodeTransportParameters, encodeTransportParameters, equalConstantTime, isSupportedVersion, QuicWireError, type TransportParameters } from '@tsquic/quic-wire';
import { createClient, createServer, type CipherSuite, type Handshake, type HandshakeEvent, type Level, type PeerVerifier, type SessionTicket } from '@tsquic/tls13-handshake';
import { LocalCids, RemoteCids } from './cid.js';
import { defaultTransportSettings, randomBytes, type ClientTlsSettings, type ConnectionHooks, type ServerTlsSettings, type TransportSettings } from './config.js';
import { Cubic } from './congestion/cubic.js';
import { NewReno } from './congestion/new-reno.js';
import { Pacer } from './congestion/pacer.js';
import { TransportError, TransportErrorCode as E } from './errors.js';
import { LossDetection, type SpaceId } from './recovery/loss-detection.js';
import { PmtuDiscovery } from './pmtud.js';
import { EcnValidator, type EcnCodepoint } from './ecn.js';
import { DatagramBuffers } from './datagram-buffers.js';
import { encodePreferredAddress } from './preferred-address.js';
import { migrateClient, onPathTimeout, pathDeadline, samePath, usePreferredAddress } from './path.js';
import { AmplificationLimit } from './amplification.js';
import { applyPeerParameters, applyRememberedParameters, rememberable } from './transport-parameters.js';
import { PacketSpace } from './spaces.js';
import { Streams, type StreamEvent, type StreamRecord } from './streams/streams.js';
import { buildDatagram, buildPathResponse } from './sender.js';
import { processDatagram } from './receiver.js';

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

export interface Transmit {
  path: Path;
  data: Uint8Array;
  /** Set the IP header's ECN field to ECT(0) for this datagram (RFC 9000 §13.4), if the platform can. */
  ecn?: 'ect0';
}

export interface HandshakeInfo {
  alpn: string | undefined;
  cipherSuite: CipherSuite;
  resumed: boolean;
  peerCertificates: Uint8Array[];
  earlyData: 'accepted' | 'rejected' | 'not-offered';
  /** The QUIC version in use (after any compatible version negotiation, RFC 9368). */
  version: QuicVersion;
}

export interface CloseInfo {
  /** Transport error code (RFC 9000 §20.1) or the application's code. */
  code: bigint;
  reason: string;
  /** An application close (CONNECTION_CLOSE 0x1d) rather than a transport error. */
  application: boolean;
  /** The peer closed (we received its CONNECTION_CLOSE) rather than us. */
  remote: boolean;
  /** How it ended: CONNECTION_CLOSE, idle timeout, handshake timeout, stateless reset, version negotiation. */
  kind: 'close' | 'idle' | 'handshake-timeout' | 'stateless-reset' | 'version-negotiation';
}

export type ConnEvent =
  | { type: 'handshake-complete'; info: HandshakeInfo }
  | { type: 'handshake-confirmed' }
  | StreamEvent
  | { type: 'session-ticket'; ticket: SessionTicket }
  | { type: 'new-token'; token: Uint8Array }
  | { type: 'datagram'; data: Uint8Array }
  | { type: 'closed'; info: CloseInfo };

/** What a sent packet carried, to acknowledge or resend it. */
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
  | { k: 'path' };

export interface SentInfo {
  frames: SentFrame[];
  /** Sent in a 0-RTT packet (retransmitted as 1-RTT if the server rejects early data). */
  zeroRtt?: boolean;
  /** Write-key generation for 1-RTT packets (key update confirmation). */
  gen: number;
}

export interface ConnectionOptions {
  side: 'client' | 'server';
  path: Path;
  transport?: Partial<TransportSettings>;
  tls: ClientTlsSettings | ServerTlsSettings;
  hooks?: ConnectionHooks;
  /** Where datagrams are built (an endpoint shares one among its connections). */
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
  };
  /** Client: a token from an earlier NEW_TOKEN frame, sent in Initial packets. */
  token?: Uint8Array;
  /** Endpoint-provided CID factory (issued CIDs must route to this connection) and route updates. */
  /** Null when the endpoint's connection ID space is full (short CIDs): no more are issued. */
  newCid?: () => { cid: Uint8Array; resetToken: Uint8Array } | null;
  onCidChange?: (added: Uint8Array | null, removed: Uint8Array | null) => void;
  /** A stateless reset token from the peer became valid or stopped being (the endpoint recognises resets by it, RFC 9000 §10.3.1). */
  onResetTokenChange?: (added: Uint8Array | null, removed: Uint8Array | null) => void;
}

export type ConnState = 'handshake' | 'established' | 'closing' | 'draining' | 'closed';

export interface ConnStats {
  packetsSent: number;
  packetsReceived: number;
  bytesSent: number;
  bytesReceived: number;
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
}

export class Connection {
  readonly side: 'client' | 'server';
  /** The version in use: the one we started with, or the one negotiated (RFC 9368). */
  version: QuicVersion;
  /** The version of the client's first Initial. */
  readonly originalVersion: QuicVersion;
  readonly settings: TransportSettings;
  /** @internal */ readonly provider: CryptoProvider;
  /** @internal */ readonly hooks: ConnectionHooks;
  /** @internal */ readonly buffers: DatagramBuffers;
  /** @internal */ readonly random: (n: number) => Uint8Array;
  /** @internal */ readonly spaces: [PacketSpace, PacketSpace, PacketSpace];
  /** @internal */ oneRtt: KeyPhase | undefined;
  /** @internal 0-RTT keys (RFC 9001 §4.6): the client writes, the server reads. */
  zeroRtt: DirectionalKeys | undefined;
  /** @internal */ earlyData: 'offered' | 'accepted' | 'rejected' | 'not-offered' = 'not-offered';
  /** @internal */ readonly recovery: LossDetection<SentInfo>;
  /** @internal */ readonly pacer: Pacer;
  /** @internal */ readonly pmtu: PmtuDiscovery;
  /** @internal */ readonly streams: Streams;
  /** @internal */ readonly localCids: LocalCids;
  /** @internal */ readonly remoteCids: RemoteCids;
  /** @internal */ tls: Handshake;
  /** @internal */ path: Path;
  /** @internal */ readonly originalDcid: Uint8Array;
  /** @internal */ readonly initialScid: Uint8Array;
  /** @internal */ peerParams: TransportParameters | undefined;
  /** @internal */ peerAddressValidated: boolean;
  /** @internal Bytes received from and sent to each address not (yet) validated (RFC 9000 §8, §9.3). */
  readonly amplification = new AmplificationLimit();
  /** @internal */ handshakeDonePending = false;
  /** @internal */ handshakeConfirmed = false;
  /** @internal */ receivedFirstPacket = false;
  /** @internal */ sentHandshakePacket = false;
  /** @internal */ maxDatagramSize: number;
  /** @internal */ closeFrame: { code: bigint; reason: string; application: boolean; frameType: number } | undefined;
  /** @internal */ closeSendPending = false;
  /** @internal Packets received in the closing state (RFC 9000 §10.2.1 rate). */
  closingPacketsReceived = 0;
  /** @internal */ pacingDeadline = 0;
  /** @internal */ authFailures = 0;
  /** @internal 1-RTT packets sent with the current write key. */
  packetsThisKeyPhase = 0;
  /** @internal Client: the token for Initial packets (Retry or NEW_TOKEN). */
  token: Uint8Array | undefined;
  /** @internal Client: the SCID of the Retry we followed (checked against retry_source_connection_id). */
  retrySourceCid: Uint8Array | undefined;
  /** @internal Path validation (RFC 9000 §8.2): our outstanding PATH_CHALLENGE, and PATH_RESPONSEs owed. */
  pathChallenge: { data: Uint8Array; path: Path; startedAt: number; sentAt: number; pending: boolean } | undefined;
  /** @internal */ readonly pathResponses: Array<{ data: Uint8Array; path: Path }> = [];
  /** @internal The path we migrated away from (to fall back to if the new one does not validate). */
  previousPath: Path | undefined;
  /** @internal DATAGRAM payloads waiting to be sent (RFC 9221). */
  readonly datagramQueue: Uint8Array[] = [];
  /** @internal Server: a NEW_TOKEN frame to send (once, resent if lost). */
  newTokenPending: Uint8Array | undefined;
  private newTokenFactory: (() => Uint8Array) | undefined;
  /** @internal */ readonly stats: ConnStats = {
    packetsSent: 0, packetsReceived: 0, bytesSent: 0, bytesReceived: 0, packetsLost: 0, packetsDropped: 0,
    smoothedRtt: 0, minRtt: 0, cwnd: 0, bytesInFlight: 0, congestionEvents: 0, keyUpdates: 0, sentPacketsTracked: 0,
  };
  private readonly events: ConnEvent[] = [];
  private connState: ConnState = 'handshake';
  private handshakeInfoValue: HandshakeInfo | undefined;
  private readonly startTime: number;
  /** When the idle timer last restarted (RFC 9000 §10.1). */
  private idleStart: number;
  /** Last packet received and processed. */
  private lastReceived: number;
  /** @internal */ lastAckElicitingSent = -Infinity;
  /** The loss detection timer, set after every send and receive (RFC 9002 A.8). */
  private lossTimer: number | null = null;
  private closeDeadline = Infinity;
  private previousKeyDiscardAt = Infinity;
  private appSecrets: { read?: Uint8Array; write?: Uint8Array; suite?: CipherSuite } = {};

  constructor(now: number, opts: ConnectionOptions) {
    this.side = opts.side;
    this.version = opts.version ?? QuicVersion.V1;
    this.originalVersion = this.version;
    this.ecn = new EcnValidator(opts.transport?.ecn ?? defaultTransportSettings.ecn);
    this.settings = { ...defaultTransportSettings, ...opts.transport, streams: { ...defaultTransportSettings.streams, ...opts.transport?.streams } };
    this.hooks = opts.hooks ?? {};
    this.buffers = opts.buffers ?? new DatagramBuffers();
    this.random = this.hooks.random ?? randomBytes;
    this.provider = this.hooks.packetCrypto ?? defaultProvider();
    this.path = opts.path;
    this.startTime = now;
    this.idleStart = now;
    this.lastReceived = now;
    const s = this.settings;
    this.maxDatagramSize = s.maxDatagramSize;
    this.spaces = [new PacketSpace(0, s.ackElicitingThreshold), new PacketSpace(1, s.ackElicitingThreshold), new PacketSpace(2, s.ackElicitingThreshold)];
    const cc = s.congestionControl === 'newreno' ? new NewReno(this.maxDatagramSize) : new Cubic(this.maxDatagramSize);
    this.recovery = new LossDetection<SentInfo>({ cc, initialRtt: s.initialRttMs, isServer: this.side === 'server', maxAckDelay: 0 });
    this.pacer = new Pacer(this.maxDatagramSize);
    this.pmtu = new PmtuDiscovery(this.maxDatagramSize, s.pmtuDiscovery ? s.maxUdpPayloadSize : this.maxDatagramSize);
    this.streams = new Streams(this.side, s.streams);
    this.peerAddressValidated = this.side === 'client';
    const newCid = opts.newCid ?? (() => ({ cid: this.random(s.connectionIdLength), resetToken: this.random(16) }));
    this.localCids = new LocalCids(newCid, opts.onCidChange ?? (() => {}));

    if (this.side === 'client') {
      this.originalDcid = this.random(Math.max(8, s.connectionIdLength));
      const first = this.localCids.issue(false);
      if (!first) throw new RangeError(`no free connection ID of length ${s.connectionIdLength} (zero-length IDs allow one connection per endpoint)`);
      this.initialScid = first.cid;
      this.remoteCids = new RemoteCids(this.originalDcid, s.activeConnectionIdLimit, opts.onResetTokenChange);
    } else {
      const srv = opts.server!;
      this.originalDcid = srv.originalDcid;
      this.initialScid = this.localCids.issue(false, { cid: srv.localCid, resetToken: srv.resetToken })!.cid;
      // RFC 9000 §5.1.1: the preferred_address CID is sequence number 1 (none when the CID space is full).
      if (s.preferredAddress) this.preferredCid = this.localCids.issue(false) ?? undefined;
      this.remoteCids = new RemoteCids(srv.clientScid, s.activeConnectionIdLimit, opts.onResetTokenChange);
      this.receivedFirstPacket = true;
      if (srv.addressValidated) this.peerAddressValidated = true;
      this.newTokenFactory = srv.newToken;
    }
    this.token = opts.token;
    // After a Retry the client's Initial keys come from the DCID it uses now, the Retry's SCID (RFC 9001 §5.2).
    const initialDcid = this.side === 'server' && opts.server?.retrySourceCid ? opts.server.retrySourceCid : this.originalDcid;
    this.initialKeyDcid = initialDcid;
    const init = initialKeys(this.provider, this.version, initialDcid, this.side);
    this.spaces[0].read = init.read;
    this.spaces[0].write = init.write;

    this.localParams = this.localTransportParameters(opts);
    const tp = encodeTransportParameters(this.localParams);
    if (this.side === 'client') {
      const t = opts.tls as ClientTlsSettings;
      this.tls = createClient({
        profile: { kind: 'quic', transportParams: tp },
        alpn: t.alpn,
        serverName: t.serverName,
        cipherSuites: t.cipherSuites,
        groups: t.groups,
        crypto: t.crypto,
        keylog: this.hooks.keylog,
        resume: t.sessionTicket,
        enableEarlyData: t.earlyData === true,
        ...clientVerification(t),
      });
      // RFC 9000 §7.4.1: 0-RTT uses the server's transport parameters remembered with the ticket.
      if (t.earlyData && t.sessionTicket?.appData) applyRememberedParameters(this, t.sessionTicket.appData);
      this.verifyPeer = typeof t.verifyPeer === 'function' ? t.verifyPeer : undefined;
      this.serverName = t.serverName;
    } else {
      const t = opts.tls as ServerTlsSettings;
      this.serverTls = t;
      this.tls = createServer({
        profile: { kind: 'quic', transportParams: tp },
        alpn: t.alpn,
        cipherSuites: t.cipherSuites,
        groups: t.groups,
        crypto: t.crypto,
        keylog: this.hooks.keylog,
        ticketKey: t.ticketKey,
        ...(t.earlyData && t.ticketKey ? { maxEarlyData: 0xffffffff, antiReplay: t.antiReplay } : {}),
      });
    }
    this.onTls(this.tls.start(this.tlsTime(now)), now);
    this.qlog(now, 'connectivity:connection_started', { src_cid: hex(this.initialScid), dst_cid: hex(this.remoteCids.current.cid), protocol: 'QUIC' });
  }

  /** The DCID our Initial keys come from (RFC 9001 §5.2). */
  private initialKeyDcid: Uint8Array;
  private localParams: TransportParameters;
  /** @internal ECN marking and validation on the current path (RFC 9000 §13.4.2; reset by path.ts on a new path). */
  ecn: EcnValidator;
  /** @internal The ECN codepoint of the datagram being processed, and whether the one being built is marked. */
  datagramEcn: EcnCodepoint | undefined;
  /** @internal */ sendingMarked = false;
  /** @internal Server after a version upgrade: the original version's Initial read keys, for the client's Initials sent before it saw ours. */
  originalInitialRead: DirectionalKeys | undefined;

  /** Server: the CID offered with preferred_address. Client: the server's preferred address, until used. */
  private preferredCid: { cid: Uint8Array; resetToken: Uint8Array } | undefined;
  /** @internal */ peerPreferred: Path | undefined;

  /** The TLS handshake's clock: calendar time when the shell gives one (certificates, ticket ages). */
  private tlsTime(now: number): number {
    return this.hooks.wallClock ? this.hooks.wallClock() : now;
  }

  private verifyPeer: ((chain: Uint8Array[], serverName: string | undefined) => boolean) | undefined;
  private serverName: string | undefined;
  private serverTls: ServerTlsSettings | undefined;

  /** Our transport parameters (RFC 9000 §18.2). */
  private localTransportParameters(opts: ConnectionOptions): TransportParameters {
    const s = this.settings;
    const tp: TransportParameters = {
      maxIdleTimeout: s.idleTimeoutMs,
      maxUdpPayloadSize: s.maxUdpPayloadSize,
      initialMaxData: s.streams.connWindow,
      initialMaxStreamDataBidiLocal: s.streams.streamWindowBidiLocal,
      initialMaxStreamDataBidiRemote: s.streams.streamWindowBidiRemote,
      initialMaxStreamDataUni: s.streams.streamWindowUni,
      initialMaxStreamsBidi: s.streams.maxStreamsBidi,
      initialMaxStreamsUni: s.streams.maxStreamsUni,
      ackDelayExponent: s.ackDelayExponent,
      maxAckDelay: s.maxAckDelayMs,
      activeConnectionIdLimit: s.activeConnectionIdLimit,
      initialSourceConnectionId: this.initialScid,
    };
    if (s.disableActiveMigration) tp.disableActiveMigration = true;
    // RFC 9368 §3: version_information — the version in use, then every version we would use.
    tp.versionInformation = { chosenVersion: this.version, availableVersions: unique([this.version, ...s.versions]) };
    if (s.maxDatagramFrameSize > 0) tp.maxDatagramFrameSize = s.maxDatagramFrameSize;
    if (this.side === 'server' && s.preferredAddress && this.preferredCid) tp.preferredAddress = encodePreferredAddress(s.preferredAddress, this.preferredCid);
    if (this.side === 'server') {
      tp.originalDestinationConnectionId = opts.server!.originalDcid;
      tp.statelessResetToken = opts.server!.resetToken;
      if (opts.server!.retrySourceCid) tp.retrySourceConnectionId = opts.server!.retrySourceCid;
    }
    return tp;
  }

  // ---- getters ----

  get state(): ConnState {
    return this.connState;
  }

  get isClosed(): boolean {
    return this.connState === 'closed';
  }

  get handshakeInfo(): HandshakeInfo | undefined {
    return this.handshakeInfoValue;
  }

  get remoteTransportParameters(): TransportParameters | undefined {
    return this.peerParams;
  }

  getStats(): ConnStats {
    const r = this.recovery;
    Object.assign(this.stats, {
      smoothedRtt: r.rtt.smoothedRtt,
      minRtt: r.rtt.minRtt,
      cwnd: r.cc.window,
      bytesInFlight: r.bytesInFlight,
      packetsLost: r.packetsLost,
      congestionEvents: r.congestionEvents,
      sentPacketsTracked: r.trackedPackets,
    });
    return { ...this.stats };
  }

  /** Connection IDs this connection answers to (the endpoint routes them here). */
  get localConnectionIds(): Uint8Array[] {
    return this.localCids.all().map((c) => c.cid);
  }

  // ---- input ----

  /** A datagram from `path`; `ecn` is the codepoint it arrived with, when the shell can read it. */
  handleDatagram(now: number, data: Uint8Array, path: Path, ecn?: EcnCodepoint): void {
    if (this.connState === 'closed') return;
    this.stats.bytesReceived += data.length;
    const onPath = samePath(path, this.path);
    // RFC 9000 §9: no migration before the handshake is confirmed; a server takes nothing from
    // another address until then (a spoofed datagram must not buy bytes toward the client's).
    if (!onPath && this.side === 'server' && !this.handshakeConfirmed) {
      this.stats.packetsDropped++;
      return;
    }
    if (!onPath || !this.peerAddressValidated) this.amplification.onReceived(path, data.length, this.path);
    this.datagramEcn = ecn;
    try {
      processDatagram(this, now, data, path);
    } catch (e) {
      this.fail(now, e);
    }
    this.datagramEcn = undefined;
    this.drainStreamEvents();
    this.updateLossTimer(now);
  }

  handleTimeout(now: number): void {
    if (this.connState === 'closed') return;
    try {
      if ((this.connState === 'closing' || this.connState === 'draining') && now >= this.closeDeadline) {
        this.connState = 'closed';
        return;
      }
      if (this.connState === 'handshake' && now - this.startTime >= this.settings.handshakeTimeoutMs) {
        this.terminate({ code: BigInt(E.NO_ERROR), reason: 'handshake timeout', application: false, remote: false, kind: 'handshake-timeout' });
        return;
      }
      if (now >= this.idleDeadline()) {
        this.terminate({ code: BigInt(E.NO_ERROR), reason: 'idle timeout', application: false, remote: false, kind: 'idle' });
        return;
      }
      onPathTimeout(this, now);
      if (now >= this.previousKeyDiscardAt) {
        this.oneRtt?.discardPreviousReadKey();
        this.previousKeyDiscardAt = Infinity;
      }
      const ld = this.recovery.timerDeadline(now);
      if (ld !== null && now >= ld && this.connState !== 'closing' && this.connState !== 'draining') this.onLossTimeout(now);
      if (this.settings.keepAliveMs > 0 && this.connState === 'established' && now - Math.max(this.lastReceived, this.lastAckElicitingSent) >= this.settings.keepAliveMs) {
        this.spaces[2].probes = Math.max(this.spaces[2].probes, 1);
      }
    } catch (e) {
      this.fail(now, e);
    }
    this.updateLossTimer(now);
  }

  /** @internal RFC 9002 A.8 SetLossDetectionTimer, after every send and receive. */
  updateLossTimer(now: number): void {
    this.lossTimer = this.recovery.timerDeadline(now);
  }

  private onLossTimeout(now: number): void {
    const { lost, probe } = this.recovery.onTimeout(now);
    this.onLost(lost, now);
    if (probe !== null) {
      const sp = this.spaces[probe];
      if (sp.discarded || (probe === 2 && !this.oneRtt) || (probe < 2 && !sp.write)) {
        // The probe space has no keys (client before Handshake keys): probe with an Initial.
        const alt = this.spaces[0].write ? this.spaces[0] : this.spaces[1];
        alt.probes = 2;
        this.requeueCrypto(alt.id);
      } else {
        sp.probes = 2;
        if (probe < 2) this.requeueCrypto(probe);
      }
      this.qlog(now, 'recovery:loss_timer_updated', { event_type: 'expired', timer_type: 'pto', packet_number_space: probe });
    }
  }

  /** On a PTO in Initial/Handshake, resend all unacknowledged CRYPTO data (RFC 9002 §6.2.4). */
  private requeueCrypto(space: SpaceId): void {
    for (const p of this.recovery.unacked(space)) for (const f of p.data.frames) if (f.k === 'crypto') this.spaces[space].cryptoSend.onLost(f.offset, f.len, false);
  }

  private lastLossTime = 0;

  /** @internal Packets declared lost: requeue what they carried. */
  onLost(packets: Iterable<{ data: SentInfo; pn: number; ecn?: boolean }>, now: number): void {
    this.lastLossTime = now;
    for (const p of packets) {
      if (p.ecn) this.ecn.onMarkedLost(1);
      this.qlog(now, 'recovery:packet_lost', { header: { packet_number: p.pn } });
      for (const f of p.data.frames) this.onFrameLost(f);
    }
  }

  private onFrameLost(f: SentFrame): void {
    switch (f.k) {
      case 'crypto':
        if (!this.spaces[f.space].discarded) this.spaces[f.space].cryptoSend.onLost(f.offset, f.len, false);
        return;
      case 'handshake_done':
        this.handshakeDonePending = true;
        return;
      case 'new_connection_id':
        if (this.localCids.get(f.seq)) this.localCids.pending.add(f.seq);
        return;
      case 'retire_connection_id':
        this.remoteCids.toRetire.add(f.seq);
        return;
      case 'ack':
      case 'ping':
      case 'datagram':
      case 'path':
        return;
      case 'pmtu':
        this.pmtu.onProbeLost(f.size, this.lastLossTime);
        return;
      case 'new_token':
        this.newTokenPending = f.token;
        return;
      default:
        this.streams.onLost(f);
    }
  }

  /** @internal Packets acknowledged. */
  onAcked(space: SpaceId, packets: Iterable<{ data: SentInfo }>): void {
    for (const p of packets) {
      if (space === 2) this.oneRtt?.confirmWrite(p.data.gen);
      for (const f of p.data.frames) {
        switch (f.k) {
          case 'crypto':
            this.spaces[f.space].cryptoSend.onAcked(f.offset, f.len, false);
            break;
          case 'ack':
            this.spaces[space].ack.onAckAcked(f.largest);
            break;
          case 'retire_connection_id':
            this.remoteCids.onRetireAcked(f.seq);
            break;
          case 'handshake_done':
          case 'new_connection_id':
          case 'ping':
            break;
          case 'pmtu':
            this.setDatagramSize(this.pmtu.onProbeAcked(f.size));
            break;
          case 'new_token':
          case 'datagram':
          case 'path':
            break;
          default:
            this.streams.onAcked(f);
        }
      }
    }
  }

  /** @internal Queue an event for the application. */
  emit(e: ConnEvent): void {
    this.events.push(e);
  }

  private drainStreamEvents(): void {
    for (let e = this.streams.pollEvent(); e; e = this.streams.pollEvent()) this.events.push(e);
  }

  /** Stateless reset tokens the peer gave us (the endpoint forgets them with the connection). */
  get peerResetTokens(): Uint8Array[] {
    return this.remoteCids.resetTokens();
  }

  /** Does `token` (the last 16 bytes of a datagram) match a stateless reset token the peer gave us? */
  isStatelessReset(token: Uint8Array): boolean {
    return this.remoteCids.resetTokens().some((t) => equalConstantTime(t, token));
  }

  /** RFC 9000 §10.3.1: the peer lost its state — end without sending anything. */
  onStatelessReset(): void {
    this.terminate({ code: 0n, reason: 'stateless reset', application: false, remote: true, kind: 'stateless-reset' });
  }

  /**
   * RFC 9000 §17.2.5.2: a client follows one Retry — new Destination
   * Connection ID, Initial keys from it, the token in every Initial, the
   * ClientHello sent again (packet numbers continue, §17.2.5.3).
   */
  onRetry(scid: Uint8Array, token: Uint8Array, now: number): void {
    this.retrySourceCid = scid.slice();
    this.token = token.slice();
    this.remoteCids.replaceInitial(this.retrySourceCid);
    this.initialKeyDcid = this.retrySourceCid;
    const init = initialKeys(this.provider, this.version, this.retrySourceCid, 'client');
    this.spaces[0].read = init.read;
    this.spaces[0].write = init.write;
    // Everything sent so far (Initial and 0-RTT) goes again; none of it was congestion.
    for (const space of [0, 2] as const) for (const p of this.recovery.takeWhere(space, () => true)) for (const f of p.data.frames) this.onFrameLost(f);
    this.qlog(now, 'transport:packet_received', { header: { packet_type: 'retry', scid: hex(scid) } });
  }

  // ---- the handshake ----

  /** @internal Feed CRYPTO data of `level` to TLS. */
  tlsReceive(level: Level, bytes: Uint8Array, now: number): void {
    this.onTls(this.tls.receive(level, bytes, this.tlsTime(now)), now);
  }

  private onTls(events: HandshakeEvent[], now: number): void {
    for (const e of events) {
      switch (e.type) {
        case 'handshake-data': {
          const space = e.level === 'initial' ? 0 : e.level === 'handshake' ? 1 : 2;
          this.spaces[space].cryptoSend.write(e.bytes);
          break;
        }
        case 'keys':
          this.installKeys(e.level, e.direction, e.cipherSuite, e.secret, now);
          break;
        case 'client-hello': {
          const t = this.serverTls!;
          const alpn = t.alpn.find((p) => e.alpn.includes(p));
          const upgraded = this.negotiateVersion(e.transportParams, e.earlyDataOffered, now);
          // RFC 9001 §8.1: no common ALPN → no_application_protocol (120).
          this.onTls(this.tls.accept({ certificateChain: t.certificateChain, privateKey: t.privateKey, alpn: alpn ?? '', ...(upgraded ? { transportParams: encodeTransportParameters(this.localParams) } : {}) }), now);
          break;
        }
        case 'peer-transport-params':
          applyPeerParameters(this, e.bytes, now);
          break;
        case 'verify-peer': {
          const ok = this.verifyPeer ? safeVerify(this.verifyPeer, e.chain, this.serverName) : true;
          this.onTls(this.tls.resume(ok ? { ok: true } : { ok: false, alert: 42 }), now);
          break;
        }
        case 'complete':
          this.onHandshakeComplete(e, now);
          break;
        case 'session-ticket':
          // Remember the server's transport parameters with the ticket (RFC 9000 §7.4.1).
          this.events.push({ type: 'session-ticket', ticket: this.peerParams ? { ...e.ticket, appData: encodeTransportParameters(rememberable(this.peerParams)) } : e.ticket });
          break;
        case 'early-data':
          this.onEarlyData(e.status, now);
          break;
        case 'alert':
          // RFC 9001 §4.8: a TLS alert becomes CRYPTO_ERROR 0x0100 + description.
          // RFC 9001 §8.4, §4.6.1: some TLS faults are QUIC PROTOCOL_VIOLATIONs (the handshake says which).
          throw new TransportError(e.quicError ?? E.CRYPTO_ERROR_BASE + e.description, e.reason ? `TLS alert ${e.description}: ${e.reason}` : `TLS alert ${e.description}`, 0x06);
      }
    }
  }

  private installKeys(level: Level, dir: 'read' | 'write', suite: CipherSuite, secret: Uint8Array, now: number): void {
    if (level === 'early') {
      this.zeroRtt = keysFromSecret(this.provider, this.version, suite, secret);
      if (this.side === 'client') this.earlyData = 'offered';
    } else if (level === 'handshake') {
      const k = keysFromSecret(this.provider, this.version, suite, secret);
      this.spaces[1][dir] = k;
      if (dir === 'read') this.recovery.hasHandshakeKeys = true;
    } else if (level === 'application') {
      this.appSecrets[dir] = secret;
      this.appSecrets.suite = suite;
      if (this.appSecrets.read && this.appSecrets.write) {
        this.oneRtt = new KeyPhase(this.provider, this.version, suite, { read: this.appSecrets.read, write: this.appSecrets.write });
        // RFC 9001 §4.9.3: a client stops using 0-RTT keys once it has 1-RTT keys.
        if (this.side === 'client') this.zeroRtt = undefined;
      }
    }
    this.qlog(now, 'security:key_updated', { key_type: `${dir === 'read' ? (this.side === 'client' ? 'server' : 'client') : this.side}_${level}_secret`, trigger: 'tls' });
  }

  /** Early data accepted or rejected; on rejection everything sent in 0-RTT goes again in 1-RTT (RFC 9001 §4.6.2). */
  private onEarlyData(status: 'accepted' | 'rejected', now: number): void {
    this.earlyData = status;
    if (this.side !== 'client' || status === 'accepted') return;
    this.zeroRtt = undefined;
    const rejected = this.recovery.takeWhere(2, (p) => p.data.zeroRtt === true);
    for (const p of rejected) for (const f of p.data.frames) this.onFrameLost(f);
    this.qlog(now, 'transport:zero_rtt_rejected', { packets: rejected.length });
  }

  /** @internal A larger (or smaller) datagram size for this path: congestion control and pacing follow. */
  setDatagramSize(size: number): void {
    if (size === this.maxDatagramSize) return;
    this.maxDatagramSize = size;
    this.recovery.cc.setMaxDatagramSize(size);
    this.pacer.setMaxDatagramSize(size);
  }

  /**
   * Server, on the ClientHello (RFC 9368 §2.1, §4): check the client's
   * version_information and move the connection to our most preferred
   * version it lists. True when the version changed (our transport
   * parameters changed with it).
   */
  private negotiateVersion(bytes: Uint8Array | undefined, earlyDataOffered: boolean, now: number): boolean {
    let vi;
    try {
      vi = bytes ? decodeTransportParameters(bytes, 'client').versionInformation : undefined;
    } catch {
      return false; // the peer-transport-params event reports the malformed parameters
    }
    if (!vi) return false;
    if (vi.chosenVersion !== this.originalVersion) throw new TransportError(E.VERSION_NEGOTIATION_ERROR, 'client Chosen Version differs from its Initial packets');
    // 0-RTT packets are protected in the client's version: keep it when the client sends them.
    if (earlyDataOffered) return false;
    const pick = this.settings.versions.find((v) => isSupportedVersion(v) && vi.availableVersions.includes(v));
    if (pick === undefined || pick === this.version) return false;
    this.switchVersion(pick, now);
    this.localParams = { ...this.localParams, versionInformation: { chosenVersion: pick, availableVersions: unique([pick, ...this.settings.versions]) } };
    return true;
  }

  /** @internal Use `version` from now on: Initial keys from the same DCID with its salt and labels (RFC 9368 §2.1, RFC 9369 §3.3). */
  switchVersion(version: QuicVersion, now: number): void {
    if (this.side === 'server') this.originalInitialRead = this.spaces[0].read;
    const from = this.version;
    this.version = version;
    const init = initialKeys(this.provider, version, this.initialKeyDcid, this.side);
    this.spaces[0].read = init.read;
    this.spaces[0].write = init.write;
    this.qlog(now, 'transport:version_information', { chosen_version: version.toString(16), original_version: from.toString(16) });
  }

  /** @internal Set from the first Initial of the peer (client: the server's SCID). */
  peerInitialScid: Uint8Array | undefined;

  private onHandshakeComplete(e: Extract<HandshakeEvent, { type: 'complete' }>, now: number): void {
    this.handshakeInfoValue = { alpn: e.alpn, cipherSuite: e.cipherSuite, resumed: e.resumed, peerCertificates: e.peerCertificates, earlyData: e.earlyData, version: this.version };
    if (this.connState === 'handshake') this.connState = 'established';
    this.events.push({ type: 'handshake-complete', info: this.handshakeInfoValue });
    if (this.side === 'server') {
      // RFC 9001 §4.1.2: the server's handshake is confirmed at completion; it tells the client with HANDSHAKE_DONE.
      this.handshakeDonePending = true;
      // RFC 9000 §8.1.3: a token for the client's next connection.
      if (this.newTokenFactory) this.newTokenPending = this.newTokenFactory();
      this.confirmHandshake(now);
    }
    this.localCids.replenish();
  }

  /** @internal RFC 9001 §4.1.2 / §4.9.2: handshake confirmed — drop Handshake keys. */
  confirmHandshake(now: number): void {
    if (this.handshakeConfirmed) return;
    this.handshakeConfirmed = true;
    this.recovery.handshakeConfirmed = true;
    this.recovery.peerCompletedAddressValidation = true;
    this.discardSpace(1, now);
    this.events.push({ type: 'handshake-confirmed' });
    usePreferredAddress(this, now);
  }

  /** @internal Discard a packet number space and its keys (RFC 9001 §4.9). */
  discardSpace(space: 0 | 1, now: number): void {
    const sp = this.spaces[space];
    if (sp.discarded) return;
    sp.discard();
    this.recovery.discardSpace(space);
    this.qlog(now, 'security:key_discarded', { key_type: space === 0 ? 'initial' : 'handshake' });
  }

  /** @internal A 1-RTT key update happened (either side): keep the old read key for 3 PTO (RFC 9001 §6.5). */
  onKeysRotated(now: number): void {
    this.stats.keyUpdates++;
    this.packetsThisKeyPhase = 0;
    this.previousKeyDiscardAt = now + 3 * this.recovery.ptoDuration();
  }

  // ---- application ----

  /** Open a stream; null when the peer's stream limit is reached (wait for 'stream-…' capacity). */
  openStream(dir: 'bidi' | 'uni'): number | null {
    this.assertOpen();
    return this.streams.open(dir);
  }

  /** Queue bytes; returns how many were accepted (the rest: wait for 'stream-writable'). */
  write(id: number, data: Uint8Array, fin = false): number {
    this.assertOpen();
    return this.streams.write(id, data, fin);
  }

  finish(id: number): void {
    this.assertOpen();
    this.streams.finish(id);
  }

  read(id: number, max = Infinity, now = 0): { data: Uint8Array; fin: boolean } | null {
    const r = this.streams.read(id, max, now);
    this.drainStreamEvents();
    return r;
  }

  resetStream(id: number, code: bigint): void {
    this.streams.reset(id, code);
  }

  stopSending(id: number, code: bigint): void {
    this.streams.stopSending(id, code);
  }

  /** Bytes `write()` would accept on `id` now. */
  writableBytes(id: number): number {
    return this.streams.writable(id);
  }

  /** Streams of `dir` we may still open under the peer's limit. */
  openableStreams(dir: 'bidi' | 'uni'): number {
    return this.streams.openable(dir);
  }

  /**
   * The largest DATAGRAM payload the peer accepts (RFC 9221 §3), 0 when it
   * accepts none (or before its transport parameters arrive).
   */
  get maxDatagramPayload(): number {
    const peer = this.peerParams?.maxDatagramFrameSize ?? 0;
    if (peer === 0) return 0;
    // The frame (type, Length varint, payload) within the peer's limit and within one 1-RTT packet
    // (short header with the longest packet number, AEAD tag).
    const frameRoom = Math.min(peer, this.maxDatagramSize - (1 + this.remoteCids.current.cid.length + 4 + 16));
    const lengthBytes = frameRoom - 1 > 16383 ? 4 : 2;
    return Math.max(0, frameRoom - 1 - lengthBytes);
  }

  /**
   * Queue an unreliable datagram (RFC 9221): sent once, never retransmitted,
   * congestion controlled. Returns false when the peer does not accept
   * datagrams or it is too large; a full queue drops its oldest entry.
   */
  sendDatagram(data: Uint8Array): boolean {
    this.assertOpen();
    if (data.length > this.maxDatagramPayload) return false;
    if (this.datagramQueue.length >= this.settings.datagramQueueLength) this.datagramQueue.shift();
    this.datagramQueue.push(data);
    return true;
  }

  /**
   * Client: the local address changed (the shell rebound its socket): move to
   * a new connection ID and validate the path (RFC 9000 §9.2, §9.5). False
   * when migration is not allowed (the server set disable_active_migration,
   * or there is no spare connection ID) or the handshake is not confirmed.
   */
  migrate(now: number): boolean {
    return migrateClient(this, now);
  }

  /** Initiate a 1-RTT key update (RFC 9001 §6.1); false when not allowed yet. */
  keyUpdate(now: number): boolean {
    if (!this.oneRtt || !this.handshakeConfirmed || !this.oneRtt.canInitiate) return false;
    this.oneRtt.initiate();
    this.onKeysRotated(now);
    return true;
  }

  private assertOpen(): void {
    if (this.connState === 'closing' || this.connState === 'draining' || this.connState === 'closed') throw new TypeError(`connection is ${this.connState}`);
  }

  /**
   * Close: send CONNECTION_CLOSE (application 0x1d once the handshake is
   * complete, else transport APPLICATION_ERROR, RFC 9000 §10.2.3), then stay
   * in the closing state for three PTOs.
   */
  close(now: number, code: bigint = 0n, reason = '', application = true): void {
    if (this.connState === 'closing' || this.connState === 'draining' || this.connState === 'closed') return;
    const app = application && this.connState === 'established';
    this.closeFrame = { code: application && !app ? BigInt(E.APPLICATION_ERROR) : code, reason, application: app, frameType: 0 };
    this.enterClosing(now, { code, reason, application, remote: false, kind: 'close' });
  }

  /** @internal A protocol error or a TLS alert: close with its code. */
  fail(now: number, e: unknown): void {
    let te: TransportError;
    if (TransportError.isInstance(e)) te = e;
    else if (QuicWireError.isInstance(e)) te = new TransportError(e.code, e.message, e.frameType);
    else te = new TransportError(E.INTERNAL_ERROR, e instanceof Error ? e.message : String(e));
    if (this.connState === 'closing' || this.connState === 'draining' || this.connState === 'closed') return;
    this.closeFrame = { code: BigInt(te.code), reason: te.message.slice(0, 200), application: false, frameType: te.frameType ?? 0 };
    this.enterClosing(now, { code: BigInt(te.code), reason: te.message, application: false, remote: false, kind: 'close' });
  }

  private enterClosing(now: number, info: CloseInfo): void {
    this.connState = 'closing';
    this.closeSendPending = true;
    this.closeDeadline = now + 3 * this.recovery.ptoDuration();
    this.events.push({ type: 'closed', info });
    this.qlog(now, 'connectivity:connection_closed', { owner: 'local', error_code: Number(info.code), reason: info.reason });
  }

  /** @internal The peer closed: drain for three PTOs (RFC 9000 §10.2.2). */
  onPeerClose(now: number, code: bigint, reason: string, application: boolean): void {
    if (this.connState === 'draining' || this.connState === 'closed') return;
    const wasClosing = this.connState === 'closing';
    this.connState = 'draining';
    this.closeSendPending = false;
    this.closeDeadline = now + 3 * this.recovery.ptoDuration();
    if (!wasClosing) this.events.push({ type: 'closed', info: { code, reason, application, remote: true, kind: 'close' } });
    this.qlog(now, 'connectivity:connection_closed', { owner: 'remote', error_code: Number(code), reason });
  }

  /** @internal Silent end: idle timeout, stateless reset, version negotiation. */
  terminate(info: CloseInfo): void {
    if (this.connState === 'closed') return;
    const already = this.connState === 'closing' || this.connState === 'draining';
    this.connState = 'closed';
    if (!already) this.events.push({ type: 'closed', info });
  }

  // ---- output ----

  /** The next datagram to send, or null. Call until null after every input. */
  pollTransmit(now: number): Transmit | null {
    if (this.connState === 'closed' || this.connState === 'draining') return null;
    if (this.pathResponses.length > 0 && this.connState === 'established') {
      const r = buildPathResponse(this);
      if (r) {
        this.stats.bytesSent += r.data.length;
        this.amplification.onSent(r.path, r.data.length);
        return r;
      }
    }
    let data: Uint8Array | null;
    // ECN marks only once the handshake is confirmed: a path that drops marked packets cannot stall it.
    this.sendingMarked = this.ecn.marking && this.handshakeConfirmed;
    try {
      data = buildDatagram(this, now);
    } catch (e) {
      this.fail(now, e);
      data = buildDatagram(this, now);
    }
    if (!data) return null;
    this.updateLossTimer(now);
    this.stats.bytesSent += data.length;
    if (!this.peerAddressValidated) this.amplification.onSent(this.path, data.length);
    return this.sendingMarked ? { path: this.path, data, ecn: 'ect0' } : { path: this.path, data };
  }

  /** The earliest deadline (absolute ms) at which `handleTimeout` must run, or null. */
  pollTimeout(): number | null {
    if (this.connState === 'closed') return null;
    if (this.connState === 'closing' || this.connState === 'draining') return this.closeDeadline;
    let t = Math.min(this.idleDeadline(), this.previousKeyDiscardAt);
    if (this.connState === 'handshake') t = Math.min(t, this.startTime + this.settings.handshakeTimeoutMs);
    if (this.lossTimer !== null) t = Math.min(t, this.lossTimer);
    // An ACK deadline only counts where an ACK can be sent (the server reads 0-RTT before it has 1-RTT keys).
    for (const sp of this.spaces) if (!sp.discarded && (sp.id === 2 ? this.oneRtt : sp.write)) t = Math.min(t, sp.ack.ackDeadline);
    if (this.pacingDeadline > 0) t = Math.min(t, this.pacingDeadline);
    t = Math.min(t, pathDeadline(this));
    if (this.settings.keepAliveMs > 0 && this.connState === 'established') t = Math.min(t, Math.max(this.lastReceived, this.lastAckElicitingSent) + this.settings.keepAliveMs);
    return t === Infinity ? null : t;
  }

  pollEvent(): ConnEvent | null {
    this.drainStreamEvents();
    for (let e = this.events.shift(); e; e = this.events.shift()) {
      // A readable/writable notice queued before the application finished that stream (and the core
      // forgot it) is stale: reading it would be a TypeError the peer's packet order provoked (found by fuzzing).
      if ((e.type === 'stream-readable' || e.type === 'stream-writable') && !this.streams.get(e.id)) continue;
      return e;
    }
    return null;
  }

  // ---- timers ----

  /** @internal RFC 9000 §10.1: the smaller idle timeout of both sides, at least 3 PTOs. */
  idleDeadline(): number {
    const ours = this.settings.idleTimeoutMs;
    const theirs = this.peerParams?.maxIdleTimeout ?? 0;
    const idle = ours > 0 && theirs > 0 ? Math.min(ours, theirs) : Math.max(ours, theirs);
    if (idle === 0) return Infinity;
    return this.idleStart + Math.max(idle, 3 * this.recovery.ptoDuration());
  }

  /** @internal A packet was received and processed: the idle timer restarts (§10.1). */
  onPacketProcessed(now: number): void {
    this.idleStart = now;
    this.lastReceived = now;
  }

  /** @internal An ack-eliciting packet went out: the first since the last receipt restarts the idle timer (§10.1). */
  onAckElicitingSent(now: number): void {
    if (this.lastAckElicitingSent <= this.lastReceived) this.idleStart = now;
    this.lastAckElicitingSent = now;
  }

  /** @internal */
  qlog(now: number, name: string, data: Record<string, unknown>): void {
    this.hooks.qlog?.(now, name, data);
  }
}

function safeVerify(f: (chain: Uint8Array[], name: string | undefined) => boolean, chain: Uint8Array[], name: string | undefined): boolean {
  try {
    return f(chain, name) === true;
  } catch {
    return false;
  }
}

export function equal(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The TLS client's certificate policy from exactly one of trustAnchors, verifier, verifyPeer (TypeError otherwise). */
function clientVerification(t: ClientTlsSettings): { verify: 'chain'; trustAnchors: Uint8Array[] } | { verify: 'none' | 'event' | PeerVerifier } {
  const given = [t.trustAnchors, t.verifier, t.verifyPeer].filter((x) => x !== undefined).length;
  if (given !== 1) throw new TypeError('give exactly one of trustAnchors, verifier or verifyPeer (verifyPeer: "none" to skip the check)');
  if (t.trustAnchors) return { verify: 'chain', trustAnchors: t.trustAnchors };
  if (t.verifier) return { verify: t.verifier };
  return { verify: t.verifyPeer === 'none' ? 'none' : 'event' };
}

function unique<T>(xs: T[]): T[] {
  return [...new Set(xs)];
}

export function hex(b: Uint8Array): string {
  let s = '';
  for (const x of b) s += (x < 16 ? '0' : '') + x.toString(16);
  return s;
}

/** RFC 9000 §7.4.1: the parameters a client remembers for 0-RTT (no connection IDs, tokens or addresses). */
