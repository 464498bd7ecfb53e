/**
 * X.509 certificates for TLS and QUIC development: self-signed certificates,
 * a tiny CA, DER/PEM, SPKI fingerprints and certificate inspection. Runs in any
 * JS runtime with `globalThis.crypto` (RSA needs `crypto.subtle`); the file
 * helpers live in `@tsquic/cert-tool/node`.
 *
 * @module @tsquic/cert-tool
 */
export { CertToolError, CertToolErrorCode } from './errors.js';
export { generateKeyPair, readPrivateKey, KEY_TYPES, type KeyAlgorithm, type KeyPair, type KeyType } from './key.js';
export { generateSelfSigned, type CertificateOptions, type IssuedCertificate, type Purpose, type SubjectKeyOptions, type ValidityOptions } from './generate.js';
export { createCa, issueCertificate, type CaOptions, type CertificateAuthority } from './ca.js';
export { readCertificate, readCertificates, certificatesToPem, privateKeyToPem, publicKeyToPem, encodeCertificates, encodePrivateKey, type Format } from './certificate.js';
export { inspectCertificate, type CertificateInfo } from './inspect.js';
export { spkiSha256, certificateSha256, publicKeyOf, type FingerprintEncoding } from './fingerprint.js';
export {
  generateWebTransportCertificate,
  serverCertificateHash,
  serverCertificateHashesSnippet,
  webTransportCertificateProblems,
  WEBTRANSPORT_MAX_VALIDITY_DAYS,
  type WebTransportCertificate,
  type WebTransportCertificateOptions,
  type WebTransportHash,
} from './webtransport.js';
export { parseSan, parseSans, DEFAULT_SANS, type SubjectAltName } from './san.js';
export { encodePem, decodePem, decodePemAll, PemLabel, type PemBlock } from './pem.js';
export { KEY_USAGE_BITS, type KeyUsage } from './oids.js';
