/**
 * @module core/replay
 * Single-use registers that fail closed: 0-RTT anti-replay (RFC 8446 §8,
 * RFC 9001 §9.2 — each session ticket's early data accepted once) and
 * NEW_TOKEN address validation tokens (RFC 9000 §8.1.4 — SHOULD NOT be
 * accepted multiple times). A register remembers every name it accepted for
 * `windowMs`; while it holds `capacity` names it accepts no new one, so
 * whatever it cannot remember for the whole window is refused (0-RTT falls
 * back to 1-RTT; a token is treated as absent), never accepted twice.
 *
 * `ReplayStore` is the seam: one register shared by every connection of an
 * endpoint by default; give several endpoints (workers, a server farm) the
 * same store so a ticket or token accepted by one is refused by the others.
 * It is synchronous, as the packet path is: a farm-wide store answers from
 * memory it keeps in step (or routes each ticket to the node that issued
 * it), and must fail closed too.
 */

export interface ReplayStore {
  /**
   * True the first time `id` is presented within the store's window; false
   * on a replay, and false when the store cannot promise to remember `id`
   * for the whole window (full).
   */
  firstUse(id: Uint8Array, nowMs: number): boolean;
}

export interface ReplayRegisterOptions {
  /** Names remembered at once (default 100,000: a few MB). */
  capacity?: number;
  /** How long each accepted name is remembered (ms). */
  windowMs: number;
}

const hex = (b: Uint8Array): string => {
  let s = '';
  for (const x of b) s += (x < 16 ? '0' : '') + x.toString(16);
  return s;
};

/** The in-memory `ReplayStore`: names in order of first use, forgotten `windowMs` later. */
export class ReplayRegister implements ReplayStore {
  readonly capacity: number;
  readonly windowMs: number;
  /** Name → when it may be forgotten; insertion order is (for a monotonic clock) expiry order. */
  private readonly seen = new Map<string, number>();
  /** Names refused because the register was full (each a fail-closed decision). */
  refusedFull = 0;

  constructor(opts: ReplayRegisterOptions) {
    if (!(opts.windowMs > 0)) throw new RangeError('windowMs must be positive');
    this.capacity = opts.capacity ?? 100_000;
    if (!(this.capacity >= 1)) throw new RangeError('capacity must be at least 1');
    this.windowMs = opts.windowMs;
  }

  firstUse(id: Uint8Array, nowMs: number): boolean {
    for (const [k, until] of this.seen) {
      if (until > nowMs) break;
      this.seen.delete(k);
    }
    const k = hex(id);
    if (this.seen.has(k)) return false;
    if (this.seen.size >= this.capacity) {
      this.refusedFull++;
      return false;
    }
    this.seen.set(k, nowMs + this.windowMs);
    return true;
  }

  /** Names held now. */
  get size(): number {
    return this.seen.size;
  }
}
