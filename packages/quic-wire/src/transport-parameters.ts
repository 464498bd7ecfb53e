/**
 * @module transport-parameters
 * QUIC transport parameters (RFC 9000 §18, §7.4), version_information
 * (RFC 9368 §3), max_datagram_frame_size (RFC 9221 §3) and min_ack_delay
 * (draft-ietf-quic-ack-frequency §3). Every defined
 * parameter is decoded and range-checked; unknown ones (including GREASE,
 * §18.1) are preserved; duplicates, malformed values and server-only
 * parameters from a client raise TRANSPORT_PARAMETER_ERROR.
 */
import { QuicWireError, TransportErrorCode } from './errors.js';
import { MAX_CID_LENGTH } from './packet-header.js';
import { Reader } from './reader.js';
import { VARINT_SATURATED, varintLength, varintLengthBig } from './varint.js';

const VARINT_SATURATED_BIG = BigInt(VARINT_SATURATED);
import { Writer } from './writer.js';

/** The preferred_address transport parameter (RFC 9000 §18.2): all-zero addresses mean none. */
export interface PreferredAddress {
  ipv4Address: Uint8Array; // 4 bytes (all zero: none)
  ipv4Port: number;
  ipv6Address: Uint8Array; // 16 bytes (all zero: none)
  ipv6Port: number;
  connectionId: Uint8Array;
  statelessResetToken: Uint8Array; // 16 bytes
}

/** The version_information transport parameter (RFC 9368 §3). */
export interface VersionInformation {
  chosenVersion: number;
  availableVersions: number[];
}

/** Absent parameters are undefined; `transportParameterDefaults` gives the RFC defaults. */
export interface TransportParameters {
  originalDestinationConnectionId?: Uint8Array;
  /** Milliseconds; 0 or absent disables the idle timeout. */
  maxIdleTimeout?: number;
  statelessResetToken?: Uint8Array;
  maxUdpPayloadSize?: number;
  initialMaxData?: number;
  initialMaxStreamDataBidiLocal?: number;
  initialMaxStreamDataBidiRemote?: number;
  initialMaxStreamDataUni?: number;
  initialMaxStreamsBidi?: number;
  initialMaxStreamsUni?: number;
  ackDelayExponent?: number;
  /** Milliseconds. */
  maxAckDelay?: number;
  disableActiveMigration?: boolean;
  preferredAddress?: PreferredAddress;
  activeConnectionIdLimit?: number;
  initialSourceConnectionId?: Uint8Array;
  retrySourceConnectionId?: Uint8Array;
  versionInformation?: VersionInformation;
  maxDatagramFrameSize?: number;
  /** Microseconds (draft-ietf-quic-ack-frequency §3): present when the sender accepts ACK_FREQUENCY and IMMEDIATE_ACK frames. */
  minAckDelay?: number;
  /** Parameters this package does not know, in the order received. */
  unknown?: Array<{ id: bigint; value: Uint8Array }>;
}

/** RFC 9000 §18.2 defaults for parameters that have one. */
export const transportParameterDefaults = {
  maxUdpPayloadSize: 65527,
  ackDelayExponent: 3,
  maxAckDelay: 25,
  activeConnectionIdLimit: 2,
  initialMaxData: 0,
  initialMaxStreamDataBidiLocal: 0,
  initialMaxStreamDataBidiRemote: 0,
  initialMaxStreamDataUni: 0,
  initialMaxStreamsBidi: 0,
  initialMaxStreamsUni: 0,
  maxIdleTimeout: 0,
  maxDatagramFrameSize: 0,
} as const;

/** Transport parameter ids (RFC 9000 §18.2, RFC 9221 §3, RFC 9368 §3) by their RFC names. */
export const TransportParameterId = {
  original_destination_connection_id: 0x00,
  max_idle_timeout: 0x01,
  stateless_reset_token: 0x02,
  max_udp_payload_size: 0x03,
  initial_max_data: 0x04,
  initial_max_stream_data_bidi_local: 0x05,
  initial_max_stream_data_bidi_remote: 0x06,
  initial_max_stream_data_uni: 0x07,
  initial_max_streams_bidi: 0x08,
  initial_max_streams_uni: 0x09,
  ack_delay_exponent: 0x0a,
  max_ack_delay: 0x0b,
  disable_active_migration: 0x0c,
  preferred_address: 0x0d,
  active_connection_id_limit: 0x0e,
  initial_source_connection_id: 0x0f,
  retry_source_connection_id: 0x10,
  version_information: 0x11,
  max_datagram_frame_size: 0x20,
  min_ack_delay: 0xff04de1b,
} as const;

type NumberKey =
  | 'maxIdleTimeout'
  | 'maxUdpPayloadSize'
  | 'initialMaxData'
  | 'initialMaxStreamDataBidiLocal'
  | 'initialMaxStreamDataBidiRemote'
  | 'initialMaxStreamDataUni'
  | 'initialMaxStreamsBidi'
  | 'initialMaxStreamsUni'
  | 'ackDelayExponent'
  | 'maxAckDelay'
  | 'activeConnectionIdLimit'
  | 'maxDatagramFrameSize'
  | 'minAckDelay';
type CidKey = 'originalDestinationConnectionId' | 'initialSourceConnectionId' | 'retrySourceConnectionId';

/** One table row per parameter: its id, field, kind, RFC range and whether only a server may send it. */
const TABLE: ReadonlyArray<
  | { id: number; key: NumberKey; kind: 'int'; min?: number; max?: number }
  | { id: number; key: CidKey; kind: 'cid'; serverOnly?: boolean }
  | { id: 0x02; key: 'statelessResetToken'; kind: 'token'; serverOnly: true }
  | { id: 0x0c; key: 'disableActiveMigration'; kind: 'flag' }
  | { id: 0x0d; key: 'preferredAddress'; kind: 'preferred'; serverOnly: true }
  | { id: 0x11; key: 'versionInformation'; kind: 'version' }
> = [
  { id: 0x00, key: 'originalDestinationConnectionId', kind: 'cid', serverOnly: true },
  { id: 0x01, key: 'maxIdleTimeout', kind: 'int' },
  { id: 0x02, key: 'statelessResetToken', kind: 'token', serverOnly: true },
  { id: 0x03, key: 'maxUdpPayloadSize', kind: 'int', min: 1200 }, // §18.2: below 1200 is invalid
  { id: 0x04, key: 'initialMaxData', kind: 'int' },
  { id: 0x05, key: 'initialMaxStreamDataBidiLocal', kind: 'int' },
  { id: 0x06, key: 'initialMaxStreamDataBidiRemote', kind: 'int' },
  { id: 0x07, key: 'initialMaxStreamDataUni', kind: 'int' },
  { id: 0x08, key: 'initialMaxStreamsBidi', kind: 'int', max: 2 ** 60 }, // §18.2, §4.6
  { id: 0x09, key: 'initialMaxStreamsUni', kind: 'int', max: 2 ** 60 },
  { id: 0x0a, key: 'ackDelayExponent', kind: 'int', max: 20 }, // §18.2: above 20 is invalid
  { id: 0x0b, key: 'maxAckDelay', kind: 'int', max: 2 ** 14 - 1 }, // §18.2: 2^14 or greater is invalid
  { id: 0x0c, key: 'disableActiveMigration', kind: 'flag' },
  { id: 0x0d, key: 'preferredAddress', kind: 'preferred', serverOnly: true },
  { id: 0x0e, key: 'activeConnectionIdLimit', kind: 'int', min: 2 }, // §18.2: below 2 is invalid
  { id: 0x0f, key: 'initialSourceConnectionId', kind: 'cid' },
  { id: 0x10, key: 'retrySourceConnectionId', kind: 'cid', serverOnly: true },
  { id: 0x11, key: 'versionInformation', kind: 'version' },
  { id: 0x20, key: 'maxDatagramFrameSize', kind: 'int' },
  // draft-ietf-quic-ack-frequency §3 (microseconds; at most max_ack_delay, checked below).
  { id: 0xff04de1b, key: 'minAckDelay', kind: 'int', max: (2 ** 14 - 1) * 1000 },
];
const BY_ID = new Map(TABLE.map((row) => [row.id, row]));

const safeNumber = (x: bigint): number | bigint => (x <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(x) : x);

/**
 * An integer parameter's value: exactly one varint (RFC 9000 §18), within the row's RFC range. Up to 4 bytes
 * (every value below 2^30) read as a number, exact; an 8-byte one checked as a bigint (the 2^60 stream limits lie
 * above 2^53), then kept as a number (saturated). No Reader and no bigint for the usual parameter.
 */
function intValue(row: { key: NumberKey; min?: number; max?: number }, value: Uint8Array): number {
  if (value.length === 0) fail(`${row.key}: truncated: need 1 byte(s), have 0`);
  const first = value[0]!;
  const n = 1 << (first >>> 6);
  if (value.length < n) fail(`${row.key}: truncated: need ${n} byte(s), have ${value.length}`);
  if (value.length > n) fail(`${row.key}: value longer than its varint`);
  if (n === 8) {
    const exact = new Reader(value, 0, 8, TransportErrorCode.TRANSPORT_PARAMETER_ERROR).varintBig();
    if (row.min !== undefined && exact < BigInt(row.min)) fail(`${row.key} ${exact} below ${row.min}`);
    if (row.max !== undefined && exact > BigInt(row.max)) fail(`${row.key} ${exact} above ${row.max}`);
    return exact > VARINT_SATURATED_BIG ? VARINT_SATURATED : Number(exact);
  }
  let v = first & 0x3f;
  for (let i = 1; i < n; i++) v = v * 256 + value[i]!;
  if (row.min !== undefined && v < row.min) fail(`${row.key} ${v} below ${row.min}`);
  if (row.max !== undefined && v > row.max) fail(`${row.key} ${v} above ${row.max}`);
  return v;
}

function fail(message: string): never {
  throw new QuicWireError(TransportErrorCode.TRANSPORT_PARAMETER_ERROR, message);
}

/**
 * Decode the quic_transport_parameters extension body sent by `sender`.
 * Throws QuicWireError(TRANSPORT_PARAMETER_ERROR) on any violation.
 */
export function decodeTransportParameters(bytes: Uint8Array, sender: 'client' | 'server'): TransportParameters {
  const r = new Reader(bytes, 0, bytes.length, TransportErrorCode.TRANSPORT_PARAMETER_ERROR);
  const tp: TransportParameters = {};
  // Ids up to 2^53 kept as numbers (read without a bigint below 2^30), larger ones as bigints: one id, one key.
  const seen = new Set<number | bigint>();
  while (!r.atEnd) {
    const id = bytes[r.pos]! < 0xc0 ? r.varint() : safeNumber(r.varintBig());
    const value = r.lengthPrefixed();
    // RFC 9000 §7.4: a parameter sent twice is a TRANSPORT_PARAMETER_ERROR.
    if (seen.has(id)) fail(`transport parameter 0x${id.toString(16)} sent twice`);
    seen.add(id);
    const row = typeof id === 'number' ? BY_ID.get(id) : undefined;
    if (!row) {
      (tp.unknown ??= []).push({ id: BigInt(id), value });
      continue;
    }
    // RFC 9000 §18.2: a client sending a server-only parameter is a TRANSPORT_PARAMETER_ERROR.
    if ('serverOnly' in row && row.serverOnly && sender === 'client') fail(`a client sent ${row.key}`);
    const vr = row.kind === 'int' ? undefined : new Reader(value, 0, value.length, TransportErrorCode.TRANSPORT_PARAMETER_ERROR);
    switch (row.kind) {
      case 'int':
        tp[row.key] = intValue(row, value);
        break;
      case 'cid':
        if (value.length > MAX_CID_LENGTH) fail(`${row.key} longer than 20 bytes`);
        tp[row.key] = value;
        break;
      case 'token':
        if (value.length !== 16) fail('stateless_reset_token must be 16 bytes');
        tp.statelessResetToken = value;
        break;
      case 'flag':
        if (value.length !== 0) fail('disable_active_migration must be empty');
        tp.disableActiveMigration = true;
        break;
      case 'preferred': {
        const ipv4Address = vr!.bytes(4);
        const ipv4Port = vr!.u16();
        const ipv6Address = vr!.bytes(16);
        const ipv6Port = vr!.u16();
        const cidLen = vr!.u8();
        // RFC 9000 §18.2: a zero-length or over-long connection ID in preferred_address is invalid.
        if (cidLen === 0 || cidLen > MAX_CID_LENGTH) fail(`preferred_address connection ID length ${cidLen}`);
        const connectionId = vr!.bytes(cidLen);
        const statelessResetToken = vr!.bytes(16);
        if (!vr!.atEnd) fail('preferred_address has trailing bytes');
        tp.preferredAddress = { ipv4Address, ipv4Port, ipv6Address, ipv6Port, connectionId, statelessResetToken };
        break;
      }
      case 'version': {
        // RFC 9368 §3, §4: Chosen Version then Available Versions, 32 bits each; a zero version is a parsing failure.
        if (value.length < 4 || value.length % 4 !== 0) fail('version_information length is not a positive multiple of 4');
        const chosenVersion = vr!.u32();
        if (chosenVersion === 0) fail('version_information with Chosen Version 0');
        const availableVersions: number[] = [];
        while (!vr!.atEnd) {
          const v = vr!.u32();
          if (v === 0) fail('version_information lists version 0');
          availableVersions.push(v);
        }
        // RFC 9368 §4: a client's Chosen Version must be among its Available Versions.
        if (sender === 'client' && !availableVersions.includes(chosenVersion)) fail('version_information: Chosen Version not in Available Versions');
        tp.versionInformation = { chosenVersion, availableVersions };
        break;
      }
    }
  }
  // draft-ietf-quic-ack-frequency §3: min_ack_delay (µs) above max_ack_delay (ms) is a TRANSPORT_PARAMETER_ERROR.
  if (tp.minAckDelay !== undefined && tp.minAckDelay > (tp.maxAckDelay ?? transportParameterDefaults.maxAckDelay) * 1000)
    fail(`min_ack_delay ${tp.minAckDelay} µs above max_ack_delay ${tp.maxAckDelay ?? transportParameterDefaults.maxAckDelay} ms`);
  return tp;
}

type Row = (typeof TABLE)[number];

/** The length of a parameter's value (RFC 9000 §18, §18.2; RFC 9368 §3). */
function valueLength(row: Row, val: unknown): number {
  switch (row.kind) {
    case 'int':
      return varintLength(val as number);
    case 'cid':
    case 'token':
      return (val as Uint8Array).length;
    case 'flag':
      return 0;
    case 'preferred': {
      const p = val as PreferredAddress;
      if (p.ipv4Address.length !== 4 || p.ipv6Address.length !== 16 || p.statelessResetToken.length !== 16) throw new RangeError('malformed preferred_address');
      return 4 + 2 + 16 + 2 + 1 + p.connectionId.length + 16;
    }
    case 'version':
      return 4 + 4 * (val as VersionInformation).availableVersions.length;
  }
}

function writeValue(w: Writer, row: Row, val: unknown): void {
  switch (row.kind) {
    case 'int':
      return w.varint(val as number);
    case 'cid':
    case 'token':
      return w.bytes(val as Uint8Array);
    case 'flag':
      return;
    case 'preferred': {
      const p = val as PreferredAddress;
      w.bytes(p.ipv4Address);
      w.u16(p.ipv4Port);
      w.bytes(p.ipv6Address);
      w.u16(p.ipv6Port);
      w.u8(p.connectionId.length);
      w.bytes(p.connectionId);
      return w.bytes(p.statelessResetToken);
    }
    case 'version': {
      const v = val as VersionInformation;
      w.u32(v.chosenVersion);
      for (const x of v.availableVersions) w.u32(x);
    }
  }
}

/**
 * Encode transport parameters (known ones in id order, then the unknown ones
 * as given): sized first, then written into one buffer (no buffer per value).
 */
export function encodeTransportParameters(tp: TransportParameters): Uint8Array {
  let size = 0;
  for (const row of TABLE) {
    const val = tp[row.key];
    if (val === undefined || val === false) continue;
    const n = valueLength(row, val);
    size += varintLength(row.id) + varintLength(n) + n;
  }
  for (const u of tp.unknown ?? []) size += varintLengthBig(u.id) + varintLength(u.value.length) + u.value.length;
  const w = Writer.alloc(size);
  for (const row of TABLE) {
    const val = tp[row.key];
    if (val === undefined || val === false) continue;
    w.varint(row.id);
    w.varint(valueLength(row, val));
    writeValue(w, row, val);
  }
  for (const u of tp.unknown ?? []) {
    w.varintBig(u.id);
    w.lengthPrefixed(u.value);
  }
  return w.buf;
}

/** RFC 9000 §18.1: a reserved (GREASE) parameter id, 31 * N + 27. */
export function isReservedTransportParameterId(id: bigint): boolean {
  return id >= 27n && (id - 27n) % 31n === 0n;
}
