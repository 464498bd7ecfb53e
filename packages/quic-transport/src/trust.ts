/**
 * @module trust
 * Certificate trust policies for clients, given as `verify` (docs/vocabulary.md): tls13-handshake's
 * `PeerVerifier`s, re-exported — exactly one certificate (`trustExactly`, the development server's
 * self-signed one, compared byte for byte), key pins, path validation, their conjunction. For a CA
 * file pass `trustAnchors`.
 */
export { allOf, chainVerifier, pinSpkiSha256, spkiSha256, trustExactly, trustOnFirstUse, type PeerVerifier, type VerifyContext, type VerifyVerdict } from '@tsquic/tls13-handshake';

/**
 * Accept only a server whose leaf certificate is exactly `der`, as a `verifyPeer` function.
 * @deprecated `verify: trustExactly(der)`.
 */
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
