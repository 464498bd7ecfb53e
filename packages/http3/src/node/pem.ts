/**
 * @module node/pem
 * Certificates and keys as the server and client options take them: DER
 * bytes, or PEM text (RFC 7468) with one or more blocks, decoded to DER.
 */

/** Every PEM block of `label` (e.g. CERTIFICATE) in `text`, as DER. */
export function pemBlocks(text: string, label: RegExp): Uint8Array[] {
  const out: Uint8Array[] = [];
  const re = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    if (label.test(m[1]!)) out.push(new Uint8Array(Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64')));
  }
  return out;
}

/** A certificate chain (leaf first) from DER bytes, DER chains, or PEM text. */
export function toCertificateChain(cert: string | Uint8Array | readonly Uint8Array[]): Uint8Array[] {
  if (typeof cert === 'string') {
    const chain = pemBlocks(cert, /^CERTIFICATE$/);
    if (chain.length === 0) throw new TypeError('cert: no PEM CERTIFICATE block');
    return chain;
  }
  return cert instanceof Uint8Array ? [cert] : [...cert];
}

/** A PKCS#8 private key from DER bytes or PEM text. */
export function toPrivateKey(key: string | Uint8Array): Uint8Array {
  if (typeof key !== 'string') return key;
  const [der] = pemBlocks(key, /^PRIVATE KEY$/);
  if (!der) throw new TypeError('key: no PEM PRIVATE KEY (PKCS #8) block');
  return der;
}
