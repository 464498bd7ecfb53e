/**
 * @module server
 * The TLS 1.3 server state machine (RFC 8446 §4, Appendix A.2), QUIC profile
 * (RFC 9001 §4, §8) and plain profile: ClientHello → (HelloRetryRequest) →
 * `client-hello` event → accept(choice) → ServerHello…Finished → client
 * (Certificate, CertificateVerify,) Finished.
 */
import { AlertDescription, QUIC_PROTOCOL_VIOLATION, fail, failQuic } from './alert.js';
import { EARLY_DATA_AGE_WINDOW_MS } from './anti-replay.js';
import { equalBytes, Writer } from './codec.js';
import { verifyScheme } from './crypto/schemes.js';
import { certificateChainFrom, privateKeyFrom } from './pem.js';
import { checkSolicited } from './extensions/extensions.js';
import type { HandshakeCrypto, NamedGroup, Signer } from './crypto/provider.js';
import type { HandshakeEvent, ServerChoice, ServerConfig } from './events.js';
import { KeylogLabel } from './events.js';
import { EarlySecret, finishedVerifyData, isCipherSuite, resumptionPsk, suiteParams, type CipherSuite, type MasterSecret } from './key-schedule.js';
import { aeadTicketer, decodeTicketState, encodeTicketState, type Ticketer, type TicketState } from './ticket.js';
import { certificateVerifyContent, DEFAULT_GROUPS, DEFAULT_SUITES, GROUP_CODES, Machine, TLS13, VERIFY_SCHEMES, type State } from './machine.js';
import { HRR_RANDOM, writeHandshake, type ClientHello, type HandshakeMessage } from './messages/handshake.js';
import { certificateSpki } from './x509-spki.js';

const NONE: ReadonlySet<number> = new Set();

function expect<T extends HandshakeMessage['type']>(m: HandshakeMessage, type: T): Extract<HandshakeMessage, { type: T }> {
  if (m.type !== type) fail(AlertDescription.unexpected_message, `expected handshake message ${type}, got ${m.type}`);
  return m as Extract<HandshakeMessage, { type: T }>;
}

const SERVER_HELLO_ORDER = [0x29, 0x33, 0x2b];

interface Negotiated {
  ch: ClientHello;
  suite: CipherSuite;
  group: number;
  share: Uint8Array;
  psk?: TicketState;
  /** The client offered 0-RTT in its first ClientHello (RFC 8446 §4.2.10). */
  earlyOffered: boolean;
  nowMs: number;
}

export class ServerHandshake extends Machine {
  readonly side = 'server' as const;
  private pendingAccept: Negotiated | undefined;
  private peerCertificates: Uint8Array[] = [];
  private alpn: string | undefined;
  private readonly ticketer: Ticketer | undefined;
  private master: MasterSecret | undefined;
  private earlyStatus: 'accepted' | 'rejected' | 'not-offered' = 'not-offered';
  private resumed = false;

  /** RFC 8446 §4.2.11: the first identity, if it is our ticket, still valid, with a binder that verifies. */
  private acceptPsk(ch: ClientHello, raw: Uint8Array, suite: CipherSuite, nowMs: number): TicketState | undefined {
    const offer = ch.ext.preSharedKey;
    // RFC 8446 §4.2.9: without psk_key_exchange_modes the PSK must not be used; we only do psk_dhe_ke (1).
    if (!offer || !this.ticketer || !ch.ext.pskModes?.includes(1)) return undefined;
    const id = offer.identities[0]!;
    const opened = this.ticketer.open(id.identity, nowMs);
    const st = opened ? decodeTicketState(opened) : null;
    if (!st || suiteParams(st.suite).hash !== suiteParams(suite).hash) return undefined;
    if (nowMs - st.issuedAtMs > st.lifetimeS * 1000 || nowMs < st.issuedAtMs) return undefined;
    // RFC 8446 §4.2.11.2: the binder covers the ClientHello up to the binders list.
    const hl = suiteParams(suite).hashLen;
    let bindersLen = 2;
    for (const b of offer.binders) bindersLen += 1 + b.length;
    const th = this.transcript.hashWith(this.crypto, suite, raw.subarray(0, raw.length - bindersLen));
    const early = new EarlySecret(this.crypto, suite, st.psk);
    const want = finishedVerifyData(this.crypto, suite, early.binderKey('resumption'), th);
    if (offer.binders[0]!.length !== hl || !equalBytes(want, offer.binders[0]!)) fail(AlertDescription.decrypt_error, 'PSK binder does not verify');
    this.pskEarly = early;
    return st;
  }

  /** The Early Secret of the PSK whose binder verified (`acceptPsk`). */
  private pskEarly: EarlySecret | undefined;

  constructor(
    private readonly scfg: ServerConfig,
    crypto: HandshakeCrypto,
  ) {
    super(scfg, crypto, 'server');
    // A key that cannot sign fails here, not in every handshake (PEM is read as PEM: pem.ts).
    if (scfg.privateKey) this.crypto.signer(privateKeyFrom(scfg.privateKey));
    this.ticketer = scfg.ticketer ?? (scfg.ticketKey ? aeadTicketer(this.crypto, scfg.ticketKey) : undefined);
    if (scfg.maxEarlyData !== undefined && (!Number.isInteger(scfg.maxEarlyData) || scfg.maxEarlyData < 0 || scfg.maxEarlyData > 0xffffffff)) {
      throw new RangeError('maxEarlyData must be a uint32');
    }
    const windowMs = scfg.antiReplay?.windowMs;
    if (windowMs !== undefined && !(Number.isFinite(windowMs) && windowMs > 0)) throw new RangeError('antiReplay.windowMs must be a positive number of ms');
    // RFC 9001 §4.6.1: in QUIC, max_early_data_size is 0xffffffff or the extension is absent.
    if (this.quic && scfg.maxEarlyData !== undefined && scfg.maxEarlyData !== 0 && scfg.maxEarlyData !== 0xffffffff) {
      throw new RangeError('QUIC: maxEarlyData is 0 or 0xffffffff (RFC 9001 §4.6.1)');
    }
  }

  start(_nowMs: number): HandshakeEvent[] {
    if (this.state !== 'idle') throw new TypeError('start() called twice');
    this.state = 'running';
    this.current = this.expectClientHello(undefined);
    return [];
  }

  private expectClientHello(hrr: { group: number; suite: CipherSuite } | undefined): State {
    return {
      name: hrr ? 'ExpectSecondClientHello' : 'ExpectClientHello',
      handle: (m, raw, nowMs) => {
        const ch = expect(m, 1);
        // RFC 8446 §4.2.1: TLS 1.3 only, negotiated through supported_versions.
        if (!ch.ext.supportedVersions?.includes(TLS13)) fail(AlertDescription.protocol_version, 'client does not offer TLS 1.3');
        if (this.quic) {
          // RFC 9001 §8.2: mandatory in QUIC.
          if (!ch.ext.quicTransportParams) fail(AlertDescription.missing_extension, 'missing quic_transport_parameters');
          // RFC 9001 §8.1: ALPN mandatory in QUIC.
          if (!ch.ext.alpn) fail(AlertDescription.no_application_protocol, 'no ALPN offered in QUIC');
        } else if (ch.ext.quicTransportParams) {
          // RFC 9001 §8.2: received when the transport is not QUIC → unsupported_extension.
          fail(AlertDescription.unsupported_extension, 'quic_transport_parameters outside QUIC');
        }
        this.checkClientHello(ch, hrr !== undefined);
        // RFC 8446 §9.2: certificate authentication needs signature_algorithms; (EC)DHE needs both of these.
        if (!ch.ext.signatureAlgorithms) fail(AlertDescription.missing_extension, 'missing signature_algorithms');
        if (!ch.ext.supportedGroups || !ch.ext.keyShares) fail(AlertDescription.missing_extension, 'missing supported_groups or key_share');
        const ours = this.scfg.cipherSuites ?? DEFAULT_SUITES;
        const suite = ours.find((s) => ch.cipherSuites.includes(s));
        // RFC 8446 §4.1.1: no common cipher suite → handshake_failure.
        if (suite === undefined || !isCipherSuite(suite)) fail(AlertDescription.handshake_failure, 'no common cipher suite');
        const groups = (this.scfg.groups ?? DEFAULT_GROUPS).map((g) => GROUP_CODES[g]).filter((g) => this.crypto.groups.includes(g));
        if (hrr) {
          // RFC 8446 §4.1.2: the second ClientHello must answer the HRR.
          const ks = ch.ext.keyShares;
          if (ks.length !== 1 || ks[0]!.group !== hrr.group || suite !== hrr.suite) fail(AlertDescription.illegal_parameter, 'second ClientHello does not match the HRR');
          const psk = this.acceptPsk(ch, raw.raw, suite, nowMs);
          this.transcript.add(raw.raw);
          return this.offer({ ch, suite, group: hrr.group, share: ks[0]!.keyExchange, psk, earlyOffered: false, nowMs });
        }
        this.clientRandom = ch.random.slice();
        const withShare = groups.find((g) => ch.ext.keyShares!.some((k) => k.group === g));
        if (withShare !== undefined) {
          const psk = this.acceptPsk(ch, raw.raw, suite, nowMs);
          this.transcript.add(raw.raw);
          return this.offer({ ch, suite, group: withShare, share: ch.ext.keyShares.find((k) => k.group === withShare)!.keyExchange, psk, earlyOffered: ch.ext.earlyData === true, nowMs });
        }
        this.transcript.add(raw.raw);
        const common = groups.find((g) => ch.ext.supportedGroups!.includes(g));
        // RFC 8446 §4.1.1: no common group → handshake_failure.
        if (common === undefined) fail(AlertDescription.handshake_failure, 'no common group');
        // RFC 8446 §4.2.10: a HelloRetryRequest rejects offered 0-RTT; the client's early records are skipped.
        if (ch.ext.earlyData) {
          this.earlyStatus = 'rejected';
          this.emit({ type: 'early-data', status: 'rejected' });
        }
        // RFC 8446 §4.1.4: ask for a share in the common group.
        this.suite = suite;
        this.transcript.rewriteForHrr(this.crypto, suite);
        const [hrrRaw] = this.send('initial', {
          type: 2,
          legacyVersion: 0x0303,
          random: HRR_RANDOM,
          sessionId: ch.sessionId,
          cipherSuite: suite,
          isHrr: true,
          ext: { selectedVersion: TLS13, selectedGroup: common },
        });
        this.transcript.add(hrrRaw!);
        return this.expectClientHello({ group: common, suite });
      },
    };
  }

  /** Consistency rules on a ClientHello that do not depend on our configuration. */
  private checkClientHello(ch: ClientHello, second: boolean): void {
    // RFC 9001 §8.4: a QUIC ClientHello with a legacy_session_id is a PROTOCOL_VIOLATION.
    if (this.quic && ch.sessionId.length > 0) failQuic(AlertDescription.illegal_parameter, QUIC_PROTOCOL_VIOLATION, 'legacy_session_id in QUIC');
    // RFC 8446 §4.2.9: pre_shared_key without psk_key_exchange_modes → missing_extension.
    if (ch.ext.preSharedKey && !ch.ext.pskModes) fail(AlertDescription.missing_extension, 'pre_shared_key without psk_key_exchange_modes');
    // RFC 8446 §4.2.8: key shares only for groups in supported_groups.
    const groups = ch.ext.supportedGroups;
    if (groups && ch.ext.keyShares?.some((k) => !groups.includes(k.group))) fail(AlertDescription.illegal_parameter, 'key share for a group not in supported_groups');
    // RFC 8446 §4.2.10: no early_data in the ClientHello that answers a HelloRetryRequest.
    if (second && ch.ext.earlyData) fail(AlertDescription.illegal_parameter, 'early_data after HelloRetryRequest');
  }

  /** Emits the `client-hello` event and suspends until accept(). */
  private offer(n: Negotiated): State {
    this.suite = n.suite;
    this.pendingAccept = n;
    this.state = 'suspended';
    this.emit({
      type: 'client-hello',
      serverName: n.ch.ext.serverName,
      alpn: n.ch.ext.alpn ?? [],
      cipherSuites: n.ch.cipherSuites,
      transportParams: n.ch.ext.quicTransportParams,
      earlyDataOffered: n.earlyOffered,
    });
    if (this.quic) this.emit({ type: 'peer-transport-params', bytes: n.ch.ext.quicTransportParams! });
    return { name: 'AwaitAccept', handle: () => fail(AlertDescription.unexpected_message, 'message while awaiting accept()') };
  }

  accept(choice: ServerChoice): HandshakeEvent[] {
    const n = this.pendingAccept;
    if (this.state !== 'suspended' || !n) throw new TypeError('accept() without a pending client-hello');
    if (!choice || typeof choice !== 'object') throw new TypeError('accept() takes a ServerChoice');
    const auth = this.authentication(choice, n);
    this.pendingAccept = undefined;
    this.state = 'running';
    return this.guard(() => {
      this.current = this.sendFlight(n, choice, auth);
      this.continueBacklog();
    });
  }

  /** The certificate chain and signer for a full handshake (TypeError for a configuration without them). */
  private authentication(choice: ServerChoice, n: Negotiated): { chain: Uint8Array[]; signer: Signer } | undefined {
    if (n.psk) return undefined; // RFC 8446 §2.2: a resumed handshake carries no certificate
    const chain = choice.certificateChain ?? this.scfg.certificateChain;
    const key = choice.privateKey ?? this.scfg.privateKey;
    if (!chain || chain.length === 0 || !key) throw new TypeError('a full handshake needs certificateChain and privateKey (in the ServerChoice or the ServerConfig)');
    return { chain: certificateChainFrom(chain), signer: this.crypto.signer(privateKeyFrom(key)) };
  }

  private sendFlight(n: Negotiated, choice: ServerChoice, auth: { chain: Uint8Array[]; signer: Signer } | undefined): State {
    const suite = n.suite;
    this.alpn = this.selectAlpn(n.ch.ext.alpn, choice.alpn);
    const resp = this.crypto.respondKeyShare(n.group as NamedGroup, n.share);
    // RFC 8446 §4.2.8.1/2: an invalid client share → illegal_parameter.
    if (!resp) fail(AlertDescription.illegal_parameter, 'invalid client key share');
    const [shRaw] = this.send('initial', {
      type: 2,
      legacyVersion: 0x0303,
      random: this.random(32),
      sessionId: n.ch.sessionId,
      cipherSuite: suite,
      isHrr: false,
      // pre_shared_key, key_share, supported_versions: the order of RFC 8448's traces (any order is legal in a ServerHello).
      ext: { selectedVersion: TLS13, keyShare: { group: n.group, keyExchange: resp.publicKey }, selectedIdentity: n.psk ? 0 : undefined, order: SERVER_HELLO_ORDER },
    });
    this.resumed = n.psk !== undefined;
    // The PSK's Early Secret as the binder check made it (same suite), else a fresh one.
    const early = n.psk && this.pskEarly?.suite === suite ? this.pskEarly : new EarlySecret(this.crypto, suite, n.psk?.psk);
    const chHash = this.transcript.hash(this.crypto, suite); // ClientHello only: no HRR when 0-RTT is possible
    this.transcript.add(shRaw!);
    const hs = early.toHandshake(resp.sharedSecret);
    const th = this.transcript.hash(this.crypto, suite);
    const chts = hs.clientHandshakeTrafficSecret(th);
    const shts = hs.serverHandshakeTrafficSecret(th);
    this.keys('handshake', 'write', shts, KeylogLabel.serverHandshake);
    // RFC 8446 §4.2.10: accept 0-RTT only for a resumed first ClientHello whose ticket allows it, with the
    // ticket's suite and ALPN, and only once per ticket (anti-replay, §8.1).
    if (n.earlyOffered) this.earlyStatus = this.acceptEarlyData(n, choice) ? 'accepted' : 'rejected';
    if (this.earlyStatus === 'accepted') this.keys('early', 'read', early.clientEarlyTrafficSecret(chHash), KeylogLabel.clientEarly);
    const waitEoed = this.earlyStatus === 'accepted' && !this.quic;
    if (!waitEoed) this.keys('handshake', 'read', chts, KeylogLabel.clientHandshake);
    else this.keylog(KeylogLabel.clientHandshake, chts);
    this.readLevel = waitEoed ? 'early' : 'handshake';
    if (n.earlyOffered) this.emit(this.earlyStatus === 'accepted' ? { type: 'early-data', status: 'accepted', maxEarlyData: n.psk!.maxEarlyData } : { type: 'early-data', status: 'rejected' });

    const tp = this.quic ? (choice.transportParams ?? (this.cfg.profile as { transportParams: Uint8Array }).transportParams) : undefined;
    const flight: HandshakeMessage[] = [{ type: 8, ext: { alpn: this.alpn ? [this.alpn] : undefined, quicTransportParams: tp, earlyData: this.earlyStatus === 'accepted' || undefined } }];
    // RFC 8446 §4.3.2: no CertificateRequest in a PSK handshake.
    const requestCert = auth !== undefined && !!this.scfg.requestClientCertificate;
    if (requestCert) flight.push({ type: 13, context: new Uint8Array(0), ext: { signatureAlgorithms: [...VERIFY_SCHEMES] } });
    if (auth) flight.push({ type: 11, context: new Uint8Array(0), entries: auth.chain.map((cert) => ({ cert, ext: {} })) });
    // The flight in one writer: each message into the transcript as a view of it, the whole sent as one copy.
    const w = new Writer(1024);
    const add = (m: HandshakeMessage) => {
      const at = w.length;
      writeHandshake(w, m);
      this.transcript.add(w.view(at));
    };
    flight.forEach(add);
    if (auth) {
      const scheme = auth.signer.schemes.find((s) => n.ch.ext.signatureAlgorithms!.includes(s));
      // RFC 8446 §4.4.3: no scheme the client accepts → handshake_failure.
      if (scheme === undefined) fail(AlertDescription.handshake_failure, 'no common signature scheme');
      add({ type: 15, scheme, signature: auth.signer.sign(scheme, certificateVerifyContent('server', this.transcript.hash(this.crypto, suite))) });
    }
    add({ type: 20, verifyData: finishedVerifyData(this.crypto, suite, shts, this.transcript.hash(this.crypto, suite)) });
    this.emit({ type: 'handshake-data', level: 'handshake', bytes: w.finish() });
    const ms = hs.toMaster();
    const thSF = this.transcript.hash(this.crypto, suite);
    this.appWrite = ms.serverApplicationTrafficSecret(thSF);
    this.appRead = ms.clientApplicationTrafficSecret(thSF);
    this.recordExporter(ms, thSF);
    this.keys('application', 'write', this.appWrite, KeylogLabel.serverApplication);
    // RFC 9001 §5.7: a QUIC server derives the 1-RTT read keys with its Finished (so that it can build
    // the key phase and send 0.5-RTT data); it must not open 1-RTT packets before `complete`, which the
    // QUIC layer enforces. Elsewhere the client's application keys come after its Finished verifies.
    if (this.quic) this.keys('application', 'read', this.appRead, KeylogLabel.clientApplication);
    else this.keylog(KeylogLabel.clientApplication, this.appRead);
    this.master = ms;
    const after = requestCert ? this.expectClientCertificate(chts) : this.expectClientFinished(chts);
    return waitEoed ? this.expectEndOfEarlyData(chts, after) : after;
  }

  /**
   * RFC 7301 §3.2: the protocol to answer with. `choice` undefined: ours
   * (config order) that the client offered; '' (plain profile only): no ALPN.
   * Offered but no overlap → no_application_protocol.
   */
  private selectAlpn(offered: string[] | undefined, choice: string | undefined): string | undefined {
    if (!offered) return undefined;
    const pick = choice ?? this.scfg.alpn.find((p) => offered.includes(p)) ?? (this.scfg.alpn.length === 0 && !this.quic ? '' : undefined);
    if (pick === '' && !this.quic) return undefined;
    if (pick === undefined || !offered.includes(pick)) fail(AlertDescription.no_application_protocol, 'no common application protocol');
    return pick;
  }

  /**
   * RFC 8446 §4.2.10: 0-RTT only for a resumed first ClientHello whose ticket
   * allows it, with the ticket's suite and ALPN, a plausible ticket age (§8.3)
   * and a first use of the ticket (anti-replay, §8.1), unless the application refuses.
   */
  private acceptEarlyData(n: Negotiated, choice: ServerChoice): boolean {
    const st = n.psk;
    if (!st || st.maxEarlyData === 0 || st.suite !== n.suite || st.alpn !== (this.alpn ?? '') || choice.earlyData === false) return false;
    const guard = this.scfg.antiReplay;
    if (!guard) return false;
    const id = n.ch.ext.preSharedKey!.identities[0]!;
    // RFC 8446 §8.3: the client's view of the ticket age must match ours within the window.
    const windowMs = guard.windowMs ?? EARLY_DATA_AGE_WINDOW_MS;
    const clientAgeMs = (id.obfuscatedTicketAge - st.ageAdd) >>> 0;
    if (Math.abs(clientAgeMs - (n.nowMs - st.issuedAtMs)) > windowMs) return false;
    // RFC 8446 §8.1/§8.2: first use only, remembered for as long as a replay of this ClientHello would pass
    // the check above (and no longer than the ticket lives); a register that cannot remember it says no.
    const untilMs = Math.min(st.issuedAtMs + clientAgeMs + windowMs, st.issuedAtMs + st.lifetimeS * 1000);
    return guard.firstUse(this.crypto.hash('sha256', id.identity), n.nowMs, untilMs) === true;
  }

  /** RFC 8446 §4.5 (plain profile): EndOfEarlyData at the early level, then the handshake read keys. */
  private expectEndOfEarlyData(chts: Uint8Array, next: State): State {
    return {
      name: 'ExpectEndOfEarlyData',
      handle: (m, raw) => {
        expect(m, 5);
        this.transcript.add(raw.raw);
        this.emit({ type: 'keys', level: 'handshake', direction: 'read', cipherSuite: this.suite!, secret: chts });
        this.readLevel = 'handshake';
        return next;
      },
    };
  }

  /** RFC 8446 §4.6.1: one NewSessionTicket after the handshake, at the application level. */
  private issueTicket(suite: CipherSuite, resumptionMaster: Uint8Array, nowMs: number): void {
    const nonce = new Uint8Array(1);
    const r = this.random(4);
    const ageAdd = ((r[0]! << 24) | (r[1]! << 16) | (r[2]! << 8) | r[3]!) >>> 0;
    const lifetimeS = Math.min(this.scfg.ticketLifetimeS ?? 7200, 604800);
    const psk = resumptionPsk(this.crypto, suite, resumptionMaster, nonce);
    // RFC 9001 §4.6.1: in QUIC max_early_data_size is 0xffffffff when 0-RTT is allowed.
    const maxEarlyData = this.scfg.maxEarlyData ?? 0;
    const ticket = this.ticketer!.seal(encodeTicketState({ suite, psk, ageAdd, issuedAtMs: nowMs, lifetimeS, alpn: this.alpn ?? '', maxEarlyData }), nowMs);
    this.send('application', { type: 4, lifetime: lifetimeS, ageAdd, nonce, ticket, ext: { maxEarlyDataSize: maxEarlyData > 0 ? maxEarlyData : undefined } });
  }

  /** RFC 8446 §4.4.2: the client's Certificate (possibly empty), then its CertificateVerify. */
  private expectClientCertificate(chts: Uint8Array): State {
    return {
      name: 'ExpectClientCertificate',
      handle: (m, raw) => {
        const cert = expect(m, 11);
        // RFC 8446 §4.4.2: the context echoes the CertificateRequest's (empty here).
        if (cert.context.length !== 0) fail(AlertDescription.illegal_parameter, 'wrong certificate_request_context');
        // RFC 8446 §4.4.2: our CertificateRequest asked for no per-certificate extensions.
        for (const e of cert.entries) checkSolicited(e.ext, NONE, 'CT');
        this.transcript.add(raw.raw);
        if (cert.entries.length === 0) {
          // RFC 8446 §4.4.2.4: a server that requires one aborts with certificate_required.
          if (this.scfg.requestClientCertificate === 'require') fail(AlertDescription.certificate_required, 'the client sent no certificate');
          return this.expectClientFinished(chts);
        }
        this.peerCertificates = this.peerChain(cert.entries);
        return this.expectClientCertificateVerify(chts, certificateSpki(this.peerCertificates[0]!));
      },
    };
  }

  private expectClientCertificateVerify(chts: Uint8Array, spki: Uint8Array): State {
    return {
      name: 'ExpectClientCertificateVerify',
      handle: (m, raw, nowMs) => {
        const cv = expect(m, 15);
        // RFC 8446 §4.4.3: a scheme from our CertificateRequest; a signature that does not verify → decrypt_error.
        if (!(VERIFY_SCHEMES as readonly number[]).includes(cv.scheme)) fail(AlertDescription.illegal_parameter, 'signature scheme we did not offer');
        const content = certificateVerifyContent('client', this.transcript.hash(this.crypto, this.suite!));
        if (!verifyScheme(this.crypto, cv.scheme, spki, content, cv.signature)) fail(AlertDescription.decrypt_error, 'client CertificateVerify does not verify');
        // Judge the chain once the client has proven its key (RFC 8446 §4.4.2.4, §4.4.3).
        this.checkPeerChain(this.peerCertificates, nowMs, undefined);
        this.transcript.add(raw.raw);
        return this.awaitVerdict(this.expectClientFinished(chts), this.peerCertificates, undefined);
      },
    };
  }

  private expectClientFinished(chts: Uint8Array): State {
    return {
      name: 'ExpectClientFinished',
      handle: (m, raw, nowMs) => {
        const fin = expect(m, 20);
        const suite = this.suite!;
        const want = finishedVerifyData(this.crypto, suite, chts, this.transcript.hash(this.crypto, suite));
        // RFC 8446 §4.4.4: wrong verify_data → decrypt_error.
        if (!equalBytes(want, fin.verifyData)) fail(AlertDescription.decrypt_error, 'client Finished does not verify');
        this.transcript.add(raw.raw);
        if (!this.quic) this.emit({ type: 'keys', level: 'application', direction: 'read', cipherSuite: suite, secret: this.appRead! });
        this.readLevel = 'application';
        this.state = 'complete';
        this.emit({ type: 'complete', alpn: this.alpn, cipherSuite: suite, resumed: this.resumed, peerCertificates: this.peerCertificates, earlyData: this.earlyStatus });
        if (this.ticketer) this.issueTicket(suite, this.master!.resumptionMasterSecret(this.transcript.hash(this.crypto, suite)), nowMs);
        this.transcript.release();
        const st: State = {
          name: 'Connected',
          handle: (pm) => this.postHandshake(pm) ?? fail(AlertDescription.unexpected_message, 'unexpected post-handshake message'),
        };
        return st;
      },
    };
  }
}
