/**
 * @module errors
 * `CertToolError`: the one error this package throws for bad input it was
 * handed (files, bytes, names) or a filesystem state it refuses to touch.
 * Caller mistakes in option values (a negative `days`, an unknown key type)
 * are `TypeError`/`RangeError` instead.
 */

/** Why an operation failed; stable strings, safe to switch on. */
export const CertToolErrorCode = {
  /** A Subject Alternative Name is neither a DNS name nor an IP address (RFC 5280 §4.2.1.6). */
  BAD_SAN: 'BAD_SAN',
  /** Bytes are not the DER structure expected (X.690 DER, RFC 5280, RFC 5208). */
  MALFORMED_DER: 'MALFORMED_DER',
  /** Text is not RFC 7468 PEM, or not the label expected. */
  MALFORMED_PEM: 'MALFORMED_PEM',
  /** An output file exists and overwriting was not allowed. */
  EXISTS: 'EXISTS',
  /** A file could not be read. */
  UNREADABLE: 'UNREADABLE',
  /** A file could not be written. */
  UNWRITABLE: 'UNWRITABLE',
  /** A well-formed key of an algorithm or curve this package does not handle. */
  UNSUPPORTED_KEY: 'UNSUPPORTED_KEY',
  /** A private key does not belong to the certificate it was paired with. */
  KEY_MISMATCH: 'KEY_MISMATCH',
  /** A certificate used to issue others is not a CA (basicConstraints cA, keyCertSign). */
  NOT_CA: 'NOT_CA',
  /** `generateIfMissing`: the key file exists but the certificate file does not. */
  KEY_WITHOUT_CERT: 'KEY_WITHOUT_CERT',
  /** `generateIfMissing`: the certificate file exists but the key file does not. */
  CERT_WITHOUT_KEY: 'CERT_WITHOUT_KEY',
  /** A certificate breaks the WebTransport `serverCertificateHashes` rules (W3C WebTransport). */
  NOT_WEBTRANSPORT: 'NOT_WEBTRANSPORT',
  /** The platform lacks a primitive (e.g. no WebCrypto for RSA). */
  UNAVAILABLE: 'UNAVAILABLE',
} as const;
export type CertToolErrorCode = (typeof CertToolErrorCode)[keyof typeof CertToolErrorCode];

const MARK = Symbol.for('@tsquic/cert-tool/CertToolError');

/** Bad input or a refused filesystem operation; `code` says which. */
export class CertToolError extends Error {
  readonly [MARK] = true;
  override readonly name = 'CertToolError';
  constructor(
    readonly code: CertToolErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** True for a CertToolError from any copy of this package (duplicate installs included). */
  static isInstance(x: unknown): x is CertToolError {
    return typeof x === 'object' && x !== null && (x as Record<symbol, unknown>)[MARK] === true;
  }
}

/** Throw a CertToolError. */
export function fail(code: CertToolErrorCode, message: string, cause?: unknown): never {
  throw new CertToolError(code, message, cause === undefined ? undefined : { cause });
}
