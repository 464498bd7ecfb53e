/**
 * @module core/pmtud
 * Datagram Packetization Layer PMTU Discovery (RFC 8899 for QUIC, RFC 9000
 * §14.3): probe packets (PING + PADDING) of growing size; an acknowledged
 * probe raises the datagram size, a probe lost MAX_PROBES times ends the
 * search upward (RFC 8899 §5.1.2). Probe losses are not congestion (RFC 8899
 * §4.5), but probes take room in the congestion window like any packet (RFC
 * 9000 §14.4), so a probe is only asked for when it fits the window.
 *
 * The search climbs the sizes real paths have, smallest first: a 1,500-byte
 * Ethernet path (1,452 bytes of UDP payload after IPv6 and UDP headers), a
 * 9,000-byte jumbo path (8,952), then the ceiling (the peer's
 * max_udp_payload_size or ours: loopback's 64 KB). It stops at the first size
 * that fails: between those sizes a path is almost never wider than the
 * common size below it, and bisecting the gap would cost a dozen lost probes
 * on every 1,500-byte path. Only a path narrower than Ethernet (a tunnel) is
 * bisected, between the base size and 1,452. Time comes in from the caller.
 */

/**
 * A connection probes once it has sent this many bytes (issue 19). A
 * short-lived connection — a handshake, a small request and its answer —
 * would otherwise spend a probe and its acknowledgment (a datagram each
 * way, per side) on a size it never uses; a bulk sender passes this in its
 * first round trip of data. RFC 8899 §5.2 leaves when to start to the
 * sender.
 */
export const PROBE_AFTER_BYTES = 16 * 1024;
/** RFC 8899 §5.1.2: MAX_PROBES. */
export const MAX_PROBES = 3;
/** The UDP payload of a 1,500-byte Ethernet MTU less IPv6 and UDP headers. */
export const ETHERNET = 1452;
/** The UDP payload of a 9,000-byte jumbo frame less IPv6 and UDP headers. */
export const JUMBO = 8952;
/**
 * The largest UDP payload a loopback interface (MTU 65,536) carries in IPv6 (65,536 − 40 − 8); IPv4 carries
 * up to 65,507. The transport parameter's 65,527 fits neither: a probe of that size cannot be sent at all
 * (EMSGSIZE), so the search's top rung is capped here and both families reach it.
 */
export const IP_MAX = 65_488;
/** Stop bisecting when the interval is this narrow. */
const RESOLUTION = 32;
/** RFC 8899 §5.1.1: PMTU_RAISE_TIMER, try again upward after this long (ms). */
const RAISE_INTERVAL = 600_000;

export class PmtuDiscovery {
  /** The largest datagram size known to work. */
  current: number;
  /** Every size above this is known (or assumed) not to work. */
  private high: number;
  /** The sizes still to try upward, ascending. */
  private rungs: number[];
  private ceiling: number;
  private probing: number | undefined;
  private attempts = 0;
  /** When a search that ended on a failure climbs again (0: not waiting). */
  private nextAt = 0;

  constructor(base: number, max: number) {
    this.current = base;
    this.high = this.ceiling = Math.max(base, Math.min(max, IP_MAX));
    this.rungs = this.ladder();
  }

  private ladder(): number[] {
    return [ETHERNET, JUMBO, this.high].filter((s, i, all) => s > this.current && s <= this.high && all.indexOf(s) === i);
  }

  /** The peer's max_udp_payload_size (or a local cap) bounds the search. */
  limit(max: number): void {
    this.ceiling = Math.max(this.current, Math.min(this.ceiling, max));
    this.high = Math.min(this.high, this.ceiling);
    // Still climbing: the new ceiling is the last rung (a peer's 1,400 is tried as such, not bisected towards).
    const climbing = this.rungs.length > 0;
    this.rungs = this.rungs.filter((s) => s < this.high);
    if (climbing && this.high > this.current) this.rungs.push(this.high);
  }

  /** The size to try next, or 0 when the search is over (for now). */
  private target(): number {
    const rung = this.rungs[0];
    if (rung !== undefined) return rung;
    // Narrower than Ethernet (a tunnel): bisect between what works and what failed.
    if (this.high < ETHERNET && this.high - this.current >= RESOLUTION) return Math.floor((this.current + this.high + 1) / 2);
    return 0;
  }

  /**
   * The size of the next probe, or 0 when none is due: one at a time, and
   * none larger than `window` (the congestion window: the sender holds new
   * data back until the probe fits in what is left of it). After
   * PMTU_RAISE_TIMER a search that ended on a failure climbs again
   * (RFC 8899 §5.1.1). None before the connection has sent
   * `PROBE_AFTER_BYTES` (`bytesSent`).
   */
  probeSize(now: number, window = Infinity, bytesSent = Infinity): number {
    if (this.probing !== undefined || bytesSent < PROBE_AFTER_BYTES) return 0;
    if (this.nextAt > 0) {
      if (now < this.nextAt) return 0;
      this.nextAt = 0;
      this.high = this.ceiling;
      this.rungs = this.ladder();
    }
    const size = this.target();
    return size > this.current && size <= window ? size : 0;
  }

  onProbeSent(size: number): void {
    this.probing = size;
  }

  /** A probe of `size` was acknowledged: the path carries it. Returns the new size. */
  onProbeAcked(size: number): number {
    this.probing = undefined;
    this.attempts = 0;
    if (size > this.current) this.current = size;
    this.rungs = this.rungs.filter((s) => s > this.current);
    return this.current;
  }

  onProbeLost(size: number, now: number): void {
    this.probing = undefined;
    if (++this.attempts < MAX_PROBES) return;
    this.attempts = 0;
    this.high = Math.max(this.current, size - 1);
    // RFC 8899 §5.2: the first size that fails MAX_PROBES times ends the climb (SEARCH_COMPLETE); larger ones are not tried.
    this.rungs = [];
    if (this.settled) this.nextAt = now + RAISE_INTERVAL;
  }

  /** The search is over for now. */
  get settled(): boolean {
    return this.target() === 0;
  }
}
