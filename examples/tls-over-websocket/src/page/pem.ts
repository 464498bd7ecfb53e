/**
 * @module page/pem
 * Trust anchors as the page's configuration gives them: PEM text (RFC 7468,
 * one or more CERTIFICATE blocks) or one bare base64 / base64url DER
 * certificate — decoded to DER without Node's Buffer.
 */

/** Decode base64 or base64url (padding optional); TypeError on anything else. */
export function base64ToBytes(text: string): Uint8Array {
  const clean = text.replace(/\s+/g, '').replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, '');
  if (!/^[A-Za-z0-9+/]*$/.test(clean) || clean.length % 4 === 1) throw new TypeError('not base64');
  const bin = atob(clean + '='.repeat((4 - (clean.length % 4)) % 4));
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/**
 * The DER certificates in `text`: every PEM CERTIFICATE block, or, when there
 * is no PEM armour, the whole text as one base64 DER certificate.
 */
export function certificatesFromText(text: string): Uint8Array[] {
  const blocks = [...text.matchAll(BLOCK)];
  if (blocks.length === 0) {
    const der = base64ToBytes(text);
    // A DER certificate is a SEQUENCE (RFC 5280 §4.1).
    if (der.length < 2 || der[0] !== 0x30) throw new TypeError('trust anchor is neither PEM nor a base64 DER certificate');
    return [der];
  }
  const certs = blocks.filter((m) => m[1] === 'CERTIFICATE').map((m) => base64ToBytes(m[2]!));
  if (certs.length === 0) throw new TypeError('no CERTIFICATE block in the trust anchor PEM');
  return certs;
}
