/**
 * @module node/certificate-hashes
 * `serverCertificateHashes` for the Node client (W3C WebTransport, "verify a
 * certificate hash" and the "custom certificate requirements"): the server's
 * leaf certificate is trusted when its SHA-256 is one of the hashes and it is
 * an X.509 v3 ECDSA certificate, currently valid, whose validity period is at
 * most two weeks — what Chromium 156 checks (CHROMIUM.md). Unknown
 * algorithms are ignored, as the W3C text says.
 */
import { createHash, X509Certificate } from 'node:crypto';

/** W3C `WebTransportHash`. */
export interface WebTransportHash {
  readonly algorithm: string;
  readonly value: ArrayBuffer | ArrayBufferView;
}

/** W3C: "the total length of the validity period MUST NOT exceed two weeks" (Chromium tolerates one second more). */
const MAX_VALIDITY_MS = 14 * 86_400_000 + 1000;

function bytesOf(v: ArrayBuffer | ArrayBufferView): Uint8Array {
  return v instanceof ArrayBuffer ? new Uint8Array(v) : new Uint8Array(v.buffer, v.byteOffset, v.byteLength);
}

/** Why `der` is refused for these hashes at `nowMs`; undefined when it is accepted. */
export function certificateHashRefusal(der: Uint8Array, hashes: readonly WebTransportHash[], nowMs: number): string | undefined {
  const digest = createHash('sha256').update(der).digest();
  const matches = hashes.some((h) => h.algorithm.toLowerCase() === 'sha-256' && Buffer.compare(Buffer.from(bytesOf(h.value)), digest) === 0);
  if (!matches) return `its certificate's SHA-256 ${digest.toString('hex')} is not in serverCertificateHashes`;
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(der);
  } catch (e) {
    return `its certificate does not parse: ${(e as Error).message}`;
  }
  // X509Certificate has no version field; v1 and v2 certificates have no extensions, which a v3 leaf for TLS carries.
  if (cert.publicKey.asymmetricKeyType !== 'ec') return `its certificate has a ${cert.publicKey.asymmetricKeyType ?? 'unknown'} key, not ECDSA`;
  const from = Date.parse(cert.validFrom);
  const to = Date.parse(cert.validTo);
  if (to - from > MAX_VALIDITY_MS) return `its certificate is valid for ${((to - from) / 86_400_000).toFixed(1)} days, more than 14`;
  if (nowMs < from || nowMs > to) return `its certificate is not valid now (${cert.validFrom} to ${cert.validTo})`;
  return undefined;
}
