/**
 * @module trust
 * Certificate trust policies for clients, as `verifyPeer` functions:
 * trust-on-first-use of exactly one certificate (the development server's
 * self-signed one), compared byte for byte. For a CA file pass
 * `trustAnchors`; for key pinning, a `verifier` — the policies below are
 * re-exported from tls13-handshake for that.
 */
export { allOf, chainVerifier, pinSpkiSha256, spkiSha256, type PeerVerifier } from '@tsquic/tls13-handshake';

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
