/**
 * Differential test of certificate-chain verdicts (issue 15): a few hundred
 * PKIs generated with OpenSSL at test time (test/certificates/differential-pki.ts:
 * name constraints permitted / excluded with wildcards and IPs, EKU,
 * basicConstraints, pathLen, keyUsage, validity, key types and sizes,
 * signature algorithms, chain order and extras), each judged by our
 * `verifyChain` and by `openssl verify -x509_strict -auth_level 2 -purpose
 * sslserver -verify_hostname|-verify_ip … -attime …` (auth_level 2: the
 * security level OpenSSL applies to TLS peers, RSA ≥ 2048, no SHA-1).
 * Verdicts must agree, or the difference must be one of the KNOWN ones below —
 * each a deliberate choice, listed with its reason in the package README.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { TlsAlertError, TrustStore, verifyChain } from '../../src/index.js';
import { nodeCrypto } from '../../src/crypto/node.js';
import { ipAddressBytes } from '../../src/certificates/name.js';
import { makeCert, openssl, pinnedSpecs, pkiSpec, prepare, type PkiSpec } from './differential-pki.js';

const COUNT = Number(process.env.TSQUIC_DIFF_PKIS ?? 240);
const SEED = Number(process.env.TSQUIC_DIFF_SEED ?? 15);
const haveOpenssl = spawnSync('openssl', ['version']).status === 0;

interface Verdict {
  ok: boolean;
  why: string;
}
interface Outcome {
  spec: PkiSpec;
  ours: Verdict;
  openssl: Verdict;
}

/** Known, deliberate differences: a name, the README's reason, and how to recognise one. */
const KNOWN: { name: string; matches: (o: Outcome) => boolean }[] = [
  {
    name: 'a wildcard SAN that can stand for a name in an excluded subtree: we refuse it (issue 15 finding 4), OpenSSL compares the wildcard as a literal string',
    matches: (o) => !o.ours.ok && o.openssl.ok && o.ours.why === 'name constraints violated' && o.spec.leaf.ext.some((e) => e.includes('DNS:*')),
  },
  {
    name: "the trust anchor's own validity: OpenSSL checks it, RFC 5280 §6.1 (and webpki) take the anchor as given",
    matches: (o) => o.ours.ok && !o.openssl.ok && /expired|not yet valid/.test(o.openssl.why) && o.spec.root.days * 1 < o.spec.atDays,
  },
  {
    name: "the trust anchor's pathLenConstraint: OpenSSL applies it, RFC 5280 §6.1 (and webpki) do not process the anchor's extensions",
    matches: (o) => o.ours.ok && !o.openssl.ok && /path length/.test(o.openssl.why) && o.spec.root.ext.some((e) => e.includes('pathlen')),
  },
  {
    name: 'a leaf without a DNS SAN whose Common Name is the host: OpenSSL falls back to the CN, we never do (RFC 9525 §6.1)',
    matches: (o) => !o.ours.ok && o.openssl.ok && /not valid for/.test(o.ours.why) && o.spec.leaf.cn === o.spec.host,
  },
  {
    name: 'a partial-label wildcard (w*.example.com): OpenSSL matches it, RFC 9525 §6.3 (and we) do not',
    matches: (o) => !o.ours.ok && o.openssl.ok && /not valid for/.test(o.ours.why) && o.spec.leaf.ext.some((e) => e.includes('DNS:w*')),
  },
  {
    name: 'a leaf whose keyUsage has keyEncipherment but not digitalSignature: OpenSSL accepts it for a server (RSA key exchange, TLS 1.2), a TLS 1.3 server must sign (RFC 8446 §4.4.2.2)',
    matches: (o) => !o.ours.ok && o.openssl.ok && o.ours.why === 'the end-entity key may not sign',
  },
];

/** Run `n` jobs at most `width` at a time. */
async function pool<T>(items: T[], width: number, job: (x: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < items.length) await job(items[next++]!);
    }),
  );
}

const der = (dir: string, id: string) => {
  const pem = readFileSync(join(dir, `${id}.pem`), 'utf8');
  return new Uint8Array(Buffer.from(pem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64'));
};

async function judge(dir: string, spec: PkiSpec, madeAt: number): Promise<Outcome> {
  const at = Math.floor(madeAt / 1000) + spec.atDays * 86400;
  const sent = spec.sent.map((c) => c.id);
  if (sent.length > 0) writeFileSync(join(dir, `${spec.n}-untrusted.pem`), sent.map((id) => readFileSync(join(dir, `${id}.pem`), 'utf8')).join(''));
  const ip = ipAddressBytes(spec.host) !== null;
  const r = await openssl(
    [
      'verify',
      '-x509_strict',
      '-auth_level',
      '2',
      '-purpose',
      'sslserver',
      '-attime',
      String(at),
      ip ? '-verify_ip' : '-verify_hostname',
      spec.host,
      '-CAfile',
      `${spec.root.id}.pem`,
      ...(sent.length > 0 ? ['-untrusted', `${spec.n}-untrusted.pem`] : []),
      `${spec.leaf.id}.pem`,
    ],
    dir,
  );
  const theirs = { ok: r.code === 0 && /: OK\s*$/.test(r.out), why: r.out.split('\n').find((l) => /^error \d+/.test(l)) ?? r.out.trim() };
  let ours: Verdict;
  try {
    verifyChain([der(dir, spec.leaf.id), ...sent.map((id) => der(dir, id))], { trustAnchors: new TrustStore([der(dir, spec.root.id)]), nowMs: at * 1000, purpose: 'serverAuth', serverName: spec.host, crypto: nodeCrypto });
    ours = { ok: true, why: 'ok' };
  } catch (e) {
    if (!TlsAlertError.isInstance(e)) throw e;
    ours = { ok: false, why: e.message };
  }
  return { spec, ours, openssl: theirs };
}

describe.runIf(haveOpenssl)('differential: verifyChain against openssl verify', () => {
  it(`${COUNT} generated PKIs and 3 pinned ones: the same verdict, or a listed difference`, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tsquic-diff-'));
    try {
      await prepare(dir);
      const madeAt = Date.now();
      const outcomes: Outcome[] = [];
      let serial = 1;
      const specs = [...Array.from({ length: COUNT }, (_, i) => pkiSpec(SEED, i)), ...pinnedSpecs(COUNT)];
      await pool(specs, 4, async (spec) => {
        for (const c of [spec.root, ...spec.intermediates, spec.leaf, ...spec.sent.filter((x) => x.id.endsWith('-extra'))]) await makeCert(dir, c, serial++);
        outcomes.push(await judge(dir, spec, madeAt));
      });
      const differences = outcomes.filter((o) => o.ours.ok !== o.openssl.ok);
      const explained = new Map<string, number>();
      const unexplained: string[] = [];
      for (const d of differences) {
        const k = KNOWN.find((x) => x.matches(d));
        if (k) explained.set(k.name, (explained.get(k.name) ?? 0) + 1);
        else
          unexplained.push(
            `PKI ${d.spec.n} (${d.spec.host}, +${d.spec.atDays} d): ours ${d.ours.ok ? 'accept' : `refuse (${d.ours.why})`}, openssl ${d.openssl.ok ? 'accept' : `refuse (${d.openssl.why})`}\n    ${JSON.stringify({ root: d.spec.root.ext, inter: d.spec.intermediates.map((c) => c.ext), leaf: d.spec.leaf.ext, cn: d.spec.leaf.cn, keys: [d.spec.root.key, ...d.spec.intermediates.map((c) => c.key), d.spec.leaf.key], sign: [...d.spec.intermediates.map((c) => c.sign), d.spec.leaf.sign] })}`,
          );
      }
      const accepted = outcomes.filter((o) => o.openssl.ok).length;
      console.log(
        `differential: ${outcomes.length} PKIs, ${outcomes.length - differences.length} agreements (${accepted} accepted by OpenSSL), ${differences.length} listed differences${[...explained].map(([k, v]) => `\n  ${v} × ${k}`).join('')}`,
      );
      expect(unexplained, unexplained.join('\n')).toEqual([]);
      expect(outcomes.length).toBe(specs.length);
      expect(accepted).toBeGreaterThan(COUNT / 8); // both verdicts are well represented
      expect(outcomes.length - accepted).toBeGreaterThan(COUNT / 8);
      // the pinned PKIs show the differences the random ones reach only now and then
      expect(explained.get(KNOWN[0]!.name)).toBeGreaterThanOrEqual(2);
      expect(explained.get(KNOWN[1]!.name)).toBeGreaterThanOrEqual(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }, 180_000);
});
