/**
 * @module page/trust
 * How the page decides whether to trust the server (RFC 8446 §4.4.2.4): the
 * chain must reach one of the page's configured trust anchors (RFC 5280 §6,
 * pkijs' path validation over WebCrypto, asynchronous) and the end-entity
 * certificate must name the server (RFC 6125 §6: dNSName / iPAddress
 * subjectAltName) and allow serverAuth (RFC 5280 §4.2.1.12). The Handshake
 * runs with `verify: 'event'`: it suspends at `verify-peer`, this check
 * runs, and the verdict resumes it.
 */
import { AlertDescription, type ClientConfig } from '@tsquic/tls13-handshake';
import type { VerifyVerdict } from '@tsquic/tls13-handshake/record';
import { Certificate, CertificateChainValidationEngine } from 'pkijs';

export interface ServerVerification {
  clientConfig: Pick<ClientConfig, 'verify' | 'trustAnchors'>;
  verifyPeer?: (chain: Uint8Array[]) => Promise<VerifyVerdict>;
  /** Why the last chain was rejected (for the page's message). */
  lastFailure(): string | undefined;
}

const SERVER_AUTH = '1.3.6.1.5.5.7.3.1';
const ANY_EKU = '2.5.29.37.0';
const EXT_SAN = '2.5.29.17';
const EXT_EKU = '2.5.29.37';

/** The certificate check for a connection to `serverName` anchored at `trustAnchors` (DER). */
export function serverVerification(trustAnchors: Uint8Array[], serverName: string): ServerVerification {
  if (trustAnchors.length === 0) throw new TypeError('at least one trust anchor is required');
  const anchors = trustAnchors.map((der) => Certificate.fromBER(new Uint8Array(der)));
  let failure: string | undefined;
  const reject = (alert: number, why: string): VerifyVerdict => {
    failure = why;
    return { ok: false, alert };
  };
  return {
    clientConfig: { verify: 'event' },
    lastFailure: () => failure,
    verifyPeer: async (chain) => {
      let certs: Certificate[];
      try {
        certs = chain.map((der) => Certificate.fromBER(new Uint8Array(der)));
      } catch (e) {
        return reject(AlertDescription.bad_certificate, `unparseable certificate: ${e instanceof Error ? e.message : String(e)}`);
      }
      const leaf = certs[0];
      if (!leaf) return reject(AlertDescription.bad_certificate, 'empty certificate chain');
      // pkijs takes the end-entity certificate as the last of `certs`.
      const engine = new CertificateChainValidationEngine({ trustedCerts: anchors, certs: [...certs.slice(1), leaf], checkDate: new Date() });
      const result = await engine.verify();
      if (!result.result) {
        // pkijs result code 8: outside notBefore..notAfter (RFC 5280 §4.1.2.5).
        if (result.resultCode === 8) return reject(AlertDescription.certificate_expired, result.resultMessage);
        return reject(AlertDescription.unknown_ca, result.resultMessage);
      }
      if (!namesServer(leaf, serverName)) return reject(AlertDescription.certificate_unknown, `the certificate does not name ${serverName}`);
      if (!allowsServerAuth(leaf)) return reject(AlertDescription.certificate_unknown, 'the certificate is not for TLS servers (extendedKeyUsage)');
      failure = undefined;
      return { ok: true };
    },
  };
}

/** RFC 6125 §6.4: a dNSName (a `*.` wildcard covers one leftmost label) or, for an IP literal, an iPAddress SAN. */
function namesServer(cert: Certificate, serverName: string): boolean {
  const san = cert.extensions?.find((e) => e.extnID === EXT_SAN)?.parsedValue as { altNames?: Array<{ type: number; value: unknown }> } | undefined;
  const names = san?.altNames ?? [];
  const ip = ipBytes(serverName);
  if (ip) {
    return names.some((n) => {
      if (n.type !== 7) return false;
      const octets = new Uint8Array((n.value as { valueBlock: { valueHexView: Uint8Array } }).valueBlock.valueHexView);
      return octets.length === ip.length && octets.every((b, i) => b === ip[i]);
    });
  }
  const host = serverName.toLowerCase().replace(/\.$/, '');
  return names.some((n) => {
    if (n.type !== 2 || typeof n.value !== 'string') return false;
    const pattern = n.value.toLowerCase();
    if (pattern.startsWith('*.')) {
      const dot = host.indexOf('.');
      return dot > 0 && host.slice(dot + 1) === pattern.slice(2) && pattern.slice(2).includes('.');
    }
    return pattern === host;
  });
}

/** RFC 5280 §4.2.1.12: without the extension any use is allowed; with it, serverAuth or anyExtendedKeyUsage. */
function allowsServerAuth(cert: Certificate): boolean {
  const eku = cert.extensions?.find((e) => e.extnID === EXT_EKU)?.parsedValue as { keyPurposes?: string[] } | undefined;
  return !eku?.keyPurposes || eku.keyPurposes.includes(SERVER_AUTH) || eku.keyPurposes.includes(ANY_EKU);
}

/** IPv4 dotted quad → 4 bytes (IPv6 literals are not handled by this example). */
function ipBytes(name: string): Uint8Array | undefined {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(name);
  if (!m) return undefined;
  const parts = m.slice(1).map(Number);
  return parts.every((p) => p <= 255) ? Uint8Array.from(parts) : undefined;
}
