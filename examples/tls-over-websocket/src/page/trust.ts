/**
 * @module page/trust
 * How the page decides whether to trust the server (RFC 8446 §4.4.2.4), with
 * the trust anchors of the page's configuration and nothing else. The
 * Handshake runs with `verify: 'event'`: it suspends at `verify-peer` (after
 * CertificateVerify proved the key), this check runs, and its verdict resumes
 * the handshake. Two checks must both pass:
 *
 * 1. pkijs' `CertificateChainValidationEngine` over the browser's WebCrypto:
 *    a path to a configured anchor, every signature, validity at `now`
 *    (RFC 5280 §6), asynchronously in the platform's native crypto.
 * 2. `verifyChain` of @tsquic/tls13-handshake — the same rules as its
 *    `verify: 'chain'` — for what pkijs' engine leaves out: the server's
 *    identity (RFC 6125 §6: dNSName / iPAddress SANs, no CN fallback),
 *    extendedKeyUsage serverAuth along the path (RFC 5280 §4.2.1.12),
 *    keyUsage, basicConstraints / pathLen, name constraints and unknown
 *    critical extensions.
 */
import { AlertDescription, TlsAlertError, TrustStore, verifyChain, type ClientConfig, type HandshakeCrypto } from '@tsquic/tls13-handshake';
import type { VerifyVerdict } from '@tsquic/tls13-handshake/record';
import { Certificate, CertificateChainValidationEngine } from 'pkijs';

export interface ServerVerification {
  clientConfig: Pick<ClientConfig, 'verify'>;
  verifyPeer: (chain: Uint8Array[]) => Promise<VerifyVerdict>;
  /** Why the last chain was rejected (for the page's message). */
  lastFailure(): string | undefined;
}

export interface ServerVerificationOptions {
  /** DER trust anchors: the page's configured CA(s). */
  trustAnchors: Uint8Array[];
  /** The name the certificate must carry (a host name or an IP literal). */
  serverName: string;
  /** For the signature checks of step 2 (the Handshake's provider). */
  crypto: HandshakeCrypto;
  /** Validation time in ms since the epoch (default Date.now). */
  now?: () => number;
}

/** No WebCrypto: the page cannot check certificates at all. */
export class WebCryptoUnavailableError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'WebCryptoUnavailableError';
  }
}

/** pkijs result code for a certificate outside notBefore..notAfter (RFC 5280 §4.1.2.5). */
const PKIJS_EXPIRED = 8;

/** The certificate check for one connection. */
export function serverVerification(options: ServerVerificationOptions): ServerVerification {
  if (options.trustAnchors.length === 0) throw new TypeError('at least one trust anchor is required');
  // Browsers expose crypto.subtle only in secure contexts (https:, or http://localhost / 127.0.0.1).
  if (!(globalThis as { crypto?: { subtle?: unknown } }).crypto?.subtle) {
    throw new WebCryptoUnavailableError('WebCrypto (crypto.subtle) is unavailable here: serve the page over https:// or from localhost (a secure context)');
  }
  const anchors = options.trustAnchors.map((der) => Certificate.fromBER(new Uint8Array(der)));
  const store = new TrustStore(options.trustAnchors);
  const now = options.now ?? Date.now;
  let failure: string | undefined;
  const reject = (alert: number, why: string): VerifyVerdict => {
    failure = why;
    return { ok: false, alert };
  };
  return {
    clientConfig: { verify: 'event' },
    lastFailure: () => failure,
    verifyPeer: async (chain) => {
      const nowMs = now();
      let certs: Certificate[];
      try {
        certs = chain.map((der) => Certificate.fromBER(new Uint8Array(der)));
      } catch (e) {
        return reject(AlertDescription.bad_certificate, `unparseable certificate: ${e instanceof Error ? e.message : String(e)}`);
      }
      const leaf = certs[0];
      if (!leaf) return reject(AlertDescription.bad_certificate, 'empty certificate chain');
      // 1. pkijs takes the end-entity certificate as the last of `certs`; signatures go to crypto.subtle.
      const engine = new CertificateChainValidationEngine({ trustedCerts: anchors, certs: [...certs.slice(1), leaf], checkDate: new Date(nowMs) });
      let result: Awaited<ReturnType<CertificateChainValidationEngine['verify']>>;
      try {
        result = await engine.verify();
      } catch (e) {
        return reject(AlertDescription.bad_certificate, `the chain could not be checked: ${e instanceof Error ? e.message : String(e)}`);
      }
      if (!result.result) {
        if (result.resultCode === PKIJS_EXPIRED) return reject(AlertDescription.certificate_expired, result.resultMessage);
        return reject(AlertDescription.unknown_ca, result.resultMessage);
      }
      // 2. The package's path validation and identity rules.
      try {
        verifyChain(chain, { trustAnchors: store, nowMs, serverName: options.serverName, purpose: 'serverAuth', crypto: options.crypto });
      } catch (e) {
        if (TlsAlertError.isInstance(e)) return reject(e.description, e.message);
        throw e;
      }
      failure = undefined;
      return { ok: true };
    },
  };
}
