/**
 * @module core/ecn
 * Explicit Congestion Notification (RFC 9000 §13.4, RFC 9002 §7.1, §B.7): we
 * mark our datagrams ECT(0) while the path is being tested or has proved
 * ECN-capable, validate the counts the peer reports in ACK frames
 * (§13.4.2.1) and report an increase of its CE count as a congestion event.
 * A path that loses all its test packets, strips the marks, or reports
 * impossible counts stops being marked (§13.4.2.2). Marking starts when the
 * handshake is confirmed, so a path that drops marked packets can never stall
 * a handshake. The receiving side —
 * counting the codepoints of what arrives — lives in the ACK tracker.
 *
 * Whether marks reach the network is up to the shell: the core only says
 * which datagrams to mark (`Transmit.ecn`) and takes the codepoint a datagram
 * arrived with as an argument.
 */
import type { EcnCounts } from '@tsquic/quic-wire';

/** The IP-header ECN codepoint of a datagram (RFC 3168): ECT(0), ECT(1) or CE; undefined for Not-ECT or unknown. */
export type EcnCodepoint = 'ect0' | 'ect1' | 'ce';

/** RFC 9000 §A.4: mark the first ten packets, then wait for their acknowledgements. */
const TESTING_PACKETS = 10;

/** ECN validation's state (RFC 9000 §13.4.2, §A.4). */
export type EcnState = 'testing' | 'unknown' | 'capable' | 'failed';

/** Validates a path's ECN (RFC 9000 §13.4.2): marks the first packets ECT(0), checks the peer's ACK_ECN counts, and gives up on a path that loses or bleaches the marks. */
export class EcnValidator {
  state: EcnState;
  private testSent = 0;
  private testLost = 0;
  /** Per packet number space: ECT(0) packets sent, and the largest counts the peer reported. */
  private readonly markedSent = [0, 0, 0];
  private readonly reported: EcnCounts[] = [0, 1, 2].map(() => ({ ect0: 0, ect1: 0, ce: 0 }));

  constructor(enabled: boolean) {
    this.state = enabled ? 'testing' : 'failed';
  }

  /** Whether the next datagram carries ECT(0). */
  get marking(): boolean {
    return this.state === 'testing' || this.state === 'capable';
  }

  /** A packet left in a datagram marked ECT(0). */
  onMarkedSent(space: 0 | 1 | 2): void {
    this.markedSent[space]!++;
    if (this.state === 'testing' && ++this.testSent >= TESTING_PACKETS) this.state = 'unknown';
  }

  /** Marked packets declared lost: when every test packet is lost, the path may be dropping ECT (§13.4.2.2). */
  onMarkedLost(count: number): void {
    if (this.state !== 'testing' && this.state !== 'unknown') return;
    this.testLost += count;
    if (this.testLost >= TESTING_PACKETS) this.state = 'failed';
  }

  /**
   * An ACK frame in `space` that newly acknowledged `newlyMarked` packets we
   * sent as ECT(0); `raisesLargest`: it increased the largest acknowledged
   * (reordered ACKs that did not are never validated).
   * Returns true when the peer's CE count rose: a congestion event for the
   * caller to report (RFC 9002 §7.1). Invalid counts disable ECN for the
   * path, never the connection.
   */
  onAck(space: 0 | 1 | 2, counts: EcnCounts | undefined, newlyMarked: number, raisesLargest = true): boolean {
    if (this.state === 'failed') return false;
    // §13.4.2.1: an ACK that does not raise the largest acknowledged may be reordered behind a newer
    // one and carry older counts: it MUST NOT fail validation, and it says nothing new.
    if (!raisesLargest) return false;
    // Newly acknowledged ECT packets and no counts: the marks were stripped or ignored.
    if (!counts) return newlyMarked > 0 ? this.fail() : false;
    const prev = this.reported[space]!;
    const dEct0 = counts.ect0 - prev.ect0;
    const dCe = counts.ce - prev.ce;
    // Counts never go down; we never send ECT(1); more ECT(0)+CE reports than ECT(0) packets sent is
    // impossible; an increase smaller than the marked packets newly acknowledged means marks were lost
    // on the way (bleached).
    if (dEct0 < 0 || dCe < 0 || counts.ect1 < prev.ect1) return this.fail();
    if (counts.ect1 > 0 || counts.ect0 + counts.ce > this.markedSent[space]! || dEct0 + dCe < newlyMarked) return this.fail();
    this.reported[space] = { ect0: counts.ect0, ect1: counts.ect1, ce: counts.ce };
    if (newlyMarked > 0 && this.state !== 'capable') this.state = 'capable';
    return dCe > 0;
  }

  private fail(): false {
    this.state = 'failed';
    return false;
  }
}
