/**
 * @module packet-protection
 * AEAD packet protection (RFC 9001 §5.3): the nonce is the IV XORed with the
 * packet number, the associated data is the (unprotected) header, and the
 * payload gains a 16-byte tag. One `PacketKey` per key and direction; the
 * nonce buffer is reused, nothing is allocated per packet beyond what the
 * provider needs.
 */
import type { Aead, CryptoProvider } from './provider.js';
import { suiteParams, type SuiteParams } from './suites.js';

/** A prepared AEAD packet key (RFC 9001 §5.3): nonce from IV and packet number, header as associated data. */
export interface PacketKey {
  readonly tagLength: 16;
  /** RFC 9001 §6.6: packets this key may seal before a key update is required. */
  readonly confidentialityLimit: number;
  /** RFC 9001 §6.6: failed opens tolerated before the connection must close with AEAD_LIMIT_REACHED. */
  readonly integrityLimit: number;
  /** ciphertext ‖ tag of `payload`, with `header` as associated data. */
  seal(packetNumber: number, header: Uint8Array, payload: Uint8Array): Uint8Array;
  /** The plaintext, or null when the packet does not authenticate. */
  open(packetNumber: number, header: Uint8Array, sealed: Uint8Array): Uint8Array | null;
  /**
   * Seal a packet built in `buf`: header `[headerStart, payloadStart)`,
   * payload `[payloadStart, payloadEnd)` encrypted in place, the tag written
   * at `payloadEnd` (the buffer needs 16 bytes of room there).
   */
  sealInPlace(packetNumber: number, buf: Uint8Array, headerStart: number, payloadStart: number, payloadEnd: number): void;
}

class AeadPacketKey implements PacketKey {
  readonly tagLength = 16 as const;
  readonly confidentialityLimit: number;
  readonly integrityLimit: number;
  private readonly nonce: Uint8Array;

  constructor(
    private readonly aead: Aead,
    private readonly iv: Uint8Array,
    params: SuiteParams,
  ) {
    if (iv.length !== 12) throw new RangeError(`packet protection IV must be 12 bytes, got ${iv.length}`);
    this.nonce = new Uint8Array(12);
    this.confidentialityLimit = params.confidentialityLimit;
    this.integrityLimit = params.integrityLimit;
  }

  /** RFC 9001 §5.3: the 62-bit packet number, left-padded to the IV size, XORed with the IV. */
  private nonceFor(pn: number): Uint8Array {
    const n = this.nonce;
    const iv = this.iv;
    n.set(iv);
    const hi = Math.floor(pn / 0x100000000);
    const lo = pn >>> 0;
    n[4] = iv[4]! ^ (hi >>> 24);
    n[5] = iv[5]! ^ ((hi >>> 16) & 0xff);
    n[6] = iv[6]! ^ ((hi >>> 8) & 0xff);
    n[7] = iv[7]! ^ (hi & 0xff);
    n[8] = iv[8]! ^ (lo >>> 24);
    n[9] = iv[9]! ^ ((lo >>> 16) & 0xff);
    n[10] = iv[10]! ^ ((lo >>> 8) & 0xff);
    n[11] = iv[11]! ^ (lo & 0xff);
    return n;
  }

  seal(pn: number, header: Uint8Array, payload: Uint8Array): Uint8Array {
    return this.aead.seal(this.nonceFor(pn), header, payload);
  }

  open(pn: number, header: Uint8Array, sealed: Uint8Array): Uint8Array | null {
    return this.aead.open(this.nonceFor(pn), header, sealed);
  }

  sealInPlace(pn: number, buf: Uint8Array, headerStart: number, payloadStart: number, payloadEnd: number): void {
    if (payloadEnd + 16 > buf.length) throw new RangeError('no room for the AEAD tag');
    this.aead.sealInPlace(this.nonceFor(pn), buf, headerStart, payloadStart, payloadEnd);
  }
}

/** A packet key from a key and IV already derived (see `keysFromSecret` for the usual path). */
export function packetKey(provider: CryptoProvider, suite: number, key: Uint8Array, iv: Uint8Array): PacketKey {
  const params = suiteParams(suite);
  return new AeadPacketKey(provider.aead(params.aead, key), iv.slice(), params);
}
