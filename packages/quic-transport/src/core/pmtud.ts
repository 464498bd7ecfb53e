/**
 * @module core/pmtud
 * Datagram Packetization Layer PMTU Discovery (RFC 8899 for QUIC, RFC 9000
 * §14.3): probe packets (PING + PADDING) of growing size; an acknowledged
 * probe raises the datagram size, a probe lost MAX_PROBES times lowers the
 * search ceiling. Probe losses are not congestion (RFC 8899 §4.5). The
 * search tries the ceiling first (loopback and jumbo paths succeed at once),
 * then bisects. Time comes in from the caller.
 */

/** RFC 8899 §5.1.2: MAX_PROBES. */
export const MAX_PROBES = 3;
/** 1500-byte Ethernet MTU less IPv6 and UDP headers. */
const ETHERNET = 1452;
/** Stop searching when the interval is this narrow. */
const RESOLUTION = 32;
/** RFC 8899 §5.1.1: PMTU_RAISE_TIMER, try again upward after this long (ms). */
const RAISE_INTERVAL = 600_000;

export class PmtuDiscovery {
  /** The largest datagram size known to work. */
  current: number;
  private high: number;
  private probing: number | undefined;
  private attempts = 0;
  private nextAt = 0;
  private firstTry = true;

  constructor(base: number, max: number) {
    this.current = base;
    this.high = Math.max(base, max);
  }

  /** The peer's max_udp_payload_size (or a local cap) bounds the search. */
  limit(max: number): void {
    this.high = Math.max(this.current, Math.min(this.high, max));
  }

  /** The size of the next probe, or 0 when none is due. */
  probeSize(now: number): number {
    if (this.probing !== undefined || now < this.nextAt || this.high - this.current < RESOLUTION) return 0;
    if (this.firstTry) return this.high;
    // Ethernet paths (1500-byte MTU, IPv6 + UDP headers: 1452) are the common case: settle that first.
    if (this.current < ETHERNET && this.high >= ETHERNET) return ETHERNET;
    return Math.floor((this.current + this.high + 1) / 2);
  }

  onProbeSent(size: number): void {
    this.probing = size;
  }

  /** A probe of `size` was acknowledged: the path carries it. Returns the new size. */
  onProbeAcked(size: number): number {
    this.probing = undefined;
    this.attempts = 0;
    if (size > this.current) this.current = size;
    this.firstTry = false;
    return this.current;
  }

  onProbeLost(size: number, now: number): void {
    this.probing = undefined;
    if (++this.attempts >= MAX_PROBES || this.firstTry) {
      // The optimistic first try gives up at once; later sizes after MAX_PROBES losses.
      this.high = size - 1;
      this.attempts = 0;
      this.firstTry = false;
    }
    if (this.high - this.current < RESOLUTION) this.nextAt = now + RAISE_INTERVAL;
  }

  /** The search is over for now. */
  get settled(): boolean {
    return this.high - this.current < RESOLUTION;
  }
}
