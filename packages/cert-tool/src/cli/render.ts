/**
 * @module cli/render
 * How the CLI prints certificates: aligned "label: value" lines and JSON.
 */
import type { CertificateInfo } from '../inspect.js';
import { webTransportCertificateProblems } from '../webtransport.js';

/** Whether browsers take the certificate with WebTransport's serverCertificateHashes now, and if not why. */
function webTransportVerdict(info: CertificateInfo): string {
  const problems = webTransportCertificateProblems(info);
  return problems.length === 0 ? 'usable with serverCertificateHashes' : `not usable with serverCertificateHashes (${problems.join('; ')})`;
}

/** ISO 8601 in whole seconds (`2026-01-02T03:04:05Z`). */
export function isoSeconds(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

/** Lines `label:` padded to one column, then the value. */
export function table(rows: readonly (readonly [string, string])[]): string {
  const width = Math.max(...rows.map(([k]) => k.length)) + 2;
  return rows.map(([k, v]) => `${`${k}:`.padEnd(width)}${v}`.trimEnd()).join('\n') + '\n';
}

const list = (xs: readonly string[]): string => (xs.length ? xs.join(', ') : '-');

/** The SANs the way OpenSSL writes them: `DNS:localhost, IP:127.0.0.1`. */
export function sanList(info: CertificateInfo): string {
  return list([...info.dnsNames.map((d) => `DNS:${d}`), ...info.ipAddresses.map((i) => `IP:${i}`)]);
}

/** Everything `inspect` shows about one certificate. */
export function describe(info: CertificateInfo): string {
  const rows: [string, string][] = [
    ['subject', info.subject || '-'],
    ['issuer', info.issuer || '-'],
    ['version', String(info.version)],
    ['serial', info.serialNumber],
    ['not before', isoSeconds(info.notBefore)],
    ['not after', isoSeconds(info.notAfter)],
    ['key type', info.keyType],
    ['signature', info.signatureAlgorithm],
    ['CA', info.isCa ? (info.pathLength === undefined ? 'yes' : `yes, path length ${info.pathLength}`) : 'no'],
    ['key usage', list(info.keyUsage)],
    ['ext key usage', list(info.extendedKeyUsage)],
    ['SANs', sanList(info)],
    ['self-issued', info.selfIssued ? 'yes' : 'no'],
    ['subject key id', info.subjectKeyIdentifier ?? '-'],
    ['authority key id', info.authorityKeyIdentifier ?? '-'],
    ['spki sha256', info.spkiSha256],
    ['cert sha256', info.sha256],
    ['webtransport', webTransportVerdict(info)],
  ];
  return table(rows);
}

/** The JSON form of one certificate's facts (dates as ISO strings, the public key omitted). */
export function toJson(info: CertificateInfo, file: string): Record<string, unknown> {
  const { publicKey: _publicKey, notBefore, notAfter, ...rest } = info;
  return { file, ...rest, notBefore: isoSeconds(notBefore), notAfter: isoSeconds(notAfter) };
}
