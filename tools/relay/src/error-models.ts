/**
 * @module error-models
 * The runner's per-direction impairments (quic-network-simulator's ns-3
 * error models), applied where ns-3 applies them: to packets arriving at
 * the far end of the bottleneck, so a lost packet has still used the link.
 * - `drop-rate`: each packet is lost with `rate`%, at most `burst` in a row;
 * - `corrupt-rate`: likewise, but one byte among the first 50 of the UDP
 *   payload is replaced by a different random value (Version Negotiation
 *   packets are never corrupted: a client must ignore a VN listing its own
 *   version, which a corrupted version field would provoke);
 * - `droplist`: the listed packets (1-based, counted per direction) are lost;
 * - `blackhole`: everything is lost from `on` for `off`, `repeat` times
 *   (ns-3 default 1), periods measured from the relay's start.
 * Every random draw comes from the direction's own `Rng`.
 */
import type { Rng } from './rng.js';

/** What a model does to one packet. */
export type Verdict = { readonly kind: 'forward' } | { readonly kind: 'drop' } | { readonly kind: 'corrupt'; readonly data: Uint8Array; readonly offset: number };

export interface PacketContext {
  /** 1-based number of this packet among those reaching the models in this direction. */
  readonly index: number;
  /** Milliseconds since the relay started, at the packet's arrival at the far end. */
  readonly elapsedMs: number;
  readonly data: Uint8Array;
}

export interface ErrorModel {
  /** The runner's name of the impairment: 'drop-rate', 'corrupt-rate', 'droplist', 'blackhole'. */
  readonly kind: string;
  decide(p: PacketContext): Verdict;
}

const FORWARD: Verdict = { kind: 'forward' };
const DROP: Verdict = { kind: 'drop' };

/** Bernoulli(rate%) with at most `burst` successes in a row. */
class BurstCounter {
  private inARow = 0;
  constructor(
    private readonly rate: number,
    private readonly burst: number,
    private readonly rng: Rng,
  ) {
    if (!(rate >= 0 && rate <= 100)) throw new RangeError(`rate ${rate} is not a percentage in [0, 100]`);
    if (!(burst >= 1)) throw new RangeError(`burst ${burst} must be ≥ 1`);
  }

  /** Draws even when the burst is exhausted, so one seed gives one sequence of draws whatever the burst. */
  hit(): boolean {
    const draw = this.rng.float() * 100 < this.rate;
    if (!draw || this.inARow >= this.burst) {
      this.inARow = 0;
      return false;
    }
    this.inARow++;
    return true;
  }
}

export function dropRate(rate: number, burst: number, rng: Rng): ErrorModel {
  const c = new BurstCounter(rate, burst, rng);
  return { kind: 'drop-rate', decide: () => (c.hit() ? DROP : FORWARD) };
}

/** A long header with version 0 (RFC 9000 §17.2.1). */
function isVersionNegotiation(d: Uint8Array): boolean {
  return d.length >= 5 && (d[0]! & 0x80) !== 0 && d[1] === 0 && d[2] === 0 && d[3] === 0 && d[4] === 0;
}

export function corruptRate(rate: number, burst: number, rng: Rng): ErrorModel {
  const c = new BurstCounter(rate, burst, rng);
  return {
    kind: 'corrupt-rate',
    decide: ({ data }) => {
      if (data.length === 0 || isVersionNegotiation(data) || !c.hit()) return FORWARD;
      const offset = rng.int(0, Math.min(50, data.length - 1));
      const out = data.slice();
      out[offset] = (out[offset]! + rng.int(1, 255)) & 0xff; // any value but the old one
      return { kind: 'corrupt', data: out, offset };
    },
  };
}

export function droplist(numbers: Iterable<number>): ErrorModel {
  const drops = new Set(numbers);
  for (const n of drops) if (!Number.isInteger(n) || n < 1) throw new RangeError(`droplist: ${n} is not a packet number (1-based)`);
  return { kind: 'droplist', decide: ({ index }) => (drops.has(index) ? DROP : FORWARD) };
}

export function blackhole(onMs: number, offMs: number, repeat = 1): ErrorModel {
  if (!(onMs >= 0 && offMs > 0 && repeat >= 1)) throw new RangeError(`blackhole: on ${onMs} ms, off ${offMs} ms, repeat ${repeat}: need on ≥ 0, off > 0, repeat ≥ 1`);
  const period = onMs + offMs;
  return {
    kind: 'blackhole',
    decide: ({ elapsedMs }) => {
      const k = Math.floor(elapsedMs / period);
      return k < repeat && elapsedMs - k * period >= onMs ? DROP : FORWARD;
    },
  };
}
