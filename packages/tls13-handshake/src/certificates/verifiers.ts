/**
 * @module certificates/verifiers
 * Pluggable, synchronous peer-certificate verifiers (RFC 8446 §4.4.2.4 leaves
 * the policy to the application): full path validation against trust anchors
 * (`chainVerifier`), SPKI SHA-256 pinning (`pinSpkiSha256`, the RFC 7469 pin
 * format), trusting exactly one certificate (`trustExactly`) and
 * trust-on-first-use (`trustOnFirstUse`), composable with `allOf`. A verifier
 * runs inside `receive()` with the handshake's `nowMs`; for asynchronous
 * policies use `verify: 'event'` and `resume()`.
 */
import { AlertDescription, TlsAlertError } from '../alert.js';
import type { HandshakeCrypto } from '../crypto/provider.js';
import { certificateSpki } from '../x509-spki.js';
import { chainLimits, TrustStore, verifyChain, type ChainLimits } from './chain.js';

/** A verifier's answer: accept, or fail with an alert and why. */
export type VerifyVerdict = { ok: true } | { ok: false; alert: number; reason?: string };

/** What a verifier knows besides the chain. */
export interface VerifyContext {
  /** The role of the peer whose chain this is. */
  peer: 'server' | 'client';
  /** The client's reference identity (serverName) when the peer is a server. */
  serverName?: string;
  /** The time of the `receive()` call that delivered the Certificate. */
  nowMs: number;
  /** The handshake's crypto provider (for signatures and hashes). */
  crypto: HandshakeCrypto;
}

/** A synchronous certificate policy: the peer's chain (end entity first) in, a verdict out. */
export type PeerVerifier = (chain: readonly Uint8Array[], ctx: VerifyContext) => VerifyVerdict;

const trustStores = new WeakMap<readonly Uint8Array[], TrustStore>();

/** The TrustStore for a list of DER anchors, built once per list object (or the TrustStore itself). */
export function trustStoreOf(anchors: readonly Uint8Array[] | TrustStore): TrustStore {
  if (anchors instanceof TrustStore) return anchors;
  let s = trustStores.get(anchors);
  if (!s) {
    s = new TrustStore(anchors);
    trustStores.set(anchors, s);
  }
  return s;
}

/** Run a throwing check as a verdict. */
function verdictOf(f: () => void): VerifyVerdict {
  try {
    f();
    return { ok: true };
  } catch (e) {
    if (TlsAlertError.isInstance(e)) return { ok: false, alert: e.description, reason: e.message };
    return { ok: false, alert: AlertDescription.bad_certificate, reason: e instanceof Error ? e.message : String(e) };
  }
}

/**
 * RFC 5280 path validation to `trustAnchors` (what `verify: 'chain'` runs):
 * validity at `nowMs`, CA constraints, extKeyUsage for the peer's role and,
 * for a server, its identity against `serverName`, within `limits`
 * (default `DEFAULT_CHAIN_LIMITS`; TypeError for an invalid one).
 */
export function chainVerifier(options: { trustAnchors: readonly Uint8Array[] | TrustStore; limits?: Partial<ChainLimits> }): PeerVerifier {
  const store = trustStoreOf(options.trustAnchors);
  const limits = chainLimits(options.limits);
  return (chain, ctx) =>
    verdictOf(() =>
      verifyChain(chain, {
        trustAnchors: store,
        limits,
        nowMs: ctx.nowMs,
        purpose: ctx.peer === 'server' ? 'serverAuth' : 'clientAuth',
        crypto: ctx.crypto,
        ...(ctx.peer === 'server' && ctx.serverName !== undefined && { serverName: ctx.serverName }),
      }),
    );
}

/** SHA-256 of a certificate's DER SubjectPublicKeyInfo (the RFC 7469 pin). */
export function spkiSha256(certificate: Uint8Array, crypto: HandshakeCrypto): Uint8Array {
  return crypto.hash('sha256', certificateSpki(certificate));
}

const toBase64 = (b: Uint8Array): string => {
  let s = '';
  for (const x of b) s += String.fromCharCode(x);
  return btoa(s);
};

function pinString(pin: string | Uint8Array): string {
  if (typeof pin !== 'string') {
    if (pin.length !== 32) throw new TypeError('an SPKI SHA-256 pin is 32 bytes');
    return toBase64(pin);
  }
  const b64 = pin.startsWith('sha256/') ? pin.slice(7) : pin;
  if (!/^[A-Za-z0-9+/]{43}=$/.test(b64)) throw new TypeError(`not a base64 SHA-256 pin: ${pin}`);
  return b64;
}

/**
 * Accept a chain when one of its certificates has a pinned SPKI SHA-256
 * (base64, optionally `sha256/`-prefixed, or 32 raw bytes). Pins alone do not
 * check validity or names: combine with `chainVerifier` through `allOf` for both.
 */
export function pinSpkiSha256(pins: readonly (string | Uint8Array)[]): PeerVerifier {
  if (pins.length === 0) throw new TypeError('pinSpkiSha256 needs at least one pin');
  const set = new Set(pins.map(pinString));
  return (chain, ctx) =>
    verdictOf(() => {
      const hit = chain.some((c) => set.has(toBase64(spkiSha256(c, ctx.crypto))));
      if (!hit) throw new TlsAlertError(AlertDescription.bad_certificate, 'no certificate matches a pinned key');
    });
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((x, i) => x === b[i]);
}

/** Trust exactly this one (DER) end-entity certificate, nothing else (no validity or name check, as with SSH host keys). */
export function trustExactly(certificate: Uint8Array): PeerVerifier {
  const want = certificate.slice();
  return (chain) => (chain[0] !== undefined && sameBytes(chain[0], want) ? { ok: true } : { ok: false, alert: AlertDescription.bad_certificate, reason: 'not the trusted certificate' });
}

/**
 * Trust on first use: with no `known` certificate, accept whatever the peer
 * presents and hand it to `remember` (persist it); afterwards pass it as
 * `known` and only that certificate is accepted (`trustExactly`).
 */
export function trustOnFirstUse(known: Uint8Array | undefined, remember: (certificate: Uint8Array) => void): PeerVerifier {
  if (known) return trustExactly(known);
  return (chain) => {
    if (chain[0] === undefined) return { ok: false, alert: AlertDescription.bad_certificate, reason: 'no certificate' };
    remember(chain[0].slice());
    return { ok: true };
  };
}

/** Every verifier must accept; the first refusal is the verdict. */
export function allOf(...verifiers: PeerVerifier[]): PeerVerifier {
  return (chain, ctx) => {
    for (const v of verifiers) {
      const r = v(chain, ctx);
      if (!r.ok) return r;
    }
    return { ok: true };
  };
}
