/**
 * @module certificate
 * Reading and writing certificates and keys in their two encodings: DER
 * (X.690) and PEM (RFC 7468 "CERTIFICATE", "PRIVATE KEY", "PUBLIC KEY").
 * Input format is detected from the bytes; every certificate read passes the
 * strict DER check and the RFC 5280 §4.1 outer structure.
 */
import { certificateDer, checkDer } from './der.js';
import { fail } from './errors.js';
import { readPrivateKey } from './key.js';
import { decodePem, encodePem, looksLikePem, PemLabel, pemText } from './pem.js';

/** A file encoding: DER bytes or PEM text. */
export type Format = 'der' | 'pem';

/**
 * Every certificate in `input`: one DER certificate, or PEM with one or more "CERTIFICATE" blocks
 * (a chain, in file order). MALFORMED_DER / MALFORMED_PEM when malformed.
 */
export function readCertificates(input: Uint8Array | string): Uint8Array[] {
  if (typeof input !== 'string' && !(input instanceof Uint8Array)) throw new TypeError('a certificate must be a Uint8Array or a string');
  if (typeof input === 'string' || looksLikePem(input)) {
    const blocks = decodePem(pemText(input), [PemLabel.CERTIFICATE]);
    return blocks.map((b) => {
      certificateDer(b.der);
      return b.der;
    });
  }
  certificateDer(input);
  return [input];
}

/** The first (or only) certificate in `input`, DER. */
export function readCertificate(input: Uint8Array | string): Uint8Array {
  return readCertificates(input)[0]!;
}

/** Certificates as PEM text, one block each, in order (a chain file when several). */
export function certificatesToPem(certs: Uint8Array | readonly Uint8Array[]): string {
  const list = certs instanceof Uint8Array ? [certs] : certs;
  return list
    .map((c) => {
      certificateDer(c);
      return encodePem(PemLabel.CERTIFICATE, c);
    })
    .join('');
}

/** A PKCS#8 DER private key as PEM "PRIVATE KEY" (checked first). */
export function privateKeyToPem(pkcs8: Uint8Array): string {
  return encodePem(PemLabel.PRIVATE_KEY, readPrivateKey(pkcs8).privateKey);
}

/** A DER SubjectPublicKeyInfo as PEM "PUBLIC KEY". */
export function publicKeyToPem(spki: Uint8Array): string {
  checkDer(spki, 'SubjectPublicKeyInfo');
  return encodePem(PemLabel.PUBLIC_KEY, spki);
}

/** Encode a certificate (or chain) for a file: DER bytes (one certificate only) or PEM text bytes. */
export function encodeCertificates(certs: readonly Uint8Array[], format: Format): Uint8Array {
  if (format === 'pem') return new TextEncoder().encode(certificatesToPem(certs));
  if (format !== 'der') throw new RangeError(`format must be 'der' or 'pem', got ${JSON.stringify(format)}`);
  if (certs.length !== 1) fail('UNWRITABLE', `DER holds exactly one certificate; write a chain of ${certs.length} as PEM`);
  certificateDer(certs[0]!);
  return certs[0]!;
}

/** Encode a PKCS#8 private key for a file: DER or PEM text bytes. */
export function encodePrivateKey(pkcs8: Uint8Array, format: Format): Uint8Array {
  if (format === 'pem') return new TextEncoder().encode(privateKeyToPem(pkcs8));
  if (format !== 'der') throw new RangeError(`format must be 'der' or 'pem', got ${JSON.stringify(format)}`);
  return readPrivateKey(pkcs8).privateKey;
}
