/**
 * @module fingerprint
 * SHA-256 fingerprints. The SPKI fingerprint — SHA-256 over the DER
 * SubjectPublicKeyInfo — is what key pinning uses (RFC 7469 §2.4 "pin-sha256",
 * Chromium's `--ignore-certificate-errors-spki-list`), as base64; it stays the
 * same when a certificate is re-issued for the same key. The certificate
 * fingerprint hashes the whole DER certificate (e.g. WebTransport
 * `serverCertificateHashes`).
 */
import { sha256 } from '@noble/hashes/sha2.js';
import { readCertificate } from './certificate.js';
import { certificateDer, classifyDer, toHex } from './der.js';
import { fail } from './errors.js';
import { readPrivateKey, spkiKeyType } from './key.js';
import { base64Encode, decodePemAll, looksLikePem, PemLabel, pemText } from './pem.js';

/** How a SHA-256 fingerprint is written: base64 (HPKP and Chromium pins) or hex. */
export type FingerprintEncoding = 'base64' | 'hex';

function encode(digest: Uint8Array, encoding: FingerprintEncoding): string {
  if (encoding === 'base64') return base64Encode(digest);
  if (encoding === 'hex') return toHex(digest);
  throw new RangeError(`encoding must be 'base64' or 'hex', got ${JSON.stringify(encoding)}`);
}

const PRIVATE_LABELS: readonly string[] = [PemLabel.PRIVATE_KEY, PemLabel.EC_PRIVATE_KEY, PemLabel.RSA_PRIVATE_KEY, PemLabel.ENCRYPTED_PRIVATE_KEY];

/**
 * The DER SubjectPublicKeyInfo of a certificate, a public key or a private key (DER or PEM; for PEM the
 * first certificate, public or private key block).
 */
export function publicKeyOf(input: Uint8Array | string): Uint8Array {
  if (typeof input !== 'string' && !(input instanceof Uint8Array)) throw new TypeError('input must be a Uint8Array or a string');
  if (typeof input === 'string' || looksLikePem(input)) {
    const text = pemText(input);
    const block = decodePemAll(text).find((b) => b.label === PemLabel.CERTIFICATE || b.label === PemLabel.PUBLIC_KEY || PRIVATE_LABELS.includes(b.label));
    if (!block) fail('MALFORMED_PEM', 'no CERTIFICATE, PUBLIC KEY or PRIVATE KEY block found');
    if (block.label === PemLabel.CERTIFICATE) return certificateDer(block.der).spki;
    if (block.label === PemLabel.PUBLIC_KEY) return checkedSpki(block.der);
    return readPrivateKey(text).publicKey;
  }
  switch (classifyDer(input)) {
    case 'certificate':
      return certificateDer(input).spki;
    case 'spki':
      return checkedSpki(input);
    case 'pkcs8':
    case 'sec1':
    case 'pkcs1':
      return readPrivateKey(input).publicKey;
    default:
      return fail('MALFORMED_DER', 'not a DER certificate, SubjectPublicKeyInfo or PKCS#8 private key');
  }
}

function checkedSpki(spki: Uint8Array): Uint8Array {
  spkiKeyType(spki); // structure check
  return spki;
}

/** SHA-256 of the SubjectPublicKeyInfo of a certificate, public key or private key; base64 (default) or hex. */
export function spkiSha256(input: Uint8Array | string, encoding: FingerprintEncoding = 'base64'): string {
  return encode(sha256(publicKeyOf(input)), encoding);
}

/** SHA-256 of a whole DER certificate (DER or PEM input; the first certificate); hex (default) or base64. */
export function certificateSha256(cert: Uint8Array | string, encoding: FingerprintEncoding = 'hex'): string {
  return encode(sha256(readCertificate(cert)), encoding);
}
