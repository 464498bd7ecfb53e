/**
 * @module core/token
 * Address validation tokens (RFC 9000 §8.1.2–§8.1.4): what a server puts in
 * a Retry packet or a NEW_TOKEN frame and gets back in a client's Initial.
 * Self-contained and stateless: AEAD-sealed with a key only the endpoint
 * knows (AES-256-GCM, random nonce), binding the client's address (and for
 * Retry its port and the original Destination Connection ID) and the time
 * of issue, so a token is useless from another address or after it expires.
 */
import type { Aead } from '@tsquic/quic-crypto-keys';

export type TokenKind = 'retry' | 'new-token';

export interface TokenContent {
  kind: TokenKind;
  issuedAt: number;
  /** Retry tokens: the client's first Destination Connection ID. */
  originalDcid: Uint8Array;
}

const enc = new TextEncoder();
const NONCE = 12;

export class TokenSealer {
  constructor(
    private readonly aead: Aead,
    private readonly random: (n: number) => Uint8Array,
    /** Lifetimes (ms): Retry tokens are for the next Initial; NEW_TOKEN ones for future connections. */
    readonly lifetimes: Record<TokenKind, number> = { retry: 10_000, 'new-token': 24 * 3600_000 },
  ) {}

  /** What the token is bound to: the address, plus the port for Retry (a NAT may change ports between connections). */
  private binding(kind: TokenKind, address: string, port: number): Uint8Array {
    return enc.encode(kind === 'retry' ? `${address}|${port}` : address);
  }

  seal(kind: TokenKind, now: number, address: string, port: number, originalDcid: Uint8Array = new Uint8Array(0)): Uint8Array {
    const plain = new Uint8Array(1 + 8 + 1 + originalDcid.length);
    const v = new DataView(plain.buffer);
    plain[0] = kind === 'retry' ? 0 : 1;
    v.setFloat64(1, now);
    plain[9] = originalDcid.length;
    plain.set(originalDcid, 10);
    const nonce = this.random(NONCE);
    const sealed = this.aead.seal(nonce, this.binding(kind, address, port), plain);
    const out = new Uint8Array(NONCE + sealed.length);
    out.set(nonce);
    out.set(sealed, NONCE);
    return out;
  }

  /** The token's content when it is ours, for this address, and fresh; otherwise null. */
  open(token: Uint8Array, now: number, address: string, port: number): TokenContent | null {
    if (token.length < NONCE + 16 + 10) return null;
    for (const kind of ['retry', 'new-token'] as const) {
      const plain = this.aead.open(token.subarray(0, NONCE), this.binding(kind, address, port), token.subarray(NONCE));
      if (!plain || plain.length < 10 || plain[0] !== (kind === 'retry' ? 0 : 1)) continue;
      const issuedAt = new DataView(plain.buffer, plain.byteOffset).getFloat64(1);
      const len = plain[9]!;
      if (plain.length !== 10 + len || len > 20) return null;
      if (!(now - issuedAt >= -1000 && now - issuedAt <= this.lifetimes[kind])) return null;
      return { kind, issuedAt, originalDcid: plain.slice(10) };
    }
    return null;
  }
}
