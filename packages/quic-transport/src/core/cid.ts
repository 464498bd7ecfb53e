/**
 * @module core/cid
 * Connection IDs (RFC 9000 §5.1): the ones we issue to the peer (sequence
 * numbers, stateless reset tokens, NEW_CONNECTION_ID up to the peer's
 * active_connection_id_limit, retirement by the peer) and the ones the peer
 * issued to us (the pool we pick a Destination Connection ID from, its
 * limit — CONNECTION_ID_LIMIT_ERROR — and Retire Prior To).
 */
import { TransportError, TransportErrorCode as E } from './errors.js';

export interface IssuedCid {
  seq: number;
  cid: Uint8Array;
  resetToken: Uint8Array;
}

const hex = (b: Uint8Array): string => {
  let s = '';
  for (const x of b) s += (x < 16 ? '0' : '') + x.toString(16);
  return s;
};
export const cidKey = hex;

export class LocalCids {
  private readonly active = new Map<number, IssuedCid>();
  private nextSeq = 0;
  /** Sequence numbers whose NEW_CONNECTION_ID must be (re)sent. */
  readonly pending = new Set<number>();
  /** The peer's active_connection_id_limit (how many of ours it wants to hold). */
  peerLimit = 2;

  constructor(
    private readonly make: () => { cid: Uint8Array; resetToken: Uint8Array },
    private readonly onChange: (added: Uint8Array | null, removed: Uint8Array | null) => void,
  ) {}

  /** Issue a new CID (seq 0 is the handshake SCID and is not announced with NEW_CONNECTION_ID). */
  issue(announce: boolean, given?: { cid: Uint8Array; resetToken: Uint8Array }): IssuedCid {
    const c = given ?? this.make();
    const issued = { seq: this.nextSeq++, cid: c.cid, resetToken: c.resetToken };
    this.active.set(issued.seq, issued);
    if (announce) this.pending.add(issued.seq);
    this.onChange(issued.cid, null);
    return issued;
  }

  /** Top up to the peer's limit (RFC 9000 §5.1.1), after the handshake. */
  replenish(): void {
    const target = Math.min(this.peerLimit, 8);
    while (this.active.size < target) this.issue(true);
  }

  get(seq: number): IssuedCid | undefined {
    return this.active.get(seq);
  }

  /** RETIRE_CONNECTION_ID from the peer (§19.16). `usedCid` is the DCID of the packet that carried it. */
  retire(seq: number, usedCid: Uint8Array): void {
    if (seq >= this.nextSeq) throw new TransportError(E.PROTOCOL_VIOLATION, `RETIRE_CONNECTION_ID for unissued sequence ${seq}`, 0x19);
    const c = this.active.get(seq);
    if (!c) return;
    if (hex(c.cid) === hex(usedCid)) throw new TransportError(E.PROTOCOL_VIOLATION, 'RETIRE_CONNECTION_ID retires the CID it was sent to', 0x19);
    this.active.delete(seq);
    this.pending.delete(seq);
    this.onChange(null, c.cid);
    this.replenish();
  }

  all(): IssuedCid[] {
    return [...this.active.values()];
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

  constructor(
    initial: Uint8Array,
    /** Our active_connection_id_limit. */
    private readonly limit: number,
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
    if (c) c.resetToken = token;
  }

  /** NEW_CONNECTION_ID (§19.15). */
  add(seq: number, retirePriorTo: number, cid: Uint8Array, resetToken: Uint8Array): void {
    const known = this.cids.get(seq);
    if (known) {
      // §19.15: the same sequence number with different content is a PROTOCOL_VIOLATION.
      if (hex(known.cid) !== hex(cid)) throw new TransportError(E.PROTOCOL_VIOLATION, `NEW_CONNECTION_ID ${seq} changed`, 0x18);
      return;
    }
    if (seq < this.retirePriorTo) {
      this.toRetire.add(seq); // already retired: retire at once (§19.15)
      return;
    }
    this.cids.set(seq, { seq, cid, resetToken });
    if (retirePriorTo > this.retirePriorTo) {
      this.retirePriorTo = retirePriorTo;
      for (const s of [...this.cids.keys()]) {
        if (s < retirePriorTo) {
          this.cids.delete(s);
          this.toRetire.add(s);
        }
      }
      if (this.current.seq < retirePriorTo) this.current = [...this.cids.values()].sort((a, b) => a.seq - b.seq)[0]!;
    }
    // §5.1.1: more than our active_connection_id_limit is a CONNECTION_ID_LIMIT_ERROR.
    if (this.cids.size > this.limit) throw new TransportError(E.CONNECTION_ID_LIMIT_ERROR, `peer issued ${this.cids.size} CIDs, limit ${this.limit}`, 0x18);
  }

  /** Every stateless reset token the peer gave us (§10.3.1). */
  resetTokens(): Uint8Array[] {
    const out: Uint8Array[] = [];
    for (const c of this.cids.values()) if (c.resetToken) out.push(c.resetToken);
    return out;
  }

  /** Switch to an unused CID (migration, §9.5), or to sequence `seq`; returns false when none is spare. */
  rotate(seq?: number): boolean {
    const next = [...this.cids.values()].find((c) => c.seq !== this.current.seq && (seq === undefined || c.seq === seq));
    if (!next) return false;
    this.cids.delete(this.current.seq);
    this.toRetire.add(this.current.seq);
    this.current = next;
    return true;
  }

  get count(): number {
    return this.cids.size;
  }
}
