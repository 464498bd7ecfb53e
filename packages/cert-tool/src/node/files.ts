/**
 * @module node/files
 * Certificates and keys on disk (Node only): read DER or PEM (detected from the
 * content), write DER or PEM (by option, else by file extension: `.pem` → PEM,
 * anything else → DER), private keys owner-only (0600), never overwriting
 * unless asked. `generateIfMissing` gives a development server its
 * trust-on-first-use certificate.
 */
import { constants } from 'node:fs';
import { lstat, mkdir, open, readFile, unlink } from 'node:fs/promises';
import { dirname, extname } from 'node:path';
import type { CertificateAuthority } from '../ca.js';
import { encodeCertificates, encodePrivateKey, type Format, readCertificates } from '../certificate.js';
import { bytesEqual, certificateDer } from '../der.js';
import { CertToolError, fail } from '../errors.js';
import { type CertificateOptions, generateSelfSigned } from '../generate.js';
import { inspectCertificate } from '../inspect.js';
import { readPrivateKey } from '../key.js';

/** How the file helpers write: the format, and whether an existing file may be replaced. */
export interface WriteOptions {
  /** 'der' or 'pem' (default: by extension, `.pem` → PEM, otherwise DER). */
  format?: Format;
  /** Replace an existing file (default false: EXISTS). */
  overwrite?: boolean;
}

/** The format a path implies: `.pem` → 'pem', anything else → 'der'. */
export function formatForPath(path: string): Format {
  return extname(path).toLowerCase() === '.pem' ? 'pem' : 'der';
}

function errno(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : undefined;
}

async function readBytes(path: string, what: string): Promise<Uint8Array> {
  try {
    return new Uint8Array(await readFile(path));
  } catch (e) {
    return fail('UNREADABLE', `cannot read ${what} ${path}: ${errno(e) ?? (e as Error).message}`, e);
  }
}

/** Prefix a CertToolError's message with the file it came from. */
async function withPath<T>(path: string, f: () => T | Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (CertToolError.isInstance(e)) throw new CertToolError(e.code, `${path}: ${e.message}`, { cause: e });
    throw e;
  }
}

/** All certificates in a DER or PEM file (a chain when PEM holds several). */
export async function readCertificateChainFile(path: string): Promise<Uint8Array[]> {
  const bytes = await readBytes(path, 'certificate');
  return withPath(path, () => readCertificates(bytes));
}

/** The (first) certificate in a DER or PEM file, DER. */
export async function readCertificateFile(path: string): Promise<Uint8Array> {
  return (await readCertificateChainFile(path))[0]!;
}

/** A private key file (PKCS#8 DER, or PEM "PRIVATE KEY" / "EC PRIVATE KEY" / "RSA PRIVATE KEY"), as PKCS#8 DER. */
export async function readPrivateKeyFile(path: string): Promise<Uint8Array> {
  const bytes = await readBytes(path, 'private key');
  return withPath(path, () => readPrivateKey(bytes).privateKey);
}

/** A CA from its certificate file (the CA first, then its intermediates, if PEM) and key file. */
export async function readCertificateAuthority(certPath: string, keyPath: string): Promise<CertificateAuthority> {
  const chain = await readCertificateChainFile(certPath);
  return { certificate: chain[0]!, privateKey: await readPrivateKeyFile(keyPath), chain };
}

async function writeBytes(path: string, data: Uint8Array, mode: number, overwrite: boolean): Promise<void> {
  let handle;
  try {
    await mkdir(dirname(path), { recursive: true });
  } catch (e) {
    return fail('UNWRITABLE', `cannot create the directory of ${path}: ${errno(e) ?? (e as Error).message}`, e);
  }
  try {
    // 'wx' = O_CREAT | O_EXCL: an existing file is never replaced unless asked.
    handle = await open(path, overwrite ? 'w' : 'wx', mode);
  } catch (e) {
    if (errno(e) === 'EEXIST') fail('EXISTS', `${path} already exists (not overwritten)`, e);
    return fail('UNWRITABLE', `cannot write ${path}: ${errno(e) ?? (e as Error).message}`, e);
  }
  try {
    await handle.chmod(mode); // the umask and a replaced file's old mode do not apply
    await handle.writeFile(data);
    await handle.sync();
  } catch (e) {
    await handle.close().catch(() => undefined);
    await unlink(path).catch(() => undefined);
    return fail('UNWRITABLE', `cannot write ${path}: ${errno(e) ?? (e as Error).message}`, e);
  }
  await handle.close();
}

/** Write a certificate (DER: one; PEM: one or a chain), mode 0644. */
export async function writeCertificateFile(path: string, certs: Uint8Array | readonly Uint8Array[], options: WriteOptions = {}): Promise<void> {
  const list = certs instanceof Uint8Array ? [certs] : certs;
  await writeBytes(path, encodeCertificates(list, options.format ?? formatForPath(path)), 0o644, options.overwrite === true);
}

/** Write a PKCS#8 private key, owner-only (0600). */
export async function writePrivateKeyFile(path: string, pkcs8: Uint8Array, options: WriteOptions = {}): Promise<void> {
  await writeBytes(path, encodePrivateKey(pkcs8, options.format ?? formatForPath(path)), constants.S_IRUSR | constants.S_IWUSR, options.overwrite === true);
}

/** Whether a path exists (a dangling symlink counts); UNREADABLE when it cannot be checked. */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch (e) {
    if (errno(e) === 'ENOENT' || errno(e) === 'ENOTDIR') return false;
    return fail('UNREADABLE', `cannot check ${path}: ${errno(e) ?? (e as Error).message}`, e);
  }
}

/** What `generateIfMissing` takes: the certificate options, and the file format. */
export interface GenerateIfMissingOptions extends CertificateOptions {
  /** File format for both files (default: by each file's extension, `.pem` → PEM, else DER). */
  format?: Format;
}

/** The certificate and key `generateIfMissing` created or read back. */
export interface LoadedCertificate {
  /** The certificate, DER. */
  readonly certificate: Uint8Array;
  /** All certificates in the certificate file (the certificate first). */
  readonly chain: readonly Uint8Array[];
  /** The private key, PKCS#8 DER. */
  readonly privateKey: Uint8Array;
  /** True when this call created both files. */
  readonly created: boolean;
  /** SHA-256 of the SubjectPublicKeyInfo, base64: what clients pin. */
  readonly spkiSha256: string;
  /** End of the certificate's validity (an existing certificate is reused even when expired). */
  readonly notAfter: Date;
}

/**
 * A server's certificate on first start: when neither file exists, generate a self-signed certificate
 * (`options` as for `generateSelfSigned`) and write the key (0600) and then the certificate; when both
 * exist, read them and check that they belong together (KEY_MISMATCH). Never overwrites: a key without
 * its certificate is KEY_WITHOUT_CERT, a certificate without its key CERT_WITHOUT_KEY.
 */
export async function generateIfMissing(certPath: string, keyPath: string, options: GenerateIfMissingOptions = {}): Promise<LoadedCertificate> {
  if (typeof certPath !== 'string' || typeof keyPath !== 'string') throw new TypeError('certPath and keyPath must be strings');
  if (certPath === keyPath) throw new RangeError('certPath and keyPath must differ');
  const [haveCert, haveKey] = await Promise.all([pathExists(certPath), pathExists(keyPath)]);
  if (haveKey && !haveCert) fail('KEY_WITHOUT_CERT', `${keyPath} exists but ${certPath} does not; refusing to replace the key (restore the certificate or remove the key)`);
  if (haveCert && !haveKey) fail('CERT_WITHOUT_KEY', `${certPath} exists but ${keyPath} does not (restore the key or remove the certificate)`);
  if (haveCert) {
    const chain = await readCertificateChainFile(certPath);
    const privateKey = await readPrivateKeyFile(keyPath);
    if (!bytesEqual(readPrivateKey(privateKey).publicKey, certificateDer(chain[0]!).spki)) fail('KEY_MISMATCH', `${keyPath} is not the private key of ${certPath}`);
    const info = inspectCertificate(chain[0]!);
    return { certificate: chain[0]!, chain, privateKey, created: false, spkiSha256: info.spkiSha256, notAfter: info.notAfter };
  }
  const { format, ...certOptions } = options;
  const made = await generateSelfSigned(certOptions);
  await writePrivateKeyFile(keyPath, made.privateKey, format ? { format } : {});
  try {
    await writeCertificateFile(certPath, made.certificate, format ? { format } : {});
  } catch (e) {
    await unlink(keyPath).catch(() => undefined); // the key was created by this call: leave no key without its certificate
    throw e;
  }
  const info = inspectCertificate(made.certificate);
  return { certificate: made.certificate, chain: [made.certificate], privateKey: made.privateKey, created: true, spkiSha256: info.spkiSha256, notAfter: info.notAfter };
}
