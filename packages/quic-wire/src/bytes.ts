/**
 * @module bytes
 * Byte-string helpers every package above this one needs: lower-case hex
 * (connection IDs as map keys, qlog, logs), plain equality, and the
 * comparison without an early exit that secrets such as stateless reset
 * tokens need (RFC 9000 §10.3.1). The one copy for quic-wire and the packages
 * built on it (quic-transport); packages that may not depend on quic-wire
 * (quic-crypto-keys, tls13-handshake) keep their own.
 */

const HEX: string[] = Array.from({ length: 256 }, (_, i) => (i < 16 ? '0' : '') + i.toString(16));

/** Lower-case hex of `b`. */
export function toHex(b: Uint8Array): string {
  let s = '';
  for (let i = 0; i < b.length; i++) s += HEX[b[i]!]!;
  return s;
}

/** Equal length and bytes (exits at the first difference: not for secrets). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Compare two byte strings without an early exit (for stateless reset tokens). */
export function equalConstantTime(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let d = 0;
  for (let i = 0; i < a.length; i++) d |= a[i]! ^ b[i]!;
  return d === 0;
}
