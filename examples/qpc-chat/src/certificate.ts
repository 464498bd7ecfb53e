/**
 * @module certificate
 * The server's certificate, kept in the data directory: made on first start
 * (trust on first use: qpc clients trust that file). With WebTransport on, it
 * must also be one browsers take with `serverCertificateHashes` — ECDSA P-256,
 * at most 14 days (cert-tool's WebTransport profile) — so it is re-issued for
 * the same key before it expires: a client holding an older copy still
 * trusts it (the same name and key), a page needs the new hash, which the
 * server writes to `webtransport.json` beside it.
 */
import { writeFile } from 'node:fs/promises';
import { generateWebTransportCertificate, inspectCertificate, serverCertificateHash, webTransportCertificateProblems } from '@tsquic/cert-tool';
import { generateIfMissing, writeCertificateFile } from '@tsquic/cert-tool/node';

/** Re-issue when the certificate would be unusable this long from now. */
export const RENEW_BEFORE_MS = 2 * 86_400_000;

export interface ServerCertificate {
  readonly chain: readonly Uint8Array[];
  readonly privateKey: Uint8Array;
  readonly notAfter: Date;
  readonly spkiSha256: string;
  /** SHA-256 of the certificate, hex: the `serverCertificateHashes` value. */
  readonly sha256: string;
  /** What happened: created, renewed for WebTransport, or used as found. */
  readonly origin: 'created' | 'renewed' | 'loaded';
}

export async function loadCertificate(certPath: string, keyPath: string, sans: readonly string[], webTransport: boolean, nowMs = Date.now()): Promise<ServerCertificate> {
  const found = await generateIfMissing(certPath, keyPath, { sans });
  let origin: ServerCertificate['origin'] = found.created ? 'created' : 'loaded';
  let certificate = found.certificate;
  let chain = found.chain;
  if (webTransport && webTransportCertificateProblems(certificate, new Date(nowMs + RENEW_BEFORE_MS)).length > 0) {
    const renewed = await generateWebTransportCertificate({ key: found.privateKey, sans, now: new Date(nowMs) });
    await writeCertificateFile(certPath, renewed.certificate, { overwrite: true });
    certificate = renewed.certificate;
    chain = [renewed.certificate];
    origin = found.created ? 'created' : 'renewed';
  }
  const hash = serverCertificateHash(certificate);
  const { notAfter } = inspectCertificate(certificate);
  return { chain, privateKey: found.privateKey, notAfter, spkiSha256: found.spkiSha256, sha256: Buffer.from(hash.value).toString('hex'), origin };
}

/** What a page needs to open its session: the URL and the certificate hash (served beside the page). */
export interface WebTransportInfo {
  readonly url: string;
  readonly certificateHash: string;
  readonly notAfter: string;
}

export async function writeWebTransportInfo(path: string, info: WebTransportInfo): Promise<void> {
  await writeFile(path, `${JSON.stringify(info, null, 1)}\n`);
}
