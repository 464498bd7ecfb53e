/**
 * @module trust
 * Certificate trust policies for clients, as `verifyPeer` functions:
 * trust-on-first-use of exactly one certificate (the development server's
 * self-signed one), compared byte for byte.
 */

/** Accept only a server whose leaf certificate is exactly `der`. */
export function trustCertificate(der: Uint8Array): (chain: Uint8Array[]) => boolean {
  const want = der.slice();
  return (chain) => {
    const leaf = chain[0];
    if (!leaf || leaf.length !== want.length) return false;
    let d = 0;
    for (let i = 0; i < leaf.length; i++) d |= leaf[i]! ^ want[i]!;
    return d === 0;
  };
}
