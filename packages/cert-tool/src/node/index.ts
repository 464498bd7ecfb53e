/**
 * Node file helpers: read and write certificates and PKCS#8 keys as DER or PEM
 * files, and `generateIfMissing` for a server's first start.
 *
 * @module @tsquic/cert-tool/node
 */
export {
  formatForPath,
  generateIfMissing,
  pathExists,
  readCertificateAuthority,
  readCertificateChainFile,
  readCertificateFile,
  readPrivateKeyFile,
  writeCertificateFile,
  writePrivateKeyFile,
  type GenerateIfMissingOptions,
  type LoadedCertificate,
  type WriteOptions,
} from './files.js';
