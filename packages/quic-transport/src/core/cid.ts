/**
 * @module core/cid
 * Connection IDs (RFC 9000 §5.1): the ones we issue to the peer (sequence
 * numbers, stateless reset tokens, NEW_CONNECTION_ID up to the peer's
 * active_connection_id_limit, retirement by the peer) and the ones the peer
 * issued to us (the pool we pick a Destination Connection ID from, its
 * limit — CONNECTION_ID_LIMIT_ERROR — and Retire Prior To).
 */
import { equalBytes, equalConstantTime, FrameType } from '@tsquic/quic-wire';
import type { ConnectionOptions, TransportSettings } from './config.js';
import { TransportError, TransportErrorCode as E } from './errors.js';

export interface IssuedCid {
  seq: number;
  cid: Uint8Array;
  resetToken: Uint8Array;
}

/**
 * A connection ID (or any short byte string) as a map key: one character per
 * byte, a flat string — hex built with `+=` left a rope of cons strings
 * behind every key kept in a table (~1 KB per server connection) and made
 * every lookup flatten one; this is also twice as fast per routed datagram.
 */
export function cidKey(cid: Uint8Array): string {
  return String.fromCharCode.apply(null, cid as unknown as number[]);
}

/** Retired IDs that still route to their connection, at most (see `LocalCids.retire`). */
const MAX_LINGERING = 4;
/**
 * IDs the peer holds after the handshake: the one in use and one spare, enough
 * for a first migration or path probe (§9.5). active_connection_id_limit is
 * what the peer can hold, not what it must be given (§5.1.1); the rest are
 * issued when the peer moves to another path or retires one — a short
 * connection never uses them, and each costs a reset token and a route.
 */
const FIRST_ISSUE = 2;

export class LocalCids {
  private readonly active = new Map<number, IssuedCid>();
  /** Retired by the peer, routed here until `until` (ms). */
  private readonly lingering: Array<{ cid: Uint8Array; until: number }> = [];
  private nextSeq = 0;
  /** Our connection IDs are zero-length: none can be issued after the handshake (RFC 9000 §5.1.1). */
  private zeroLength = false;
  /** Sequence numbers whose NEW_CONNECTION_ID must be (re)sent. */
  readonly pending = new Set<number>();
  /** The peer's active_connection_id_limit (how many of ours it wants to hold). */
  peerLimit = 2;
  /** The handshake completed and IDs are issued (`replenish`). */
  private issuing = false;

  constructor(
    /** A fresh connection ID and its reset token; null when the endpoint has none left (a short CID space is full). */
    private readonly make: () => { cid: Uint8Array; resetToken: Uint8Array } | null,
    private readonly onChange: (added: Uint8Array | null, removed: Uint8Array | null) => void,
  ) {}

  /**
   * Issue a new CID (seq 0 is the handshake SCID and is not announced with
   * NEW_CONNECTION_ID); null when the endpoint's connection ID space is full.
   */
  issue(announce: boolean, given?: { cid: Uint8Array; resetToken: Uint8Array }): IssuedCid | null {
    const c = given ?? this.make();
    if (!c) return null;
    const issued = { seq: this.nextSeq++, cid: c.cid, resetToken: c.resetToken };
    if (issued.seq === 0) this.zeroLength = c.cid.length === 0;
    this.active.set(issued.seq, issued);
    if (announce) this.pending.add(issued.seq);
    this.onChange(issued.cid, null);
    return issued;
  }

  /**
   * Top up to the peer's limit (RFC 9000 §5.1.1), as far as the endpoint has
   * IDs to give; `first`: at handshake completion, to `FIRST_ISSUE` only.
   */
  replenish(first = false): void {
    // Nothing before the handshake's first issue (the peer's limit is not known until then).
    if (this.zeroLength || !(first || this.issuing)) return;
    this.issuing = true;
    const target = Math.min(this.peerLimit, 8, first ? FIRST_ISSUE : 8);
    while (this.active.size < target) if (!this.issue(true)) return;
  }

  get(seq: number): IssuedCid | undefined {
    return this.active.get(seq);
  }

  /**
   * RETIRE_CONNECTION_ID from the peer (§19.16). `usedCid` is the DCID of the
   * packet that carried it. The retired ID still routes here for `lingerMs`
   * (three PTOs): packets the peer sent to it before retiring it may arrive
   * after the RETIRE — reordered, or on the other path of a migration — and
   * an unknown ID would be answered with a stateless reset (§10.3), which
   * ends the connection at a peer that accepts it (ngtcp2 keeps its own
   * retired IDs for a while for the same reason).
   */
  retire(seq: number, usedCid: Uint8Array, now: number, lingerMs: number): void {
    // §19.16: a zero-length connection ID cannot be retired.
    if (this.zeroLength) throw new TransportError(E.PROTOCOL_VIOLATION, 'RETIRE_CONNECTION_ID for a zero-length connection ID', FrameType.RETIRE_CONNECTION_ID);
    if (seq >= this.nextSeq) throw new TransportError(E.PROTOCOL_VIOLATION, `RETIRE_CONNECTION_ID for unissued sequence ${seq}`, FrameType.RETIRE_CONNECTION_ID);
    const c = this.active.get(seq);
    if (!c) return;
    if (equalBytes(c.cid, usedCid)) throw new TransportError(E.PROTOCOL_VIOLATION, 'RETIRE_CONNECTION_ID retires the CID it was sent to', FrameType.RETIRE_CONNECTION_ID);
    this.active.delete(seq);
    this.pending.delete(seq);
    this.expire(now);
    this.lingering.push({ cid: c.cid, until: now + lingerMs });
    // A peer retiring IDs as fast as we issue them keeps a few routes alive, not one per retirement.
    if (this.lingering.length > MAX_LINGERING) this.onChange(null, this.lingering.shift()!.cid);
    this.replenish();
  }

  /** Stop routing the retired IDs whose time has passed. */
  expire(now: number): void {
    while (this.lingering.length > 0 && this.lingering[0]!.until <= now) this.onChange(null, this.lingering.shift()!.cid);
  }

  all(): IssuedCid[] {
    return [...this.active.values()];
  }

  /** Every ID that routes to this connection: the active ones and the retired ones still lingering. */
  routed(): Uint8Array[] {
    return [...this.all().map((c) => c.cid), ...this.lingering.map((l) => l.cid)];
  }
}

export interface PeerCid {
  seq: number;
  cid: Uint8Array;
  resetToken?: Uint8Array;
}

export class RemoteCids {
  private readonly cids = new Map<number, PeerCid>();
  current: PeerCid;
  private retirePriorTo = 0;
  /** Sequence numbers to send RETIRE_CONNECTION_ID for. */
  readonly toRetire = new Set<number>();
  /** Retirements not yet acknowledged by the peer (to send, or in flight). */
  private readonly retiring = new Set<number>();

  constructor(
    initial: Uint8Array,
    /** Our active_connection_id_limit. */
    private readonly limit: number,
    /** A stateless reset token the peer gave us became valid (added) or stopped being (removed). */
    private readonly onResetToken: (added: Uint8Array | null, removed: Uint8Array | null) => void = () => {},
  ) {
    this.current = { seq: 0, cid: initial };
    this.cids.set(0, this.current);
  }

  /** The peer's SCID of its first packet replaces the one we made up (client, §7.2). */
  replaceInitial(cid: Uint8Array): void {
    this.current.cid = cid;
  }

  setResetToken(seq: number, token: Uint8Array): void {
    const c = this.cids.get(seq);
    if (!c) return;
    if (c.resetToken) this.onResetToken(null, c.resetToken);
    c.resetToken = token;
    this.onResetToken(token, null);
  }

  /** NEW_CONNECTION_ID (§19.15). */
  add(seq: number, retirePriorTo: number, cid: Uint8Array, resetToken: Uint8Array): void {
    // §19.15: a peer we send zero-length connection IDs to cannot be given new ones.
    if (this.current.cid.length === 0) throw new TransportError(E.PROTOCOL_VIOLATION, 'NEW_CONNECTION_ID to an endpoint using zero-length connection IDs', FrameType.NEW_CONNECTION_ID);
    const known = this.cids.get(seq);
    if (known) {
      // §19.15: the same sequence number with different content is a PROTOCOL_VIOLATION.
      if (!equalBytes(known.cid, cid)) throw new TransportError(E.PROTOCOL_VIOLATION, `NEW_CONNECTION_ID ${seq} changed`, FrameType.NEW_CONNECTION_ID);
      return;
    }
    if (seq < this.retirePriorTo) {
      this.retire(seq); // already retired: retire at once (§19.15)
      return;
    }
    this.cids.set(seq, { seq, cid, resetToken });
    this.onResetToken(resetToken, null);
    if (retirePriorTo > this.retirePriorTo) {
      this.retirePriorTo = retirePriorTo;
      for (const c of [...this.cids.values()]) if (c.seq < retirePriorTo) this.drop(c);
      if (this.current.seq < retirePriorTo) this.current = [...this.cids.values()].sort((a, b) => a.seq - b.seq)[0]!;
    }
    // §5.1.1: more than our active_connection_id_limit is a CONNECTION_ID_LIMIT_ERROR.
    if (this.cids.size > this.limit) throw new TransportError(E.CONNECTION_ID_LIMIT_ERROR, `peer issued ${this.cids.size} CIDs, limit ${this.limit}`, FrameType.NEW_CONNECTION_ID);
  }

  /** Forget a CID of the pool and retire it. */
  private drop(c: PeerCid): void {
    this.cids.delete(c.seq);
    if (c.resetToken) this.onResetToken(null, c.resetToken);
    this.retire(c.seq);
  }

  /**
   * Queue RETIRE_CONNECTION_ID for `seq`. §5.1.2: retirements the peer has not
   * acknowledged are bounded (at least twice our active_connection_id_limit);
   * a peer that makes us owe more ends with CONNECTION_ID_LIMIT_ERROR.
   */
  private retire(seq: number): void {
    if (this.retiring.has(seq)) return;
    this.retiring.add(seq);
    this.toRetire.add(seq);
    const max = Math.max(8, 2 * this.limit);
    if (this.retiring.size > max) throw new TransportError(E.CONNECTION_ID_LIMIT_ERROR, `more than ${max} connection IDs awaiting retirement`, FrameType.NEW_CONNECTION_ID);
  }

  /** The peer acknowledged our RETIRE_CONNECTION_ID for `seq`. */
  onRetireAcked(seq: number): void {
    this.retiring.delete(seq);
  }

  /** Every stateless reset token the peer gave us (§10.3.1). */
  resetTokens(): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (const c of this.cids.values()) if (c.resetToken) out.push(c.resetToken);
    return out;
  }

  /** Does `token` (the last 16 bytes of a datagram) match a stateless reset token the peer gave us (§10.3.1)? Compared in constant time. */
  isResetToken(token: Uint8Array): boolean {
    for (const c of this.cids.values()) if (c.resetToken && equalConstantTime(c.resetToken, token)) return true;
    return false;
  }

  /** Switch to an unused CID (migration, §9.5), or to sequence `seq`; returns false when none is spare. */
  rotate(seq?: number): boolean {
    const next = [...this.cids.values()].find((c) => c.seq !== this.current.seq && (seq === undefined || c.seq === seq));
    if (!next) return false;
    this.drop(this.current);
    this.current = next;
    return true;
  }

  get count(): number {
    return this.cids.size;
  }
}

/**
 * A new connection's IDs (RFC 9000 §5.1, §7.2): a client makes up the
 * server's first Destination Connection ID (at least 8 bytes) and issues its
 * own first SCID; a server takes the client's IDs from its first Initial and
 * issues its SCID, and the connection ID for preferred_address (sequence 1,
 * §5.1.1) when it offers one.
 */
export function connectionIds(opts: ConnectionOptions, s: TransportSettings, random: (n: number) => Uint8Array) {
  const local = new LocalCids(opts.newCid ?? (() => ({ cid: random(s.connectionIdLength), resetToken: random(16) })), opts.onCidChange ?? (() => {}));
  const srv = opts.server;
  if (!srv) {
    const originalDcid = random(Math.max(8, s.connectionIdLength));
    const first = local.issue(false);
    if (!first) throw new RangeError(`no free connection ID of length ${s.connectionIdLength} (zero-length IDs allow one connection per endpoint)`);
    return { local, remote: new RemoteCids(originalDcid, s.activeConnectionIdLimit, opts.onResetTokenChange), originalDcid, initialScid: first.cid, preferredCid: undefined };
  }
  const initialScid = local.issue(false, { cid: srv.localCid, resetToken: srv.resetToken })!.cid;
  // None when the endpoint's connection ID space is full.
  const preferredCid = s.preferredAddress ? (local.issue(false) ?? undefined) : undefined;
  return { local, remote: new RemoteCids(srv.clientScid, s.activeConnectionIdLimit, opts.onResetTokenChange), originalDcid: srv.originalDcid, initialScid, preferredCid };
}
