/**
 * @module messages/handshake
 * TLS 1.3 handshake messages (RFC 8446 §4): one decode/encode pair per
 * message, over the Handshake framing `msg_type(1) ‖ length(3) ‖ body`.
 * HelloRetryRequest is a ServerHello with the special random (§4.1.3).
 */
import { AlertDescription, fail } from '../alert.js';
import { equalBytes, Reader, Writer } from '../codec.js';
import { decodeExtensions, encodeExtensions, type Extensions } from '../extensions/extensions.js';

/** RFC 8446 §4: HandshakeType. */
export const HandshakeType = {
  client_hello: 1,
  server_hello: 2,
  new_session_ticket: 4,
  end_of_early_data: 5,
  encrypted_extensions: 8,
  certificate: 11,
  certificate_request: 13,
  certificate_verify: 15,
  finished: 20,
  key_update: 24,
  message_hash: 254,
} as const;

/** RFC 8446 §4.1.3: SHA-256("HelloRetryRequest"). */
export const HRR_RANDOM = Uint8Array.from([0xcf, 0x21, 0xad, 0x74, 0xe5, 0x9a, 0x61, 0x11, 0xbe, 0x1d, 0x8c, 0x02, 0x1e, 0x65, 0xb8, 0x91, 0xc2, 0xa2, 0x11, 0x16, 0x7a, 0xbb, 0x8c, 0x5e, 0x07, 0x9e, 0x09, 0xe2, 0xc8, 0xa8, 0x33, 0x9c]);
/** RFC 8446 §4.1.3: downgrade sentinels in the last 8 bytes of ServerHello.random. */
export const DOWNGRADE_TLS12 = Uint8Array.from([0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x01]);
export const DOWNGRADE_TLS11 = Uint8Array.from([0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x00]);

export interface ClientHello {
  type: 1;
  random: Uint8Array;
  sessionId: Uint8Array;
  cipherSuites: number[];
  ext: Extensions;
  legacyVersion: number;
}
export interface ServerHello {
  type: 2;
  random: Uint8Array;
  sessionId: Uint8Array;
  cipherSuite: number;
  ext: Extensions;
  isHrr: boolean;
  legacyVersion: number;
}
export interface NewSessionTicket {
  type: 4;
  lifetime: number;
  ageAdd: number;
  nonce: Uint8Array;
  ticket: Uint8Array;
  ext: Extensions;
}
export interface EndOfEarlyData {
  type: 5;
}
export interface EncryptedExtensions {
  type: 8;
  ext: Extensions;
}
export interface CertificateEntry {
  cert: Uint8Array;
  ext: Extensions;
}
export interface Certificate {
  type: 11;
  context: Uint8Array;
  entries: CertificateEntry[];
}
export interface CertificateRequest {
  type: 13;
  context: Uint8Array;
  ext: Extensions;
}
export interface CertificateVerify {
  type: 15;
  scheme: number;
  signature: Uint8Array;
}
export interface Finished {
  type: 20;
  verifyData: Uint8Array;
}
export interface KeyUpdate {
  type: 24;
  requestUpdate: boolean;
}

export type HandshakeMessage = ClientHello | ServerHello | NewSessionTicket | EndOfEarlyData | EncryptedExtensions | Certificate | CertificateRequest | CertificateVerify | Finished | KeyUpdate;

type BodyDecoder = (r: Reader, hashLen: number) => HandshakeMessage;

const DECODE: Partial<Record<number, BodyDecoder>> = {
  // RFC 8446 §4.1.2
  [HandshakeType.client_hello]: (r) => {
    const legacyVersion = r.u16();
    const random = r.bytes(32);
    const sessionId = r.vec(1);
    if (sessionId.length > 32) fail(AlertDescription.illegal_parameter, 'legacy_session_id longer than 32');
    const cipherSuites = r.sub(2, 2).u16List();
    const comp = r.vec(1, 1);
    // RFC 8446 §4.1.2: legacy_compression_methods MUST be exactly one zero byte.
    if (comp.length !== 1 || comp[0] !== 0) fail(AlertDescription.illegal_parameter, 'compression methods other than null');
    const ext = r.remaining === 0 ? { order: [] } : decodeExtensions(r, 'CH');
    return { type: 1, legacyVersion, random, sessionId, cipherSuites, ext };
  },
  // RFC 8446 §4.1.3 / §4.1.4
  [HandshakeType.server_hello]: (r) => {
    const legacyVersion = r.u16();
    const random = r.bytes(32);
    const sessionId = r.vec(1);
    if (sessionId.length > 32) fail(AlertDescription.illegal_parameter, 'legacy_session_id longer than 32');
    const cipherSuite = r.u16();
    if (r.u8() !== 0) fail(AlertDescription.illegal_parameter, 'compression method other than null');
    const isHrr = equalBytes(random, HRR_RANDOM);
    const ext = r.remaining === 0 ? { order: [] } : decodeExtensions(r, isHrr ? 'HRR' : 'SH');
    return { type: 2, legacyVersion, random, sessionId, cipherSuite, ext, isHrr };
  },
  // RFC 8446 §4.6.1
  [HandshakeType.new_session_ticket]: (r) => ({
    type: 4,
    lifetime: r.u32(),
    ageAdd: r.u32(),
    nonce: r.vec(1),
    ticket: r.vec(2, 1),
    ext: decodeExtensions(r, 'NST'),
  }),
  [HandshakeType.end_of_early_data]: () => ({ type: 5 }),
  [HandshakeType.encrypted_extensions]: (r) => ({ type: 8, ext: decodeExtensions(r, 'EE') }),
  // RFC 8446 §4.4.2
  [HandshakeType.certificate]: (r) => {
    const context = r.vec(1);
    const list = r.sub(3);
    const entries: CertificateEntry[] = [];
    while (list.remaining > 0) entries.push({ cert: list.vec(3, 1), ext: decodeExtensions(list, 'CT') });
    return { type: 11, context, entries };
  },
  // RFC 8446 §4.3.2: signature_algorithms MUST be present.
  [HandshakeType.certificate_request]: (r) => {
    const context = r.vec(1);
    const ext = decodeExtensions(r, 'CR');
    if (!ext.signatureAlgorithms) fail(AlertDescription.missing_extension, 'CertificateRequest without signature_algorithms');
    return { type: 13, context, ext };
  },
  [HandshakeType.certificate_verify]: (r) => ({ type: 15, scheme: r.u16(), signature: r.vec(2, 1) }),
  // RFC 8446 §4.4.4: verify_data is Hash.length bytes.
  [HandshakeType.finished]: (r, hashLen) => {
    if (r.remaining !== hashLen) fail(AlertDescription.decode_error, 'Finished of the wrong length');
    return { type: 20, verifyData: r.rest() };
  },
  // RFC 8446 §4.6.3: request_update is 0 or 1, else illegal_parameter.
  [HandshakeType.key_update]: (r) => {
    const v = r.u8();
    if (v > 1) fail(AlertDescription.illegal_parameter, 'bad KeyUpdateRequest');
    return { type: 24, requestUpdate: v === 1 };
  },
};

/**
 * The extension types of a ClientHello body we encoded ourselves, in wire
 * order (RFC 8446 §4.1.2: version, random, session id, suites, compression,
 * then the extensions): what a client checks responses against (§4.2)
 * without decoding its own message again. Not for a peer's bytes.
 */
export function clientHelloExtensionTypes(body: Uint8Array): number[] {
  const u16 = (at: number) => (body[at]! << 8) | body[at + 1]!;
  let off = 2 + 32;
  off += 1 + body[off]!; // legacy_session_id
  off += 2 + u16(off); // cipher_suites
  off += 1 + body[off]!; // legacy_compression_methods
  const types: number[] = [];
  if (off >= body.length) return types;
  const end = off + 2 + u16(off);
  for (off += 2; off + 4 <= end; off += 4 + u16(off + 2)) types.push(u16(off));
  return types;
}

/** Decode a message body of `msgType`; unknown types → unexpected_message. */
export function decodeHandshake(msgType: number, body: Uint8Array, hashLen = 32): HandshakeMessage {
  const d = DECODE[msgType];
  if (!d) fail(AlertDescription.unexpected_message, `unexpected handshake message type ${msgType}`);
  const r = new Reader(body);
  const m = d(r, hashLen);
  r.end();
  return m;
}

/** Encode a message with its 4-byte handshake header. */
export function encodeHandshake(m: HandshakeMessage): Uint8Array {
  const w = new Writer();
  writeHandshake(w, m);
  return w.finish();
}

/** Writes `m` (RFC 8446 §4: msg_type, uint24 length, body) at `w`'s end: a flight's messages go into one writer. */
export function writeHandshake(w: Writer, m: HandshakeMessage): void {
  w.u8(m.type);
  const body = w.open(3);
  const b = w;
  switch (m.type) {
    case 1:
      b.u16(0x0303).bytes(m.random).vecBytes(1, m.sessionId);
      b.vec(2, (l) => m.cipherSuites.forEach((s) => l.u16(s)));
      b.vecBytes(1, new Uint8Array([0]));
      encodeExtensions(b, 'CH', m.ext);
      break;
    case 2:
      b.u16(0x0303).bytes(m.random).vecBytes(1, m.sessionId).u16(m.cipherSuite).u8(0);
      encodeExtensions(b, m.isHrr ? 'HRR' : 'SH', m.ext);
      break;
    case 4:
      b.u32(m.lifetime).u32(m.ageAdd).vecBytes(1, m.nonce).vecBytes(2, m.ticket);
      encodeExtensions(b, 'NST', m.ext);
      break;
    case 5:
      break;
    case 8:
      encodeExtensions(b, 'EE', m.ext);
      break;
    case 11:
      b.vecBytes(1, m.context);
      b.vec(3, (l) => m.entries.forEach((e) => (l.vecBytes(3, e.cert), encodeExtensions(l, 'CT', e.ext))));
      break;
    case 13:
      b.vecBytes(1, m.context);
      encodeExtensions(b, 'CR', m.ext);
      break;
    case 15:
      b.u16(m.scheme).vecBytes(2, m.signature);
      break;
    case 20:
      b.bytes(m.verifyData);
      break;
    case 24:
      b.u8(m.requestUpdate ? 1 : 0);
      break;
  }
  w.close(body, 3);
}
