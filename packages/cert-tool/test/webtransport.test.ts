/**
 * The WebTransport certificate profile (W3C WebTransport "custom certificate requirements"; what
 * Chromium 156 accepts, packages/webtransport/CHROMIUM.md): generated certificates checked by
 * OpenSSL, the hash in the form `serverCertificateHashes` takes, the profile check, and the CLI.
 * Chromium itself accepting these certificates is tested in packages/webtransport (its Chromium suite
 * connects with `serverCertificateHashes` to a server using `generateWebTransportCertificate`).
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import {
  certificatesToPem,
  generateKeyPair,
  generateSelfSigned,
  generateWebTransportCertificate,
  inspectCertificate,
  serverCertificateHash,
  serverCertificateHashesSnippet,
  webTransportCertificateProblems,
  WEBTRANSPORT_MAX_VALIDITY_DAYS,
} from '../src/index.js';
import { run } from '../src/cli/run.js';
import { codeOf, HAVE_OPENSSL, openssl, tempDir } from './helpers.js';

const DAY = 86_400_000;
const tmp = tempDir();
afterAll(() => tmp.cleanup());

const sha256 = (b: Uint8Array): string => createHash('sha256').update(b).digest('hex');
/** Evaluate a `serverCertificateHashes` snippet the way a page would. */
const evaluate = (snippet: string): Array<{ algorithm: string; value: Uint8Array }> => new Function(`return ${snippet};`)() as Array<{ algorithm: string; value: Uint8Array }>;

describe('generateWebTransportCertificate', () => {
  it('makes an X.509 v3 ECDSA P-256 server certificate valid for exactly 14 days from five minutes ago', async () => {
    const now = new Date('2026-12-01T12:00:00Z');
    const c = await generateWebTransportCertificate({ now });
    const info = inspectCertificate(c.certificate);
    expect(info.version).toBe(3);
    expect(info.keyType).toBe('p256');
    expect(info.signatureAlgorithm).toBe('ecdsa-with-SHA256');
    expect(info.isCa).toBe(false);
    expect(info.extendedKeyUsage).toEqual(['serverAuth']);
    expect(info.dnsNames).toEqual(['localhost']);
    expect(info.ipAddresses).toEqual(['127.0.0.1', '::1']);
    expect(info.notBefore.toISOString()).toBe('2026-12-01T11:55:00.000Z');
    expect(info.notAfter.getTime() - info.notBefore.getTime()).toBe(WEBTRANSPORT_MAX_VALIDITY_DAYS * DAY);
    expect(c.notBefore).toEqual(info.notBefore);
    expect(c.notAfter).toEqual(info.notAfter);
    expect(c.chain).toEqual([c.certificate]);
    expect(webTransportCertificateProblems(c.certificate, now)).toEqual([]);
  });

  it('hashes the DER certificate with SHA-256, as serverCertificateHashes does', async () => {
    const c = await generateWebTransportCertificate();
    expect(c.hash.algorithm).toBe('sha-256');
    expect(c.hash.value).toHaveLength(32);
    expect(Buffer.from(c.hash.value).toString('hex')).toBe(sha256(c.certificate));
    expect(serverCertificateHash(certificatesToPem([c.certificate]))).toEqual(c.hash);
  });

  it('takes the SANs, a shorter lifetime and an existing P-256 key', async () => {
    const key = await generateKeyPair('p256');
    const c = await generateWebTransportCertificate({ sans: ['chat.test', '127.0.0.1'], days: 3, key });
    const info = inspectCertificate(c.certificate);
    expect(info.dnsNames).toEqual(['chat.test']);
    expect(info.ipAddresses).toEqual(['127.0.0.1']);
    expect(info.notAfter.getTime() - info.notBefore.getTime()).toBe(3 * DAY);
    expect(info.publicKey).toEqual(key.publicKey);
  });

  it('refuses more than 14 days and keys other than P-256', async () => {
    await expect(generateWebTransportCertificate({ days: 15 })).rejects.toThrow(RangeError);
    await expect(generateWebTransportCertificate({ days: 0 })).rejects.toThrow(RangeError);
    const notBefore = new Date('2026-12-01T00:00:00Z');
    await expect(generateWebTransportCertificate({ notBefore, notAfter: new Date(notBefore.getTime() + 14 * DAY + 1000) })).rejects.toThrow(/at most 14 days/);
    for (const type of ['p384', 'ed25519'] as const) {
      expect(await codeOf(generateWebTransportCertificate({ key: await generateKeyPair(type) }))).toBe('UNSUPPORTED_KEY');
    }
  });

  it.skipIf(!HAVE_OPENSSL)('is what OpenSSL reads as X.509 v3, prime256v1, 14 days, with the same SHA-256', async () => {
    const c = await generateWebTransportCertificate({ sans: ['127.0.0.1'] });
    const pem = tmp.file('wt-openssl.pem', certificatesToPem([c.certificate]));
    const text = openssl(['x509', '-in', pem, '-noout', '-text']);
    expect(text.status).toBe(0);
    expect(text.out).toMatch(/Version: 3 \(0x2\)/);
    expect(text.out).toMatch(/ASN1 OID: prime256v1/);
    expect(text.out).toMatch(/X509v3 Subject Alternative Name:\s*\n\s*IP Address:127\.0\.0\.1/);
    const dates = openssl(['x509', '-in', pem, '-noout', '-startdate', '-enddate']).out;
    const start = Date.parse(/notBefore=(.*)/.exec(dates)![1]!);
    const end = Date.parse(/notAfter=(.*)/.exec(dates)![1]!);
    expect(end - start).toBe(14 * DAY);
    const fp = openssl(['x509', '-in', pem, '-noout', '-fingerprint', '-sha256']).out;
    expect(/Fingerprint=([0-9A-F:]+)/.exec(fp)![1]!.replaceAll(':', '').toLowerCase()).toBe(Buffer.from(c.hash.value).toString('hex'));
    expect(openssl(['verify', '-CAfile', pem, pem]).out).toMatch(/OK/);
  });
});

describe('serverCertificateHashesSnippet', () => {
  it('evaluates in JavaScript to the entries of serverCertificateHashes', async () => {
    const a = await generateWebTransportCertificate();
    const b = await generateWebTransportCertificate();
    expect(evaluate(serverCertificateHashesSnippet(a.certificate))).toEqual([{ algorithm: 'sha-256', value: a.hash.value }]);
    expect(evaluate(serverCertificateHashesSnippet([a.certificate, b.certificate]))).toEqual([
      { algorithm: 'sha-256', value: a.hash.value },
      { algorithm: 'sha-256', value: b.hash.value },
    ]);
  });
});

describe('webTransportCertificateProblems', () => {
  it('says why a browser refuses a certificate, as Chromium 156 does (CHROMIUM.md)', async () => {
    const now = new Date('2026-12-01T12:00:00Z');
    const yearLong = await generateSelfSigned({ now });
    expect(webTransportCertificateProblems(yearLong.certificate, now)).toEqual(['valid for 365.0 days, more than 14']);
    const rsa = await generateSelfSigned({ keyType: 'rsa2048', days: 10, now });
    expect(webTransportCertificateProblems(rsa.certificate, now)).toEqual(['rsa2048 key, not ECDSA (P-256)']);
    const ok = await generateWebTransportCertificate({ now });
    expect(webTransportCertificateProblems(ok.certificate, new Date('2026-12-16T12:00:00Z'))).toEqual(['expired']);
    expect(webTransportCertificateProblems(ok.certificate, new Date('2026-11-30T12:00:00Z'))).toEqual(['not yet valid']);
    // P-384 is not the profile's choice, but Chromium took it in the probe: not reported.
    const p384 = await generateSelfSigned({ keyType: 'p384', days: 10, now });
    expect(webTransportCertificateProblems(inspectCertificate(p384.certificate), now)).toEqual([]);
  });

  it.skipIf(!HAVE_OPENSSL)('reports an X.509 v1 certificate (openssl x509 -req without extensions), which Chromium refused', () => {
    const key = tmp.file('v1-key.pem');
    const csr = tmp.file('v1.csr');
    const cert = tmp.file('v1.pem');
    expect(openssl(['ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', key]).status).toBe(0);
    expect(openssl(['req', '-new', '-key', key, '-subj', '/CN=127.0.0.1', '-out', csr]).status).toBe(0);
    expect(openssl(['x509', '-req', '-in', csr, '-signkey', key, '-days', '10', '-out', cert]).status).toBe(0);
    expect(webTransportCertificateProblems(readFileSync(cert, 'utf8'))).toEqual(['X.509 version 1, not 3']);
  });
});

describe('the CLI', () => {
  const io = (): { out: string[]; err: string[]; io: Parameters<typeof run>[1] } => {
    const out: string[] = [];
    const err: string[] = [];
    return { out, err, io: { stdout: (s) => void out.push(s), stderr: (s) => void err.push(s), cwd: tmp.dir } };
  };

  it('generate --webtransport writes the profile and prints the hash as a serverCertificateHashes value', async () => {
    const r = io();
    expect(await run(['generate', '--webtransport', '--san', '127.0.0.1', '--days', '7', '--out', 'cli-wt'], r.io)).toBe(0);
    const der = readFileSync(tmp.file('cli-wt-cert.der'));
    const info = inspectCertificate(der);
    expect([info.keyType, info.version, info.ipAddresses]).toEqual(['p256', 3, ['127.0.0.1']]);
    expect(info.notAfter.getTime() - info.notBefore.getTime()).toBe(7 * DAY);
    const text = r.out.join('');
    expect(text).toContain(`cert sha256: ${sha256(der)}\n`);
    const snippet = /^serverCertificateHashes: (.*)$/m.exec(text)![1]!;
    expect(evaluate(snippet)).toEqual([{ algorithm: 'sha-256', value: new Uint8Array(createHash('sha256').update(der).digest()) }]);
    const again = io();
    expect(await run(['fingerprint', '--webtransport', 'cli-wt-cert.der'], again.io)).toBe(0);
    expect(again.out.join('')).toBe(`${snippet}\n`);
    const shown = io();
    expect(await run(['inspect', 'cli-wt-cert.der'], shown.io)).toBe(0);
    expect(shown.out.join('')).toMatch(/^webtransport: +usable with serverCertificateHashes$/m);
  });

  it('refuses options outside the profile (usage errors) and certificates browsers would refuse', async () => {
    for (const args of [
      ['--days', '15'],
      ['--key-type', 'rsa2048'],
      ['--purpose', 'client'],
    ]) {
      const r = io();
      expect(await run(['generate', '--webtransport', ...args, '--out', 'never'], r.io)).toBe(2);
      expect(r.err.join('')).toMatch(/^cert-tool: --/);
    }
    const plain = io();
    expect(await run(['generate', '--out', 'cli-plain'], plain.io)).toBe(0);
    const r = io();
    expect(await run(['fingerprint', '--webtransport', 'cli-plain-cert.der'], r.io)).toBe(1);
    expect(r.err.join('')).toBe("cert-tool: NOT_WEBTRANSPORT: cli-plain-cert.der: browsers refuse it for serverCertificateHashes: valid for 365.0 days, more than 14 (make one with 'cert-tool generate --webtransport')\n");
  });
});
