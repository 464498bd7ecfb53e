/**
 * @module machine
 * What the client and server state machines share (RFC 8446 §4): the
 * transcript hash (§4.4.1, with the HRR message_hash rewrite), the event
 * queue, per-level reassembly, the receive loop that turns every peer fault
 * into an `alert` event (§6), KeyUpdate (§4.6.3) and exporters (§7.5).
 */
import { AlertDescription, TlsAlertError, fail } from './alert.js';
import { chainLimits, checkChainSize, type ChainLimits } from './certificates/chain.js';
import { chainVerifier, type PeerVerifier } from './certificates/verifiers.js';
import { concat, utf8Once, Writer } from './codec.js';
import type { HandshakeCrypto, HashAlg, NamedGroup, RunningHash } from './crypto/provider.js';
import type { ClientConfig, HandshakeEvent, Level, ServerConfig, GroupName } from './events.js';
import { KeylogLabel, keylogLine } from './events.js';
import { exportKeyingMaterial, isCipherSuite, nextTrafficSecret, suiteParams, type CipherSuite, type MasterSecret } from './key-schedule.js';
import { decodeHandshake, HandshakeType, writeHandshake, type HandshakeMessage } from './messages/handshake.js';
import { Reassembler, type RawMessage } from './messages/reassembler.js';

export const GROUP_CODES = {
  x25519: 0x001d,
  secp256r1: 0x0017,
  secp384r1: 0x0018,
  x25519mlkem768: 0x11ec,
} as const satisfies Record<GroupName, NamedGroup>;

export const DEFAULT_SUITES: CipherSuite[] = [0x1301, 0x1302, 0x1303];
export const DEFAULT_GROUPS: GroupName[] = ['x25519', 'secp256r1'];
/** Schemes we accept in CertificateVerify (RFC 8446 §4.2.3). */
export const VERIFY_SCHEMES = [0x0403, 0x0503, 0x0807, 0x0804, 0x0805, 0x0806] as const;
/**
 * What we advertise in signature_algorithms: the CertificateVerify schemes, then
 * rsa_pkcs1_* for certificate signatures only (RFC 8446 §4.2.3), as OpenSSL and
 * browsers do, so that servers with PKCS#1-signed chains pick them.
 */
export const ADVERTISED_SCHEMES = [...VERIFY_SCHEMES, 0x0401, 0x0501, 0x0601] as const;

/** The resolved certificate policy: a synchronous verifier, 'event' (suspend) or 'none'. */
export type PeerCheck = PeerVerifier | 'event' | 'none';

/**
 * Resolve `verify` / `trustAnchors` into a policy, refusing (TypeError) a
 * config that gives no way to verify the peer unless `verify: 'none'` is explicit.
 */
export function resolvePeerCheck(cfg: ClientConfig | ServerConfig, side: 'client' | 'server'): PeerCheck {
  if (side === 'server' && !(cfg as ServerConfig).requestClientCertificate) return 'none';
  const what = side === 'client' ? 'ClientConfig' : 'ServerConfig with requestClientCertificate';
  const mode = cfg.verify ?? (cfg.trustAnchors ? 'chain' : undefined);
  if (mode === undefined) throw new TypeError(`${what} needs trustAnchors, a verify function, verify: 'event', or an explicit verify: 'none'`);
  if (typeof mode === 'function' || mode === 'event' || mode === 'none') return mode;
  if (mode !== 'chain') throw new TypeError(`unknown verify mode ${String(mode)}`);
  if (!cfg.trustAnchors) throw new TypeError("verify: 'chain' needs trustAnchors");
  // RFC 6125: a server's identity is part of the check; without a name there is nothing to check it against.
  if (side === 'client' && !(cfg as ClientConfig).serverName) throw new TypeError("verify: 'chain' needs serverName (a host name or an IP address)");
  return chainVerifier({ trustAnchors: cfg.trustAnchors, ...(cfg.chainLimits && { limits: cfg.chainLimits }) });
}
export const TLS13 = 0x0304;

/**
 * RFC 8446 §4.4.1: the running transcript. Its messages are fed to a running
 * hash of the suite's hash once it is known (the first Transcript-Hash), so
 * each message is hashed once and each Transcript-Hash is a copy of the
 * state, not a hash of the whole transcript again; a provider without
 * `runningHash` hashes the kept messages whole each time.
 */
export class Transcript {
  private parts: Uint8Array[] = [];
  private running: { alg: HashAlg; h: RunningHash; fed: number } | undefined;
  add(raw: Uint8Array): void {
    this.parts.push(raw);
  }
  hash(c: HandshakeCrypto, suite: CipherSuite): Uint8Array {
    return this.digest(c, suite, undefined);
  }
  /** The hash of the transcript followed by `extra` (a truncated ClientHello, RFC 8446 §4.2.11.2). */
  hashWith(c: HandshakeCrypto, suite: CipherSuite, extra: Uint8Array): Uint8Array {
    return this.digest(c, suite, extra);
  }
  /** @internal What the transcript still holds: its messages, and its running hash if any. */
  get held(): number {
    return this.parts.length + (this.running ? 1 : 0);
  }
  /** The handshake is over (its last Transcript-Hash taken): drop the messages and the running hash, which a connection would otherwise hold for its whole life. */
  release(): void {
    this.parts = [];
    this.running = undefined;
  }
  /** RFC 8446 §4.4.1: after an HRR, ClientHello1 is replaced by message_hash(Hash(ClientHello1)). */
  rewriteForHrr(c: HandshakeCrypto, suite: CipherSuite): void {
    const h = this.hash(c, suite);
    this.parts = [concat(Uint8Array.from([HandshakeType.message_hash, 0, 0, h.length]), h)];
    this.running = undefined;
  }
  private digest(c: HandshakeCrypto, suite: CipherSuite, extra: Uint8Array | undefined): Uint8Array {
    const alg = suiteParams(suite).hash;
    if (!c.runningHash) return c.hash(alg, extra ? concat(...this.parts, extra) : concat(...this.parts));
    let r = this.running;
    if (r?.alg !== alg) r = this.running = { alg, h: c.runningHash(alg), fed: 0 };
    for (; r.fed < this.parts.length; r.fed++) r.h.update(this.parts[r.fed]!);
    return r.h.digest(extra);
  }
}

const CV_LABEL = { server: utf8Once('TLS 1.3, server CertificateVerify'), client: utf8Once('TLS 1.3, client CertificateVerify') } as const;

/** RFC 8446 §4.4.3: the content covered by CertificateVerify. */
export function certificateVerifyContent(side: 'server' | 'client', transcriptHash: Uint8Array): Uint8Array {
  const label = CV_LABEL[side];
  const out = new Uint8Array(64 + label.length + 1 + transcriptHash.length);
  out.fill(0x20, 0, 64);
  out.set(label, 64);
  out.set(transcriptHash, 65 + label.length);
  return out;
}

/** Caller mistakes in the common config are TypeErrors at construction, never alerts later. */
function checkCommonConfig(cfg: ClientConfig | ServerConfig, crypto: HandshakeCrypto): void {
  if (!cfg || (cfg.profile?.kind !== 'tls' && cfg.profile?.kind !== 'quic')) throw new TypeError("profile must be { kind: 'tls' } or { kind: 'quic', transportParams }");
  if (cfg.profile.kind === 'quic' && !(cfg.profile.transportParams instanceof Uint8Array)) throw new TypeError('QUIC profile needs transportParams bytes');
  if (!Array.isArray(cfg.alpn) || cfg.alpn.some((p) => typeof p !== 'string' || p.length === 0 || p.length > 255)) throw new TypeError('alpn must be a list of 1..255-character protocol names');
  const suites = cfg.cipherSuites;
  if (suites && (suites.length === 0 || suites.some((x) => !isCipherSuite(x)))) throw new TypeError('cipherSuites must be a non-empty list of 0x1301, 0x1302, 0x1303');
  const groups = cfg.groups;
  if (groups && (groups.length === 0 || groups.some((g) => !(g in GROUP_CODES) || !crypto.groups.includes(GROUP_CODES[g])))) {
    throw new TypeError(
      `groups must be a non-empty list of ${Object.keys(GROUP_CODES)
        .filter((g) => crypto.groups.includes(GROUP_CODES[g as GroupName]))
        .join(', ')}`,
    );
  }
}

/** A handshake state: which message it takes and what comes next (one object per state, used up). */
export interface State {
  readonly name: string;
  handle(m: HandshakeMessage, raw: RawMessage, nowMs: number): State;
}

export abstract class Machine {
  abstract readonly side: 'client' | 'server';
  state: 'idle' | 'running' | 'suspended' | 'complete' | 'failed' = 'idle';
  readLevel: Level = 'initial';
  protected out: HandshakeEvent[] = [];
  protected readonly crypto: HandshakeCrypto;
  /** One reassembler per level, made when the level's first bytes come (QUIC never uses 'early'; a connection that ends early, fewer). */
  private readonly reasm: Record<Level, Reassembler | undefined> = { initial: undefined, early: undefined, handshake: undefined, application: undefined };
  private readonly maxBuffer: number;
  protected current: State | undefined;
  protected suite: CipherSuite | undefined;
  protected readonly transcript = new Transcript();
  protected clientRandom: Uint8Array = new Uint8Array(32);
  protected exporterSecret: Uint8Array | undefined;
  protected appRead: Uint8Array | undefined;
  protected appWrite: Uint8Array | undefined;
  /** Messages that arrived behind a suspension point, handled on resume()/accept(). */
  protected backlog: { level: Level; msgs: RawMessage[]; nowMs: number } | undefined;
  /** The peer-certificate policy. */
  protected readonly peerCheck: PeerCheck;
  /** Bounds on the peer's certificate chain. */
  protected readonly chainLimits: ChainLimits;
  /** The state to continue with after a `verify-peer` suspension. */
  private pendingResume: State | undefined;

  constructor(
    protected readonly cfg: ClientConfig | ServerConfig,
    crypto: HandshakeCrypto,
    side: 'client' | 'server',
  ) {
    this.crypto = cfg.crypto ?? crypto;
    checkCommonConfig(cfg, this.crypto);
    this.chainLimits = chainLimits(cfg.chainLimits);
    this.peerCheck = resolvePeerCheck(cfg, side);
    this.maxBuffer = cfg.maxHandshakeBufferBytes ?? 65536;
  }

  protected get quic(): boolean {
    return this.cfg.profile.kind === 'quic';
  }

  protected random(n: number): Uint8Array {
    return this.cfg.random ? this.cfg.random(n) : this.crypto.randomBytes(n);
  }

  protected emit(e: HandshakeEvent): void {
    this.out.push(e);
  }

  /** Sends `msgs` as one piece of handshake data; each message's bytes (for the transcript) are a view of it. */
  protected send(level: Level, ...msgs: HandshakeMessage[]): Uint8Array[] {
    const w = new Writer();
    const ends: number[] = [];
    for (const m of msgs) {
      writeHandshake(w, m);
      ends.push(w.length);
    }
    const bytes = w.finish();
    this.emit({ type: 'handshake-data', level, bytes });
    return ends.map((end, i) => bytes.subarray(i === 0 ? 0 : ends[i - 1], end));
  }

  protected keys(level: 'early' | 'handshake' | 'application', direction: 'read' | 'write', secret: Uint8Array, label?: string): void {
    this.emit({ type: 'keys', level, direction, cipherSuite: this.suite!, secret });
    if (label && this.cfg.keylog) this.cfg.keylog(keylogLine(label, this.clientRandom, secret));
  }

  protected keylog(label: string, secret: Uint8Array): void {
    if (this.cfg.keylog) this.cfg.keylog(keylogLine(label, this.clientRandom, secret));
  }

  protected drain(): HandshakeEvent[] {
    const e = this.out;
    this.out = [];
    return e;
  }

  /** Runs `f`; a TlsAlertError (or any bug) becomes the terminal alert event. */
  protected guard(f: () => void): HandshakeEvent[] {
    try {
      f();
    } catch (e) {
      const alert = TlsAlertError.isInstance(e) ? e : undefined;
      this.state = 'failed';
      this.current = undefined;
      this.backlog = undefined;
      this.pendingResume = undefined;
      this.emit({
        type: 'alert',
        description: alert ? alert.description : AlertDescription.internal_error,
        sent: true,
        reason: alert ? alert.message : e instanceof Error ? `internal error: ${e.message}` : 'internal error',
        ...(alert?.quicError !== undefined && this.quic && { quicError: alert.quicError }),
      });
    }
    return this.drain();
  }

  /**
   * RFC 8446 §4.4.2.4: check the peer's chain with a synchronous policy (an
   * alert when it refuses); 'event' and 'none' do nothing here.
   */
  protected checkPeerChain(chain: Uint8Array[], nowMs: number, serverName: string | undefined): void {
    const check = this.peerCheck;
    if (typeof check !== 'function') return;
    const verdict = check(chain, { peer: this.side === 'client' ? 'server' : 'client', nowMs, crypto: this.crypto, ...(serverName !== undefined && { serverName }) });
    if (!verdict.ok) fail(verdict.alert, verdict.reason ?? 'peer certificate refused');
  }

  /** RFC 8446 §4.4.2: the peer's certificate list, within `chainLimits` whatever the verify mode. */
  protected peerChain(entries: readonly { cert: Uint8Array }[]): Uint8Array[] {
    const chain = entries.map((e) => e.cert.slice());
    checkChainSize(chain, this.chainLimits);
    return chain;
  }

  /** With `verify: 'event'`: emit `verify-peer` and suspend before `next` until resume(). */
  protected awaitVerdict(next: State, chain: Uint8Array[], serverName: string | undefined): State {
    if (this.peerCheck !== 'event') return next;
    this.emit({ type: 'verify-peer', chain, ...(serverName !== undefined && { serverName }) });
    this.state = 'suspended';
    this.pendingResume = next;
    return next;
  }

  resume(verdict: { ok: true } | { ok: false; alert: number }): HandshakeEvent[] {
    if (this.state !== 'suspended' || !this.pendingResume) throw new TypeError('resume() without a pending verify-peer');
    if (!verdict || typeof verdict.ok !== 'boolean') throw new TypeError('resume() takes { ok: true } or { ok: false, alert }');
    if (!verdict.ok && (!Number.isInteger(verdict.alert) || verdict.alert < 0 || verdict.alert > 255)) throw new TypeError('resume(): alert must be a byte');
    const next = this.pendingResume;
    this.pendingResume = undefined;
    this.state = 'running';
    return this.guard(() => {
      if (!verdict.ok) fail(verdict.alert, 'peer certificate rejected by the application');
      this.current = next;
      this.continueBacklog();
    });
  }

  receive(level: Level, bytes: Uint8Array, nowMs: number): HandshakeEvent[] {
    if (this.state === 'failed') throw new TypeError('receive() after the handshake failed');
    if (this.state === 'suspended') throw new TypeError('receive() while suspended: call accept() or resume() first');
    if (this.state === 'idle') throw new TypeError('receive() before start()');
    return this.guard(() => {
      // RFC 8446 §5.1 / RFC 9001 §4.1.3: data at a level we cannot read now → unexpected_message.
      if (level !== this.readLevel) fail(AlertDescription.unexpected_message, `handshake data at ${level}, expected ${this.readLevel}`);
      this.process(level, (this.reasm[level] ??= new Reassembler(this.maxBuffer)).push(bytes), nowMs);
    });
  }

  protected process(level: Level, msgs: RawMessage[], nowMs: number): void {
    for (let i = 0; i < msgs.length; i++) {
      const raw = msgs[i]!;
      const st = this.current;
      if (!st) fail(AlertDescription.unexpected_message, 'no message expected');
      const m = decodeHandshake(raw.msgType, raw.body, this.suite ? suiteParams(this.suite).hashLen : 32);
      this.current = st.handle(m, raw, nowMs);
      if (this.state === 'suspended') {
        this.backlog = { level, msgs: msgs.slice(i + 1), nowMs };
        return;
      }
      // RFC 8446 §5.1: handshake messages MUST NOT span a key change, and a message that changes keys
      // (Finished, EndOfEarlyData, KeyUpdate) must end its record: nothing may follow it in the same input.
      const keyChange = this.readLevel !== level || m.type === HandshakeType.key_update;
      if (keyChange && (i + 1 < msgs.length || (this.reasm[level]?.pending ?? 0) > 0)) {
        fail(AlertDescription.unexpected_message, `${m.type === HandshakeType.key_update ? 'KeyUpdate' : 'a key change'} does not end its record`);
      }
    }
  }

  /** Handle the messages that arrived behind a suspension, with the time they arrived at. */
  protected continueBacklog(): void {
    const b = this.backlog;
    this.backlog = undefined;
    if (b && b.msgs.length > 0) this.process(b.level, b.msgs, b.nowMs);
  }

  /** The peer's update_requested not answered yet (RFC 8446 §4.6.3). */
  private updateOwed = false;

  /**
   * RFC 8446 §4.6.3: the peer sent a KeyUpdate with update_requested and we
   * have not sent a KeyUpdate since. Send one (`keyUpdate(false)`) before the
   * next application data record; requests that arrive meanwhile are
   * answered by that one update (the record layer does this in `write()`).
   */
  get keyUpdateRequested(): boolean {
    return this.updateOwed;
  }

  /** After complete: NewSessionTicket and KeyUpdate (RFC 8446 §4.6). */
  protected postHandshake(m: HandshakeMessage): State | undefined {
    if (m.type === HandshakeType.key_update) {
      // RFC 9001 §6: QUIC forbids the TLS KeyUpdate message.
      if (this.quic) fail(AlertDescription.unexpected_message, 'KeyUpdate in QUIC');
      this.appRead = nextTrafficSecret(this.crypto, this.suite!, this.appRead!);
      this.keys('application', 'read', this.appRead);
      // RFC 8446 §4.6.3: update_requested is answered with one KeyUpdate before our next application data,
      // so that many requests while we are silent cost one update, not one each.
      if (m.requestUpdate) this.updateOwed = true;
      return this.current;
    }
    return undefined;
  }

  private updateWrite(requestPeer: boolean): void {
    this.send('application', { type: 24, requestUpdate: requestPeer });
    this.appWrite = nextTrafficSecret(this.crypto, this.suite!, this.appWrite!);
    this.keys('application', 'write', this.appWrite);
    this.updateOwed = false;
  }

  keyUpdate(requestPeer: boolean): HandshakeEvent[] {
    if (this.quic) throw new TypeError('keyUpdate() is for the plain TLS profile; QUIC key update lives in quic-crypto-keys');
    if (this.state !== 'complete') throw new TypeError('keyUpdate() before the handshake completed');
    this.updateWrite(requestPeer);
    return this.drain();
  }

  exportKeyingMaterial(label: string, context: Uint8Array, length: number): Uint8Array {
    if (!this.exporterSecret && this.exporterInputs) this.exporterSecret = this.exporterInputs.master.exporterMasterSecret(this.exporterInputs.transcriptHash);
    this.exporterInputs = undefined;
    if (!this.exporterSecret || !this.suite) throw new TypeError('exportKeyingMaterial() before the handshake completed');
    return exportKeyingMaterial(this.crypto, this.suite, this.exporterSecret, label, context, length);
  }

  /**
   * The exporter_master_secret (RFC 8446 §7.1) on first use, unless a key log
   * wants it now: few connections export keys. Its two inputs are kept, not a
   * closure: a closure would hold the whole scope it was made in (the
   * handshake's messages and secrets) for the connection's life.
   */
  private exporterInputs: { master: MasterSecret; transcriptHash: Uint8Array } | undefined;

  protected recordExporter(master: MasterSecret, transcriptHash: Uint8Array): void {
    if (!this.cfg.keylog) {
      this.exporterInputs = { master, transcriptHash };
      return;
    }
    this.exporterSecret = master.exporterMasterSecret(transcriptHash);
    this.keylog(KeylogLabel.exporter, this.exporterSecret);
  }
}
