/**
 * Conformance, handshake messages: one row per MUST of RFC 8446 §4 (and
 * RFC 9001 §4, §6, §8 for the QUIC profile) that a peer can violate, in the
 * manner of BoGo and tlsfuzzer. Each row runs a real handshake between our
 * client and server (test/core/pair.ts), edits one message of the violating
 * side in flight, and asserts the exact alert the other side sends. Where
 * the RFC names no alert the row says so and asserts the one we chose.
 * The record-layer rules of §5 are in records.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { AlertDescription as A, QUIC_PROTOCOL_VIOLATION, type ClientConfig, type Handshake, type HandshakeEvent, type ServerConfig, type SessionTicket } from '../../src/index.js';
import { decodeHandshake, encodeHandshake, type HandshakeMessage } from '../../src/messages/handshake.js';
import { fixture, ofType, runPair, type PairResult } from '../core/pair.js';
import { testProvider as crypto } from '../core/test-crypto.js';

type Side = 'client' | 'server';
type Data = Extract<HandshakeEvent, { type: 'handshake-data' }>;
type Scenario = 'full' | 'hrr' | 'resume' | 'client-auth' | 'quic';

const ticketKey = new Uint8Array(32).fill(7);
const quicProfile = { kind: 'quic' as const, transportParams: Uint8Array.of(1, 2) };
let ticket: SessionTicket | undefined;
function resumeTicket(): SessionTicket {
  ticket ??= ofType(runPair({ profile: { kind: 'tls' }, alpn: ['h2'], crypto, verify: 'none', serverName: 's' }, { profile: { kind: 'tls' }, alpn: ['h2'], crypto, ticketKey }).clientEvents, 'session-ticket')[0]!.ticket;
  return ticket;
}

/** The two configs of each scenario. */
function configs(s: Scenario): { client: ClientConfig; server: ServerConfig } {
  const client: ClientConfig = { profile: { kind: 'tls' }, alpn: ['h2'], crypto, verify: 'none', serverName: 's' };
  const server: ServerConfig = { profile: { kind: 'tls' }, alpn: ['h2'], crypto };
  switch (s) {
    case 'hrr':
      return { client: { ...client, groups: ['x25519', 'secp256r1'] }, server: { ...server, groups: ['secp256r1'] } };
    case 'resume':
      return { client: { ...client, resume: resumeTicket() }, server: { ...server, ticketKey } };
    case 'client-auth':
      return {
        client: { ...client, certificateChain: [fixture('core-client-cert.der')], privateKey: fixture('core-client-key.der') },
        server: { ...server, requestClientCertificate: 'require', verify: 'none' },
      };
    case 'quic':
      return { client: { ...client, profile: quicProfile, alpn: ['h3'] }, server: { ...server, profile: quicProfile, alpn: ['h3'] } };
    default:
      return { client, server };
  }
}

/** Split a flight into its messages, let `f` edit them (return null to drop one), join them again. */
function editFlight(bytes: Uint8Array, f: (m: HandshakeMessage, raw: Uint8Array) => HandshakeMessage | Uint8Array | null): Uint8Array {
  const out: number[] = [];
  for (let off = 0; off < bytes.length;) {
    const len = (bytes[off + 1]! << 16) | (bytes[off + 2]! << 8) | bytes[off + 3]!;
    const raw = bytes.subarray(off, off + 4 + len);
    off += 4 + len;
    const e = f(decodeHandshake(raw[0]!, raw.subarray(4), 32), raw);
    if (e === null) continue;
    out.push(...(e instanceof Uint8Array ? e : encodeHandshake(e)));
  }
  return Uint8Array.from(out);
}

type Tamper = (from: Side, e: Data) => Uint8Array;

/** Edit the messages of type `type` that `from` sends (the `nth` flight carrying one, counting from 0). */
function msg<T extends HandshakeMessage['type']>(from: Side, type: T, f: (m: Extract<HandshakeMessage, { type: T }>, raw: Uint8Array) => HandshakeMessage | Uint8Array | null, nth = 0): () => Tamper {
  return () => {
    let seen = 0;
    return (who, e) => {
      if (who !== from) return e.bytes;
      let hit = false;
      const edited = editFlight(e.bytes, (m, raw) => {
        if (m.type !== type) return m;
        hit = true;
        return seen === nth ? f(m as Extract<HandshakeMessage, { type: T }>, raw) : m;
      });
      if (!hit) return e.bytes;
      return seen++ === nth ? edited : e.bytes;
    };
  };
}

/** Edit the raw bytes of the `nth` handshake-data `from` sends at `level`. */
function raw(from: Side, level: string, f: (b: Uint8Array) => Uint8Array, nth = 0): () => Tamper {
  return () => {
    let seen = 0;
    return (who, e) => (who === from && e.level === level && seen++ === nth ? f(e.bytes.slice()) : e.bytes);
  };
}

const ext = <M extends { ext: object }>(m: M, patch: object, order?: (o: number[]) => number[]): M => {
  const e = m.ext as { order?: number[] };
  return { ...m, ext: { ...m.ext, ...patch, ...(order && { order: order(e.order ?? []) }) } };
};
const withUnknown = <M extends { ext: object }>(m: M, type: number, data: number[] = []): M => ext(m, { unknown: [...((m.ext as { unknown?: unknown[] }).unknown ?? []), { type, data: Uint8Array.from(data) }] }, (o) => [...o, type]);
const flipLast = (b: Uint8Array) => ((b[b.length - 1]! ^= 1), b);
/** Offset of the compression byte(s) in a ClientHello / ServerHello message. */
const chCompression = (b: Uint8Array) => {
  const sid = 4 + 2 + 32;
  const cs = sid + 1 + b[sid]!;
  return cs + 2 + ((b[cs]! << 8) | b[cs + 1]!) + 1;
};
const shCompression = (b: Uint8Array) => 4 + 2 + 32 + 1 + b[4 + 2 + 32]! + 2;
const keyUpdate = (v: number) => Uint8Array.of(24, 0, 0, 1, v);

interface Row {
  rule: string;
  scenario?: Scenario;
  /** Who breaks the rule. */
  by: Side;
  tamper?: () => Tamper;
  /** Instead of (or after) an edit: bytes injected into the victim once the handshake is done. */
  after?: (victim: Handshake) => HandshakeEvent[];
  alert: number;
  quicError?: number;
}

const c = 'client' as const;
const s = 'server' as const;

const ROWS: Row[] = [
  // ---- the server checks the client (RFC 8446 §4.1.2, §4.2, §4.4; RFC 9001 §8)
  { rule: '8446 §4.1.2 legacy_compression_methods other than one zero byte → illegal_parameter', by: c, tamper: raw(c, 'initial', (b) => ((b[chCompression(b)] = 1), b)), alert: A.illegal_parameter },
  { rule: '8446 §4.1.2 legacy_session_id longer than 32 bytes → illegal_parameter (RFC names none: decode limit)', by: c, tamper: msg(c, 1, (m) => ({ ...m, sessionId: new Uint8Array(33) })), alert: A.illegal_parameter },
  { rule: '8446 §4.2.1 no TLS 1.3 in supported_versions → protocol_version', by: c, tamper: msg(c, 1, (m) => ext(m, { supportedVersions: [0x0303] })), alert: A.protocol_version },
  { rule: '8446 §4.2 the same extension twice → illegal_parameter (RFC names none)', by: c, tamper: msg(c, 1, (m) => ext(m, {}, (o) => [o[0]!, ...o])), alert: A.illegal_parameter },
  { rule: '8446 §4.2.8 a key share for a group not in supported_groups → illegal_parameter', by: c, tamper: msg(c, 1, (m) => ext(m, { supportedGroups: [0x17] })), alert: A.illegal_parameter },
  { rule: '8446 §4.2.8 two key shares for one group → illegal_parameter', by: c, tamper: msg(c, 1, (m) => ext(m, { keyShares: [m.ext.keyShares![0]!, m.ext.keyShares![0]!] })), alert: A.illegal_parameter },
  { rule: '8446 §7.4.2 an all-zero X25519 share → illegal_parameter', by: c, tamper: msg(c, 1, (m) => ext(m, { keyShares: [{ group: 0x1d, keyExchange: new Uint8Array(32) }] })), alert: A.illegal_parameter },
  {
    rule: '8446 §4.2.8.2 a P-256 share that is not a point on the curve → illegal_parameter',
    scenario: 'hrr',
    by: c,
    tamper: msg(c, 1, (m) => ext(m, { keyShares: [{ group: 0x17, keyExchange: Uint8Array.from({ length: 65 }, (_, i) => (i === 0 ? 4 : 1)) }] }), 1),
    alert: A.illegal_parameter,
  },
  { rule: '8446 §9.2 no signature_algorithms in a certificate handshake → missing_extension', by: c, tamper: msg(c, 1, (m) => ext(m, { signatureAlgorithms: undefined }, (o) => o.filter((x) => x !== 13))), alert: A.missing_extension },
  { rule: '8446 §9.2 no supported_groups with key_share → missing_extension', by: c, tamper: msg(c, 1, (m) => ext(m, { supportedGroups: undefined }, (o) => o.filter((x) => x !== 10))), alert: A.missing_extension },
  { rule: '8446 §9.2 no key_share → missing_extension', by: c, tamper: msg(c, 1, (m) => ext(m, { keyShares: undefined }, (o) => o.filter((x) => x !== 51))), alert: A.missing_extension },
  { rule: '8446 §4.2.11 pre_shared_key not the last extension → illegal_parameter', scenario: 'resume', by: c, tamper: msg(c, 1, (m) => ext(m, {}, (o) => [41, ...o.filter((x) => x !== 41)])), alert: A.illegal_parameter },
  { rule: '8446 §4.2.9 pre_shared_key without psk_key_exchange_modes → missing_extension', scenario: 'resume', by: c, tamper: msg(c, 1, (m) => ext(m, { pskModes: undefined }, (o) => o.filter((x) => x !== 45))), alert: A.missing_extension },
  { rule: '8446 §4.2.11 a PSK binder that does not verify → decrypt_error', scenario: 'resume', by: c, tamper: raw(c, 'initial', flipLast), alert: A.decrypt_error },
  {
    rule: '8446 §4.2.11 more binders than identities → illegal_parameter (RFC names none)',
    scenario: 'resume',
    by: c,
    tamper: msg(c, 1, (m) => ext(m, { preSharedKey: { ...m.ext.preSharedKey!, binders: [...m.ext.preSharedKey!.binders, m.ext.preSharedKey!.binders[0]!] } })),
    alert: A.illegal_parameter,
  },
  { rule: '8446 §4.2.10 early_data in the ClientHello that answers a HelloRetryRequest → illegal_parameter', scenario: 'hrr', by: c, tamper: msg(c, 1, (m) => ext(m, { earlyData: true }, (o) => [...o, 42]), 1), alert: A.illegal_parameter },
  {
    rule: '8446 §4.1.2 the second ClientHello without the share the HelloRetryRequest asked for → illegal_parameter',
    scenario: 'hrr',
    by: c,
    tamper: msg(c, 1, (m) => ext(m, { supportedGroups: [0x1d, 0x17, 0x18], keyShares: [{ group: 0x18, keyExchange: crypto.keyShare(0x18 as never).publicKey }] }), 1),
    alert: A.illegal_parameter,
  },
  { rule: 'RFC 7301 §3.2 no protocol in common → no_application_protocol', by: c, tamper: msg(c, 1, (m) => ext(m, { alpn: ['nope'] })), alert: A.no_application_protocol },
  { rule: '9001 §8.1 a QUIC ClientHello without ALPN → no_application_protocol', scenario: 'quic', by: c, tamper: msg(c, 1, (m) => ext(m, { alpn: undefined }, (o) => o.filter((x) => x !== 16))), alert: A.no_application_protocol },
  {
    rule: '9001 §8.2 a QUIC ClientHello without quic_transport_parameters → missing_extension',
    scenario: 'quic',
    by: c,
    tamper: msg(c, 1, (m) => ext(m, { quicTransportParams: undefined }, (o) => o.filter((x) => x !== 0x39))),
    alert: A.missing_extension,
  },
  { rule: '9001 §8.2 quic_transport_parameters outside QUIC → unsupported_extension', by: c, tamper: msg(c, 1, (m) => ext(m, { quicTransportParams: Uint8Array.of(1) }, (o) => [...o, 0x39])), alert: A.unsupported_extension },
  {
    rule: '9001 §8.4 a QUIC ClientHello with a legacy_session_id → PROTOCOL_VIOLATION',
    scenario: 'quic',
    by: c,
    tamper: msg(c, 1, (m) => ({ ...m, sessionId: new Uint8Array(32) })),
    alert: A.illegal_parameter,
    quicError: QUIC_PROTOCOL_VIOLATION,
  },
  { rule: '8446 §4.4.2.4 no client certificate where one is required → certificate_required', scenario: 'client-auth', by: c, tamper: msg(c, 11, (m) => ({ ...m, entries: [] })), alert: A.certificate_required },
  {
    rule: '8446 §4.4.2 the client Certificate context differs from the request → illegal_parameter (RFC names none)',
    scenario: 'client-auth',
    by: c,
    tamper: msg(c, 11, (m) => ({ ...m, context: Uint8Array.of(1) })),
    alert: A.illegal_parameter,
  },
  {
    rule: '8446 §4.4.2 a client CertificateEntry extension the server did not ask for → unsupported_extension',
    scenario: 'client-auth',
    by: c,
    tamper: msg(c, 11, (m) => ({ ...m, entries: m.entries.map((e) => ({ ...e, ext: { unknown: [{ type: 18, data: new Uint8Array(0) }], order: [18] } })) })),
    alert: A.unsupported_extension,
  },
  { rule: '8446 §4.4.3 a client CertificateVerify scheme the server did not offer → illegal_parameter', scenario: 'client-auth', by: c, tamper: msg(c, 15, (m) => ({ ...m, scheme: 0x0201 })), alert: A.illegal_parameter },
  { rule: '8446 §4.4.3 a client CertificateVerify that does not verify → decrypt_error', scenario: 'client-auth', by: c, tamper: msg(c, 15, (m) => ({ ...m, signature: flipLast(m.signature.slice()) })), alert: A.decrypt_error },
  { rule: '8446 §4.4.4 a client Finished that does not verify → decrypt_error', by: c, tamper: msg(c, 20, (m) => ({ ...m, verifyData: flipLast(m.verifyData.slice()) })), alert: A.decrypt_error },
  { rule: '8446 §4.4.2 a required client Certificate missing (Finished first) → unexpected_message', scenario: 'client-auth', by: c, tamper: msg(c, 11, () => null), alert: A.unexpected_message },
  { rule: '8446 §4.5 EndOfEarlyData without accepted 0-RTT → unexpected_message', by: c, tamper: msg(c, 20, (m) => Uint8Array.from([5, 0, 0, 0, ...encodeHandshake(m)])), alert: A.unexpected_message },
  {
    rule: '8446 §4.4.2 / ChainLimits a client chain of 11 certificates → bad_certificate',
    scenario: 'client-auth',
    by: c,
    tamper: msg(c, 11, (m) => ({ ...m, entries: Array.from({ length: 11 }, () => m.entries[0]!) })),
    alert: A.bad_certificate,
  },

  // ---- the client checks the server (RFC 8446 §4.1.3–§4.6; RFC 9001 §4.6.1, §6, §8)
  { rule: '8446 §4.1.3 legacy_session_id_echo differs → illegal_parameter', by: s, tamper: msg(s, 2, (m) => ({ ...m, sessionId: flipLast(m.sessionId.slice()) })), alert: A.illegal_parameter },
  { rule: '8446 §4.1.3 a cipher suite not offered → illegal_parameter', by: s, tamper: msg(s, 2, (m) => ({ ...m, cipherSuite: 0x00ff })), alert: A.illegal_parameter },
  { rule: '8446 §4.1.3 legacy_compression_method other than 0 → illegal_parameter (RFC names none)', by: s, tamper: raw(s, 'initial', (b) => ((b[shCompression(b)] = 1), b)), alert: A.illegal_parameter },
  { rule: '8446 §4.2.1 supported_versions selecting 0x0303 → illegal_parameter', by: s, tamper: msg(s, 2, (m) => ext(m, { selectedVersion: 0x0303 })), alert: A.illegal_parameter },
  { rule: '8446 §4.2.1 supported_versions selecting a version not offered → illegal_parameter', by: s, tamper: msg(s, 2, (m) => ext(m, { selectedVersion: 0x7f1c })), alert: A.illegal_parameter },
  { rule: '8446 §4.1.3 a TLS 1.2 ServerHello (no supported_versions) → protocol_version', by: s, tamper: msg(s, 2, (m) => ext(m, { selectedVersion: undefined }, (o) => o.filter((x) => x !== 43))), alert: A.protocol_version },
  {
    rule: '8446 §4.1.3 a TLS 1.2 ServerHello with the downgrade sentinel → illegal_parameter',
    by: s,
    tamper: msg(s, 2, (m) => ext({ ...m, random: Uint8Array.from([...m.random.subarray(0, 24), 0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x01]) }, { selectedVersion: undefined }, (o) => o.filter((x) => x !== 43))),
    alert: A.illegal_parameter,
  },
  { rule: '8446 §4.2 a ServerHello extension the client did not offer → unsupported_extension', by: s, tamper: msg(s, 2, (m) => withUnknown(m, 0xff01)), alert: A.unsupported_extension },
  { rule: '8446 §4.2 a known extension not allowed in ServerHello (server_name) → illegal_parameter', by: s, tamper: msg(s, 2, (m) => ext(m, { serverName: '' }, (o) => [...o, 0])), alert: A.illegal_parameter },
  { rule: '8446 §4.2.8 a key share in a group the client sent no share for → illegal_parameter', by: s, tamper: msg(s, 2, (m) => ext(m, { keyShare: { group: 0x17, keyExchange: m.ext.keyShare!.keyExchange } })), alert: A.illegal_parameter },
  { rule: '8446 §9.2 a ServerHello without key_share (no PSK) → missing_extension', by: s, tamper: msg(s, 2, (m) => ext(m, { keyShare: undefined }, (o) => o.filter((x) => x !== 51))), alert: A.missing_extension },
  { rule: '8446 §4.2 pre_shared_key in a ServerHello when none was offered → unsupported_extension', by: s, tamper: msg(s, 2, (m) => ext(m, { selectedIdentity: 0 }, (o) => [...o, 41])), alert: A.unsupported_extension },
  { rule: '8446 §4.2.11 selected_identity outside the offered list → illegal_parameter', scenario: 'resume', by: s, tamper: msg(s, 2, (m) => ext(m, { selectedIdentity: 1 })), alert: A.illegal_parameter },
  { rule: '8446 §4.1.4 a HelloRetryRequest for a group not offered → illegal_parameter', scenario: 'hrr', by: s, tamper: msg(s, 2, (m) => ext(m, { selectedGroup: 0x18 })), alert: A.illegal_parameter },
  { rule: '8446 §4.2.8 a HelloRetryRequest for the group the client already sent → illegal_parameter', scenario: 'hrr', by: s, tamper: msg(s, 2, (m) => ext(m, { selectedGroup: 0x1d })), alert: A.illegal_parameter },
  {
    rule: '8446 §4.1.4 a HelloRetryRequest that would change nothing → illegal_parameter',
    scenario: 'hrr',
    by: s,
    tamper: msg(s, 2, (m) => ext(m, { selectedGroup: undefined }, (o) => o.filter((x) => x !== 51))),
    alert: A.illegal_parameter,
  },
  { rule: '8446 §4.1.4 a HelloRetryRequest extension the client did not offer → unsupported_extension', scenario: 'hrr', by: s, tamper: msg(s, 2, (m) => withUnknown(m, 0xff02)), alert: A.unsupported_extension },
  { rule: '8446 §4.1.4 a HelloRetryRequest cipher suite not offered → illegal_parameter', scenario: 'hrr', by: s, tamper: msg(s, 2, (m) => ({ ...m, cipherSuite: 0x00ff })), alert: A.illegal_parameter },
  { rule: '8446 §4.1.4 a ServerHello cipher suite other than the HelloRetryRequest’s → illegal_parameter', scenario: 'hrr', by: s, tamper: msg(s, 2, (m) => ({ ...m, cipherSuite: 0x1303 }), 1), alert: A.illegal_parameter },
  {
    rule: '8446 §4.1.4 a second HelloRetryRequest → unexpected_message',
    scenario: 'hrr',
    by: s,
    tamper: msg(
      s,
      2,
      (m) => ({
        ...m,
        isHrr: true,
        random: Uint8Array.from([0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c]),
        ext: { selectedVersion: 0x0304, selectedGroup: 0x1d, order: [43, 51] },
      }),
      1,
    ),
    alert: A.unexpected_message,
  },
  { rule: '8446 §4.2 an EncryptedExtensions extension the client did not offer → unsupported_extension', by: s, tamper: msg(s, 8, (m) => withUnknown(m, 28, [0x40, 0])), alert: A.unsupported_extension },
  { rule: '8446 §4.2 a known extension not allowed in EncryptedExtensions (key_share) → illegal_parameter', by: s, tamper: msg(s, 8, (m) => ext(m, { keyShares: [] }, (o) => [...o, 51])), alert: A.illegal_parameter },
  { rule: '8446 §4.2.10 early_data in EncryptedExtensions when none was offered → unsupported_extension', by: s, tamper: msg(s, 8, (m) => ext(m, { earlyData: true }, (o) => [...o, 42])), alert: A.unsupported_extension },
  { rule: 'RFC 7301 §3.2 an ALPN protocol the client did not offer → illegal_parameter (RFC names none)', by: s, tamper: msg(s, 8, (m) => ext(m, { alpn: ['nope'] })), alert: A.illegal_parameter },
  { rule: 'RFC 7301 §3.1 an ALPN response naming two protocols → decode_error', by: s, tamper: msg(s, 8, (m) => ext(m, { alpn: ['h2', 'h2'] })), alert: A.decode_error },
  { rule: '9001 §8.1 QUIC EncryptedExtensions without ALPN → no_application_protocol', scenario: 'quic', by: s, tamper: msg(s, 8, (m) => ext(m, { alpn: undefined }, (o) => o.filter((x) => x !== 16))), alert: A.no_application_protocol },
  {
    rule: '9001 §8.2 QUIC EncryptedExtensions without quic_transport_parameters → missing_extension',
    scenario: 'quic',
    by: s,
    tamper: msg(s, 8, (m) => ext(m, { quicTransportParams: undefined }, (o) => o.filter((x) => x !== 0x39))),
    alert: A.missing_extension,
  },
  {
    rule: '9001 §8.2 quic_transport_parameters in plain TLS EncryptedExtensions → unsupported_extension',
    by: s,
    tamper: msg(s, 8, (m) => ext(m, { quicTransportParams: Uint8Array.of(1) }, (o) => [...o, 0x39])),
    alert: A.unsupported_extension,
  },
  { rule: '8446 §6.2 EncryptedExtensions with trailing bytes → decode_error', by: s, tamper: msg(s, 8, (_m, r) => Uint8Array.from([8, 0, 0, r.length - 4 + 1, ...r.subarray(4), 0])), alert: A.decode_error },
  {
    rule: '8446 §4.3.2 a CertificateRequest with a context in the main handshake → illegal_parameter (RFC names none)',
    by: s,
    tamper: msg(s, 8, (m) => Uint8Array.from([...encodeHandshake(m), ...encodeHandshake({ type: 13, context: Uint8Array.of(1), ext: { signatureAlgorithms: [0x0403] } })])),
    alert: A.illegal_parameter,
  },
  { rule: '8446 §4.3.2 a CertificateRequest without signature_algorithms → missing_extension', by: s, tamper: msg(s, 8, (m) => Uint8Array.from([...encodeHandshake(m), 13, 0, 0, 3, 0, 0, 0])), alert: A.missing_extension },
  {
    rule: '8446 §4.3.2 a CertificateRequest in a PSK handshake → unexpected_message',
    scenario: 'resume',
    by: s,
    tamper: msg(s, 8, (m) => Uint8Array.from([...encodeHandshake(m), ...encodeHandshake({ type: 13, context: new Uint8Array(0), ext: { signatureAlgorithms: [0x0403] } })])),
    alert: A.unexpected_message,
  },
  {
    rule: '8446 §2.2 a Certificate in a PSK handshake → unexpected_message',
    scenario: 'resume',
    by: s,
    tamper: msg(s, 8, (m) => Uint8Array.from([...encodeHandshake(m), ...encodeHandshake({ type: 11, context: new Uint8Array(0), entries: [{ cert: fixture('core-server-cert.der'), ext: {} }] })])),
    alert: A.unexpected_message,
  },
  { rule: '8446 §4.4.2 a server Certificate with a context → illegal_parameter (RFC names none)', by: s, tamper: msg(s, 11, (m) => ({ ...m, context: Uint8Array.of(1) })), alert: A.illegal_parameter },
  { rule: '8446 §4.4.2.4 an empty server Certificate → decode_error', by: s, tamper: msg(s, 11, (m) => ({ ...m, entries: [] })), alert: A.decode_error },
  {
    rule: '8446 §4.4.2 a server CertificateEntry extension the client did not ask for → unsupported_extension',
    by: s,
    tamper: msg(s, 11, (m) => ({ ...m, entries: m.entries.map((e) => ({ ...e, ext: { unknown: [{ type: 18, data: new Uint8Array(0) }], order: [18] } })) })),
    alert: A.unsupported_extension,
  },
  { rule: '8446 §4.4.2 / ChainLimits a server chain of 11 certificates → bad_certificate', by: s, tamper: msg(s, 11, (m) => ({ ...m, entries: Array.from({ length: 11 }, () => m.entries[0]!) })), alert: A.bad_certificate },
  { rule: '8446 §4.4.3 a CertificateVerify scheme the client did not offer → illegal_parameter', by: s, tamper: msg(s, 15, (m) => ({ ...m, scheme: 0x0201 })), alert: A.illegal_parameter },
  { rule: '8446 §4.4.3 a CertificateVerify that does not verify → decrypt_error', by: s, tamper: msg(s, 15, (m) => ({ ...m, signature: flipLast(m.signature.slice()) })), alert: A.decrypt_error },
  { rule: '8446 §4.4.4 a server Finished that does not verify → decrypt_error', by: s, tamper: msg(s, 20, (m) => ({ ...m, verifyData: flipLast(m.verifyData.slice()) })), alert: A.decrypt_error },
  { rule: '8446 §4.4.4 a Finished of the wrong length → decode_error', by: s, tamper: msg(s, 20, () => Uint8Array.of(20, 0, 0, 1, 0)), alert: A.decode_error },
  { rule: '8446 §4.6.3 a KeyUpdate before Finished → unexpected_message', by: s, tamper: msg(s, 8, () => keyUpdate(0)), alert: A.unexpected_message },
  { rule: '8446 §6.2 an unknown handshake message type → unexpected_message', by: s, tamper: msg(s, 8, () => Uint8Array.of(99, 0, 0, 0)), alert: A.unexpected_message },
  {
    rule: '8446 §5.1 handshake data that crosses a key change (EncryptedExtensions in the ServerHello flight) → unexpected_message',
    by: s,
    tamper: raw(s, 'initial', (b) => Uint8Array.from([...b, 8, 0, 0, 2, 0, 0])),
    alert: A.unexpected_message,
  },
  { rule: '8446 §4.6.3 request_update other than 0 or 1 → illegal_parameter', by: s, after: (v) => v.receive('application', keyUpdate(7), 0), alert: A.illegal_parameter },
  { rule: '9001 §6 a TLS KeyUpdate in QUIC → unexpected_message', scenario: 'quic', by: s, after: (v) => v.receive('application', keyUpdate(0), 0), alert: A.unexpected_message },
  {
    rule: '9001 §4.6.1 max_early_data_size other than 0xffffffff in a QUIC ticket → PROTOCOL_VIOLATION',
    scenario: 'quic',
    by: s,
    after: (v) => v.receive('application', encodeHandshake({ type: 4, lifetime: 100, ageAdd: 1, nonce: Uint8Array.of(1), ticket: Uint8Array.of(9), ext: { maxEarlyDataSize: 16384 } }), 0),
    alert: A.illegal_parameter,
    quicError: QUIC_PROTOCOL_VIOLATION,
  },
];

function run(row: Row): PairResult {
  const { client, server } = configs(row.scenario ?? 'full');
  return runPair(client, server, { ...(row.tamper && { tamper: row.tamper() }) });
}

describe('conformance: handshake messages (RFC 8446 §4, RFC 9001 §4, §6, §8)', () => {
  for (const row of ROWS) {
    it(row.rule, () => {
      const r = run(row);
      const victim = row.by === 'client' ? r.server : r.client;
      const events = [...(row.by === 'client' ? r.serverEvents : r.clientEvents), ...(row.after ? row.after(victim) : [])];
      const alert = ofType(events, 'alert')[0];
      if (process.env.SHOW_REASONS) console.log(`${row.rule.slice(0, 70)} :: ${alert?.reason}`);
      expect(alert && { description: alert.description, sent: alert.sent, quicError: alert.quicError }).toEqual({ description: row.alert, sent: true, quicError: row.quicError });
      expect(victim.state).toBe('failed');
    });
  }

  it('each row stands alone: without its edit the same scenario completes', () => {
    for (const s of ['full', 'hrr', 'resume', 'client-auth', 'quic'] as const) {
      const { client, server } = configs(s);
      const r = runPair(client, server);
      expect([s, r.client.state, r.server.state]).toEqual([s, 'complete', 'complete']);
    }
  });
});
