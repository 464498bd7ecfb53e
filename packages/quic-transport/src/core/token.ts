/**
 * @module core/token
 * Address validation tokens (RFC 9000 §8.1.2–§8.1.4): what a server puts in
 * a Retry packet or a NEW_TOKEN frame and gets back in a client's Initial.
 * Self-contained: AEAD-sealed with a key only the endpoint knows
 * (AES-256-GCM, a random 12-byte nonce that also names the token), holding
 * its kind, the time of issue, the client's address (and for Retry its port
 * and the original Destination Connection ID). Opening tells apart a token
 * that is not ours (another key, e.g. before a restart: treat as no token,
 * §8.1.3), one of ours that does not check out (expired, another address) and
 * a good one. Single use of NEW_TOKEN tokens (§8.1.4) is the endpoint's
 * replay register's job; the nonce is the name it remembers.
 */
import type { Aead } from '@tsquic/quic-crypto-keys';

export type TokenKind = 'retry' | 'new-token';

export interface TokenContent {
  kind: TokenKind;
  issuedAt: number;
  /** Retry tokens: the client's first Destination Connection ID. */
  originalDcid: Uint8Array;
  /** The token's first 16 bytes (its nonce and the start of its sealed content): unique per token, what a replay register remembers. */
  id: Uint8Array;
}

/** What opening a token found: a good one, or why not (`kind` when it was ours). */
export type TokenVerdict = { ok: true; content: TokenContent } | { ok: false; kind?: TokenKind; reason: 'not ours' | 'expired' | 'another address' };

const enc = new TextEncoder();
const dec = new TextDecoder();
const NONCE = 12;
const TAG = 16;
const AAD = enc.encode('tsquic address validation token');
const KIND_BYTE: Record<TokenKind, number> = { retry: 0, 'new-token': 1 };
const KIND_OF = ['retry', 'new-token'] as const;

/** Default lifetimes (ms): a Retry token is for the next Initial; a NEW_TOKEN one for connections to come. */
export const TOKEN_LIFETIMES: Record<TokenKind, number> = { retry: 10_000, 'new-token': 24 * 3600_000 };

export class TokenSealer {
  constructor(
    private readonly aead: Aead,
    private readonly random: (n: number) => Uint8Array,
    readonly lifetimes: Record<TokenKind, number> = TOKEN_LIFETIMES,
  ) {}

  /** What the token is bound to: the address, plus the port for Retry (a NAT may change ports between connections). */
  private binding(kind: TokenKind, address: string, port: number): string {
    return kind === 'retry' ? `${address}|${port}` : address;
  }

  seal(kind: TokenKind, now: number, address: string, port: number, originalDcid: Uint8Array = new Uint8Array(0)): Uint8Array {
    const bound = enc.encode(this.binding(kind, address, port));
    // kind(1) issuedAt(8) odcidLength(1) odcid bindingLength(1) binding
    const plain = new Uint8Array(11 + originalDcid.length + bound.length);
    const v = new DataView(plain.buffer);
    plain[0] = KIND_BYTE[kind];
    v.setFloat64(1, now);
    plain[9] = originalDcid.length;
    plain.set(originalDcid, 10);
    plain[10 + originalDcid.length] = bound.length;
    plain.set(bound, 11 + originalDcid.length);
    const nonce = this.random(NONCE);
    const sealed = this.aead.seal(nonce, AAD, plain);
    const out = new Uint8Array(NONCE + sealed.length);
    out.set(nonce);
    out.set(sealed, NONCE);
    return out;
  }

  /** Open and check a token presented by `address:port` at `now`. */
  inspect(token: Uint8Array, now: number, address: string, port: number): TokenVerdict {
    if (token.length < NONCE + TAG + 11) return { ok: false, reason: 'not ours' };
    const plain = this.aead.open(token.subarray(0, NONCE), AAD, token.subarray(NONCE));
    if (!plain) return { ok: false, reason: 'not ours' };
    const kind = KIND_OF[plain[0]!];
    const odcidLength = plain[9]!;
    if (!kind || odcidLength > 20 || plain.length < 11 + odcidLength) return { ok: false, reason: 'not ours' };
    const boundLength = plain[10 + odcidLength]!;
    if (plain.length !== 11 + odcidLength + boundLength) return { ok: false, reason: 'not ours' };
    const issuedAt = new DataView(plain.buffer, plain.byteOffset).getFloat64(1);
    if (dec.decode(plain.subarray(11 + odcidLength)) !== this.binding(kind, address, port)) return { ok: false, kind, reason: 'another address' };
    if (!(now - issuedAt >= -1000 && now - issuedAt <= this.lifetimes[kind])) return { ok: false, kind, reason: 'expired' };
    return { ok: true, content: { kind, issuedAt, originalDcid: plain.slice(10, 10 + odcidLength), id: token.slice(0, 16) } };
  }

  /** The token's content when it is ours, for this address, and fresh; otherwise null. */
  open(token: Uint8Array, now: number, address: string, port: number): TokenContent | null {
    const v = this.inspect(token, now, address, port);
    return v.ok ? v.content : null;
  }
}
