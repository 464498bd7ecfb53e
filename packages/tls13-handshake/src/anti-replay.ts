/**
 * @module anti-replay
 * 0-RTT replay protection (RFC 8446 §8): a server accepts early data only
 * for a ClientHello whose ticket age is fresh (§8.3, within `windowMs`) and
 * whose ticket it has not seen used within that window (§8.1 single-use
 * tickets, remembered as §8.2 records ClientHellos). The register fails
 * closed: when it cannot remember a ClientHello for as long as a replay of it
 * could pass the freshness check, it refuses the early data (the handshake
 * falls back to 1-RTT). What it remembers lives in a `ReplayStore`: in memory
 * by default, in a SharedArrayBuffer for worker threads, or anything a server
 * farm shares.
 */

/** RFC 8446 §8.3: how far the client's ticket age may differ from ours for 0-RTT (clock skew plus a round trip, generously). */
export const EARLY_DATA_AGE_WINDOW_MS = 10_000;

/** What a server asks before it accepts 0-RTT (ServerConfig.antiReplay). */
export interface AntiReplay {
  /** The freshness window of RFC 8446 §8.3 in ms; default EARLY_DATA_AGE_WINDOW_MS. */
  readonly windowMs?: number;
  /**
   * True when 0-RTT may be accepted for the ticket `id` (a digest of the PSK
   * identity): its first use, now remembered until `untilMs` (the last
   * moment a replay of this ClientHello could still look fresh). False for a
   * replay, and whenever it cannot be remembered that long (fail closed).
   */
  firstUse(id: Uint8Array, nowMs: number, untilMs?: number): boolean;
}

/**
 * Where a StrikeRegister keeps the tickets it has seen. `insert` must be
 * atomic for everyone sharing the store: 'new' (remembered until `untilMs`),
 * 'seen' (remembered and not yet expired) or 'full' (cannot remember it).
 * Keys are 16 bytes.
 */
export interface ReplayStore {
  /** Records `key` until `untilMs`: `new` the first time, `seen` after, `full` when no slot is free. */
  insert(key: Uint8Array, nowMs: number, untilMs: number): 'new' | 'seen' | 'full';
}

const keyString = (k: Uint8Array): string => String.fromCharCode(...k);

/**
 * The default store: up to `maxEntries` keys in memory, each dropped once
 * its `untilMs` has passed (in buckets of `granularityMs`, so entries live at
 * most that much longer than needed); never an unexpired one.
 */
export class MemoryReplayStore implements ReplayStore {
  private readonly until = new Map<string, number>();
  private readonly buckets = new Map<number, string[]>();

  constructor(
    readonly maxEntries = 100_000,
    private readonly granularityMs = 1000,
  ) {
    if (!Number.isSafeInteger(maxEntries) || maxEntries < 1) throw new RangeError('maxEntries must be a positive integer');
    if (!(granularityMs > 0)) throw new RangeError('granularityMs must be positive');
  }

  /** Keys remembered now (expired ones included until their bucket is dropped). */
  get size(): number {
    return this.until.size;
  }

  /** Records `key` until `untilMs`: `new` the first time, `seen` after, `full` when no slot is free. */
  insert(key: Uint8Array, nowMs: number, untilMs: number): 'new' | 'seen' | 'full' {
    this.expire(nowMs);
    const k = keyString(key);
    const u = this.until.get(k);
    if (u !== undefined && u >= nowMs) return 'seen';
    if (u === undefined && this.until.size >= this.maxEntries) return 'full';
    this.until.set(k, untilMs);
    const b = Math.ceil(untilMs / this.granularityMs);
    const list = this.buckets.get(b);
    if (list) list.push(k);
    else this.buckets.set(b, [k]);
    return 'new';
  }

  /** Drop every bucket that ends before `nowMs` (a bucket b holds entries that expire by b × granularity). */
  private expire(nowMs: number): void {
    for (const [b, keys] of this.buckets) {
      const end = b * this.granularityMs;
      if (end >= nowMs) continue;
      for (const k of keys) {
        const u = this.until.get(k);
        if (u !== undefined && u <= end) this.until.delete(k);
      }
      this.buckets.delete(b);
    }
  }
}

/** Slots probed from a key's home slot before the shared table counts as full. */
const PROBES = 32;

/**
 * A ReplayStore in a SharedArrayBuffer: one table for every worker thread of
 * a server (one QUIC endpoint per worker — a replayed ClientHello may
 * reach any of them). Open addressing over `capacity` slots of a 16-byte key
 * and an expiry, behind a spin lock (Atomics); a slot whose expiry has passed
 * is free. Make the buffer once with `SharedReplayStore.allocate(capacity)`,
 * hand it to each worker, and wrap it there: `new SharedReplayStore(buffer)`.
 */
export class SharedReplayStore implements ReplayStore {
  readonly capacity: number;
  private readonly until: Float64Array;
  private readonly keys: Int32Array;
  private readonly lock: Int32Array;

  /** A shared buffer for `capacity` entries, to hand to every worker. */
  static allocate(capacity = 100_000): SharedArrayBuffer {
    if (!Number.isSafeInteger(capacity) || capacity < PROBES) throw new RangeError(`capacity must be an integer of at least ${PROBES}`);
    const buffer = new SharedArrayBuffer(capacity * 8 + capacity * 16 + 8);
    new Float64Array(buffer, 0, capacity).fill(-Infinity); // every slot free
    return buffer;
  }

  constructor(readonly buffer: SharedArrayBuffer) {
    const capacity = (buffer.byteLength - 8) / 24;
    if (!Number.isSafeInteger(capacity) || capacity < PROBES) throw new RangeError('not a buffer from SharedReplayStore.allocate()');
    this.capacity = capacity;
    this.until = new Float64Array(buffer, 0, capacity);
    this.keys = new Int32Array(buffer, capacity * 8, capacity * 4);
    this.lock = new Int32Array(buffer, capacity * 24, 1);
  }

  /** Records `key` until `untilMs`: `new` the first time, `seen` after, `full` when no slot is free. */
  insert(key: Uint8Array, nowMs: number, untilMs: number): 'new' | 'seen' | 'full' {
    if (key.length !== 16) throw new RangeError('SharedReplayStore keys are 16 bytes');
    const v = new DataView(key.buffer, key.byteOffset, 16);
    const k = [v.getInt32(0), v.getInt32(4), v.getInt32(8), v.getInt32(12)] as const;
    const home = (k[0] >>> 0) % this.capacity;
    while (Atomics.compareExchange(this.lock, 0, 0, 1) !== 0) {
      // another thread holds the table for a few hundred nanoseconds
    }
    try {
      let free = -1;
      for (let i = 0; i < PROBES; i++) {
        const slot = (home + i) % this.capacity;
        const live = this.until[slot]! >= nowMs;
        const same = this.keys[slot * 4] === k[0] && this.keys[slot * 4 + 1] === k[1] && this.keys[slot * 4 + 2] === k[2] && this.keys[slot * 4 + 3] === k[3];
        if (live && same) return 'seen';
        if (!live && free < 0) free = slot;
      }
      if (free < 0) return 'full';
      this.keys.set(k, free * 4);
      this.until[free] = untilMs;
      return 'new';
    } finally {
      Atomics.store(this.lock, 0, 0);
    }
  }
}

/** The freshness window and the store of a StrikeRegister. */
export interface StrikeRegisterOptions {
  /** The freshness window (RFC 8446 §8.3) in ms; default EARLY_DATA_AGE_WINDOW_MS (10 s). */
  windowMs?: number;
  /** Capacity of the default in-memory store; default 100,000. */
  maxEntries?: number;
  /** Where seen tickets are kept; default a MemoryReplayStore of `maxEntries`. */
  store?: ReplayStore;
}

/**
 * The anti-replay register of a server (ServerConfig.antiReplay): share one
 * across all its connections. A ticket's 0-RTT is accepted once; a replay —
 * or any ClientHello it has no room to remember for its window — gets 1-RTT.
 * With the defaults it sustains 5,000 0-RTT handshakes per second (100,000
 * entries, each kept 20 s at most) before it starts refusing early data.
 * `new StrikeRegister(n)` is `{ maxEntries: n }`.
 */
export class StrikeRegister implements AntiReplay {
  readonly windowMs: number;
  readonly store: ReplayStore;
  /** Decisions so far: accepted first uses, replays refused, refusals for lack of room. */
  readonly stats = { accepted: 0, replayed: 0, full: 0 };

  constructor(options: number | StrikeRegisterOptions = {}) {
    const o = typeof options === 'number' ? { maxEntries: options } : options;
    this.windowMs = o.windowMs ?? EARLY_DATA_AGE_WINDOW_MS;
    if (!Number.isFinite(this.windowMs) || this.windowMs <= 0) throw new RangeError('windowMs must be a positive number of ms');
    this.store = o.store ?? new MemoryReplayStore(o.maxEntries);
  }

  firstUse(id: Uint8Array, nowMs: number, untilMs: number = nowMs + 2 * this.windowMs): boolean {
    if (id.length < 16) throw new RangeError('a ticket id is at least 16 bytes (a digest)');
    const r = this.store.insert(id.subarray(0, 16), nowMs, untilMs);
    if (r === 'new') this.stats.accepted++;
    else if (r === 'seen') this.stats.replayed++;
    else this.stats.full++;
    return r === 'new';
  }
}
