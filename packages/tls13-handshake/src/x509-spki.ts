/**
 * @module x509-spki
 * The SubjectPublicKeyInfo of an X.509 certificate (RFC 5280 §4.1) by a
 * strict DER walk, for CertificateVerify (RFC 8446 §4.4.3) under every
 * verify mode, 'none' included. Malformed input → bad_certificate.
 */
import { AlertDescription, fail } from './alert.js';
import { readTlv, type Tlv } from './crypto/der.js';

function next(b: Uint8Array, off: number, limit: number): Tlv {
  return readTlv(b, off, limit) ?? fail(AlertDescription.bad_certificate, 'malformed DER in the certificate');
}

/** The DER SubjectPublicKeyInfo of a certificate (a view into `cert`). */
export function certificateSpki(cert: Uint8Array): Uint8Array {
  const c = next(cert, 0, cert.length);
  if (c.tag !== 0x30) fail(AlertDescription.bad_certificate, 'certificate is not a SEQUENCE');
  const tbs = next(cert, c.content, c.end);
  if (tbs.tag !== 0x30) fail(AlertDescription.bad_certificate, 'tbsCertificate is not a SEQUENCE');
  let e = next(cert, tbs.content, tbs.end);
  if (e.tag === 0xa0) e = next(cert, e.end, tbs.end); // [0] EXPLICIT version
  // after serialNumber: signature, issuer, validity, subject, subjectPublicKeyInfo
  for (let i = 0; i < 5; i++) e = next(cert, e.end, tbs.end);
  if (e.tag !== 0x30) fail(AlertDescription.bad_certificate, 'subjectPublicKeyInfo is not a SEQUENCE');
  return cert.subarray(e.start, e.end);
}
