/**
 * @module header-protection
 * Header protection (RFC 9001 §5.4): a mask from a 16-byte sample of the
 * ciphertext taken 4 bytes after the start of the packet number field
 * (§5.4.2) hides the low bits of the first byte (4 for long headers, 5 for
 * short) and the packet number. Applied and removed in place.
 */
import type { CryptoProvider, HeaderMask } from './provider.js';
import { suiteParams } from './suites.js';

/** A prepared header-protection key (RFC 9001 §5.4): masks the first byte and the packet number in place. */
export interface HeaderKey {
  readonly sampleLength: 16;
  /**
   * Protect `packet` (its first byte at index 0, already sealed) in place.
   * RangeError when the packet is too short to sample (the sender must pad).
   */
  protect(packet: Uint8Array, pnOffset: number): void;
  /**
   * Remove protection in place and return the packet number length and its
   * truncated value; null when the packet is too short to sample (drop it).
   */
  unprotect(packet: Uint8Array, pnOffset: number): { pnLength: 1 | 2 | 3 | 4; truncatedPn: number } | null;
}

/** RFC 9001 §5.4.2: the sample starts 4 bytes after the packet number offset. */
export function sampleOffset(pnOffset: number): number {
  return pnOffset + 4;
}

class MaskHeaderKey implements HeaderKey {
  readonly sampleLength = 16 as const;
  constructor(private readonly mask: HeaderMask) {}

  protect(packet: Uint8Array, pnOffset: number): void {
    const s = sampleOffset(pnOffset);
    if (s + 16 > packet.length) throw new RangeError(`packet of ${packet.length} bytes too short to sample at ${s}`);
    const pnLength = (packet[0]! & 0x03) + 1;
    const mask = this.mask(packet.subarray(s, s + 16));
    packet[0] = packet[0]! ^ (mask[0]! & (packet[0]! & 0x80 ? 0x0f : 0x1f));
    for (let i = 0; i < pnLength; i++) packet[pnOffset + i] = packet[pnOffset + i]! ^ mask[1 + i]!;
  }

  unprotect(packet: Uint8Array, pnOffset: number): { pnLength: 1 | 2 | 3 | 4; truncatedPn: number } | null {
    const s = sampleOffset(pnOffset);
    if (s + 16 > packet.length) return null;
    const mask = this.mask(packet.subarray(s, s + 16));
    const first = packet[0]! ^ (mask[0]! & (packet[0]! & 0x80 ? 0x0f : 0x1f));
    packet[0] = first;
    const pnLength = ((first & 0x03) + 1) as 1 | 2 | 3 | 4;
    let pn = 0;
    for (let i = 0; i < pnLength; i++) {
      const b = packet[pnOffset + i]! ^ mask[1 + i]!;
      packet[pnOffset + i] = b;
      pn = pn * 256 + b;
    }
    return { pnLength, truncatedPn: pn };
  }
}

/** The header-protection key of `suite` for `hpKey`, through `provider`. */
export function headerKey(provider: CryptoProvider, suite: number, hpKey: Uint8Array): HeaderKey {
  return new MaskHeaderKey(provider.headerProtection(suiteParams(suite).hp, hpKey));
}
