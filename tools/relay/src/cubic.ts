/**
 * @module cubic
 * A bulk TCP flow with CUBIC congestion control (RFC 9438) and SACK loss
 * detection (RFC 6675's three-segment rule, RFC 6298 retransmission
 * timer), modelled segment by segment: the cross traffic of the runner's
 * `tcp-cross-traffic` scenario, where ns-3's own TCP (BulkSend, MSS 1448,
 * SACK) shares the bottleneck. The relay carries its segments and ACKs
 * through the same links, queues and delays as the QUIC datagrams, so its
 * share of the link is decided by the same drops. Sans-IO: time comes in
 * as `now` (ms); the shell moves segments and acks.
 */

export interface CubicFlowOptions {
  /** Payload bytes per segment (ns-3's SegmentSize in the runner: 1448). */
  readonly mss: number;
  /** IP + TCP header bytes per segment and per ACK (20 + 32 with timestamps). */
  readonly headerBytes: number;
  /** Initial window, segments (RFC 6928: 10). */
  readonly initialWindow: number;
  /** Lower bound of the retransmission timeout, ms (Linux: 200). */
  readonly minRtoMs: number;
}

export const DEFAULT_CUBIC_FLOW: CubicFlowOptions = { mss: 1448, headerBytes: 52, initialWindow: 10, minRtoMs: 200 };

/** RFC 9438 §4.1 and §4.6: C and beta_cubic; §4.3: alpha_cubic for the Reno-friendly estimate. */
const C = 0.4;
const BETA = 0.7;
const ALPHA = (3 * (1 - BETA)) / (1 + BETA);
/** RFC 6675 §2: DupThresh. */
const DUP_THRESH = 3;

export interface Segment {
  readonly seq: number;
  /** Sender's clock at transmission (the timestamp option, echoed in the ACK). */
  readonly sentAt: number;
  readonly retransmission: boolean;
}

export interface Ack {
  /** Next in-order segment the receiver expects (cumulative ACK). */
  readonly cum: number;
  /** The segment this ACK was sent for (its SACK block). */
  readonly sack: number;
  /** That segment's `sentAt` (timestamp echo): an RTT sample. */
  readonly echo: number;
}

interface Outstanding {
  sacked: boolean;
  lost: boolean;
  /** Retransmitted: the SACKs above it predate the copy in flight, so only the timer can declare it lost again. */
  retransmitted: boolean;
}

export interface CubicFlowStats {
  segmentsSent: number;
  retransmissions: number;
  congestionEvents: number;
  timeouts: number;
  /** Segments in order at the receiver, and their payload bytes. */
  delivered: number;
  deliveredBytes: number;
  cwnd: number;
  srttMs: number;
}

export class CubicFlow {
  private nextSeq = 0;
  private una = 0;
  private readonly outstanding = new Map<number, Outstanding>();
  private readonly lostQueue: number[] = [];
  /** Segments in flight: sent, neither acknowledged nor deemed lost (RFC 6675 "pipe"). */
  private pipe = 0;
  private cwnd: number;
  private ssthresh = Infinity;
  private wMax = 0;
  private k = 0;
  private wEst = 0;
  private epochStart: number | undefined;
  private recoverSeq = -1;
  private srtt: number | undefined;
  private rttvar = 0;
  private rto = 1000;
  private rtoAt: number | undefined;
  // receiver
  private expected = 0;
  private readonly above = new Set<number>();
  readonly stats: CubicFlowStats;

  constructor(readonly options: CubicFlowOptions = DEFAULT_CUBIC_FLOW) {
    this.cwnd = options.initialWindow;
    this.stats = { segmentsSent: 0, retransmissions: 0, congestionEvents: 0, timeouts: 0, delivered: 0, deliveredBytes: 0, cwnd: this.cwnd, srttMs: 0 };
  }

  /** Wire bytes of a segment and of an ACK. */
  get segmentBytes(): number {
    return this.options.mss + this.options.headerBytes;
  }
  get ackBytes(): number {
    return this.options.headerBytes;
  }

  /** Sender: the segments the window allows at `now` (lost ones first). */
  poll(now: number): Segment[] {
    const out: Segment[] = [];
    while (this.pipe < Math.floor(this.cwnd)) {
      let seq = this.lostQueue.shift();
      const retransmission = seq !== undefined;
      if (seq !== undefined) {
        const o = this.outstanding.get(seq);
        if (!o || o.sacked) continue;
        o.lost = false;
        o.retransmitted = true;
        this.stats.retransmissions++;
      } else {
        seq = this.nextSeq++;
        this.outstanding.set(seq, { sacked: false, lost: false, retransmitted: false });
      }
      this.pipe++;
      this.stats.segmentsSent++;
      out.push({ seq, sentAt: now, retransmission });
    }
    if (out.length && this.rtoAt === undefined) this.rtoAt = now + this.rto;
    return out;
  }

  /** Sender: when the retransmission timer fires next (ms), if armed. */
  nextTimeout(): number | undefined {
    return this.rtoAt;
  }

  /** Receiver: a segment arrives; the ACK to send back. */
  receive(seg: Segment): Ack {
    if (seg.seq === this.expected) {
      this.expected++;
      while (this.above.delete(this.expected)) this.expected++;
    } else if (seg.seq > this.expected) this.above.add(seg.seq);
    this.stats.delivered = this.expected;
    this.stats.deliveredBytes = this.expected * this.options.mss;
    return { cum: this.expected, sack: seg.seq, echo: seg.sentAt };
  }

  /** Sender: an ACK arrives at `now`. */
  onAck(now: number, ack: Ack): void {
    this.sampleRtt(now - ack.echo);
    let acked = 0;
    const advanced = ack.cum > this.una;
    for (; this.una < ack.cum; this.una++) {
      const o = this.outstanding.get(this.una);
      if (!o) continue;
      if (!o.sacked) {
        acked++;
        if (!o.lost) this.pipe--;
      }
      this.outstanding.delete(this.una);
    }
    const s = this.outstanding.get(ack.sack);
    if (s && !s.sacked) {
      s.sacked = true;
      acked++;
      if (!s.lost) this.pipe--;
    }
    if (this.detectLosses() && this.una > this.recoverSeq) this.congestionEvent(now);
    if (acked > 0 && this.una > this.recoverSeq) this.grow(now, acked);
    // RFC 6298 §5.3: restart the timer when new data is acknowledged cumulatively (not on SACKs alone).
    if (!this.outstanding.size) this.rtoAt = undefined;
    else if (advanced || this.rtoAt === undefined) this.rtoAt = now + this.rto;
    this.stats.cwnd = this.cwnd;
  }

  /** Sender: the retransmission timer fired (RFC 6298 §5.4–5.6, RFC 9438 §4.8). */
  onTimeout(now: number): void {
    if (this.rtoAt === undefined || now < this.rtoAt) return;
    this.stats.timeouts++;
    this.reduce();
    this.cwnd = 1;
    this.lostQueue.length = 0;
    for (const [seq, o] of this.outstanding) {
      if (o.sacked) continue;
      if (!o.lost) this.pipe--;
      o.lost = true;
      this.lostQueue.push(seq);
    }
    this.recoverSeq = this.nextSeq - 1;
    this.rto = Math.min(this.rto * 2, 60_000);
    this.rtoAt = now + this.rto;
  }

  /** RFC 6675 §4 IsLost: an unacknowledged segment with DupThresh SACKed segments above it. */
  private detectLosses(): boolean {
    let sackedAbove = 0;
    let found = false;
    for (let seq = this.nextSeq - 1; seq >= this.una; seq--) {
      const o = this.outstanding.get(seq);
      if (!o) continue;
      if (o.sacked) sackedAbove++;
      else if (!o.lost && !o.retransmitted && sackedAbove >= DUP_THRESH) {
        o.lost = true;
        this.pipe--;
        this.lostQueue.push(seq);
        found = true;
      }
    }
    this.lostQueue.sort((a, b) => a - b);
    return found;
  }

  /** RFC 9438 §4.6–4.7: multiplicative decrease with fast convergence; one per window (recovery). */
  private reduce(): void {
    this.stats.congestionEvents++;
    this.wMax = this.cwnd < this.wMax ? (this.cwnd * (1 + BETA)) / 2 : this.cwnd;
    this.ssthresh = Math.max(this.cwnd * BETA, 2);
    this.epochStart = undefined;
  }

  private congestionEvent(_now: number): void {
    this.reduce();
    this.cwnd = this.ssthresh;
    this.recoverSeq = this.nextSeq - 1;
  }

  /** Slow start below ssthresh, else RFC 9438 §4.2 (cubic window) with §4.3 (Reno-friendly estimate). */
  private grow(now: number, acked: number): void {
    if (this.cwnd < this.ssthresh) {
      this.cwnd += acked; // RFC 5681 §3.1
      return;
    }
    if (this.epochStart === undefined) {
      this.epochStart = now;
      this.k = this.wMax > this.cwnd ? Math.cbrt((this.wMax - this.cwnd) / C) : 0;
      if (this.wMax < this.cwnd) this.wMax = this.cwnd;
      this.wEst = this.cwnd;
    }
    const t = (now - this.epochStart) / 1000;
    const rtt = (this.srtt ?? 100) / 1000;
    const target = Math.min(Math.max(C * (t + rtt - this.k) ** 3 + this.wMax, this.cwnd), 1.5 * this.cwnd);
    this.wEst += (ALPHA * acked) / this.cwnd;
    const cubic = C * (t - this.k) ** 3 + this.wMax;
    if (cubic < this.wEst) this.cwnd = Math.max(this.cwnd, this.wEst);
    else this.cwnd += ((target - this.cwnd) / this.cwnd) * acked;
  }

  /** RFC 6298 §2. */
  private sampleRtt(r: number): void {
    if (this.srtt === undefined) {
      this.srtt = r;
      this.rttvar = r / 2;
    } else {
      this.rttvar = 0.75 * this.rttvar + 0.25 * Math.abs(this.srtt - r);
      this.srtt = 0.875 * this.srtt + 0.125 * r;
    }
    this.rto = Math.max(this.options.minRtoMs, this.srtt + 4 * this.rttvar);
    this.stats.srttMs = this.srtt;
  }
}
