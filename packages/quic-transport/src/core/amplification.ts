/**
 * @module core/amplification
 * The anti-amplification limit (RFC 9000 §8, §8.2.2, §9.3), kept per peer
 * address: until an address is validated, we send it at most three times
 * the bytes we received from it. The current path while it is unvalidated
 * (a server's handshake, a migration) and every other address a peer's
 * packets arrived from (probes, PATH_CHALLENGEs from a spoofed source) each
 * have their own account, so a datagram from one address never buys bytes
 * toward another. The table is small: beyond it the least recently heard
 * address other than the current path is forgotten, and a forgotten address
 * starts again from nothing (what it received is gone with what it sent).
 */
import type { Path } from './types.js';

/** RFC 9000 §8.1: at most three times the bytes received. */
export const AMPLIFICATION_FACTOR = 3;
/** Addresses accounted for at once. */
export const MAX_ACCOUNTS = 8;

interface Account {
  received: number;
  sent: number;
}

const keyOf = (p: Path): string => `${p.address}|${p.port}|${p.local ?? ''}`;

export class AmplificationLimit {
  /** By address, least recently heard first. */
  private readonly accounts = new Map<string, Account>();

  /** A datagram of `bytes` arrived from `path`; `current` (the connection's path) is never the one forgotten. */
  onReceived(path: Path, bytes: number, current: Path): void {
    const k = keyOf(path);
    const a = this.accounts.get(k) ?? { received: 0, sent: 0 };
    this.accounts.delete(k);
    a.received += bytes;
    this.accounts.set(k, a);
    if (this.accounts.size <= MAX_ACCOUNTS) return;
    const keep = keyOf(current);
    for (const old of this.accounts.keys()) {
      if (old === keep || old === k) continue;
      this.accounts.delete(old);
      return;
    }
  }

  /** A datagram of `bytes` left for `path` before it was validated. */
  onSent(path: Path, bytes: number): void {
    const a = this.accounts.get(keyOf(path));
    if (a) a.sent += bytes;
  }

  /** Bytes we may still send to `path` while it is unvalidated (0 for an address we never heard from). */
  allowance(path: Path): number {
    const a = this.accounts.get(keyOf(path));
    return a ? Math.max(0, AMPLIFICATION_FACTOR * a.received - a.sent) : 0;
  }

  /** `path` was validated: its account is no longer needed. */
  forget(path: Path): void {
    this.accounts.delete(keyOf(path));
  }
}
