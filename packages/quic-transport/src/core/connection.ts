/**
 * @module core/connection
 * A QUIC connection as a sans-IO state machine (RFC 9000, RFC 9001,
 * RFC 9002): datagrams and time in, datagrams, one timer deadline and
 * events out. No sockets, no clock, no randomness of its own: every input
 * carries `now` (ms), random bytes come from `hooks.random`.
 *
 * Four families of methods (quinn's split):
 * - getters: `state`, `getStats()`, `handshakeInfo`, `remoteAddress`, ...
 * - input: `handleDatagram(now, data, path)`, `handleTimeout(now)`
 * - application: `openStream`, `write`, `finish`, `read`, `resetStream`, `stopSending`, `close`, ...
 * - output: call `pollTransmit(now)` until null, then `pollTimeout()` and
 *   arm one timer; drain `pollEvent()` after every input.
 *
 * The state lives in parts, each its own module: packet number spaces
 * (spaces.ts), keys (crypto-state.ts), paths and address validation
 * (path.ts), the lifecycle (lifecycle.ts), timers (timers.ts), loss
 * recovery (recovery/), streams (streams/), connection IDs (cid.ts), the
 * TLS glue (handshake.ts). Sending is sender.ts (through packet-builder.ts),
 * receiving receiver.ts, acknowledgement and loss retransmission.ts.
 */
import { defaultProvider, type CryptoProvider, type QuicVersion } from '@tsquic/quic-crypto-keys';
import { QuicVersion as V, toHex, type TransportParameters } from '@tsquic/quic-wire';
import { connectionIds, type LocalCids, type RemoteCids } from './cid.js';
import { randomBytes, resolveSettings, type ClientTlsSettings, type ConnectionHooks, type ConnectionOptions, type TransportSettings } from './config.js';
import { Cubic } from './congestion/cubic.js';
import { NewReno } from './congestion/new-reno.js';
import { Pacer } from './congestion/pacer.js';
import { CryptoState } from './crypto-state.js';
import { DatagramBuffers } from './datagram-buffers.js';
import { DatagramQueue } from './datagram-queue.js';
import type { EcnCodepoint } from './ecn.js';
import { TransportErrorCode as E } from './errors.js';
import { HandshakeState, onTls, tlsTime } from './handshake.js';
import { IdleTimer } from './idle.js';
import { asTransportError, enterClosing, isOpen, terminate, type Lifecycle } from './lifecycle.js';
import { PathState } from './path.js';
import { PmtuDiscovery } from './pmtud.js';
import { processDatagram } from './receiver.js';
import { LossDetection, type SpaceId } from './recovery/loss-detection.js';
import { buildClose, buildDatagram, buildPathResponse } from './sender.js';
import { PacketSpace } from './spaces.js';
import { AckFrequencySender, minAckDelayUs } from './ack-frequency.js';
import { Streams } from './streams/streams.js';
import { onTimer, refreshTimers } from './timeouts.js';
import { TimerTable } from './timers.js';
import { applyRememberedParameters, localParameters } from './transport-parameters.js';
import type { CloseInfo, ConnEvent, ConnState, ConnStats, HandshakeInfo, Path, SentInfo, Transmit } from './types.js';

export type { CloseInfo, ConnEvent, ConnState, ConnStats, HandshakeInfo, Path, Transmit } from './types.js';
export type { ConnectionOptions } from './config.js';

/** One QUIC connection, sans-IO (RFC 9000, 9001, 9002): datagrams in with `receive`, datagrams out with `pollTransmit`, events out with `pollEvent`, `now` passed to every call. An `Endpoint` makes and routes them; the shells drive them. */
export class Connection {
  readonly side: 'client' | 'server';
  readonly settings: TransportSettings;
  /** @internal */ readonly provider: CryptoProvider;
  /** @internal */ readonly hooks: ConnectionHooks;
  /** @internal */ readonly buffers: DatagramBuffers;
  /** @internal */ readonly random: (n: number) => Uint8Array;
  /** @internal */ readonly spaces: [PacketSpace, PacketSpace, PacketSpace];
  /** @internal */ readonly crypto: CryptoState;
  /** @internal */ readonly hs: HandshakeState;
  /** @internal */ readonly paths: PathState;
  /** @internal */ readonly recovery: LossDetection<SentInfo>;
  /** @internal */ readonly pacer: Pacer;
  /** @internal */ readonly pmtu: PmtuDiscovery;
  /** @internal */ readonly streams: Streams;
  /** @internal */ readonly localCids: LocalCids;
  /** @internal */ readonly remoteCids: RemoteCids;
  /** @internal */ readonly timers = new TimerTable();
  /** @internal */ lifecycle: Lifecycle = { state: 'handshake' };
  /**
   * @internal Frames owed that belong to no other part: HANDSHAKE_DONE, NEW_TOKEN (server; `true`: owed, the
   * token sealed when a packet has room for it, so a connection closed before that seals none).
   */
  readonly pending: { handshakeDone: boolean; newToken: Uint8Array | true | undefined } = { handshakeDone: false, newToken: undefined };
  /** @internal What we ask the peer for with ACK_FREQUENCY (draft-ietf-quic-ack-frequency). */
  readonly ackFrequency = new AckFrequencySender();
  /** @internal The largest ACK_FREQUENCY Sequence Number processed from the peer (§4). */
  ackFrequencySeq = -1;
  /** @internal DATAGRAM payloads waiting (RFC 9221). */
  readonly datagrams: DatagramQueue;
  /** @internal */ maxDatagramSize: number;
  /** @internal */ pacingDeadline = 0;
  /** @internal The ECN codepoint of the datagram being processed, and whether the one being built is marked. */
  datagramEcn: EcnCodepoint | undefined;
  /** @internal */ sendingMarked = false;
  /** @internal */ readonly stats = { packetsSent: 0, packetsReceived: 0, bytesSent: 0, bytesReceived: 0, packetsDropped: 0 };
  private readonly events: ConnEvent[] = [];
  /** @internal When the connection started (the handshake timeout runs from it). */
  readonly startTime: number;
  /** @internal RFC 9000 §10.1 idle timeout and keep-alive. */
  readonly idle: IdleTimer;
  /** @internal Server: makes a token for a NEW_TOKEN frame (RFC 9000 §8.1.3). */
  readonly newTokenFactory: (() => Uint8Array) | undefined;
  private readonly wake: () => void;

  constructor(now: number, opts: ConnectionOptions) {
    this.side = opts.side;
    const s = (this.settings = resolveSettings(opts.transport));
    this.hooks = opts.hooks ?? {};
    this.buffers = opts.buffers ?? new DatagramBuffers();
    this.random = this.hooks.random ?? randomBytes;
    this.provider = this.hooks.packetCrypto ?? defaultProvider();
    this.wake = opts.onWake ?? (() => {});
    this.startTime = now;
    this.idle = new IdleTimer(now);
    this.maxDatagramSize = s.maxDatagramSize;
    // RFC 9000 §13.2.1: an ACK waits at most max_ack_delay (what we advertise, the bound a late timer stays within); we
    // wait only min_ack_delay, as little as our timers allow: a longer wait inflates the sender's RTT samples whenever
    // queueing hides the ACK delay (RFC 9002 §5.3 subtracts it only above min_rtt), and its pacing and share suffer.
    const ackDelay = minAckDelayUs(this) / 1000;
    this.spaces = [new PacketSpace(0, s.ackElicitingThreshold, ackDelay), new PacketSpace(1, s.ackElicitingThreshold, ackDelay), new PacketSpace(2, s.ackElicitingThreshold, ackDelay)];
    this.recovery = new LossDetection<SentInfo>({ cc: this.newCongestionController(), initialRtt: s.initialRttMs, isServer: this.side === 'server', maxAckDelay: 0 });
    this.pacer = new Pacer(this.maxDatagramSize);
    this.pmtu = new PmtuDiscovery(this.maxDatagramSize, s.pmtuDiscovery ? s.maxUdpPayloadSize : this.maxDatagramSize);
    this.streams = new Streams(this.side, s.streams);
    this.datagrams = new DatagramQueue(s.datagramQueueLength);
    const srv = opts.server;
    const ids = connectionIds(opts, s, this.random);
    ({ local: this.localCids, remote: this.remoteCids } = ids);
    const { originalDcid, initialScid, preferredCid } = ids;
    this.newTokenFactory = srv?.newToken;
    const version = opts.version ?? V.V1;
    // After a Retry the client's Initial keys come from the DCID it uses now, the Retry's SCID (RFC 9001 §5.2).
    this.crypto = new CryptoState(this.provider, this.side, version, srv?.retrySourceCid ?? originalDcid, srv?.initialKeys);
    const host = {
      random: this.random,
      rotateCid: (seq?: number) => this.remoteCids.rotate(seq),
      newPath: (fresh: boolean) => {
        this.recovery.newPath(fresh ? { cc: this.newCongestionController(), initialRtt: s.initialRttMs } : undefined);
        // The peer may have used its spare connection ID of ours for this path (RFC 9000 §9.5): the rest now (cid.ts FIRST_ISSUE).
        this.localCids.replenish();
      },
      pto: () => this.recovery.ptoDuration(),
      qlog: this.qlog.bind(this),
    };
    this.paths = new PathState(opts.path, this.side === 'client' || srv?.addressValidated === true, s.ecn, s.initialRttMs, host);
    const params = localParameters(s, version, initialScid, srv && { ...srv, preferredCid });
    this.hs = new HandshakeState(this.side, opts.tls, params, originalDcid, initialScid, this.hooks, this.random);
    this.hs.token = opts.token;
    const t = opts.tls as ClientTlsSettings;
    // RFC 9000 §7.4.1: 0-RTT uses the server's transport parameters remembered with the ticket.
    if (!srv && t.earlyData && t.sessionTicket?.appData) applyRememberedParameters(this, t.sessionTicket.appData);
    this.input(now, () => onTls(this, this.hs.tls.start(tlsTime(this, now)), now));
    if (this.hooks.qlog) this.qlog(now, 'connectivity:connection_started', { src_cid: toHex(initialScid), dst_cid: toHex(this.remoteCids.current.cid), protocol: 'QUIC' });
  }

  private newCongestionController() {
    // HyStart++ limits an unpaced sender's growth per ACK (RFC 9406 §4.3: L).
    const { congestionControl, pacing } = this.settings;
    return congestionControl === 'newreno' ? new NewReno(this.maxDatagramSize, pacing) : new Cubic(this.maxDatagramSize, pacing);
  }

  // ---- getters ----

  get state(): ConnState {
    return this.lifecycle.state;
  }

  get isClosed(): boolean {
    return this.lifecycle.state === 'closed';
  }

  get handshakeInfo(): HandshakeInfo | undefined {
    return this.hs.info;
  }

  get remoteTransportParameters(): TransportParameters | undefined {
    return this.hs.peerParams;
  }

  /** The version in use (RFC 9368: after a compatible version negotiation). */
  get version(): QuicVersion {
    return this.crypto.version;
  }

  /** The version of our first Initial (the client's; a server's from the client's first Initial). */
  get originalVersion(): QuicVersion {
    return this.crypto.originalVersion;
  }

  /** The peer's address and port on the current path (it changes with migration, RFC 9000 §9). */
  get remoteAddress(): Path {
    return { ...this.paths.current };
  }

  /** The application protocol (ALPN): a server's as soon as it chose it (0-RTT streams can be routed by it), a client's once the handshake completes. */
  get alpn(): string | undefined {
    return this.hs.info?.alpn ?? this.hs.alpn;
  }

  /** The handshake is confirmed (RFC 9001 §4.1.2). */
  get handshakeConfirmed(): boolean {
    return this.hs.confirmed;
  }

  /** Counters and the recovery state (RTT, congestion window, bytes in flight) at this moment. */
  getStats(): ConnStats {
    const r = this.recovery;
    return {
      ...this.stats,
      smoothedRtt: r.rtt.smoothedRtt,
      minRtt: r.rtt.minRtt,
      cwnd: r.cc.window,
      bytesInFlight: r.bytesInFlight,
      packetsLost: r.packetsLost,
      congestionEvents: r.congestionEvents,
      keyUpdates: this.crypto.keyUpdates,
      sentPacketsTracked: r.trackedPackets,
      maxDatagramSize: this.maxDatagramSize,
      ecn: this.paths.ecn.state,
    };
  }

  /** Connection IDs this connection answers to (the endpoint routes them here). */
  get localConnectionIds(): Uint8Array[] {
    return this.localCids.routed();
  }

  /** Stateless reset tokens the peer gave us (the endpoint forgets them with the connection). */
  get peerResetTokens(): Uint8Array[] {
    return this.remoteCids.resetTokens();
  }

  // ---- input ----

  /** A datagram from `path`; `ecn` is the codepoint it arrived with, when the shell can read it. */
  handleDatagram(now: number, data: Uint8Array, path: Path, ecn?: EcnCodepoint): void {
    if (this.isClosed) return;
    this.stats.bytesReceived += data.length;
    if (!this.paths.onDatagram(path, data.length, this.side === 'client' || this.hs.confirmed)) {
      this.stats.packetsDropped++;
      return;
    }
    this.datagramEcn = ecn;
    this.input(now, () => {
      processDatagram(this, now, data, path);
      // RFC 9001 §5.7: 1-RTT packets held until the handshake completed are opened now.
      if (this.hs.info && this.hs.held.length > 0) for (const h of this.hs.held.splice(0)) processDatagram(this, now, h.packet, h.path);
    });
    this.datagramEcn = undefined;
    this.localCids.expire(now);
    this.updateLossTimer(now);
  }

  /** Run the timers that are due (and only those). */
  handleTimeout(now: number): void {
    if (this.isClosed) return;
    refreshTimers(this);
    this.localCids.expire(now);
    this.input(now, () => {
      for (const t of this.timers.expired(now)) {
        onTimer(this, t, now);
        if (this.isClosed) return;
      }
    });
  }

  /** Run `f` on input; a protocol error it throws closes the connection with its code. */
  private input(now: number, f: () => void): void {
    try {
      f();
    } catch (e) {
      this.fail(now, e);
    }
    this.drainStreamEvents();
  }

  /**
   * @internal RFC 9002 A.8 SetLossDetectionTimer: after every send and
   * receive, and when it expires. Marked here and set when the timers are
   * next read (refreshTimers, before every poll of them), from the `now` of
   * the last mark: the same deadline, computed once per batch of datagrams
   * instead of once per datagram.
   */
  updateLossTimer(now: number): void {
    this.lossTimerNow = now;
  }

  /** @internal The `now` of the last updateLossTimer not yet applied (NaN: none). */
  lossTimerNow = NaN;

  /** @internal Queue an event for the application. */
  emit(e: ConnEvent): void {
    this.events.push(e);
  }

  private drainStreamEvents(): void {
    for (let e = this.streams.pollEvent(); e; e = this.streams.pollEvent()) this.events.push(e);
  }

  /** @internal RFC 9000 §10.3.1: the peer lost its state — end without sending anything. */
  onStatelessReset(): void {
    terminate(this, { code: 0n, reason: 'stateless reset', application: false, remote: true, kind: 'stateless-reset' });
  }

  // ---- the handshake ----

  /** @internal A larger (or smaller) datagram size for this path: congestion control and pacing follow. */
  setDatagramSize(size: number): void {
    if (size === this.maxDatagramSize) return;
    this.maxDatagramSize = size;
    this.recovery.cc.setMaxDatagramSize(size);
    this.pacer.setMaxDatagramSize(size);
  }

  /** @internal RFC 9001 §4.1.2, §4.9.2: the handshake is confirmed — Handshake keys go; a client moves to the server's preferred address (RFC 9000 §9.6). */
  confirmHandshake(now: number): void {
    if (this.hs.confirmed) return;
    this.hs.confirmed = this.recovery.handshakeConfirmed = this.recovery.peerCompletedAddressValidation = true;
    this.discardSpace(1, now);
    this.events.push({ type: 'handshake-confirmed' });
    if (this.side === 'client' && this.settings.usePreferredAddress) this.paths.usePreferred(now);
  }

  /** @internal Discard a packet number space and its keys (RFC 9001 §4.9). */
  discardSpace(space: 0 | 1, now: number): void {
    if (this.spaces[space].discarded) return;
    this.spaces[space].discard();
    this.crypto.discard(space);
    this.recovery.discardSpace(space);
    if (this.hooks.qlog) this.qlog(now, 'security:key_discarded', { key_type: space === 0 ? 'initial' : 'handshake' });
  }

  /** @internal A 1-RTT key update happened (either side): keep the old read key for 3 PTO (RFC 9001 §6.5). */
  onKeysRotated(now: number): void {
    this.crypto.onRotated();
    this.timers.set('keyDiscard', now + 3 * this.recovery.ptoDuration());
  }

  // ---- application ----

  /** Run an application call: the connection must be open; the endpoint hears of it. */
  private act<T>(f: () => T): T {
    if (!isOpen(this.lifecycle)) throw new TypeError(`connection is ${this.lifecycle.state}`);
    const r = f();
    this.wake();
    return r;
  }

  /** Open a stream; null when the peer's stream limit is reached (wait for 'stream-…' capacity). */
  openStream(dir: 'bidi' | 'uni'): number | null {
    return this.act(() => this.streams.open(dir));
  }

  /** Queue bytes; returns how many were accepted (the rest: wait for 'stream-writable'). */
  write(id: number, data: Uint8Array, fin = false): number {
    return this.act(() => this.streams.write(id, data, fin));
  }

  /** End the sending side of stream `id` (a FIN after the data written so far). */
  finish(id: number): void {
    this.act(() => this.streams.finish(id));
  }

  /** Up to `max` contiguous bytes of stream `id` (`fin` once the end was read), or null when none are ready; reading returns flow-control credit to the peer. */
  read(id: number, max = Infinity, now = 0): { data: Uint8Array; fin: boolean } | null {
    const r = this.streams.read(id, max, now);
    this.drainStreamEvents();
    this.wake();
    return r;
  }

  /** Abandon sending on stream `id` with RESET_STREAM carrying the application `code` (RFC 9000 §19.4). */
  resetStream(id: number, code: bigint): void {
    this.streams.reset(id, code);
    this.wake();
  }

  /** Ask the peer to stop sending on stream `id` with STOP_SENDING carrying the application `code` (RFC 9000 §19.5). */
  stopSending(id: number, code: bigint): void {
    this.streams.stopSending(id, code);
    this.wake();
  }

  /** The peer's FIN and all data before it arrived on `id` (RFC 9000 §3.2 Data Recvd): it can be read to the end even after the connection closed. */
  receivedAll(id: number): boolean {
    return this.streams.get(id)?.recv?.state === 'data-recvd';
  }

  /** Bytes `write()` would accept on `id` now. */
  writableBytes(id: number): number {
    return this.streams.writable(id);
  }

  /** Streams of `dir` we may still open under the peer's limit. */
  openableStreams(dir: 'bidi' | 'uni'): number {
    return this.streams.openable(dir);
  }

  /** The largest DATAGRAM payload the peer accepts (RFC 9221 §3), 0 when it accepts none (or before its transport parameters arrive). */
  get maxDatagramPayload(): number {
    return DatagramQueue.maxPayload(this.hs.peerParams?.maxDatagramFrameSize ?? 0, this.maxDatagramSize, this.remoteCids.current.cid.length);
  }

  /** Queue an unreliable datagram (RFC 9221): false when the peer does not accept datagrams or it is too large; a full queue drops its oldest entry. */
  sendDatagram(data: Uint8Array): boolean {
    return this.act(() => data.length <= this.maxDatagramPayload && (this.datagrams.push(data), true));
  }

  /**
   * Client: the local address changed (the shell rebound its socket): move to
   * a new connection ID and validate the path (RFC 9000 §9.2, §9.5). False
   * when migration is not allowed (the server set disable_active_migration,
   * or there is no spare connection ID) or the handshake is not confirmed.
   */
  migrate(now: number): boolean {
    if (this.side !== 'client' || !this.hs.confirmed || this.hs.peerParams?.disableActiveMigration || !this.remoteCids.rotate()) return false;
    this.paths.rebind(now);
    this.wake();
    return true;
  }

  /** Initiate a 1-RTT key update (RFC 9001 §6.1); false when not allowed yet. */
  keyUpdate(now: number): boolean {
    if (!this.crypto.initiateKeyUpdate(this.hs.confirmed)) return false;
    this.timers.set('keyDiscard', now + 3 * this.recovery.ptoDuration());
    this.wake();
    return true;
  }

  /**
   * Close: send CONNECTION_CLOSE (application 0x1d once the handshake is
   * complete, else transport APPLICATION_ERROR, RFC 9000 §10.2.3), then stay
   * in the closing state for three PTOs.
   */
  close(now: number, code: bigint = 0n, reason = '', application = true): void {
    if (!isOpen(this.lifecycle)) return;
    const app = application && this.lifecycle.state === 'established';
    enterClosing(this, now, { code: application && !app ? BigInt(E.APPLICATION_ERROR) : code, reason, application: app, frameType: 0 }, { code, reason, application, remote: false, kind: 'close' });
    this.wake();
  }

  /** @internal A protocol error or a TLS alert: close with its code. */
  fail(now: number, e: unknown): void {
    if (!isOpen(this.lifecycle)) return;
    const te = asTransportError(e);
    enterClosing(this, now, { code: BigInt(te.code), reason: te.message.slice(0, 200), application: false, frameType: te.frameType ?? 0 }, { code: BigInt(te.code), reason: te.message, application: false, remote: false, kind: 'close' });
  }

  // ---- output ----

  /** The next datagram to send, or null. Call until null after every input. */
  pollTransmit(now: number): Transmit | null {
    const l = this.lifecycle;
    if (l.state === 'closed' || l.state === 'draining') return null;
    if (l.state === 'closing') {
      if (!l.sendPending) return null;
      l.sendPending = false;
      return this.transmit(buildClose(this, l.frame, now), false);
    }
    const r = l.state === 'established' ? buildPathResponse(this) : null;
    if (r) return r;
    // ECN marks only once the handshake is confirmed: a path that drops marked packets cannot stall it.
    this.sendingMarked = this.paths.ecn.marking && this.hs.confirmed;
    let data: Uint8Array | null;
    try {
      data = buildDatagram(this, now);
    } catch (e) {
      this.fail(now, e);
      return this.pollTransmit(now);
    }
    if (data) this.updateLossTimer(now);
    return this.transmit(data, this.sendingMarked);
  }

  private transmit(data: Uint8Array | null, marked: boolean): Transmit | null {
    if (!data) return null;
    const path = this.paths.current;
    this.stats.bytesSent += data.length;
    this.paths.onSent(path, data.length);
    return marked ? { path, data, ecn: 'ect0' } : { path, data };
  }

  /** The earliest deadline (absolute ms) at which `handleTimeout` must run, or null. */
  pollTimeout(): number | null {
    refreshTimers(this);
    return this.timers.next();
  }

  /** The next event (handshake, streams, tickets, datagrams, close), or null when there is none. */
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

  /** @internal Callers on the per-connection path test `hooks.qlog` first: no event object is built that nobody reads. */
  qlog(now: number, name: string, data: Record<string, unknown>): void {
    this.hooks.qlog?.(now, name, data);
  }
}
