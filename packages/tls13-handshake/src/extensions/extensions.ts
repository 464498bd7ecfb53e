/**
 * @module extensions/extensions
 * TLS 1.3 extensions (RFC 8446 §4.2, RFC 9001 §8.2 quic_transport_parameters,
 * RFC 7301 ALPN, RFC 6066 server_name): one table of code points with the
 * messages each may appear in, decoded fully into a typed `Extensions` record
 * before any state logic sees it. Unknown extensions are ignored (§4.2),
 * duplicates rejected with illegal_parameter (§4.2).
 */
import { AlertDescription, fail } from '../alert.js';
import { Reader, utf8Once, Writer } from '../codec.js';

/** The messages an extension can appear in (RFC 8446 §4.2 table: CH, SH, HRR, EE, CR, CT, NST). */
export type ExtContext = 'CH' | 'SH' | 'HRR' | 'EE' | 'CR' | 'CT' | 'NST';

/** RFC 8446 §4.2 ExtensionType, with where each may appear. */
export const ExtensionType = {
  server_name: { code: 0, in: ['CH', 'EE'] },
  status_request: { code: 5, in: ['CH', 'CR', 'CT'] },
  supported_groups: { code: 10, in: ['CH', 'EE'] },
  signature_algorithms: { code: 13, in: ['CH', 'CR'] },
  application_layer_protocol_negotiation: { code: 16, in: ['CH', 'EE'] },
  pre_shared_key: { code: 41, in: ['CH', 'SH'] },
  early_data: { code: 42, in: ['CH', 'EE', 'NST'] },
  supported_versions: { code: 43, in: ['CH', 'SH', 'HRR'] },
  cookie: { code: 44, in: ['CH', 'HRR'] },
  psk_key_exchange_modes: { code: 45, in: ['CH'] },
  certificate_authorities: { code: 47, in: ['CH', 'CR'] },
  signature_algorithms_cert: { code: 50, in: ['CH', 'CR'] },
  key_share: { code: 51, in: ['CH', 'SH', 'HRR'] },
  quic_transport_parameters: { code: 0x39, in: ['CH', 'EE'] },
} as const satisfies Record<string, { code: number; in: readonly ExtContext[] }>;

export type ExtensionName = keyof typeof ExtensionType;
const BY_CODE = new Map<number, ExtensionName>((Object.keys(ExtensionType) as ExtensionName[]).map((n) => [ExtensionType[n].code, n]));

export interface KeyShareEntry {
  group: number;
  keyExchange: Uint8Array;
}
export interface PskIdentity {
  identity: Uint8Array;
  obfuscatedTicketAge: number;
}
export interface OfferedPsks {
  identities: PskIdentity[];
  binders: Uint8Array[];
}

/** Every extension we understand, decoded. Absent field = extension absent. */
export interface Extensions {
  serverName?: string; // CH: host_name; EE: empty acknowledgement → ''
  alpn?: string[];
  supportedVersions?: number[]; // CH
  selectedVersion?: number; // SH / HRR
  supportedGroups?: number[];
  signatureAlgorithms?: number[];
  signatureAlgorithmsCert?: number[];
  keyShares?: KeyShareEntry[]; // CH
  keyShare?: KeyShareEntry; // SH
  selectedGroup?: number; // HRR
  pskModes?: number[];
  preSharedKey?: OfferedPsks; // CH
  selectedIdentity?: number; // SH
  earlyData?: boolean; // CH / EE: empty
  maxEarlyDataSize?: number; // NST
  cookie?: Uint8Array;
  quicTransportParams?: Uint8Array;
  statusRequest?: boolean;
  /** Extensions we do not interpret, in order (kept for round trips). */
  unknown?: { type: number; data: Uint8Array }[];
  /** Code points in wire order (for pre_shared_key-last and byte-exact re-encoding). */
  order?: number[];
}

const dec = new TextDecoder('utf-8', { fatal: false });

type Decoder = (r: Reader, ctx: ExtContext, e: Extensions) => void;
type Encoder = (w: Writer, ctx: ExtContext, e: Extensions) => boolean;

function nonEmptyU16List(r: Reader, len: 1 | 2): number[] {
  const l = r.sub(len, 2).u16List();
  return l;
}

/** Decoders per extension, keyed by name (RFC section in each). */
const DECODE: Record<ExtensionName, Decoder> = {
  // RFC 6066 §3: ServerNameList; EE carries it empty.
  server_name: (r, ctx, e) => {
    if (ctx !== 'CH') {
      e.serverName = '';
      return;
    }
    const list = r.sub(2, 1);
    while (list.remaining > 0) {
      const type = list.u8();
      const name = list.vec(2, 1);
      if (type === 0) {
        if (e.serverName !== undefined) fail(AlertDescription.illegal_parameter, 'two host_name entries');
        e.serverName = dec.decode(name);
      }
    }
  },
  status_request: (r, _c, e) => {
    r.rest();
    e.statusRequest = true;
  },
  supported_groups: (r, _c, e) => {
    e.supportedGroups = nonEmptyU16List(r, 2);
  },
  signature_algorithms: (r, _c, e) => {
    e.signatureAlgorithms = nonEmptyU16List(r, 2);
  },
  signature_algorithms_cert: (r, _c, e) => {
    e.signatureAlgorithmsCert = nonEmptyU16List(r, 2);
  },
  // RFC 7301 §3.1: ProtocolNameList protocol_name_list<2..2^16-1>, ProtocolName<1..2^8-1>.
  application_layer_protocol_negotiation: (r, ctx, e) => {
    const list = r.sub(2, 2);
    const out: string[] = [];
    while (list.remaining > 0) out.push(dec.decode(list.vec(1, 1)));
    // RFC 7301 §3.1: the server's list MUST contain exactly one protocol.
    if (ctx === 'EE' && out.length !== 1) fail(AlertDescription.decode_error, 'ALPN response must name one protocol');
    e.alpn = out;
  },
  // RFC 8446 §4.2.11
  pre_shared_key: (r, ctx, e) => {
    if (ctx === 'SH') {
      e.selectedIdentity = r.u16();
      return;
    }
    const ids = r.sub(2, 7);
    const identities: PskIdentity[] = [];
    while (ids.remaining > 0) identities.push({ identity: ids.vec(2, 1), obfuscatedTicketAge: ids.u32() });
    const bs = r.sub(2, 33);
    const binders: Uint8Array[] = [];
    while (bs.remaining > 0) binders.push(bs.vec(1, 32));
    // RFC 8446 §4.2.11: one binder per identity.
    if (binders.length !== identities.length) fail(AlertDescription.illegal_parameter, 'binder count differs from identity count');
    e.preSharedKey = { identities, binders };
  },
  // RFC 8446 §4.2.10: empty in CH/EE, max_early_data_size in NST.
  early_data: (r, ctx, e) => {
    if (ctx === 'NST') e.maxEarlyDataSize = r.u32();
    else e.earlyData = true;
  },
  // RFC 8446 §4.2.1
  supported_versions: (r, ctx, e) => {
    if (ctx === 'CH') e.supportedVersions = r.sub(1, 2).u16List();
    else e.selectedVersion = r.u16();
  },
  cookie: (r, _c, e) => {
    e.cookie = r.vec(2, 1);
  },
  psk_key_exchange_modes: (r, _c, e) => {
    const l = r.sub(1, 1);
    const m: number[] = [];
    while (l.remaining > 0) m.push(l.u8());
    e.pskModes = m;
  },
  certificate_authorities: (r) => {
    r.rest();
  },
  // RFC 8446 §4.2.8
  key_share: (r, ctx, e) => {
    if (ctx === 'HRR') {
      e.selectedGroup = r.u16();
    } else if (ctx === 'SH') {
      e.keyShare = { group: r.u16(), keyExchange: r.vec(2, 1) };
    } else {
      const l = r.sub(2);
      const shares: KeyShareEntry[] = [];
      while (l.remaining > 0) {
        const group = l.u16();
        // RFC 8446 §4.2.8: each KeyShareEntry MUST NOT name the same group twice.
        if (shares.some((s) => s.group === group)) fail(AlertDescription.illegal_parameter, 'duplicate key share group');
        shares.push({ group, keyExchange: l.vec(2, 1) });
      }
      e.keyShares = shares;
    }
  },
  quic_transport_parameters: (r, _c, e) => {
    e.quicTransportParams = r.rest();
  },
};

export function decodeExtensions(r: Reader, ctx: ExtContext): Extensions {
  const e: Extensions = { order: [] };
  const block = r.sub(2);
  const seen = new Set<number>();
  while (block.remaining > 0) {
    const type = block.u16();
    const data = block.vec(2);
    // RFC 8446 §4.2: there MUST NOT be more than one extension of the same type.
    if (seen.has(type)) fail(AlertDescription.illegal_parameter, `duplicate extension ${type}`);
    seen.add(type);
    e.order!.push(type);
    const name = BY_CODE.get(type);
    if (name === undefined) {
      (e.unknown ??= []).push({ type, data });
      continue;
    }
    // RFC 8446 §4.2: a recognised extension in a message it is not specified for → illegal_parameter.
    if (!(ExtensionType[name].in as readonly ExtContext[]).includes(ctx)) {
      fail(AlertDescription.illegal_parameter, `extension ${name} not allowed in ${ctx}`);
    }
    const er = new Reader(data);
    DECODE[name](er, ctx, e);
    er.end();
  }
  // RFC 8446 §4.2.11: pre_shared_key MUST be the last extension in the ClientHello.
  if (ctx === 'CH' && e.preSharedKey && e.order![e.order!.length - 1] !== ExtensionType.pre_shared_key.code) {
    fail(AlertDescription.illegal_parameter, 'pre_shared_key is not the last extension');
  }
  return e;
}

function u16list(w: Writer, len: 1 | 2, l: readonly number[]): true {
  const at = w.open(len);
  for (const x of l) w.u16(x);
  w.close(at, len);
  return true;
}

// Each encoder writes its extension's body at w's end and says whether it has one; vectors are
// opened and closed in place (Writer.open/close) — no closure per extension per message.
const ENCODE: Record<ExtensionName, Encoder> = {
  server_name: (w, ctx, e) => {
    if (e.serverName === undefined) return false;
    if (ctx !== 'CH') return true;
    const at = w.open(2);
    w.u8(0).vecBytes(2, utf8Once(e.serverName));
    w.close(at, 2);
    return true;
  },
  status_request: () => false,
  supported_groups: (w, _c, e) => !!e.supportedGroups && u16list(w, 2, e.supportedGroups),
  signature_algorithms: (w, _c, e) => !!e.signatureAlgorithms && u16list(w, 2, e.signatureAlgorithms),
  signature_algorithms_cert: (w, _c, e) => !!e.signatureAlgorithmsCert && u16list(w, 2, e.signatureAlgorithmsCert),
  application_layer_protocol_negotiation: (w, _c, e) => {
    if (!e.alpn) return false;
    const at = w.open(2);
    for (const p of e.alpn) w.vecBytes(1, utf8Once(p));
    w.close(at, 2);
    return true;
  },
  pre_shared_key: (w, ctx, e) => {
    if (ctx === 'SH') {
      if (e.selectedIdentity === undefined) return false;
      w.u16(e.selectedIdentity);
      return true;
    }
    if (!e.preSharedKey) return false;
    let at = w.open(2);
    for (const i of e.preSharedKey.identities) w.vecBytes(2, i.identity).u32(i.obfuscatedTicketAge);
    w.close(at, 2);
    at = w.open(2);
    for (const b of e.preSharedKey.binders) w.vecBytes(1, b);
    w.close(at, 2);
    return true;
  },
  early_data: (w, ctx, e) => {
    if (ctx === 'NST') {
      if (e.maxEarlyDataSize === undefined) return false;
      w.u32(e.maxEarlyDataSize);
      return true;
    }
    return !!e.earlyData;
  },
  supported_versions: (w, ctx, e) => {
    if (ctx === 'CH') return !!e.supportedVersions && u16list(w, 1, e.supportedVersions);
    if (e.selectedVersion === undefined) return false;
    w.u16(e.selectedVersion);
    return true;
  },
  cookie: (w, _c, e) => !!e.cookie && !!w.vecBytes(2, e.cookie),
  psk_key_exchange_modes: (w, _c, e) => {
    if (!e.pskModes) return false;
    const at = w.open(1);
    for (const m of e.pskModes) w.u8(m);
    w.close(at, 1);
    return true;
  },
  certificate_authorities: () => false,
  key_share: (w, ctx, e) => {
    if (ctx === 'HRR') return e.selectedGroup !== undefined && !!w.u16(e.selectedGroup);
    if (ctx === 'SH') return !!e.keyShare && !!w.u16(e.keyShare.group).vecBytes(2, e.keyShare.keyExchange);
    if (!e.keyShares) return false;
    const at = w.open(2);
    for (const s of e.keyShares) w.u16(s.group).vecBytes(2, s.keyExchange);
    w.close(at, 2);
    return true;
  },
  quic_transport_parameters: (w, _c, e) => !!e.quicTransportParams && !!w.bytes(e.quicTransportParams),
};

/** Our default order; pre_shared_key last (RFC 8446 §4.2.11). */
const DEFAULT_ORDER: ExtensionName[] = [
  'server_name',
  'supported_groups',
  'application_layer_protocol_negotiation',
  'signature_algorithms',
  'signature_algorithms_cert',
  'key_share',
  'supported_versions',
  'cookie',
  'psk_key_exchange_modes',
  'early_data',
  'quic_transport_parameters',
  'pre_shared_key',
];

const DEFAULT_CODES: readonly number[] = DEFAULT_ORDER.map((n) => ExtensionType[n].code);

/** Writes the extensions block; `e.order` (from a decode) is followed when present, for byte-exact round trips. */
export function encodeExtensions(w: Writer, ctx: ExtContext, e: Extensions): void {
  const codes = e.order ?? DEFAULT_CODES;
  const block = w.open(2);
  for (const code of codes) {
    const name = BY_CODE.get(code);
    if (name === undefined) {
      const u = e.unknown?.find((x) => x.type === code);
      if (u) w.u16(code).vecBytes(2, u.data);
      continue;
    }
    // Written in place; an extension with nothing to say is taken back out.
    const at = w.length;
    const body = w.u16(code).open(2);
    if (ENCODE[name](w, ctx, e)) w.close(body, 2);
    else w.truncate(at);
  }
  w.close(block, 2);
}

/**
 * RFC 8446 §4.2: an extension in a response (ServerHello, HelloRetryRequest,
 * EncryptedExtensions, CertificateEntry) that answers nothing we sent →
 * unsupported_extension; HelloRetryRequest's cookie is the one exception.
 */
export function checkSolicited(e: Extensions, sent: ReadonlySet<number>, ctx: ExtContext): void {
  for (const code of e.order ?? []) {
    if (ctx === 'HRR' && code === ExtensionType.cookie.code) continue;
    if (!sent.has(code)) fail(AlertDescription.unsupported_extension, `unsolicited extension ${code} in ${ctx}`);
  }
}
