/**
 * @module x509-spki
 * Just enough DER (X.690) to take the SubjectPublicKeyInfo out of an X.509
 * certificate (RFC 5280 §4.1) for CertificateVerify (RFC 8446 §4.4.3) when no
 * chain verification runs. Malformed input → bad_certificate.
 */
import { AlertDescription, fail } from './alert.js';

interface Tlv {
  tag: number;
  start: number;
  content: number;
  end: number;
}

function tlv(b: Uint8Array, off: number, limit: number): Tlv {
  if (off + 2 > limit) fail(AlertDescription.bad_certificate, 'truncated DER');
  const tag = b[off]!;
  let len = b[off + 1]!;
  let content = off + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 3 || content + n > limit) fail(AlertDescription.bad_certificate, 'bad DER length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + b[content + i]!;
    content += n;
  }
  if (content + len > limit) fail(AlertDescription.bad_certificate, 'DER element overruns');
  return { tag, start: off, content, end: content + len };
}

/** The DER SubjectPublicKeyInfo of a certificate. */
export function certificateSpki(cert: Uint8Array): Uint8Array {
  const c = tlv(cert, 0, cert.length);
  if (c.tag !== 0x30) fail(AlertDescription.bad_certificate, 'certificate is not a SEQUENCE');
  const tbs = tlv(cert, c.content, c.end);
  if (tbs.tag !== 0x30) fail(AlertDescription.bad_certificate, 'tbsCertificate is not a SEQUENCE');
  let p = tbs.content;
  let e = tlv(cert, p, tbs.end);
  if (e.tag === 0xa0) e = tlv(cert, (p = e.end), tbs.end); // [0] version
  // serialNumber, signature, issuer, validity, subject
  for (let i = 0; i < 5; i++) e = tlv(cert, (p = e.end), tbs.end);
  if (e.tag !== 0x30) fail(AlertDescription.bad_certificate, 'subjectPublicKeyInfo is not a SEQUENCE');
  return cert.subarray(e.start, e.end);
}
