/**
 * The built `cert-tool` executable as a subprocess: every subcommand, --help, --version, and the
 * error contract (one line on stderr; exit 1 for bad input and file problems, 2 for usage errors).
 */
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inspectCertificate, readCertificates, spkiSha256 } from '../src/index.js';
import { run } from '../src/cli/run.js';
import { HAVE_OPENSSL, openssl, tempDir } from './helpers.js';

const MAIN = fileURLToPath(new URL('../dist/cli/main.js', import.meta.url));
const PKG = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string; bin: Record<string, string> };

interface Result {
  code: number;
  stdout: string;
  stderr: string;
}

function cli(args: string[], cwd: string): Promise<Result> {
  return new Promise((resolve, reject) => {
    execFile(process.execPath, [MAIN, ...args], { cwd, timeout: 20_000, encoding: 'utf8' }, (err, stdout, stderr) => {
      if (err && typeof err.code !== 'number') return reject(err);
      resolve({ code: err ? (err.code as number) : 0, stdout, stderr });
    });
  });
}

/** A failed run: its exit status and its single stderr line. */
function failure(r: Result, code: number, pattern: RegExp): void {
  expect(r.code).toBe(code);
  expect(r.stdout).toBe('');
  expect(r.stderr.endsWith('\n')).toBe(true);
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  expect(r.stderr).toMatch(/^cert-tool: /);
  expect(r.stderr).toMatch(pattern);
}

const tmp = tempDir();
const dir = tmp.dir;
const at = (name: string): string => join(dir, name);
afterAll(() => tmp.cleanup());

describe('the package', () => {
  it('declares the bin, which is the built file with a node shebang', () => {
    expect(PKG.bin['cert-tool']).toBe('./dist/cli/main.js');
    expect(readFileSync(MAIN, 'utf8').split('\n')[0]).toBe('#!/usr/bin/env node');
  });
});

describe.concurrent('help and usage', () => {
  it.each([
    [['--help'], /Usage: cert-tool <command>/],
    [['-h'], /Commands:/],
    [['help'], /Commands:/],
    [['generate', '--help'], /Usage: cert-tool generate/],
    [['ca', '--help'], /Usage: cert-tool ca <create\|issue>/],
    [['ca', 'create', '--help'], /Usage: cert-tool ca create/],
    [['ca', 'issue', '-h'], /Usage: cert-tool ca issue --ca <file> --ca-key <file>/],
    [['inspect', '--help'], /Usage: cert-tool inspect/],
    [['fingerprint', '--help'], /--ignore-certificate-errors-spki-list/],
  ])('%j prints help and exits 0', async (args, pattern) => {
    const r = await cli(args, dir);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(pattern);
  });

  it('--version prints the package version', async () => {
    expect(await cli(['--version'], dir)).toEqual({ code: 0, stdout: `${PKG.version}\n`, stderr: '' });
  });

  it.each([
    [[], /^cert-tool: missing command \(see 'cert-tool --help'\)\n$/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['generate', '--bogus'], /^cert-tool: unknown option '--bogus' \(see 'cert-tool generate --help'\)\n$/],
    [['generate', '--key-type', 'p521'], /--key-type must be one of p256, p384, ed25519, rsa2048, got 'p521'/],
    [['ca', 'issue'], /--ca <file> is required \(see 'cert-tool ca issue --help'\)/],
  ])('%j is a usage error (exit 2)', async (args, pattern) => {
    failure(await cli(args, dir), 2, pattern);
  });
});

/** The same entry point in-process (no process start-up per case): the whole usage-error table. */
describe('usage errors, in-process run()', () => {
  it.each([
    [[], /missing command \(see 'cert-tool --help'\)/],
    [['frobnicate'], /unknown command 'frobnicate'/],
    [['ca'], /missing subcommand: 'create' or 'issue' \(see 'cert-tool ca --help'\)/],
    [['ca', 'sign'], /unknown subcommand 'ca sign'/],
    [['generate', '--bogus'], /unknown option '--bogus' \(see 'cert-tool generate --help'\)/],
    [['generate', 'extra'], /unexpected argument 'extra'/],
    [['generate', '--san'], /option '--san' needs a value/],
    [['generate', '--key-type', 'p521'], /--key-type must be one of p256, p384, ed25519, rsa2048, got 'p521'/],
    [['generate', '--days', '0'], /--days must be a whole number from 1 to 36500, got '0'/],
    [['generate', '--days', '1.5'], /--days must be a whole number/],
    [['generate', '--format', 'jks'], /--format must be one of der, pem, got 'jks'/],
    [['generate', '--purpose', 'peer'], /--purpose must be one of server, client, both/],
    [['generate', '--cn', 'x'.repeat(65)], /--cn must be 1 to 64 characters/],
    [['generate', '--cert-out', 'same', '--key-out', 'same'], /output files must differ/],
    [['ca', 'issue'], /--ca <file> is required/],
    [['ca', 'issue', '--ca', 'x.pem'], /--ca-key <file> is required/],
    [['ca', 'create', '--ca', 'x.pem'], /--ca-key <file> is required/],
    [['ca', 'create', '--path-length', '-1'], /option '--path-length' needs a value|--path-length must be/],
    [['inspect'], /missing file to inspect/],
    [['fingerprint'], /missing file to fingerprint/],
  ])('%j is a usage error (exit 2)', async (args, pattern) => {
    let stdout = '';
    let stderr = '';
    const code = await run(args, { stdout: (x) => (stdout += x), stderr: (x) => (stderr += x), cwd: dir });
    failure({ code, stdout, stderr }, 2, pattern);
  });
});

describe('generate', () => {
  let out: Result;
  beforeAll(async () => {
    out = await cli(['generate'], dir);
  }, 20_000);

  it('writes server-cert.der and server-key.der (PKCS#8 DER, mode 0600) and says so', () => {
    expect(out.code).toBe(0);
    expect(out.stderr).toBe('');
    const info = inspectCertificate(new Uint8Array(readFileSync(at('server-cert.der'))));
    expect(out.stdout).toBe(
      [
        'wrote server-key.der (private key, PKCS#8 DER, mode 0600)',
        'wrote server-cert.der (certificate, DER)',
        'subject:     CN=localhost',
        'issuer:      CN=localhost',
        'SANs:        DNS:localhost, IP:127.0.0.1, IP:::1',
        'key type:    p256',
        `not after:   ${info.notAfter.toISOString().replace('.000Z', 'Z')}`,
        `spki sha256: ${info.spkiSha256}`,
        '',
      ].join('\n'),
    );
    expect(statSync(at('server-key.der')).mode & 0o777).toBe(0o600);
    expect(spkiSha256(new Uint8Array(readFileSync(at('server-key.der'))))).toBe(info.spkiSha256);
  });

  it('refuses to overwrite (exit 1, EXISTS) and leaves the files alone; --force overwrites', async () => {
    const before = readFileSync(at('server-key.der'));
    failure(await cli(['generate'], dir), 1, /^cert-tool: EXISTS: server-cert.der already exists \(use --force to overwrite\)\n$/);
    expect(readFileSync(at('server-key.der')).equals(before)).toBe(true);
    const forced = await cli(['generate', '--force', '--out', 'server'], dir);
    expect(forced.code).toBe(0);
    expect(readFileSync(at('server-key.der')).equals(before)).toBe(false);
    expect(statSync(at('server-key.der')).mode & 0o777).toBe(0o600);
  });

  it('--san (repeated and comma-separated), --cn, --org, --key-type, --days, --purpose, --format pem, --out', async () => {
    const r = await cli(['generate', '--san', 'a.test,10.0.0.1', '--san', '[fd00::1]', '--cn', 'A Test', '--org', 'Example', '--key-type', 'ed25519', '--days', '7', '--purpose', 'both', '--format', 'pem', '--out', 'sub/a'], dir);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    expect(r.stdout).toMatch(/^wrote sub\/a-key\.pem \(private key, PKCS#8 PEM, mode 0600\)\nwrote sub\/a-cert\.pem \(certificate, PEM\)\n/);
    const info = inspectCertificate(readFileSync(at('sub/a-cert.pem'), 'utf8'));
    expect(info).toMatchObject({ subject: 'O=Example,CN=A Test', keyType: 'ed25519', dnsNames: ['a.test'], ipAddresses: ['10.0.0.1', 'fd00::1'], extendedKeyUsage: ['serverAuth', 'clientAuth'] });
    expect(Math.round((info.notAfter.getTime() - Date.now()) / 86_400_000)).toBe(7);
    expect(readFileSync(at('sub/a-key.pem'), 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----/);
  });

  it('--cert-out/--key-out choose the names; the extension picks the format when --format is absent', async () => {
    const r = await cli(['generate', '--cert-out', 'named.pem', '--key-out', 'named-key.der', '--purpose', 'client'], dir);
    expect(r.code).toBe(0);
    expect(readFileSync(at('named.pem'), 'utf8')).toMatch(/^-----BEGIN CERTIFICATE-----/);
    expect(readFileSync(at('named-key.der'))[0]).toBe(0x30);
    expect(inspectCertificate(readFileSync(at('named.pem'))).extendedKeyUsage).toEqual(['clientAuth']);
  });

  it('--purpose client defaults the prefix to client', async () => {
    const r = await cli(['generate', '--purpose', 'client'], dir);
    expect(r.code).toBe(0);
    expect(existsSync(at('client-cert.der')) && existsSync(at('client-key.der'))).toBe(true);
  });

  it('a bad SAN: exit 1, BAD_SAN, nothing written', async () => {
    failure(await cli(['generate', '--san', 'ok.test', '--san', 'not ok', '--out', 'bad'], dir), 1, /^cert-tool: BAD_SAN: "not ok" is not a valid DNS name or IP address\n$/);
    failure(await cli(['generate', '--san', '300.1.1.1', '--out', 'bad'], dir), 1, /BAD_SAN: "300.1.1.1" is not a valid IPv4 address/);
    failure(await cli(['generate', '--san', 'IP:example.test', '--out', 'bad'], dir), 1, /BAD_SAN/);
    expect(existsSync(at('bad-cert.der')) || existsSync(at('bad-key.der'))).toBe(false);
  });

  it('--key-type rsa2048 makes an RSA certificate signed with sha256WithRSAEncryption', async () => {
    const r = await cli(['generate', '--key-type', 'rsa2048', '--out', 'rsa'], dir);
    expect(r.code).toBe(0);
    const info = inspectCertificate(new Uint8Array(readFileSync(at('rsa-cert.der'))));
    expect(info).toMatchObject({ keyType: 'rsa2048', signatureAlgorithm: 'sha256WithRSAEncryption' });
    expect(new X509Certificate(readFileSync(at('rsa-cert.der'))).checkIP('::1')).toBe('::1');
  }, 20_000);
});

describe('ca create / ca issue', () => {
  beforeAll(async () => {
    expect((await cli(['ca', 'create', '--format', 'pem', '--cn', 'CLI Root', '--path-length', '1'], dir)).code).toBe(0);
  }, 20_000);

  it('ca create writes a CA certificate and a 0600 key', () => {
    const info = inspectCertificate(readFileSync(at('ca-cert.pem'), 'utf8'));
    expect(info).toMatchObject({ subject: 'CN=CLI Root', isCa: true, pathLength: 1, keyUsage: ['keyCertSign', 'cRLSign'] });
    expect(statSync(at('ca-key.pem')).mode & 0o777).toBe(0o600);
  });

  it.runIf(HAVE_OPENSSL)(
    'ca issue: the leaf verifies with openssl against the CA; a leaf of another CA does not',
    async () => {
      const r = await cli(['ca', 'issue', '--ca', 'ca-cert.pem', '--ca-key', 'ca-key.pem', '--san', 'svc.test', '--format', 'pem', '--out', 'svc'], dir);
      expect(r.code).toBe(0);
      expect(r.stdout).toMatch(/\nissuer: +CN=CLI Root\nSANs: +DNS:svc\.test\n/);
      expect(openssl(['verify', '-CAfile', at('ca-cert.pem'), at('svc-cert.pem')]).status).toBe(0);
      expect((await cli(['ca', 'create', '--format', 'pem', '--out', 'other'], dir)).code).toBe(0);
      expect((await cli(['ca', 'issue', '--ca', 'other-cert.pem', '--ca-key', 'other-key.pem', '--format', 'pem', '--out', 'stranger'], dir)).code).toBe(0);
      expect(openssl(['verify', '-CAfile', at('ca-cert.pem'), at('stranger-cert.pem')]).status).not.toBe(0);
    },
    20_000,
  );

  it('an intermediate CA with --ca, then a leaf with --chain-out: the chain file is leaf + intermediate', async () => {
    const c = await cli(['ca', 'create', '--ca', 'ca-cert.pem', '--ca-key', 'ca-key.pem', '--cn', 'CLI Intermediate', '--format', 'pem', '--out', 'int'], dir);
    expect(c.code).toBe(0);
    const i = await cli(['ca', 'issue', '--ca', 'int-cert.pem', '--ca-key', 'int-key.pem', '--san', 'deep.test', '--out', 'deep', '--chain-out', 'deep-chain.pem'], dir);
    expect(i.code).toBe(0);
    expect(i.stdout).toContain('wrote deep-chain.pem (chain of 2, PEM)\n');
    const chain = readCertificates(readFileSync(at('deep-chain.pem'), 'utf8'));
    expect(chain.map((x) => inspectCertificate(x).subject)).toEqual(['CN=deep.test', 'CN=CLI Intermediate']);
    const leafPem = readFileSync(at('deep-chain.pem'), 'utf8').split(/(?<=-----END CERTIFICATE-----\n)/)[0]!;
    writeFileSync(at('deep-leaf.pem'), leafPem);
    if (HAVE_OPENSSL) expect(openssl(['verify', '-CAfile', at('ca-cert.pem'), '-untrusted', at('int-cert.pem'), at('deep-leaf.pem')]).status).toBe(0);
  }, 20_000);

  it('errors: unreadable CA (UNREADABLE), malformed CA (MALFORMED_DER / MALFORMED_PEM), a leaf as CA (NOT_CA), a wrong key (KEY_MISMATCH)', async () => {
    writeFileSync(at('garbage.der'), Uint8Array.of(0x30, 0x82, 0x01));
    writeFileSync(at('garbage.pem'), '-----BEGIN CERTIFICATE-----\n%%%\n-----END CERTIFICATE-----\n');
    const issue = (ca: string, key: string): Promise<Result> => cli(['ca', 'issue', '--ca', ca, '--ca-key', key, '--out', 'never'], dir);
    const [missing, der, pem, badKey, notCa, mismatch] = await Promise.all([
      issue('missing.pem', 'ca-key.pem'),
      issue('garbage.der', 'ca-key.pem'),
      issue('garbage.pem', 'ca-key.pem'),
      issue('ca-cert.pem', 'garbage.der'),
      issue('server-cert.der', 'server-key.der'),
      issue('ca-cert.pem', 'server-key.der'),
    ]);
    failure(missing, 1, /^cert-tool: UNREADABLE: cannot read certificate .*missing\.pem: ENOENT\n$/);
    failure(der, 1, /^cert-tool: MALFORMED_DER: .*garbage\.der: certificate: /);
    failure(pem, 1, /^cert-tool: MALFORMED_PEM: .*garbage\.pem: PEM block "CERTIFICATE" is not valid base64\n$/);
    failure(badKey, 1, /MALFORMED_DER: .*garbage\.der/);
    failure(notCa, 1, /^cert-tool: NOT_CA: "CN=localhost" is not a CA certificate/);
    failure(mismatch, 1, /^cert-tool: KEY_MISMATCH: the private key does not belong to the CA certificate "CN=CLI Root"\n$/);
    expect(existsSync(at('never-cert.der'))).toBe(false);
  }, 20_000);
});

describe.concurrent('inspect and fingerprint', () => {
  beforeAll(async () => {
    if (!existsSync(at('server-cert.der'))) expect((await cli(['generate'], dir)).code).toBe(0);
    if (!existsSync(at('ca-cert.pem'))) expect((await cli(['ca', 'create', '--format', 'pem'], dir)).code).toBe(0);
  }, 20_000);

  it('inspect prints every field', async () => {
    const r = await cli(['inspect', 'server-cert.der'], dir);
    expect(r).toMatchObject({ code: 0, stderr: '' });
    const info = inspectCertificate(new Uint8Array(readFileSync(at('server-cert.der'))));
    const labels = r.stdout
      .trimEnd()
      .split('\n')
      .map((l) => l.split(':')[0]);
    expect(labels).toEqual([
      'subject',
      'issuer',
      'version',
      'serial',
      'not before',
      'not after',
      'key type',
      'signature',
      'CA',
      'key usage',
      'ext key usage',
      'SANs',
      'self-issued',
      'subject key id',
      'authority key id',
      'spki sha256',
      'cert sha256',
      'webtransport',
    ]);
    expect(r.stdout).toContain('version:          3\n');
    expect(r.stdout).toContain('webtransport:     not usable with serverCertificateHashes (valid for 365.0 days, more than 14)\n');
    expect(r.stdout).toContain(`serial:           ${info.serialNumber}\n`);
    expect(r.stdout).toContain('SANs:             DNS:localhost, IP:127.0.0.1, IP:::1\n');
    expect(r.stdout).toContain(`cert sha256:      ${info.sha256}\n`);
  });

  it('inspect --json, several files and a chain file', async () => {
    const r = await cli(['inspect', '--json', 'server-cert.der', 'ca-cert.pem'], dir);
    expect(r.code).toBe(0);
    const list = JSON.parse(r.stdout) as { file: string; isCa: boolean; notAfter: string; spkiSha256: string }[];
    expect(list.map((x) => [x.file, x.isCa])).toEqual([
      ['server-cert.der', false],
      ['ca-cert.pem', true],
    ]);
    expect(list[0]!.notAfter).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const text = await cli(['inspect', 'server-cert.der', 'ca-cert.pem'], dir);
    expect(text.stdout).toMatch(/^== server-cert\.der\nsubject:/);
    expect(text.stdout).toContain('\n\n== ca-cert.pem\nsubject:');
  });

  it('inspect errors: a key file (MALFORMED_PEM naming the label), random bytes (MALFORMED_DER), a missing file (UNREADABLE)', async () => {
    writeFileSync(
      at('random.bin'),
      Uint8Array.from({ length: 64 }, (_, i) => (i * 37 + 11) & 255),
    );
    writeFileSync(at('truncated.der'), readFileSync(at('server-cert.der')).subarray(0, 200));
    const [key, random, missing, truncated] = await Promise.all(['ca-key.pem', 'random.bin', 'nope.der', 'truncated.der'].map((f) => cli(['inspect', f], dir)));
    failure(key!, 1, /^cert-tool: MALFORMED_PEM: ca-key\.pem: expected a PEM block labelled "CERTIFICATE", found PRIVATE KEY\n$/);
    failure(random!, 1, /^cert-tool: MALFORMED_DER: random\.bin: /);
    failure(missing!, 1, /^cert-tool: UNREADABLE: cannot read nope\.der: ENOENT\n$/);
    failure(truncated!, 1, /^cert-tool: MALFORMED_DER: truncated\.der: certificate: element at byte 0 overruns its container\n$/);
  });

  it('fingerprint: base64 by default, --hex, the same for the certificate and its key; names files when several', async () => {
    const pin = spkiSha256(new Uint8Array(readFileSync(at('server-cert.der'))));
    const [cert, key, hex, two] = await Promise.all([
      cli(['fingerprint', 'server-cert.der'], dir),
      cli(['fingerprint', 'server-key.der'], dir),
      cli(['fingerprint', '--hex', 'server-cert.der'], dir),
      cli(['fingerprint', 'server-cert.der', 'server-key.der'], dir),
    ]);
    expect(cert).toEqual({ code: 0, stdout: `${pin}\n`, stderr: '' });
    expect(key.stdout).toBe(`${pin}\n`);
    expect(hex.stdout).toBe(`${Buffer.from(pin, 'base64').toString('hex')}\n`);
    expect(two.stdout).toBe(`${pin}  server-cert.der\n${pin}  server-key.der\n`);
  });

  it.runIf(HAVE_OPENSSL)("fingerprint equals OpenSSL's SPKI SHA-256", async () => {
    const pub = openssl(['x509', '-in', at('ca-cert.pem'), '-noout', '-pubkey']).out;
    const der = openssl(['pkey', '-pubin', '-in', tmp.file('ca-pub.pem', pub), '-outform', 'DER', '-out', at('ca-pub.der')]);
    expect(der.status).toBe(0);
    const want = (await import('node:crypto'))
      .createHash('sha256')
      .update(readFileSync(at('ca-pub.der')))
      .digest('base64');
    expect((await cli(['fingerprint', 'ca-cert.pem'], dir)).stdout).toBe(`${want}\n`);
    expect((await cli(['fingerprint', 'ca-pub.der'], dir)).stdout).toBe(`${want}\n`);
  });

  it('fingerprint errors: malformed and unreadable files', async () => {
    writeFileSync(at('empty.pem'), '');
    failure(await cli(['fingerprint', 'empty.pem'], dir), 1, /^cert-tool: MALFORMED_DER: empty\.pem: DER: empty input\n$/);
    writeFileSync(at('text.txt'), 'hello world');
    failure(await cli(['fingerprint', 'text.txt'], dir), 1, /^cert-tool: MALFORMED_DER: text\.txt: /);
    failure(await cli(['fingerprint', 'server-cert.der', 'missing.der'], dir), 1, /^cert-tool: UNREADABLE: cannot read missing\.der: ENOENT\n$/);
  });
});
