/**
 * Hostile chains (issue 15): path building is bounded (finding 1), weak RSA
 * keys are refused anywhere on the path (finding 6), and a wildcard SAN
 * cannot slip under an excluded name constraint (finding 4). The chains come
 * from scripts/make-hostile-pki.sh (OpenSSL), committed under
 * test/fixtures/hostile; each case counts the signature checks it cost.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { AlertDescription as A, DEFAULT_CHAIN_LIMITS, parseCertificate, TlsAlertError, TrustStore, verifyChain, type ChainLimits, type HandshakeCrypto } from '../../src/index.js';
import { chainLimits } from '../../src/certificates/chain.js';
import { testProvider } from '../core/test-crypto.js';
import { NOW, pki } from './pki.js';

const hostile = (name: string): Uint8Array => new Uint8Array(readFileSync(fileURLToPath(new URL(`../fixtures/hostile/${name}.der`, import.meta.url))));
const range = (prefix: string, n: number) => Array.from({ length: n }, (_, i) => hostile(`${prefix}${i + 1}`));

/** Verify with a fresh store (nothing cached) and count the signature checks it took. */
function run(chain: Uint8Array[], o: { serverName?: string; limits?: Partial<ChainLimits>; anchors?: Uint8Array[] } = {}) {
  let checks = 0;
  const crypto: HandshakeCrypto = { ...testProvider, verifySignature: (...a) => (checks++, testProvider.verifySignature(...a)) };
  try {
    verifyChain(chain, {
      trustAnchors: new TrustStore(o.anchors ?? [hostile('anchor')]),
      nowMs: NOW,
      purpose: 'serverAuth',
      crypto,
      serverName: o.serverName ?? 'server.test',
      ...(o.limits && { limits: o.limits }),
    });
    return { alert: 'ok' as const, checks, reason: '' };
  } catch (e) {
    if (!TlsAlertError.isInstance(e)) throw e;
    return { alert: e.description, checks, reason: e.message };
  }
}

const loop = () => [hostile('loop-leaf'), ...range('loop-ca-', 8)];
const maze = () => [hostile('maze-leaf'), ...range('maze-ca-', 8)];

describe('finding 1: path building is bounded', () => {
  it('leaf + 8 self-issued CAs with one subject and one key (each signs every other): unknown_ca without a signature check', () => {
    // Before: every ordering up to depth 8 was tried — 69,280 signature checks, 12 s. Now one subject-and-key
    // is on a path once (RFC 4158 §5.2), and signatures are only checked on a path that reaches an anchor.
    expect(run(loop())).toEqual({ alert: A.unknown_ca, checks: 0, reason: 'no path to a trust anchor' });
  });

  it('the same chain sent 8 times over and reversed: identical certificates are tried once', () => {
    const chain = loop();
    const noisy = [chain[0]!, ...chain.slice(1).reverse(), ...chain.slice(1), chain[0]!];
    expect(run(noisy, { limits: { maxCertificates: 20 } })).toMatchObject({ alert: A.unknown_ca, checks: 0 });
  });

  it('a maze (8 CAs, one subject, 8 keys: 40,320 orderings): the path-step budget stops it, before any signature check', () => {
    expect(run(maze())).toEqual({ alert: A.bad_certificate, checks: 0, reason: 'certificate path building gave up after 1000 path-building steps (ChainLimits)' });
  });

  it('the signature budget trips: bad_certificate with a reason, after exactly maxSignatureChecks checks', () => {
    const chain = [pki('leaf'), pki('inter')];
    expect(run(chain, { anchors: [pki('root-a')] })).toMatchObject({ alert: 'ok', checks: 2 });
    expect(run(chain, { anchors: [pki('root-a')], limits: { maxSignatureChecks: 1 } })).toEqual({
      alert: A.bad_certificate,
      checks: 1,
      reason: 'certificate path building gave up after 1 signature checks (ChainLimits)',
    });
  });

  it('a forged link next to the anchor costs one signature check, however long the path under it', () => {
    // inter-nc is root A's; presented under an impostor of root A's name, the first check (anchor → inter) fails.
    expect(run([pki('leaf-nc-ok'), pki('inter-nc')], { serverName: 'www.allowed.test', anchors: [pki('root-a-impostor')] })).toMatchObject({ alert: A.bad_certificate, checks: 1, reason: 'a certificate signature does not verify' });
  });

  it('the path-step and name-comparison budgets trip the same way', () => {
    expect(run(maze(), { limits: { maxPathSteps: 3 } })).toMatchObject({ alert: A.bad_certificate, reason: 'certificate path building gave up after 3 path-building steps (ChainLimits)' });
    const nc = [hostile('nc-leaf'), hostile('nc-ca')];
    // 201 names × 200 excluded subtrees = 40,200 comparisons: inside the default budget, over a small one.
    expect(run(nc, { anchors: [hostile('nc-ca')] })).toMatchObject({ alert: 'ok' });
    expect(run(nc, { anchors: [hostile('nc-ca')], limits: { maxNameComparisons: 1000 } })).toMatchObject({ alert: A.bad_certificate, reason: 'certificate path building gave up after 1000 name-constraint comparisons (ChainLimits)' });
  });

  it('more certificates, or more bytes, than the limits: bad_certificate before any parse or signature', () => {
    const many = [...loop(), hostile('anchor'), hostile('nc-ca')];
    expect(many).toHaveLength(11);
    expect(run(many)).toEqual({ alert: A.bad_certificate, checks: 0, reason: 'the peer sent 11 certificates; at most 10 are accepted' });
    const bytes = loop().reduce((n, c) => n + c.length, 0);
    expect(run(loop(), { limits: { maxChainBytes: bytes - 1 } })).toEqual({ alert: A.bad_certificate, checks: 0, reason: `the peer sent ${bytes} bytes of certificates; at most ${bytes - 1} are accepted` });
  });

  it('the path length limit bounds the search too', () => {
    expect(run(maze(), { limits: { maxPathLength: 2 } })).toEqual({ alert: A.unknown_ca, checks: 0, reason: 'no path to a trust anchor' });
  });

  it('limits are validated: a non-positive or fractional limit is a TypeError', () => {
    expect(() => run(loop(), { limits: { maxSignatureChecks: 0 } })).toThrow(TypeError);
    expect(() => run(loop(), { limits: { maxCertificates: 1.5 } })).toThrow(TypeError);
    expect(DEFAULT_CHAIN_LIMITS).toMatchObject({ maxCertificates: 10, maxSignatureChecks: 100, minRsaBits: 2048 });
  });
});

describe('finding 6: RSA keys under 2048 bits are refused anywhere on the path', () => {
  const ROWS: [string, Uint8Array[], Uint8Array[], string][] = [
    ['an RSA-1024 end entity', [hostile('weak-ee')], [hostile('anchor')], 'the end-entity certificate has an RSA key of 1024 bits (at least 2048 required)'],
    ['an RSA-1024 intermediate', [hostile('weak-inter-leaf'), hostile('weak-inter')], [hostile('anchor')], 'an intermediate certificate has an RSA key of 1024 bits (at least 2048 required)'],
    ['an RSA-1024 trust anchor', [hostile('weak-root-leaf')], [hostile('weak-root')], 'the trust anchor has an RSA key of 1024 bits (at least 2048 required)'],
  ];
  for (const [name, chain, anchors, reason] of ROWS) {
    it(`${name} → bad_certificate; accepted with minRsaBits: 1024`, () => {
      expect(run(chain, { anchors })).toMatchObject({ alert: A.bad_certificate, reason });
      expect(run(chain, { anchors, limits: { minRsaBits: 1024 } })).toMatchObject({ alert: 'ok' });
    });
  }
  it('an RSA public exponent above 2^33 (a verification as slow as a private-key operation) → bad_certificate', () => {
    expect(run([hostile('bige-ee')])).toMatchObject({ alert: A.bad_certificate, reason: 'the end-entity certificate has an RSA public exponent that is even, below 3 or above 2^33' });
  });
});

describe('finding 4: a wildcard SAN under an excluded subtree', () => {
  const chain = () => [hostile('wild-leaf'), hostile('wild-ca')];
  it('*.example.com under excluded;DNS:bad.example.com is refused for bad.example.com (OpenSSL accepts it)', () => {
    expect(run(chain(), { serverName: 'bad.example.com' })).toMatchObject({ alert: A.bad_certificate, reason: 'name constraints violated' });
  });
  it('… and for any other name: the certificate itself violates the constraint', () => {
    expect(run(chain(), { serverName: 'good.example.com' })).toMatchObject({ alert: A.bad_certificate, reason: 'name constraints violated' });
  });
});

describe('parsing a certificate far beyond any limit', () => {
  it('a 300 KB name fails with an alert or parses, never with a stack overflow (parseCertificate is public)', () => {
    const cat = (...parts: (number[] | Uint8Array)[]) => {
      const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let off = 0;
      for (const p of parts) (out.set(p, off), (off += p.length));
      return out;
    };
    const len = (n: number) => (n < 128 ? [n] : [0x83, n >> 16, (n >> 8) & 0xff, n & 0xff]);
    const tlv = (t: number, ...c: (number[] | Uint8Array)[]) => {
      const body = cat(...c);
      return cat([t, ...len(body.length)], body);
    };
    const name = tlv(0x30, tlv(0x31, tlv(0x30, tlv(0x06, [0x55, 4, 3]), tlv(0x16, new Uint8Array(300_000).fill(0x61)))));
    const alg = tlv(0x30, tlv(0x06, [0x2a, 0x86, 0x48, 0xce, 0x3d, 4, 3, 2]));
    const time = tlv(0x17, new TextEncoder().encode('300101000000Z'));
    const tbs = tlv(0x30, tlv(0xa0, tlv(2, [2])), tlv(2, [1]), alg, name, tlv(0x30, time, time), name, tlv(0x30));
    try {
      parseCertificate(tlv(0x30, tbs, alg, tlv(3, [0, 1])));
    } catch (e) {
      expect(TlsAlertError.isInstance(e) && e.description).toBe(A.bad_certificate);
    }
  });
});

describe('chainLimits: resolved once', () => {
  it('limits it resolved come back as they are (a verifier resolves once, not at every verification); the defaults are shared; bad values are still refused', () => {
    expect(chainLimits()).toBe(DEFAULT_CHAIN_LIMITS);
    const mine = chainLimits({ maxCertificates: 5 });
    expect(mine).toMatchObject({ ...DEFAULT_CHAIN_LIMITS, maxCertificates: 5 });
    expect(chainLimits(mine)).toBe(mine);
    expect(Object.isFrozen(mine)).toBe(true);
    expect(() => chainLimits({ maxSignatureChecks: 0 })).toThrow(TypeError);
  });
});
