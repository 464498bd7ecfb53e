/**
 * @module core/transport-parameters
 * Transport parameters inside a connection (RFC 9000 §7.3, §7.4, §18): ours,
 * from the settings; the peer's — authenticated connection IDs (§7.3),
 * preferred_address (§9.6), the version_information check (RFC 9368 §4) and
 * the limits they set; the subset a client remembers with a session ticket
 * for 0-RTT, and the limits a server remembers in its tickets so that it
 * never accepts 0-RTT under smaller ones (§7.4.1).
 */
import { decodeTransportParameters, encodeTransportParameters, equalBytes, isSupportedVersion, QuicWireError, toHex, type QuicVersion, type TransportParameters } from '@tsquic/quic-wire';
import type { TransportSettings } from './config.js';
import type { Connection } from './connection.js';
import { TransportError, TransportErrorCode as E } from './errors.js';
import { encodePreferredAddress, preferredPathFor } from './preferred-address.js';

/** Our transport parameters (RFC 9000 §18.2). */
export function localParameters(
  s: TransportSettings,
  version: QuicVersion,
  initialScid: Uint8Array,
  server?: { originalDcid: Uint8Array; resetToken: Uint8Array; retrySourceCid?: Uint8Array; preferredCid?: { cid: Uint8Array; resetToken: Uint8Array } },
): TransportParameters {
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
    initialSourceConnectionId: initialScid,
  };
  if (s.disableActiveMigration) tp.disableActiveMigration = true;
  // RFC 9368 §3: version_information — the version in use, then every version we would use.
  tp.versionInformation = { chosenVersion: version, availableVersions: [...new Set([version, ...s.versions])] };
  if (s.maxDatagramFrameSize > 0) tp.maxDatagramFrameSize = s.maxDatagramFrameSize;
  // draft-ietf-quic-ack-frequency §3: min_ack_delay, never above max_ack_delay.
  if (s.ackFrequency) tp.minAckDelay = Math.min(s.minAckDelayUs, s.maxAckDelayMs * 1000);
  if (server) {
    if (s.preferredAddress && server.preferredCid) tp.preferredAddress = encodePreferredAddress(s.preferredAddress, server.preferredCid);
    tp.originalDestinationConnectionId = server.originalDcid;
    tp.statelessResetToken = server.resetToken;
    if (server.retrySourceCid) tp.retrySourceConnectionId = server.retrySourceCid;
  }
  return tp;
}

/**
 * Server, on the ClientHello (RFC 9368 §2.1, §4): check the client's
 * version_information and move the connection to our most preferred
 * version it lists. True when the version changed (our transport
 * parameters changed with it).
 */
export function negotiateVersion(c: Connection, bytes: Uint8Array | undefined, earlyDataOffered: boolean, now: number): boolean {
  let vi;
  try {
    vi = bytes ? decodePeerParameters(c, bytes).versionInformation : undefined;
  } catch {
    return false; // the peer-transport-params event reports the malformed parameters
  }
  if (!vi) return false;
  if (vi.chosenVersion !== c.crypto.originalVersion) throw new TransportError(E.VERSION_NEGOTIATION_ERROR, 'client Chosen Version differs from its Initial packets');
  // 0-RTT packets are protected in the client's version: keep it when the client sends them.
  if (earlyDataOffered) return false;
  const pick = c.settings.versions.find((v) => isSupportedVersion(v) && vi.availableVersions.includes(v));
  if (pick === undefined || pick === c.crypto.version) return false;
  switchVersion(c, pick, now);
  c.hs.localParams = { ...c.hs.localParams, versionInformation: { chosenVersion: pick, availableVersions: [...new Set([pick, ...c.settings.versions])] } };
  return true;
}

/** Use `version` from now on (RFC 9368 §2.1): Initial keys with its salt and labels. */
export function switchVersion(c: Connection, version: QuicVersion, now: number): void {
  const from = c.crypto.version;
  c.crypto.switchVersion(version);
  c.qlog(now, 'transport:version_information', { chosen_version: version.toString(16), original_version: from.toString(16) });
}

/** Remembered server transport parameters (from a ticket) set the limits for 0-RTT. */
export function applyRememberedParameters(c: Connection, appData: Uint8Array): void {
  let tp: TransportParameters;
  try {
    tp = decodeTransportParameters(appData, 'server');
  } catch {
    return; // an unusable memory: no 0-RTT data can be sent, the handshake still resumes
  }
  c.streams.setPeerLimits(streamLimitsOf(tp));
}

/**
 * The peer's transport parameters, decoded once: a server reads the
 * ClientHello's for version_information (RFC 9368 §4) and then applies the
 * same bytes (RFC 9000 §7.4).
 */
function decodePeerParameters(c: Connection, bytes: Uint8Array): TransportParameters {
  const done = c.hs.peerParamsDecoded;
  if (done?.bytes === bytes) return done.tp;
  const tp = decodeTransportParameters(bytes, c.side === 'client' ? 'server' : 'client');
  c.hs.peerParamsDecoded = { bytes, tp };
  return tp;
}

export function applyPeerParameters(c: Connection, bytes: Uint8Array, now: number): void {
  let tp: TransportParameters;
  try {
    tp = decodePeerParameters(c, bytes);
  } catch (e) {
    if (QuicWireError.isInstance(e)) throw new TransportError(E.TRANSPORT_PARAMETER_ERROR, e.message);
    throw e;
  }
  const hs = c.hs;
  hs.peerParamsDecoded = undefined;
  // RFC 9000 §7.3: authenticate the connection IDs of the handshake.
  if (!tp.initialSourceConnectionId || !equalBytes(tp.initialSourceConnectionId, hs.peerInitialScid ?? c.remoteCids.current.cid)) {
    throw new TransportError(E.TRANSPORT_PARAMETER_ERROR, 'initial_source_connection_id does not match the peer SCID');
  }
  if (c.side === 'client') {
    if (!tp.originalDestinationConnectionId || !equalBytes(tp.originalDestinationConnectionId, hs.originalDcid)) {
      throw new TransportError(E.TRANSPORT_PARAMETER_ERROR, 'original_destination_connection_id does not match');
    }
    // §7.3: retry_source_connection_id is present exactly when we followed a Retry, and matches its SCID.
    if (hs.retrySourceCid ? !tp.retrySourceConnectionId || !equalBytes(tp.retrySourceConnectionId, hs.retrySourceCid) : tp.retrySourceConnectionId) {
      throw new TransportError(E.TRANSPORT_PARAMETER_ERROR, 'retry_source_connection_id does not match');
    }
    if (tp.statelessResetToken) c.remoteCids.setResetToken(0, new Uint8Array(tp.statelessResetToken));
    // RFC 9000 §9.6: the preferred address comes with connection ID sequence 1; we move there once confirmed.
    const pa = tp.preferredAddress;
    if (pa) {
      c.remoteCids.add(1, 0, new Uint8Array(pa.connectionId), new Uint8Array(pa.statelessResetToken));
      c.paths.preferred = preferredPathFor(pa, c.paths.current);
    }
    // RFC 9368 §4: the server's Chosen Version is the version in use; a changed version must be confirmed by it.
    const vi = tp.versionInformation;
    if (vi ? vi.chosenVersion !== c.crypto.version : c.crypto.version !== c.crypto.originalVersion) {
      throw new TransportError(E.VERSION_NEGOTIATION_ERROR, `server version_information does not confirm version 0x${c.crypto.version.toString(16)}`);
    }
  }
  hs.peerParams = tp;
  c.streams.setPeerLimits(streamLimitsOf(tp));
  c.recovery.maxAckDelay = tp.maxAckDelay ?? 25;
  c.localCids.peerLimit = tp.activeConnectionIdLimit ?? 2;
  // Never exceed what the peer accepts (RFC 9000 §18.2 max_udp_payload_size).
  if (tp.maxUdpPayloadSize !== undefined) {
    if (tp.maxUdpPayloadSize < c.maxDatagramSize) c.setDatagramSize(Math.max(1200, tp.maxUdpPayloadSize));
    c.pmtu.limit(tp.maxUdpPayloadSize);
  }
  if (c.hooks.qlog) c.qlog(now, 'transport:parameters_set', { owner: 'remote', ...tpForQlog(tp) });
}

/** The stream and flow-control limits a peer's transport parameters give us (absent: 0, RFC 9000 §18.2). */
function streamLimitsOf(tp: TransportParameters) {
  return {
    initialMaxData: tp.initialMaxData ?? 0,
    initialMaxStreamDataBidiLocal: tp.initialMaxStreamDataBidiLocal ?? 0,
    initialMaxStreamDataBidiRemote: tp.initialMaxStreamDataBidiRemote ?? 0,
    initialMaxStreamDataUni: tp.initialMaxStreamDataUni ?? 0,
    initialMaxStreamsBidi: tp.initialMaxStreamsBidi ?? 0,
    initialMaxStreamsUni: tp.initialMaxStreamsUni ?? 0,
  };
}

/** What a client may remember of the server's parameters for 0-RTT (§7.4.1: not the connection IDs, token or address). */
export function rememberable(tp: TransportParameters): TransportParameters {
  // draft-ietf-quic-ack-frequency §3: min_ack_delay is never remembered for a later connection.
  const { originalDestinationConnectionId, initialSourceConnectionId, retrySourceConnectionId, statelessResetToken, preferredAddress, minAckDelay, ...rest } = tp;
  (void originalDestinationConnectionId, initialSourceConnectionId, retrySourceConnectionId, statelessResetToken, preferredAddress, minAckDelay);
  return rest;
}

/** §7.4.1: the limits a client remembers and 0-RTT relies on (RFC 9221 §3: and max_datagram_frame_size). */
const EARLY_DATA_LIMITS = ['initialMaxData', 'initialMaxStreamDataBidiLocal', 'initialMaxStreamDataBidiRemote', 'initialMaxStreamDataUni', 'initialMaxStreamsBidi', 'initialMaxStreamsUni', 'maxDatagramFrameSize'] as const;

/** The server's limits as a ticket remembers them (encoded as transport parameters). */
export function earlyDataLimits(tp: TransportParameters): Uint8Array {
  const out: TransportParameters = {};
  for (const k of EARLY_DATA_LIMITS) if (tp[k] !== undefined) out[k] = tp[k];
  return encodeTransportParameters(out);
}

/**
 * RFC 9000 §7.4.1: may the server accept 0-RTT from a client that remembers
 * `remembered` (from our ticket)? Not when any remembered limit exceeds ours
 * now (a client would send more than we allow), nor when they cannot be read.
 */
export function acceptsEarlyData(remembered: Uint8Array | undefined, current: TransportParameters): boolean {
  if (!remembered) return false;
  let tp: TransportParameters;
  try {
    tp = decodeTransportParameters(remembered, 'client');
  } catch {
    return false;
  }
  return EARLY_DATA_LIMITS.every((k) => (tp[k] ?? 0) <= (current[k] ?? 0));
}

function tpForQlog(tp: TransportParameters): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(tp)) out[k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = v instanceof Uint8Array ? toHex(v) : v;
  return out;
}
