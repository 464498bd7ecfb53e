/**
 * @module client
 * The TLS 1.3 client state machine (RFC 8446 §4, Appendix A.1), QUIC profile
 * (RFC 9001 §4, §8) and plain profile: one state object per expected message.
 */
import { AlertDescription, QUIC_PROTOCOL_VIOLATION, fail, failQuic } from './alert.js';
import { ipAddressBytes } from './certificates/name.js';
import { concat, equalBytes } from './codec.js';
import { verifyScheme } from './crypto/schemes.js';
import { certificateChainFrom, privateKeyFrom } from './pem.js';
import type { HandshakeCrypto, KeyShareClient, NamedGroup } from './crypto/provider.js';
import type { ClientConfig, HandshakeEvent, ServerChoice, SessionTicket } from './events.js';
import { KeylogLabel } from './events.js';
import { checkSolicited, type Extensions } from './extensions/extensions.js';
import { EarlySecret, finishedVerifyData, isCipherSuite, resumptionPsk, suiteParams, type HandshakeSecret, type CipherSuite } from './key-schedule.js';
import { obfuscateAge } from './ticket.js';
import { ADVERTISED_SCHEMES, certificateVerifyContent, DEFAULT_GROUPS, DEFAULT_SUITES, GROUP_CODES, Machine, TLS13, VERIFY_SCHEMES, type State } from './machine.js';
import { clientHelloExtensionTypes, decodeHandshake, DOWNGRADE_TLS11, DOWNGRADE_TLS12, encodeHandshake, type ClientHello, type HandshakeMessage, type ServerHello } from './messages/handshake.js';
import type { RawMessage } from './messages/reassembler.js';
import { certificateSpki } from './x509-spki.js';

const NONE: ReadonlySet<number> = new Set();

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

  /** Extension codes of the ClientHello we sent: what a response may carry (RFC 8446 §4.2). */
  private sent: ReadonlySet<number> = new Set();

  constructor(
    private readonly ccfg: ClientConfig,
    crypto: HandshakeCrypto,
  ) {
    super(ccfg, crypto, 'client');
    if (this.quic && ccfg.alpn.length === 0) throw new TypeError('QUIC requires at least one ALPN protocol (RFC 9001 §8.1)');
    // A client key the provider cannot use is a configuration error: TypeError now, not an alert later.
    if (ccfg.certificateChain?.length && ccfg.privateKey) this.crypto.signer(privateKeyFrom(ccfg.privateKey));
    else if (ccfg.certificateChain?.length || ccfg.privateKey) throw new TypeError('certificateChain and privateKey go together');
  }

  /** The ticket to offer, if it is still usable for this connection (RFC 8446 §4.6.1). */
  private usableTicket(nowMs: number, suites: readonly number[]): SessionTicket | undefined {
    const t = this.ccfg.resume;
    if (!t || !suites.includes(t.cipherSuite)) return undefined;
    // Clients MUST NOT cache a ticket longer than its lifetime or 7 days.
    const ageMs = nowMs - t.issuedAtMs;
    if (ageMs < 0 || ageMs > Math.min(t.lifetimeS, 604800) * 1000) return undefined;
    // Resume only with the server name the ticket's session authenticated.
    if ((t.serverName ?? '').toLowerCase() !== (this.ccfg.serverName ?? '').toLowerCase()) return undefined;
    return t;
  }

  start(nowMs: number): HandshakeEvent[] {
    if (this.state !== 'idle') throw new TypeError('start() called twice');
    this.state = 'running';
    return this.guard(() => {
      const groups = (this.ccfg.groups ?? DEFAULT_GROUPS).map((g) => GROUP_CODES[g]);
      this.clientRandom = this.random(32);
      // RFC 9001 §8.4: QUIC sends an empty legacy_session_id; plain TLS sends 32 bytes for middlebox compatibility.
      this.sessionId = this.quic ? new Uint8Array(0) : this.random(32);
      this.share = this.crypto.keyShare(groups[0]!);
      const name = this.ccfg.serverName;
      const ext: Extensions = {
        // RFC 6066 §3: an IP literal is not a HostName; such a server is not named in SNI.
        serverName: name !== undefined && name !== '' && ipAddressBytes(name) === null ? name : undefined,
        supportedGroups: groups,
        alpn: this.ccfg.alpn.length > 0 ? this.ccfg.alpn : undefined,
        signatureAlgorithms: [...ADVERTISED_SCHEMES],
        keyShares: [{ group: this.share.group, keyExchange: this.share.publicKey }],
        supportedVersions: [TLS13],
        quicTransportParams: this.cfg.profile.kind === 'quic' ? this.cfg.profile.transportParams : undefined,
      };
      const suites = this.ccfg.cipherSuites ?? DEFAULT_SUITES;
      const t = this.usableTicket(nowMs, suites);
      if (t) {
        // RFC 8446 §4.2.9/§4.2.11: offer the ticket with psk_dhe_ke; the binder is filled in below.
        this.psk = { ticket: t, early: new EarlySecret(this.crypto, t.cipherSuite, t.resumptionSecret) };
        ext.pskModes = [1];
        ext.preSharedKey = {
          identities: [{ identity: t.ticket, obfuscatedTicketAge: obfuscateAge(nowMs - t.issuedAtMs, t.ageAdd) }],
          binders: [new Uint8Array(suiteParams(t.cipherSuite).hashLen)],
        };
        // RFC 8446 §4.2.10: 0-RTT only with a ticket that allows it, under the ALPN it was issued with.
        const alpnOk = t.alpn === '' ? this.ccfg.alpn.length === 0 : this.ccfg.alpn.includes(t.alpn);
        if (this.ccfg.enableEarlyData && t.maxEarlyData > 0 && alpnOk) ext.earlyData = true;
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
      this.sent = new Set(clientHelloExtensionTypes(this.transcriptClientHello!.subarray(4)));
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
    this.transcriptClientHello = raw;
  }

  private transcriptClientHello: Uint8Array | undefined;

  private expectServerHello(afterHrr: boolean): State {
    return {
      name: 'ExpectServerHello',
      handle: (m, raw) => {
        const sh = expect(m, 2);
        this.checkServerHello(sh);
        checkSolicited(sh.ext, this.sent, sh.isHrr ? 'HRR' : 'SH');
        if (sh.isHrr) return this.onHelloRetryRequest(sh, raw, afterHrr);
        const suite = sh.cipherSuite as CipherSuite;
        // RFC 8446 §4.1.4: the ServerHello suite must be the one the HRR named.
        if (this.hrrSuite !== undefined && this.hrrSuite !== suite) fail(AlertDescription.illegal_parameter, 'suite changed after HRR');
        this.suite = suite;
        const ks = sh.ext.keyShare;
        // RFC 8446 §4.2.8 / §9.2: we only do (EC)DHE, so key_share is required, in the group we offered.
        if (!ks) fail(AlertDescription.missing_extension, 'ServerHello without key_share');
        if (ks.group !== this.share.group) fail(AlertDescription.illegal_parameter, 'server key share for a group we did not offer');
        let early: EarlySecret;
        if (sh.ext.selectedIdentity === undefined) early = new EarlySecret(this.crypto, suite);
        else {
          // RFC 8446 §4.2.11: the selected identity must be one we offered, with the ticket's hash.
          if (!this.psk || sh.ext.selectedIdentity !== 0) fail(AlertDescription.illegal_parameter, 'PSK selected but not offered');
          if (suiteParams(this.psk.ticket.cipherSuite).hash !== suiteParams(suite).hash) fail(AlertDescription.illegal_parameter, 'PSK hash differs from the suite');
          // The Early Secret the binder was made with, when the suite is the ticket's (one HKDF-Extract less).
          early = this.psk.ticket.cipherSuite === suite ? this.psk.early : new EarlySecret(this.crypto, suite, this.psk.ticket.resumptionSecret);
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
    // RFC 8446 §4.2.1: supported_versions naming a version we did not offer, or one prior to TLS 1.3 → illegal_parameter.
    if (v !== TLS13) fail(AlertDescription.illegal_parameter, `server selected version 0x${v.toString(16).padStart(4, '0')} in supported_versions`);
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
    // RFC 8446 §4.1.4: the second ClientHello SHOULD NOT offer PSKs of another hash than the chosen suite's.
    const dropPsk = this.psk !== undefined && suiteParams(this.psk.ticket.cipherSuite).hash !== suiteParams(suite).hash;
    if (dropPsk) this.psk = undefined;
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
        ...(dropPsk && { preSharedKey: undefined, pskModes: undefined }),
        order: undefined,
      },
    };
    this.sendClientHello();
    this.sent = new Set([...this.sent, ...(hrr.ext.cookie ? [44] : [])]);
    return this.expectServerHello(true);
  }

  private expectEncryptedExtensions(s: Secrets): State {
    return {
      name: 'ExpectEncryptedExtensions',
      handle: (m, raw) => {
        const ee = expect(m, 8);
        checkSolicited(ee.ext, this.sent, 'EE');
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
          // RFC 9001 §8.2 (and RFC 8446 §4.2: we did not offer it) → unsupported_extension.
          fail(AlertDescription.unsupported_extension, 'quic_transport_parameters outside QUIC');
        }
        if (this.earlyStatus === 'offered') {
          // RFC 8446 §4.2.10: acceptance is only valid for our first PSK identity.
          if (ee.ext.earlyData && !this.resumed) fail(AlertDescription.illegal_parameter, 'early data accepted without the PSK');
          // RFC 8446 §4.2.10: accepted early data keeps the ticket's cipher suite and ALPN.
          const t = this.psk?.ticket;
          if (ee.ext.earlyData && t && (t.cipherSuite !== this.suite || t.alpn !== (alpn ?? ''))) fail(AlertDescription.illegal_parameter, 'early data accepted with another suite or ALPN');
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
          // RFC 8446 §4.3.2: in the main handshake the context is empty.
          if (m.context.length !== 0) fail(AlertDescription.illegal_parameter, 'non-empty certificate_request_context');
          this.certRequest = { context: m.context, schemes: m.ext.signatureAlgorithms ?? [] };
          this.transcript.add(raw.raw);
          return this.expectCertificate(s, false);
        }
        const cert = expect(m, 11);
        // RFC 8446 §4.4.2: certificate_request_context is empty in the server's Certificate.
        if (cert.context.length !== 0) fail(AlertDescription.illegal_parameter, 'non-empty certificate_request_context');
        // RFC 8446 §4.4.2.4: an empty server Certificate → decode_error.
        if (cert.entries.length === 0) fail(AlertDescription.decode_error, 'server sent no certificate');
        // RFC 8446 §4.4.2: we request no per-certificate extensions (status_request, SCT), so none may come.
        for (const e of cert.entries) checkSolicited(e.ext, NONE, 'CT');
        this.peerCertificates = this.peerChain(cert.entries);
        const spki = certificateSpki(this.peerCertificates[0]!);
        this.transcript.add(raw.raw);
        return this.expectCertificateVerify(s, spki);
      },
    };
  }

  private expectCertificateVerify(s: Secrets, spki: Uint8Array): State {
    return {
      name: 'ExpectCertificateVerify',
      handle: (m, raw, nowMs) => {
        const cv = expect(m, 15);
        const suite = this.suite!;
        // RFC 8446 §4.4.3: the scheme must be one we offered for CertificateVerify.
        if (!(VERIFY_SCHEMES as readonly number[]).includes(cv.scheme)) fail(AlertDescription.illegal_parameter, 'signature scheme we did not offer');
        const content = certificateVerifyContent('server', this.transcript.hash(this.crypto, suite));
        // RFC 8446 §4.4.3: a signature that does not verify → decrypt_error.
        if (!verifyScheme(this.crypto, cv.scheme, spki, content, cv.signature)) fail(AlertDescription.decrypt_error, 'CertificateVerify does not verify');
        // The chain is judged once the peer has proven its key: a verifier (e.g. trust-on-first-use) never sees an unproven certificate.
        this.checkPeerChain(this.peerCertificates, nowMs, this.ccfg.serverName);
        this.transcript.add(raw.raw);
        return this.awaitVerdict(this.expectFinished(s), this.peerCertificates, this.ccfg.serverName);
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
        this.recordExporter(ms, thSF);
        if (this.deferHsWrite && this.earlyStatus === 'accepted') {
          // RFC 8446 §4.5: EndOfEarlyData under the early keys, then switch to the handshake keys.
          const eoed = encodeHandshake({ type: 5 });
          this.transcript.add(eoed);
          this.emit({ type: 'handshake-data', level: 'early', bytes: eoed });
        }
        if (this.deferHsWrite) this.emit({ type: 'keys', level: 'handshake', direction: 'write', cipherSuite: suite, secret: s.chts });
        // RFC 8446 §4.4: the client's authentication messages follow EndOfEarlyData, precede Finished.
        const raws = this.certRequest ? this.clientCertificateFlight(this.certRequest) : [];
        const finRaw = encodeHandshake({
          type: 20,
          verifyData: finishedVerifyData(this.crypto, suite, s.chts, this.transcript.hash(this.crypto, suite)),
        });
        this.transcript.add(finRaw);
        this.resumptionMaster = ms.resumptionMasterSecret(this.transcript.hash(this.crypto, suite));
        this.transcript.release();
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

  /**
   * RFC 8446 §4.4.2: our Certificate and CertificateVerify, each added to the
   * transcript; an empty Certificate when we have no certificate or no scheme
   * the server accepts for our key (§4.4.2.3 "the client MUST send a Certificate message containing no certificates").
   */
  private clientCertificateFlight(req: { context: Uint8Array; schemes: number[] }): Uint8Array[] {
    const chain = certificateChainFrom(this.ccfg.certificateChain ?? []);
    const signer = chain.length > 0 && this.ccfg.privateKey ? this.crypto.signer(privateKeyFrom(this.ccfg.privateKey)) : undefined;
    const scheme = signer?.schemes.find((x) => req.schemes.includes(x));
    const entries = scheme === undefined ? [] : chain.map((c) => ({ cert: c, ext: {} }));
    const certRaw = encodeHandshake({ type: 11, context: req.context, entries });
    this.transcript.add(certRaw);
    if (scheme === undefined) return [certRaw];
    const content = certificateVerifyContent('client', this.transcript.hash(this.crypto, this.suite!));
    const cvRaw = encodeHandshake({ type: 15, scheme, signature: signer!.sign(scheme, content) });
    this.transcript.add(cvRaw);
    return [certRaw, cvRaw];
  }

  private connected(): State {
    const st: State = {
      name: 'Connected',
      handle: (m, _raw, nowMs) => {
        const r = this.postHandshake(m);
        if (r) return r;
        if (m.type === 4) {
          // RFC 9001 §4.6.1: in QUIC a max_early_data_size other than 0xffffffff is a PROTOCOL_VIOLATION.
          if (this.quic && m.ext.maxEarlyDataSize !== undefined && m.ext.maxEarlyDataSize !== 0xffffffff) {
            failQuic(AlertDescription.illegal_parameter, QUIC_PROTOCOL_VIOLATION, 'QUIC max_early_data_size must be 0xffffffff');
          }
          // RFC 8446 §4.6.1: a lifetime of zero means "discard immediately".
          if (m.lifetime === 0) return st;
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
              // RFC 8446 §4.6.1: never more than 7 days.
              lifetimeS: Math.min(m.lifetime, 604800),
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
