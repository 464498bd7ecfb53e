/**
 * @module core/ack-frequency
 * The ACK frequency extension (draft-ietf-quic-ack-frequency): both roles.
 * As data receiver (§4, §5, §6): validate a peer's ACK_FREQUENCY frame and
 * apply its Ack-Eliciting Threshold, Requested Max Ack Delay and Reordering
 * Threshold to the 1-RTT ACK tracker; IMMEDIATE_ACK makes an ACK due at once.
 * As data sender (§9): when the peer advertised min_ack_delay, ask for one
 * ACK per `threshold + 1` packets with the threshold taken from the
 * congestion window (at least ACKS_PER_WINDOW ACKs per window, at most one
 * per MAX_ACK_GAP packets), the shortest delay the peer's and our shell's
 * timers honour (a fast flow's ACKs are spaced by the threshold; a longer
 * delay would only hold a slow flow's tail and inflate our RTT samples), and
 * the reordering threshold of our loss detection (§10); and put
 * IMMEDIATE_ACK on the last packet before the sender runs out of data
 * (§9.1.1) and on PTO probes (§8), so a flight's tail never waits.
 */
import type { FrameOf } from '@tsquic/quic-wire';
import type { Connection } from './connection.js';
import { TransportError, TransportErrorCode as E } from './errors.js';
import { kPacketThreshold } from './recovery/loss-detection.js';

/** At most one ACK per this many ack-eliciting packets (Chromium's and quiche's ACK decimation use 10). */
export const MAX_ACK_GAP = 10;
/** ACKs asked for per congestion window, at least (§9.1: "at least once per round trip"; more keeps the window growing smoothly). */
export const ACKS_PER_WINDOW = 8;
/**
 * The shortest Requested Max Ack Delay we send, µs: Node's timers fire no
 * sooner than 1 ms, and a shorter delay only turns the extension's ACKs
 * back into timer-driven ones (issue 19's reverted attempt).
 */
export const MIN_REQUESTED_DELAY_US = 1000;
/** RFC 9000 §18.2: max_ack_delay of 2^14 ms or more is invalid; §4 applies it to the requested delay (µs). */
const MAX_DELAY_US = 2 ** 14 * 1000;

/** What we last asked the peer for (ACK_FREQUENCY fields). */
interface Request {
  threshold: number;
  delayUs: number;
  reordering: number;
}

/** The data sender's side: what to ask the peer for, and when. */
export class AckFrequencySender {
  /** The next Sequence Number (§4: monotonically increasing). */
  private seq = 0;
  /** The request last sent (or queued), undefined until the first. */
  private last: Request | undefined;
  /** An ACK_FREQUENCY frame to send. */
  pending: FrameOf<'ack_frequency'> | undefined;
  /** Whether the peer is currently asked for fewer ACKs than RFC 9000's default (then tails need IMMEDIATE_ACK). */
  get reduced(): boolean {
    return this.last !== undefined && this.last.threshold > 1;
  }

  /**
   * Refresh the request from the congestion window and RTT (call before
   * building 1-RTT packets). Only a threshold that changes, or a delay that
   * moves by a quarter, makes a new frame (§9.1: not on every change).
   */
  update(c: Connection): void {
    const peerMin = c.hs.peerParams?.minAckDelay;
    if (peerMin === undefined || !c.settings.ackFrequency || !c.hs.confirmed) return;
    const r = c.recovery;
    const packets = Math.floor(r.cc.window / c.maxDatagramSize);
    // One ACK per `threshold + 1` packets: ACKS_PER_WINDOW per window, between RFC 9000's default (every 2nd) and MAX_ACK_GAP.
    const threshold = Math.max(1, Math.min(MAX_ACK_GAP, Math.floor(packets / ACKS_PER_WINDOW)) - 1);
    const peerMax = (c.hs.peerParams?.maxAckDelay ?? 25) * 1000;
    // §9.1: no more than the RTT. As short as the peer's (and our shell's) timers honour: the threshold, not the timer,
    // spaces the ACKs of a fast flow; a long delay only holds the tail of a slow one and inflates our RTT samples
    // (RFC 9002 §5.3). Never above the max_ack_delay the peer advertised, which our PTO already allows for (§8).
    const delayUs = Math.min(peerMax, Math.max(peerMin, MIN_REQUESTED_DELAY_US));
    const l = this.last;
    // Asked for every packet: the request changes rarely, so it is compared before any object is made.
    if (l && l.threshold === threshold && l.reordering === kPacketThreshold && Math.abs(l.delayUs - delayUs) * 4 <= l.delayUs) return;
    const next: Request = { threshold, delayUs, reordering: kPacketThreshold };
    this.last = next;
    this.pending = { type: 'ack_frequency', sequence: this.seq++, ackElicitingThreshold: next.threshold, requestedMaxAckDelay: next.delayUs, reorderingThreshold: next.reordering };
  }

  /** A packet carrying ACK_FREQUENCY `sequence` was lost: send the current request again, unless a newer one went (§4). */
  onLost(sequence: number): void {
    if (sequence !== this.seq - 1 || this.pending || !this.last) return;
    const l = this.last;
    this.pending = { type: 'ack_frequency', sequence: this.seq++, ackElicitingThreshold: l.threshold, requestedMaxAckDelay: l.delayUs, reorderingThreshold: l.reordering };
  }
}

/** The data receiver's side (§4): a peer's ACK_FREQUENCY frame, validated, applied to the 1-RTT ACK tracker. */
export function onAckFrequencyFrame(c: Connection, f: FrameOf<'ack_frequency'>): void {
  notNegotiated(c, 0xaf);
  // §4: Requested Max Ack Delay of 2^14 ms or more, or below our min_ack_delay, is a PROTOCOL_VIOLATION.
  if (f.requestedMaxAckDelay >= MAX_DELAY_US) throw new TransportError(E.PROTOCOL_VIOLATION, `ACK_FREQUENCY Requested Max Ack Delay ${f.requestedMaxAckDelay} µs is 2^14 ms or more`, 0xaf);
  if (f.requestedMaxAckDelay < minAckDelayUs(c)) throw new TransportError(E.PROTOCOL_VIOLATION, `ACK_FREQUENCY Requested Max Ack Delay ${f.requestedMaxAckDelay} µs below our min_ack_delay ${minAckDelayUs(c)} µs`, 0xaf);
  // §4: an ACK_FREQUENCY frame whose Sequence Number is not above the largest processed is ignored.
  if (f.sequence <= c.ackFrequencySeq) return;
  c.ackFrequencySeq = f.sequence;
  c.spaces[2].ack.configure(f.ackElicitingThreshold, f.requestedMaxAckDelay / 1000, f.reorderingThreshold);
}

/** §5: an IMMEDIATE_ACK frame makes an ACK due at once. */
export function onImmediateAck(c: Connection): void {
  notNegotiated(c, 0x1f);
  c.spaces[2].ack.requestImmediate();
}

/** The min_ack_delay we advertise (µs), never above our max_ack_delay (§3). */
export function minAckDelayUs(c: { settings: { minAckDelayUs: number; maxAckDelayMs: number } }): number {
  return Math.min(c.settings.minAckDelayUs, c.settings.maxAckDelayMs * 1000);
}

/** §3: without our min_ack_delay the peer may not send these frames: to us they are unknown frame types (RFC 9000 §12.4). */
function notNegotiated(c: Connection, type: number): void {
  if (!c.settings.ackFrequency) throw new TransportError(E.FRAME_ENCODING_ERROR, `frame type 0x${type.toString(16)} without min_ack_delay (draft-ietf-quic-ack-frequency §3)`, type);
}
