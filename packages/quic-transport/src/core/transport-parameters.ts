/**
 * @module core/transport-parameters
 * The peer's transport parameters inside a connection (RFC 9000 §7.3, §7.4,
 * §18): authenticated connection IDs, preferred_address (§9.6), the
 * version_information check (RFC 9368 §4), and the limits they set; and the
 * subset remembered with a session ticket for 0-RTT (§7.4.1).
 */
import { decodeTransportParameters, QuicWireError, type TransportParameters } from '@tsquic/quic-wire';
import { equal, hex, type Connection } from './connection.js';
import { TransportError, TransportErrorCode as E } from './errors.js';
import { preferredPathFor } from './preferred-address.js';

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

export function applyPeerParameters(c: Connection, bytes: Uint8Array, now: number): void {
  let tp: TransportParameters;
  try {
    tp = decodeTransportParameters(bytes, c.side === 'client' ? 'server' : 'client');
  } catch (e) {
    if (QuicWireError.isInstance(e)) throw new TransportError(E.TRANSPORT_PARAMETER_ERROR, e.message);
    throw e;
  }
  // RFC 9000 §7.3: authenticate the connection IDs of the handshake.
  const peerScid = c.remoteCids.current.cid;
  if (!tp.initialSourceConnectionId || !equal(tp.initialSourceConnectionId, c.peerInitialScid ?? peerScid)) {
    throw new TransportError(E.TRANSPORT_PARAMETER_ERROR, 'initial_source_connection_id does not match the peer SCID');
  }
  if (c.side === 'client') {
    if (!tp.originalDestinationConnectionId || !equal(tp.originalDestinationConnectionId, c.originalDcid)) {
      throw new TransportError(E.TRANSPORT_PARAMETER_ERROR, 'original_destination_connection_id does not match');
    }
    // §7.3: retry_source_connection_id is present exactly when we followed a Retry, and matches its SCID.
    if (c.retrySourceCid ? !tp.retrySourceConnectionId || !equal(tp.retrySourceConnectionId, c.retrySourceCid) : tp.retrySourceConnectionId) {
      throw new TransportError(E.TRANSPORT_PARAMETER_ERROR, 'retry_source_connection_id does not match');
    }
    if (tp.statelessResetToken) c.remoteCids.setResetToken(0, tp.statelessResetToken);
    // RFC 9000 §9.6: the preferred address comes with connection ID sequence 1; we move there once confirmed.
    const pa = tp.preferredAddress;
    if (pa) {
      c.remoteCids.add(1, 0, pa.connectionId, pa.statelessResetToken);
      c.peerPreferred = preferredPathFor(pa, c.path);
    }
    // RFC 9368 §4: the server's Chosen Version is the version in use; a changed version must be confirmed by it.
    const vi = tp.versionInformation;
    if (vi ? vi.chosenVersion !== c.version : c.version !== c.originalVersion) {
      throw new TransportError(E.VERSION_NEGOTIATION_ERROR, `server version_information does not confirm version 0x${c.version.toString(16)}`);
    }
  }
  c.peerParams = tp;
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
  const { originalDestinationConnectionId, initialSourceConnectionId, retrySourceConnectionId, statelessResetToken, preferredAddress, ...rest } = tp;
  void originalDestinationConnectionId, initialSourceConnectionId, retrySourceConnectionId, statelessResetToken, preferredAddress;
  return rest;
}

function tpForQlog(tp: TransportParameters): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(tp)) out[k.replace(/[A-Z]/g, (c) => `_${c.toLowerCase()}`)] = v instanceof Uint8Array ? hex(v) : v;
  return out;
}
