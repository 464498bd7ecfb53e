/**
 * Path validation (RFC 5280 §6, RFC 8446 §4.4.2.4) against an OpenSSL-made
 * PKI: one row per case, the chain as sent, the anchors, the purpose and
 * name, and the expected alert. Runs once per crypto provider (vitest projects).
 */
import { describe, expect, it } from 'vitest';
import { AlertDescription as A, TlsAlertError, TrustStore, verifyChain, type ChainOptions } from '../../src/index.js';
import { parseCertificate } from '../../src/certificates/x509.js';
import { testProvider as crypto } from '../core/test-crypto.js';
import { NOW, pki } from './pki.js';

const storeA = new TrustStore([pki('root-a')]);
const all = new TrustStore(['root-a', 'root-rsa', 'root-p384', 'root-ed'].map(pki));

function alertOf(chain: string[], o: Partial<ChainOptions> = {}): number | 'ok' {
  try {
    verifyChain(chain.map(pki), { trustAnchors: storeA, nowMs: NOW, purpose: 'serverAuth', crypto, serverName: 'server.test', ...o });
    return 'ok';
  } catch (e) {
    if (TlsAlertError.isInstance(e)) return e.description;
    throw e;
  }
}

type Row = [name: string, chain: string[], opts: Partial<ChainOptions>, expected: number | 'ok'];

const ROWS: Row[] = [
  ['leaf ← intermediate ← root A', ['leaf', 'inter'], {}, 'ok'],
  ['wildcard DNS-ID *.wild.test for a.wild.test', ['leaf', 'inter'], { serverName: 'a.wild.test' }, 'ok'],
  ['IPv4 SAN for 127.0.0.1', ['leaf', 'inter'], { serverName: '127.0.0.1' }, 'ok'],
  ['IPv6 SAN for ::1 (bracketed too)', ['leaf', 'inter'], { serverName: '[0:0::1]' }, 'ok'],
  ['host name case and trailing dot do not matter', ['leaf', 'inter'], { serverName: 'SERVER.Test.' }, 'ok'],
  ['leaf signed directly by the root', ['leaf-direct'], { serverName: 'direct.test' }, 'ok'],
  ['intermediates in any order, extra certificates ignored', ['leaf', 'leaf-direct', 'inter'], {}, 'ok'],
  ['no serverName: no identity check', ['leaf-direct'], { serverName: undefined }, 'ok'],
  ['a directly trusted end entity needs no path', ['leaf-untrusted'], { trustAnchors: new TrustStore([pki('leaf-untrusted')]) }, 'ok'],
  ['client certificate for clientAuth', ['leaf-client', 'inter'], { purpose: 'clientAuth', serverName: undefined }, 'ok'],
  ['no extKeyUsage: any purpose', ['leaf-no-eku'], {}, 'ok'],
  ['name constraints satisfied (DNS and IP)', ['leaf-nc-ok', 'inter-nc'], { serverName: 'www.allowed.test' }, 'ok'],
  ['signed by an RSA root, PKCS#1 v1.5 SHA-256', ['leaf-by-rsa'], { trustAnchors: all }, 'ok'],
  ['signed by an RSA root, RSASSA-PSS SHA-256 salt 32', ['leaf-by-rsa-pss'], { trustAnchors: all }, 'ok'],
  ['signed by an RSA root, RSASSA-PSS SHA-384 default salt 20', ['leaf-by-rsa-pss20'], { trustAnchors: all }, 'ok'],
  ['signed by a P-384 root, ECDSA SHA-384', ['leaf-by-p384'], { trustAnchors: all }, 'ok'],
  ['signed by an Ed25519 root', ['leaf-by-ed'], { trustAnchors: all }, 'ok'],
  ['an RSA end entity under root A', ['leaf-rsa'], {}, 'ok'],

  ['untrusted root → unknown_ca', ['leaf-untrusted'], {}, A.unknown_ca],
  ['intermediate missing → unknown_ca', ['leaf'], {}, A.unknown_ca],
  ['no anchors at all → unknown_ca', ['leaf', 'inter'], { trustAnchors: new TrustStore([]) }, A.unknown_ca],
  ['name mismatch → bad_certificate', ['leaf', 'inter'], { serverName: 'other.test' }, A.bad_certificate],
  ['wildcard covers one label only → bad_certificate', ['leaf', 'inter'], { serverName: 'a.b.wild.test' }, A.bad_certificate],
  ['wildcard does not cover the apex → bad_certificate', ['leaf', 'inter'], { serverName: 'wild.test' }, A.bad_certificate],
  ['IP not in the SANs → bad_certificate', ['leaf', 'inter'], { serverName: '127.0.0.2' }, A.bad_certificate],
  ['expired → certificate_expired', ['leaf-expired'], {}, A.certificate_expired],
  ['not yet valid → certificate_expired', ['leaf-not-yet-valid'], {}, A.certificate_expired],
  ['valid chain, but validated in 2200 → certificate_expired', ['leaf', 'inter'], { nowMs: Date.UTC(2200, 0, 1) }, A.certificate_expired],
  ['clientAuth-only certificate as a server → unsupported_certificate', ['leaf-client-only'], {}, A.unsupported_certificate],
  ['server certificate as a client → unsupported_certificate', ['leaf', 'inter'], { purpose: 'clientAuth', serverName: undefined }, A.unsupported_certificate],
  ['keyUsage without digitalSignature → unsupported_certificate', ['leaf-no-ku-sign'], {}, A.unsupported_certificate],
  ['intermediate restricted to serverAuth issuing a client cert → unsupported_certificate', ['leaf-client-under-server-eku', 'inter-server-eku'], { purpose: 'clientAuth', serverName: undefined }, A.unsupported_certificate],
  ['unknown critical extension → bad_certificate', ['leaf-critical'], {}, A.bad_certificate],
  ['issuer is not a CA → bad_certificate', ['leaf-under-not-ca', 'inter-not-ca'], {}, A.bad_certificate],
  ['pathLenConstraint 0 exceeded → bad_certificate', ['leaf-too-deep', 'inter-deep', 'inter'], {}, A.bad_certificate],
  ['name constraints violated → bad_certificate', ['leaf-nc-bad', 'inter-nc'], { serverName: 'www.allowed.test' }, A.bad_certificate],
  ['SHA-1 RSA signature → unsupported_certificate', ['leaf-by-rsa-sha1'], { trustAnchors: all }, A.unsupported_certificate],
];

describe('verifyChain', () => {
  for (const [name, chain, opts, expected] of ROWS) {
    it(name, () => {
      expect(alertOf(chain, opts)).toBe(expected);
    });
  }

  it('a signature that does not verify → bad_certificate (RFC 8446 §6.2)', () => {
    const leaf = pki('leaf-direct');
    const p = parseCertificate(leaf);
    const bad = leaf.slice();
    bad[bad.length - 10]! ^= 0x01; // inside the signature value
    expect(parseCertificate(bad).tbs).toEqual(p.tbs);
    try {
      verifyChain([bad], { trustAnchors: storeA, nowMs: NOW, purpose: 'serverAuth', crypto, serverName: 'direct.test' });
      expect.unreachable();
    } catch (e) {
      expect(TlsAlertError.isInstance(e) && e.description).toBe(A.bad_certificate);
    }
  });

  it('an anchor with the issuer name but another key → bad_certificate (the signature does not verify)', () => {
    expect(alertOf(['leaf-direct'], { serverName: 'direct.test', trustAnchors: new TrustStore([pki('root-a-impostor')]) })).toBe(A.bad_certificate);
    // with the real root beside the impostor, the path is found
    expect(alertOf(['leaf-direct'], { serverName: 'direct.test', trustAnchors: new TrustStore([pki('root-a-impostor'), pki('root-a')]) })).toBe('ok');
  });

  it('malformed and truncated certificates → bad_certificate, never another exception', () => {
    const leaf = pki('leaf');
    for (let n = 0; n < leaf.length; n += 7) {
      const cut = leaf.subarray(0, n);
      expect(() => parseCertificate(cut)).toThrow(TlsAlertError);
    }
    expect(alertOf([], {})).toBe(A.bad_certificate);
  });

  it('a trust anchor that does not parse is a TypeError, or skipped with ignoreInvalid', () => {
    expect(() => new TrustStore([new Uint8Array([1, 2, 3])])).toThrow(TypeError);
    expect(new TrustStore([new Uint8Array([1, 2, 3]), pki('root-a')], { ignoreInvalid: true }).certificates).toHaveLength(1);
  });

  it('parsed fields match what OpenSSL wrote', () => {
    const c = parseCertificate(pki('leaf'));
    expect(c.version).toBe(3);
    expect(c.dnsNames).toEqual(['server.test', '*.wild.test']);
    expect(c.ipAddresses.map((a) => Array.from(a))).toEqual([
      [127, 0, 0, 1],
      [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1],
    ]);
    expect(c.extKeyUsage).toEqual(['1.3.6.1.5.5.7.3.1']);
    expect(c.basicConstraints).toEqual({ ca: false });
    expect(parseCertificate(pki('inter')).basicConstraints).toEqual({ ca: true, pathLen: 0 });
    expect(c.signatureAlgorithm).toEqual({ kind: 'ecdsa', hash: 'sha256' });
    expect(parseCertificate(pki('leaf-by-rsa-pss20')).signatureAlgorithm).toEqual({ kind: 'rsa-pss', hash: 'sha384', saltLength: 20 });
    expect(parseCertificate(pki('inter-nc')).nameConstraints?.permitted.map((t) => t.kind)).toEqual(['dns', 'ip']);
  });
});

import fc from 'fast-check';

describe('certificate parsing never fails with anything but bad_certificate', () => {
  const der = pki('leaf');
  it('random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (b) => {
        try {
          parseCertificate(b);
        } catch (e) {
          expect(TlsAlertError.isInstance(e) && e.description).toBe(A.bad_certificate);
        }
      }),
      { numRuns: Number(process.env.TSQUIC_FUZZ_RUNS ?? 200) },
    );
  });
  it('a real certificate with bytes flipped: refused cleanly, or parsed and then refused by the path check', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.nat(der.length - 1), fc.integer({ min: 1, max: 255 })), { minLength: 1, maxLength: 4 }), (flips) => {
        const b = der.slice();
        for (const [i, x] of flips) b[i]! ^= x;
        const r = alertOfDer([b, pki('inter')]);
        expect([A.bad_certificate, A.unknown_ca, A.unsupported_certificate, A.certificate_expired]).toContain(r);
      }),
      { numRuns: Number(process.env.TSQUIC_FUZZ_RUNS ?? 200) },
    );
  });
});

function alertOfDer(chain: Uint8Array[]): number | 'ok' {
  try {
    verifyChain(chain, { trustAnchors: storeA, nowMs: NOW, purpose: 'serverAuth', crypto, serverName: 'server.test' });
    return 'ok';
  } catch (e) {
    if (TlsAlertError.isInstance(e)) return e.description;
    throw e;
  }
}
