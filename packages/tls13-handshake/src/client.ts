/**
 * @module client
 * The TLS 1.3 client state machine (RFC 8446 §4, Appendix A.1), QUIC profile
 * (RFC 9001 §4, §8) and plain profile: one state object per expected message.
 */
import { AlertDescription, fail } from './alert.js';
import { concat, equalBytes } from './codec.js';
import type { HandshakeCrypto, KeyShareClient, NamedGroup } from './crypto/provider.js';
import type { ClientConfig, HandshakeEvent, ServerChoice, SessionTicket } from './events.js';
import { KeylogLabel } from './events.js';
import type { Extensions } from './extensions/extensions.js';
import { EarlySecret, finishedVerifyData, isCipherSuite, resumptionPsk, suiteParams, type HandshakeSecret, type CipherSuite } from './key-schedule.js';
import { obfuscateAge } from './ticket.js';
import {
  certificateVerifyContent,
  DEFAULT_GROUPS,
  DEFAULT_SUITES,
  GROUP_CODES,
  Machine,
  TLS13,
  VERIFY_SCHEMES,
  type State,
} from './machine.js';
import { DOWNGRADE_TLS11, DOWNGRADE_TLS12, encodeHandshake, type ClientHello, type HandshakeMessage, type ServerHello } from './messages/handshake.js';
import type { RawMessage } from './messages/reassembler.js';
import { certificateSpki } from './x509-spki.js';

function expect<T extends HandshakeMessage['type']>(m: HandshakeMessage, type: T): Extract<HandshakeMessage, { type: T }> {
  // RFC 8446 §6.2: a message out of order → unexpected_message.
  if (m.type !== type) fail(AlertDescription.unexpected_message, `expected handshake message ${type}, got ${m.type}`);
  return m as Extract<HandshakeMessage, { type: T }>;
}

interface Secrets {
  hs: HandshakeSecret;
  chts: Uint8Array;
  shts: Uint8Array;
}

export class ClientHandshake extends Machine {
  readonly side = 'client' as const;
  private ch!: ClientHello;
  private share!: KeyShareClient;
  private hrrSuite: number | undefined;
  private sessionId: Uint8Array = new Uint8Array(0);
  private alpn: string | undefined;
  private peerCertificates: Uint8Array[] = [];
  private certRequest: { context: Uint8Array; schemes: number[] } | undefined;

  constructor(private readonly ccfg: ClientConfig, crypto: HandshakeCrypto) {
    super(ccfg, crypto);
  }

  start(nowMs: number): HandshakeEvent[] {
    if (this.state !== 'idle') throw new TypeError('start() called twice');
    this.state = 'running';
    return this.guard(() => {
      if (this.quic && this.ccfg.alpn.length === 0) throw new TypeError('QUIC requires at least one ALPN protocol (RFC 9001 §8.1)');
      const groups = (this.ccfg.groups ?? DEFAULT_GROUPS).map((g) => GROUP_CODES[g]);
      this.clientRandom = this.random(32);
      // RFC 9001 §8.4: QUIC sends an empty legacy_session_id; plain TLS sends 32 bytes for middlebox compatibility.
      this.sessionId = this.quic ? new Uint8Array(0) : this.random(32);
      this.share = this.crypto.keyShare(groups[0]!);
      const ext: Extensions = {
        serverName: this.ccfg.serverName,
        supportedGroups: groups,
        alpn: this.ccfg.alpn.length > 0 ? this.ccfg.alpn : undefined,
        signatureAlgorithms: [...VERIFY_SCHEMES],
        keyShares: [{ group: this.share.group, keyExchange: this.share.publicKey }],
        supportedVersions: [TLS13],
        quicTransportParams: this.cfg.profile.kind === 'quic' ? this.cfg.profile.transportParams : undefined,
      };
      const t = this.ccfg.resume;
      const suites = this.ccfg.cipherSuites ?? DEFAULT_SUITES;
      if (t && suites.includes(t.cipherSuite)) {
        // RFC 8446 §4.2.9/§4.2.11: offer the ticket with psk_dhe_ke; the binder is filled in below.
        this.psk = { ticket: t, early: new EarlySecret(this.crypto, t.cipherSuite, t.resumptionSecret) };
        ext.pskModes = [1];
        ext.preSharedKey = {
          identities: [{ identity: t.ticket, obfuscatedTicketAge: obfuscateAge(nowMs - t.issuedAtMs, t.ageAdd) }],
          binders: [new Uint8Array(suiteParams(t.cipherSuite).hashLen)],
        };
        // RFC 8446 §4.2.10: 0-RTT only with a ticket that allows it.
        if (this.ccfg.enableEarlyData && t.maxEarlyData > 0) ext.earlyData = true;
      }
      this.ch = {
        type: 1,
        legacyVersion: 0x0303,
        random: this.clientRandom,
        sessionId: this.sessionId,
        cipherSuites: this.ccfg.cipherSuites ?? DEFAULT_SUITES,
        ext,
      };
      this.sendClientHello();
      if (this.psk && ext.earlyData) {
        this.earlyStatus = 'offered';
        const cs = this.psk.ticket.cipherSuite;
        const cets = this.psk.early.clientEarlyTrafficSecret(this.transcript.hash(this.crypto, cs));
        this.emit({ type: 'keys', level: 'early', direction: 'write', cipherSuite: cs, secret: cets });
        this.keylog(KeylogLabel.clientEarly, cets);
      }
      this.current = this.expectServerHello(false);
    });
  }

  accept(_choice: ServerChoice): HandshakeEvent[] {
    throw new TypeError('accept() is a server call');
  }

  resume(verdict: { ok: true } | { ok: false; alert: number }): HandshakeEvent[] {
    if (this.state !== 'suspended' || !this.pendingResume) throw new TypeError('resume() without a pending verify-peer');
    const next = this.pendingResume;
    this.pendingResume = undefined;
    this.state = 'running';
    return this.guard(() => {
      if (!verdict.ok) fail(verdict.alert, 'peer certificate rejected by the application');
      this.current = next;
      this.continueBacklog(0);
    });
  }

  private pendingResume: State | undefined;
  private psk: { ticket: SessionTicket; early: EarlySecret } | undefined;
  private resumed = false;
  private deferHsWrite = false;
  private earlyStatus: 'offered' | 'accepted' | 'rejected' | 'not-offered' = 'not-offered';
  private resumptionMaster: Uint8Array | undefined;

  /** Encodes the ClientHello, fills in the PSK binder over its truncation (RFC 8446 §4.2.11.2), emits and hashes it. */
  private sendClientHello(): void {
    const raw = encodeHandshake(this.ch);
    if (this.psk) {
      const hl = suiteParams(this.psk.ticket.cipherSuite).hashLen;
      const truncated = raw.subarray(0, raw.length - (2 + 1 + hl));
      const th = this.transcript.hashWith(this.crypto, this.psk.ticket.cipherSuite, truncated);
      raw.set(finishedVerifyData(this.crypto, this.psk.ticket.cipherSuite, this.psk.early.binderKey('resumption'), th), raw.length - hl);
    }
    this.emit({ type: 'handshake-data', level: 'initial', bytes: raw });
    this.transcript.add(raw);
  }

  private expectServerHello(afterHrr: boolean): State {
    return {
      name: 'ExpectServerHello',
      handle: (m, raw) => {
        const sh = expect(m, 2);
        this.checkServerHello(sh);
        if (sh.isHrr) return this.onHelloRetryRequest(sh, raw, afterHrr);
        const suite = sh.cipherSuite as CipherSuite;
        // RFC 8446 §4.1.4: the ServerHello suite must be the one the HRR named.
        if (this.hrrSuite !== undefined && this.hrrSuite !== suite) fail(AlertDescription.illegal_parameter, 'suite changed after HRR');
        this.suite = suite;
        const ks = sh.ext.keyShare;
        // RFC 8446 §4.2.8: the server's share must be in the group we offered.
        if (!ks || ks.group !== this.share.group) fail(AlertDescription.illegal_parameter, 'server key share for a group we did not offer');
        let early = new EarlySecret(this.crypto, suite);
        if (sh.ext.selectedIdentity !== undefined) {
          // RFC 8446 §4.2.11: the selected identity must be one we offered, with the ticket's hash.
          if (!this.psk || sh.ext.selectedIdentity !== 0) fail(AlertDescription.illegal_parameter, 'PSK selected but not offered');
          if (suiteParams(this.psk.ticket.cipherSuite).hash !== suiteParams(suite).hash) fail(AlertDescription.illegal_parameter, 'PSK hash differs from the suite');
          early = new EarlySecret(this.crypto, suite, this.psk.ticket.resumptionSecret);
          this.resumed = true;
        }
        const shared = this.share.complete(ks.keyExchange);
        if (!shared) fail(AlertDescription.illegal_parameter, 'invalid server key share');
        this.transcript.add(raw.raw);
        const hs = early.toHandshake(shared);
        const th = this.transcript.hash(this.crypto, suite);
        const s: Secrets = { hs, chts: hs.clientHandshakeTrafficSecret(th), shts: hs.serverHandshakeTrafficSecret(th) };
        // Plain profile with 0-RTT offered: the handshake write keys follow EndOfEarlyData (RFC 8446 §4.5).
        this.deferHsWrite = this.earlyStatus === 'offered' && !this.quic;
        if (this.deferHsWrite) this.keylog(KeylogLabel.clientHandshake, s.chts);
        else this.keys('handshake', 'write', s.chts, KeylogLabel.clientHandshake);
        this.keys('handshake', 'read', s.shts, KeylogLabel.serverHandshake);
        this.readLevel = 'handshake';
        return this.expectEncryptedExtensions(s);
      },
    };
  }

  private checkServerHello(sh: ServerHello): void {
    const v = sh.ext.selectedVersion;
    if (v === undefined) {
      // RFC 8446 §4.1.3: a TLS 1.2-or-older ServerHello carrying a downgrade sentinel → illegal_parameter.
      const tail = sh.random.subarray(24);
      if (equalBytes(tail, DOWNGRADE_TLS12) || equalBytes(tail, DOWNGRADE_TLS11)) fail(AlertDescription.illegal_parameter, 'downgrade sentinel');
      fail(AlertDescription.protocol_version, 'server selected a version older than TLS 1.3');
    }
    // RFC 8446 §4.2.1: a version we did not offer → illegal_parameter (older ones → protocol_version).
    if (v < TLS13) fail(AlertDescription.protocol_version, 'server selected a version older than TLS 1.3');
    if (v !== TLS13) fail(AlertDescription.illegal_parameter, 'server selected a version we did not offer');
    // RFC 8446 §4.1.3: legacy_session_id_echo must match.
    if (!equalBytes(sh.sessionId, this.sessionId)) fail(AlertDescription.illegal_parameter, 'legacy_session_id_echo mismatch');
    if (!isCipherSuite(sh.cipherSuite) || !this.ch.cipherSuites.includes(sh.cipherSuite)) {
      fail(AlertDescription.illegal_parameter, 'server selected a cipher suite we did not offer');
    }
  }

  /** RFC 8446 §4.1.4: HelloRetryRequest → a second ClientHello with the requested share (and cookie). */
  private onHelloRetryRequest(hrr: ServerHello, raw: RawMessage, afterHrr: boolean): State {
    if (afterHrr) fail(AlertDescription.unexpected_message, 'second HelloRetryRequest');
    const g = hrr.ext.selectedGroup;
    const offered = this.ch.ext.supportedGroups ?? [];
    if (g === undefined && !hrr.ext.cookie) fail(AlertDescription.illegal_parameter, 'HelloRetryRequest that changes nothing');
    if (g !== undefined && (!offered.includes(g) || g === this.share.group)) fail(AlertDescription.illegal_parameter, 'HRR group not acceptable');
    const suite = hrr.cipherSuite as CipherSuite;
    this.hrrSuite = suite;
    this.transcript.rewriteForHrr(this.crypto, suite);
    this.transcript.add(raw.raw);
    if (g !== undefined) this.share = this.crypto.keyShare(g as NamedGroup);
    if (this.earlyStatus === 'offered') {
      this.earlyStatus = 'rejected';
      this.emit({ type: 'early-data', status: 'rejected' });
    }
    this.ch = {
      ...this.ch,
      ext: {
        ...this.ch.ext,
        keyShares: [{ group: this.share.group, keyExchange: this.share.publicKey }],
        cookie: hrr.ext.cookie,
        // RFC 8446 §4.2.10: no early_data in the ClientHello after a HelloRetryRequest.
        earlyData: undefined,
        order: undefined,
      },
    };
    this.sendClientHello();
    return this.expectServerHello(true);
  }

  private expectEncryptedExtensions(s: Secrets): State {
    return {
      name: 'ExpectEncryptedExtensions',
      handle: (m, raw) => {
        const ee = expect(m, 8);
        const alpn = ee.ext.alpn?.[0];
        // RFC 7301 §3.2: the server's protocol must be one we offered.
        if (alpn !== undefined && !this.ccfg.alpn.includes(alpn)) fail(AlertDescription.illegal_parameter, 'server chose an ALPN we did not offer');
        // RFC 9001 §8.1: QUIC requires ALPN.
        if (this.quic && alpn === undefined) fail(AlertDescription.no_application_protocol, 'no ALPN in QUIC');
        this.alpn = alpn;
        if (this.quic) {
          // RFC 9001 §8.2: quic_transport_parameters is mandatory.
          if (!ee.ext.quicTransportParams) fail(AlertDescription.missing_extension, 'missing quic_transport_parameters');
          this.emit({ type: 'peer-transport-params', bytes: ee.ext.quicTransportParams });
        } else if (ee.ext.quicTransportParams) {
          // RFC 8446 §4.2: an extension we did not offer → unsupported_extension.
          fail(AlertDescription.unsupported_extension, 'quic_transport_parameters outside QUIC');
        }
        if (this.earlyStatus === 'offered') {
          // RFC 8446 §4.2.10: acceptance is only valid for our first PSK identity.
          if (ee.ext.earlyData && !this.resumed) fail(AlertDescription.illegal_parameter, 'early data accepted without the PSK');
          this.earlyStatus = ee.ext.earlyData ? 'accepted' : 'rejected';
          this.emit({ type: 'early-data', status: this.earlyStatus });
        } else if (ee.ext.earlyData) fail(AlertDescription.unsupported_extension, 'early_data accepted but not offered');
        this.transcript.add(raw.raw);
        // RFC 8446 §2.2: a PSK handshake carries no Certificate / CertificateVerify.
        return this.resumed ? this.expectFinished(s) : this.expectCertificate(s, true);
      },
    };
  }

  private expectCertificate(s: Secrets, allowRequest: boolean): State {
    return {
      name: allowRequest ? 'ExpectCertificateOrCertificateRequest' : 'ExpectCertificate',
      handle: (m, raw) => {
        if (m.type === 13 && allowRequest) {
          this.certRequest = { context: m.context, schemes: m.ext.signatureAlgorithms ?? [] };
          this.transcript.add(raw.raw);
          return this.expectCertificate(s, false);
        }
        const cert = expect(m, 11);
        // RFC 8446 §4.4.2: certificate_request_context is empty in the server's Certificate.
        if (cert.context.length !== 0) fail(AlertDescription.illegal_parameter, 'non-empty certificate_request_context');
        // RFC 8446 §4.4.2.4: an empty server Certificate → decode_error.
        if (cert.entries.length === 0) fail(AlertDescription.decode_error, 'server sent no certificate');
        this.peerCertificates = cert.entries.map((e) => e.cert.slice());
        const spki = certificateSpki(this.peerCertificates[0]!);
        this.transcript.add(raw.raw);
        return this.expectCertificateVerify(s, spki);
      },
    };
  }

  private expectCertificateVerify(s: Secrets, spki: Uint8Array): State {
    return {
      name: 'ExpectCertificateVerify',
      handle: (m, raw) => {
        const cv = expect(m, 15);
        const suite = this.suite!;
        if (!(VERIFY_SCHEMES as readonly number[]).includes(cv.scheme)) fail(AlertDescription.illegal_parameter, 'signature scheme we did not offer');
        const content = certificateVerifyContent('server', this.transcript.hash(this.crypto, suite));
        // RFC 8446 §4.4.3: a signature that does not verify → decrypt_error.
        if (!this.crypto.verify(cv.scheme as never, spki, content, cv.signature)) fail(AlertDescription.decrypt_error, 'CertificateVerify does not verify');
        this.transcript.add(raw.raw);
        const next = this.expectFinished(s);
        if (this.ccfg.verify === 'event') {
          this.emit({ type: 'verify-peer', chain: this.peerCertificates, serverName: this.ccfg.serverName });
          this.state = 'suspended';
          this.pendingResume = next;
          return next;
        }
        return next;
      },
    };
  }

  private expectFinished(s: Secrets): State {
    return {
      name: 'ExpectFinished',
      handle: (m, raw) => {
        const fin = expect(m, 20);
        const suite = this.suite!;
        const want = finishedVerifyData(this.crypto, suite, s.shts, this.transcript.hash(this.crypto, suite));
        // RFC 8446 §4.4.4: a wrong verify_data → decrypt_error.
        if (!equalBytes(want, fin.verifyData)) fail(AlertDescription.decrypt_error, 'server Finished does not verify');
        this.transcript.add(raw.raw);
        const ms = s.hs.toMaster();
        const thSF = this.transcript.hash(this.crypto, suite);
        const cats = ms.clientApplicationTrafficSecret(thSF);
        const sats = ms.serverApplicationTrafficSecret(thSF);
        this.recordExporter(ms.exporterMasterSecret(thSF));
        const flight: HandshakeMessage[] = [];
        if (this.certRequest) flight.push(...this.clientCertificateFlight(this.certRequest));
        const raws = flight.map(encodeHandshake);
        if (this.deferHsWrite && this.earlyStatus === 'accepted') {
          // RFC 8446 §4.5: EndOfEarlyData under the early keys, then switch to the handshake keys.
          const eoed = encodeHandshake({ type: 5 });
          this.transcript.add(eoed);
          this.emit({ type: 'handshake-data', level: 'early', bytes: eoed });
        }
        if (this.deferHsWrite) this.emit({ type: 'keys', level: 'handshake', direction: 'write', cipherSuite: suite, secret: s.chts });
        const finRaw = encodeHandshake({
          type: 20,
          verifyData: finishedVerifyData(this.crypto, suite, s.chts, this.transcript.hash(this.crypto, suite)),
        });
        this.transcript.add(finRaw);
        this.resumptionMaster = ms.resumptionMasterSecret(this.transcript.hash(this.crypto, suite));
        this.emit({ type: 'handshake-data', level: 'handshake', bytes: concat(...raws, finRaw) });
        this.appWrite = cats;
        this.appRead = sats;
        this.keys('application', 'write', cats, KeylogLabel.clientApplication);
        this.keys('application', 'read', sats, KeylogLabel.serverApplication);
        this.readLevel = 'application';
        this.state = 'complete';
        this.emit({
          type: 'complete',
          alpn: this.alpn,
          cipherSuite: suite,
          resumed: this.resumed,
          peerCertificates: this.peerCertificates,
          earlyData: this.earlyStatus === 'offered' ? 'rejected' : this.earlyStatus,
        });
        return this.connected();
      },
    };
  }

  /** RFC 8446 §4.4.2: our Certificate (possibly empty) and, with a key, CertificateVerify. */
  private clientCertificateFlight(req: { context: Uint8Array; schemes: number[] }): HandshakeMessage[] {
    const chain = this.ccfg.certificateChain ?? [];
    const cert: HandshakeMessage = { type: 11, context: req.context, entries: chain.map((c) => ({ cert: c, ext: {} })) };
    const certRaw = encodeHandshake(cert);
    this.transcript.add(certRaw);
    if (chain.length === 0 || !this.ccfg.privateKey) return [cert];
    const signer = this.crypto.signer(this.ccfg.privateKey);
    const scheme = signer.schemes.find((x) => req.schemes.includes(x));
    if (scheme === undefined) fail(AlertDescription.handshake_failure, 'no common signature scheme for the client certificate');
    const content = certificateVerifyContent('client', this.transcript.hash(this.crypto, this.suite!));
    const cv: HandshakeMessage = { type: 15, scheme, signature: signer.sign(scheme, content) };
    this.transcript.add(encodeHandshake(cv));
    return [cert, cv];
  }

  private connected(): State {
    const st: State = {
      name: 'Connected',
      handle: (m, _raw, nowMs) => {
        const r = this.postHandshake(m);
        if (r) return r;
        if (m.type === 4) {
          // RFC 9001 §4.6.1: in QUIC a max_early_data_size other than 0xffffffff is a protocol violation.
          if (this.quic && m.ext.maxEarlyDataSize !== undefined && m.ext.maxEarlyDataSize !== 0xffffffff) fail(AlertDescription.illegal_parameter, 'QUIC max_early_data_size must be 0xffffffff');
          // RFC 8446 §4.6.1: PSK = HKDF-Expand-Label(resumption_master_secret, "resumption", ticket_nonce).
          const suite = this.suite!;
          this.emit({
            type: 'session-ticket',
            ticket: {
              serverName: this.ccfg.serverName ?? '',
              alpn: this.alpn ?? '',
              cipherSuite: suite,
              ticket: m.ticket.slice(),
              resumptionSecret: resumptionPsk(this.crypto, suite, this.resumptionMaster!, m.nonce),
              ageAdd: m.ageAdd,
              issuedAtMs: nowMs,
              lifetimeS: m.lifetime,
              maxEarlyData: m.ext.maxEarlyDataSize ?? 0,
            },
          });
          return st;
        }
        fail(AlertDescription.unexpected_message, 'unexpected post-handshake message');
      },
    };
    return st;
  }
}

