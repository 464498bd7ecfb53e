/**
 * @module core/retransmission
 * What happens to the frames of packets that were acknowledged or lost
 * (RFC 9000 §13.3 "Retransmission of Information"; RFC 9002 §6, A.7, A.9):
 * an ACK frame fed to loss detection with its ECN counts validated
 * (RFC 9000 §13.4.2, RFC 9002 §7.1); per sent-frame kind, one handler on
 * acknowledgement and one on loss (CRYPTO data resent, HANDSHAKE_DONE and
 * NEW_TOKEN queued again, stream frames to the stream scheduler, a PMTU probe
 * to the search); the loss detection timer's expiry with its probes
 * (RFC 9002 §6.2.4); and taking back everything sent in a space (after a
 * Retry, or 0-RTT the server rejected).
 */
import type { FrameOf } from '@tsquic/quic-wire';
import type { Connection } from './connection.js';
import type { SentPacket, SpaceId } from './recovery/loss-detection.js';
import type { StreamRecord } from './streams/streams.js';
import type { SentFrame, SentInfo } from './types.js';

type Kind = Exclude<SentFrame['k'], StreamRecord['k']>;
type On<K extends Kind> = (c: Connection, f: Extract<SentFrame, { k: K }>, space: SpaceId, now: number) => void;
const none = (): void => {};

/** Frame kinds that are not stream frames; stream frames go to the stream layer. */
const ON_ACKED: { [K in Kind]: On<K> } = {
  crypto: (c, f) => c.spaces[f.space].cryptoSend.onAcked(f.offset, f.len, false),
  // RFC 9000 §13.2.4: the peer has our ACK: stop reporting what it covered.
  ack: (c, f, space) => c.spaces[space].ack.onAckAcked(f.largest),
  retire_connection_id: (c, f) => c.remoteCids.onRetireAcked(f.seq),
  pmtu: (c, f) => c.setDatagramSize(c.pmtu.onProbeAcked(f.size)),
  handshake_done: none,
  new_connection_id: none,
  ping: none,
  new_token: none,
  datagram: none,
  path: none,
  ack_frequency: none,
  immediate_ack: none,
};

const ON_LOST: { [K in Kind]: On<K> } = {
  crypto: (c, f) => {
    if (!c.spaces[f.space].discarded) c.spaces[f.space].cryptoSend.onLost(f.offset, f.len, false);
  },
  handshake_done: (c) => void (c.pending.handshakeDone = true),
  new_connection_id: (c, f) => {
    if (c.localCids.get(f.seq)) c.localCids.pending.add(f.seq);
  },
  retire_connection_id: (c, f) => void c.remoteCids.toRetire.add(f.seq),
  pmtu: (c, f, _s, now) => c.pmtu.onProbeLost(f.size, now),
  new_token: (c, f) => void (c.pending.newToken = f.token),
  // draft-ietf-quic-ack-frequency §4: the current request again, unless a newer one went.
  ack_frequency: (c, f) => c.ackFrequency.onLost(f.seq),
  // Never retransmitted: an ACK is rebuilt from current state, a PING or path frame is sent anew when needed, datagrams are
  // unreliable, IMMEDIATE_ACK needs no retransmission (draft-ietf-quic-ack-frequency §5).
  immediate_ack: none,
  ack: none,
  ping: none,
  datagram: none,
  path: none,
};

function isStreamRecord(f: SentFrame): f is StreamRecord {
  return f.k === 'stream' || !(f.k in ON_ACKED); // STREAM first: nearly every frame of a bulk transfer
}

/** Packets acknowledged in `space`. */
export function onAcked(c: Connection, space: SpaceId, packets: Iterable<SentPacket<SentInfo>>, now: number): void {
  for (const p of packets) {
    if (space === 2) c.crypto.oneRtt?.confirmWrite(p.data.gen);
    for (const f of p.data.frames) {
      if (isStreamRecord(f)) c.streams.onAcked(f);
      else (ON_ACKED[f.k] as On<Kind>)(c, f as never, space, now);
    }
  }
}

/** Packets declared lost (or taken back): requeue what they carried. */
export function onLost(c: Connection, packets: Iterable<SentPacket<SentInfo>>, now: number, space: SpaceId = 2): void {
  for (const p of packets) {
    if (p.ecn) c.paths.ecn.onMarkedLost(1);
    if (c.hooks.qlog) c.qlog(now, 'recovery:packet_lost', { header: { packet_number: p.pn } });
    for (const f of p.data.frames) {
      if (isStreamRecord(f)) c.streams.onLost(f);
      else (ON_LOST[f.k] as On<Kind>)(c, f as never, space, now);
    }
  }
}

/** RFC 9002 A.7 OnAckReceived, with the ECN counts validated (RFC 9000 §13.4.2, RFC 9002 §7.1). */
export function onAckFrame(c: Connection, space: SpaceId, f: FrameOf<'ack'>, now: number): void {
  const exp = space === 2 ? (c.hs.peerParams?.ackDelayExponent ?? 3) : 3;
  const ackDelay = (f.ackDelay * 2 ** exp) / 1000;
  const largestBefore = c.recovery.largestAcked(space);
  const r = c.recovery.onAckReceived(space, { largest: f.largest, ackDelay, ranges: f.ranges }, now, !c.streams.hasStreamData);
  let marked = 0;
  let newest = -Infinity;
  for (const p of r.acked) if (p.ecn) (marked++, (newest = Math.max(newest, p.timeSent)));
  if (c.paths.ecn.onAck(space, f.ecn, marked, f.largest > largestBefore)) c.recovery.onEcnCongestion(now, newest);
  onAcked(c, space, r.acked, now);
  onLost(c, r.lost, now, space);
  // RFC 9002 §6.2.2.1: an acknowledged Handshake packet proves the server validated our address.
  if (space === 1 && c.side === 'client') c.recovery.peerCompletedAddressValidation = true;
  // RFC 9001 §4.1.2: a client may treat an acknowledged 1-RTT packet as handshake confirmation —
  // not an acknowledged 0-RTT one (same space): that would drop the Handshake keys before our Finished went.
  if (space === 2 && c.side === 'client' && c.hs.info && r.acked.some((p) => !p.data.zeroRtt)) c.confirmHandshake(now);
  c.streams.rtt = c.recovery.rtt.smoothedRtt;
}

/** RFC 9002 A.9 OnLossDetectionTimeout: declare losses, or send probes (two, §6.2.4) in the space the PTO names. */
export function onLossTimeout(c: Connection, now: number): void {
  const { lost, probe } = c.recovery.onTimeout(now);
  onLost(c, lost, now);
  if (probe === null) return;
  const sp = c.spaces[probe];
  if (sp.discarded || !c.crypto.hasWriteKeys(probe) || (probe === 2 && !c.crypto.oneRtt)) {
    // The probe space has no keys (client before Handshake keys): probe with an Initial (RFC 9002 §6.2.2.1).
    const alt = c.crypto.hasWriteKeys(0) && !c.spaces[0].discarded ? c.spaces[0] : c.spaces[1];
    alt.probes = 2;
    requeueCrypto(c, alt.id);
  } else {
    sp.probes = 2;
    if (probe < 2) requeueCrypto(c, probe);
    // RFC 9002 §6.2.4: "a server can coalesce an Initial packet containing a PING frame with one or more
    // packets in its first flight" — the Handshake data unacknowledged goes in the same probe datagrams,
    // not a round trip later (a server's first flight lost: a Handshake PTO after the Initial one, or the
    // client's answer, before the client has its certificate).
    if (probe === 0 && c.crypto.hasWriteKeys(1) && !c.spaces[1].discarded) requeueCrypto(c, 1);
    // RFC 9002 §6.2.4: a probe may carry data sent before. The two oldest packets' frames go again (ngtcp2
    // reclaims them the same way): a probe that gets through then delivers what was lost, not just a PING
    // — a server's HANDSHAKE_DONE (a client waiting for it arms no 1-RTT PTO, §6.2.1), a response.
    else reclaimOldest(c, now);
  }
  c.qlog(now, 'recovery:loss_timer_updated', { event_type: 'expired', timer_type: 'pto', packet_number_space: probe });
}

/** Server: queue HANDSHAKE_DONE again while the one sent is unacknowledged (RFC 9002 §6.2.4: a probe may carry old data). */
export function resendHandshakeDone(c: Connection): void {
  if (c.pending.handshakeDone) return;
  for (const p of c.recovery.unacked(2)) for (const f of p.data.frames) if (f.k === 'handshake_done') return void (c.pending.handshakeDone = true);
}

/** On a PTO in the application space: queue again what the two oldest ack-eliciting packets in flight carried. */
function reclaimOldest(c: Connection, now: number): void {
  let n = 0;
  for (const p of c.recovery.unacked(2)) {
    if (!p.ackEliciting || !p.inFlight || p.probe) continue;
    for (const f of p.data.frames) {
      if (isStreamRecord(f)) c.streams.onLost(f);
      else if (f.k !== 'pmtu') (ON_LOST[f.k] as On<Kind>)(c, f as never, 2, now);
    }
    if (++n === 2) return;
  }
}

/** On a PTO in Initial/Handshake, resend all unacknowledged CRYPTO data (RFC 9002 §6.2.4). */
function requeueCrypto(c: Connection, space: SpaceId): void {
  for (const p of c.recovery.unacked(space)) for (const f of p.data.frames) if (f.k === 'crypto') c.spaces[space].cryptoSend.onLost(f.offset, f.len, false);
}

/** Take back (not as congestion) the packets of `space` matching `pred` and resend what they carried; returns how many. */
export function resend(c: Connection, space: SpaceId, pred: (p: SentPacket<SentInfo>) => boolean, now: number): number {
  const taken = c.recovery.takeWhere(space, pred);
  for (const p of taken)
    for (const f of p.data.frames) {
      if (isStreamRecord(f)) c.streams.onLost(f);
      else (ON_LOST[f.k] as On<Kind>)(c, f as never, space, now);
    }
  return taken.length;
}
