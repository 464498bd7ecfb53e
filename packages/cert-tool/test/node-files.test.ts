/**
 * The Node file helpers: generateIfMissing's trust-on-first-use contract (create once with a 0600 key,
 * reuse, never overwrite, fail clearly on a half-present pair), DER/PEM by extension or option,
 * and the files working as-is with @tsquic/tls13-handshake (DER certificate, PKCS#8 DER key) and a
 * client that pins the server's SPKI fingerprint.
 */
import { chmodSync, existsSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { createClient, createServer, type HandshakeCrypto, type HandshakeEvent, nobleCrypto } from '@tsquic/tls13-handshake';
import { nodeCrypto } from '@tsquic/tls13-handshake/node';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createCa, generateSelfSigned, inspectCertificate, type KeyType, spkiSha256 } from '../src/index.js';
import { formatForPath, generateIfMissing, readCertificateAuthority, readCertificateChainFile, readCertificateFile, readPrivateKeyFile, writeCertificateFile, writePrivateKeyFile } from '../src/node/index.js';
import { codeOf, tempDir } from './helpers.js';

let tmp: ReturnType<typeof tempDir>;
beforeEach(() => {
  tmp = tempDir();
});
afterEach(() => tmp.cleanup());

const mode = (p: string): number => statSync(p).mode & 0o777;

describe('generateIfMissing', () => {
  it('first start creates data/server-cert.der and data/server-key.der (PKCS#8 DER, 0600); later starts reuse them', async () => {
    const cert = join(tmp.dir, 'data', 'server-cert.der');
    const key = join(tmp.dir, 'data', 'server-key.der');
    const first = await generateIfMissing(cert, key);
    expect(first.created).toBe(true);
    expect(mode(key)).toBe(0o600);
    expect(mode(cert)).toBe(0o644);
    expect(Buffer.from(readFileSync(cert)).equals(Buffer.from(first.certificate))).toBe(true);
    expect(Buffer.from(readFileSync(key)).equals(Buffer.from(first.privateKey))).toBe(true);
    expect(readFileSync(key)[0]).toBe(0x30); // DER, not PEM
    const info = inspectCertificate(first.certificate);
    expect(info).toMatchObject({ dnsNames: ['localhost'], ipAddresses: ['127.0.0.1', '::1'], keyType: 'p256' });
    expect(first.spkiSha256).toBe(info.spkiSha256);

    const second = await generateIfMissing(cert, key);
    expect(second.created).toBe(false);
    expect(Buffer.from(second.certificate).equals(Buffer.from(first.certificate))).toBe(true);
    expect(Buffer.from(second.privateKey).equals(Buffer.from(first.privateKey))).toBe(true);
    expect(second.spkiSha256).toBe(first.spkiSha256);
    expect(second.notAfter.getTime()).toBe(info.notAfter.getTime());
  });

  it('passes options through on creation (SANs, key type, purpose)', async () => {
    const r = await generateIfMissing(tmp.file('c.der'), tmp.file('k.der'), { sans: ['chat.test', '::1'], keyType: 'ed25519', purpose: 'both' });
    expect(inspectCertificate(r.certificate)).toMatchObject({ dnsNames: ['chat.test'], ipAddresses: ['::1'], keyType: 'ed25519', extendedKeyUsage: ['serverAuth', 'clientAuth'] });
  });

  it('.pem paths get PEM files; the format option overrides the extension', async () => {
    await generateIfMissing(tmp.file('c.pem'), tmp.file('k.pem'));
    expect(readFileSync(tmp.file('c.pem'), 'utf8')).toMatch(/^-----BEGIN CERTIFICATE-----\n/);
    expect(readFileSync(tmp.file('k.pem'), 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    await generateIfMissing(tmp.file('c.crt'), tmp.file('k.key'), { format: 'pem' });
    expect(readFileSync(tmp.file('k.key'), 'utf8')).toMatch(/^-----BEGIN PRIVATE KEY-----\n/);
    await generateIfMissing(tmp.file('c2.pem'), tmp.file('k2.pem'), { format: 'der' });
    expect(readFileSync(tmp.file('c2.pem'))[0]).toBe(0x30);
    // Reading detects the content, whatever the extension says.
    expect((await generateIfMissing(tmp.file('c2.pem'), tmp.file('k2.pem'))).created).toBe(false);
  });

  it('the key exists without the certificate: KEY_WITHOUT_CERT, and the key is left untouched', async () => {
    const key = tmp.file('k.der', Uint8Array.of(1, 2, 3));
    expect(await codeOf(generateIfMissing(tmp.file('c.der'), key))).toBe('KEY_WITHOUT_CERT');
    expect(Array.from(readFileSync(key))).toEqual([1, 2, 3]);
    expect(existsSync(tmp.file('c.der'))).toBe(false);
  });

  it('the certificate exists without the key: CERT_WITHOUT_KEY, nothing written', async () => {
    const made = await generateSelfSigned();
    const cert = tmp.file('c.der', made.certificate);
    expect(await codeOf(generateIfMissing(cert, tmp.file('k.der')))).toBe('CERT_WITHOUT_KEY');
    expect(existsSync(tmp.file('k.der'))).toBe(false);
  });

  it("a key that is not the certificate's: KEY_MISMATCH", async () => {
    const [a, b] = await Promise.all([generateSelfSigned(), generateSelfSigned()]);
    expect(await codeOf(generateIfMissing(tmp.file('c.der', a.certificate), tmp.file('k.der', b.privateKey)))).toBe('KEY_MISMATCH');
  });

  it('malformed existing files: MALFORMED_DER / MALFORMED_PEM naming the file', async () => {
    const made = await generateSelfSigned();
    const cert = tmp.file('c.der', made.certificate.subarray(0, 100));
    const err = await generateIfMissing(cert, tmp.file('k.der', made.privateKey)).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'MALFORMED_DER' });
    expect((err as Error).message).toContain(cert);
    expect(await codeOf(generateIfMissing(tmp.file('c.pem', '-----BEGIN CERTIFICATE-----\n'), tmp.file('k.pem', 'x')))).toBe('MALFORMED_PEM');
  });

  it('the certificate cannot be written: UNWRITABLE, and the key this call wrote is removed again', async () => {
    tmp.file('file', 'x'); // a regular file where a directory would have to be
    const key = join(tmp.dir, 'k.der');
    expect(await codeOf(generateIfMissing(join(tmp.dir, 'file', 'c.der'), key))).toBe('UNWRITABLE');
    expect(existsSync(key)).toBe(false);
    expect(await codeOf(generateIfMissing(join(tmp.dir, 'c.der'), join(tmp.dir, 'file', 'k.der')))).toBe('UNWRITABLE');
    expect(existsSync(join(tmp.dir, 'c.der'))).toBe(false);
  });

  it('caller mistakes: the same path twice is a RangeError', async () => {
    await expect(generateIfMissing(tmp.file('x'), tmp.file('x'))).rejects.toThrow(RangeError);
    await expect(generateIfMissing(1 as never, tmp.file('x'))).rejects.toThrow(TypeError);
  });
});

describe('file helpers', () => {
  it('formatForPath: .pem → pem, everything else → der', () => {
    expect(['a.pem', 'A.PEM', 'a.der', 'a.crt', 'a.key', 'a'].map(formatForPath)).toEqual(['pem', 'pem', 'der', 'der', 'der', 'der']);
  });

  it('writes refuse to overwrite (EXISTS) unless asked; overwriting a key resets its mode to 0600', async () => {
    const made = await generateSelfSigned();
    const key = tmp.file('k.der', 'old');
    chmodSync(key, 0o644);
    expect(await codeOf(writePrivateKeyFile(key, made.privateKey))).toBe('EXISTS');
    expect(readFileSync(key, 'utf8')).toBe('old');
    await writePrivateKeyFile(key, made.privateKey, { overwrite: true });
    expect(mode(key)).toBe(0o600);
    expect(await readPrivateKeyFile(key)).toEqual(made.privateKey);
  });

  it('chains: PEM holds several certificates, DER only one (UNWRITABLE)', async () => {
    const root = await createCa();
    const int = await createCa({ issuer: root });
    await writeCertificateFile(tmp.file('chain.pem'), [int.certificate, root.certificate]);
    expect(await readCertificateChainFile(tmp.file('chain.pem'))).toEqual([int.certificate, root.certificate]);
    expect(await readCertificateFile(tmp.file('chain.pem'))).toEqual(int.certificate);
    expect(await codeOf(writeCertificateFile(tmp.file('chain.der'), [int.certificate, root.certificate]))).toBe('UNWRITABLE');
    await writePrivateKeyFile(tmp.file('int-key.pem'), int.privateKey);
    const ca = await readCertificateAuthority(tmp.file('chain.pem'), tmp.file('int-key.pem'));
    expect(ca.chain).toEqual([int.certificate, root.certificate]);
  });

  it('missing and unreadable inputs: UNREADABLE naming the path', async () => {
    const missing = tmp.file('nope.der');
    const err = await readCertificateFile(missing).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 'UNREADABLE' });
    expect((err as Error).message).toContain(missing);
    expect(await codeOf(readPrivateKeyFile(tmp.dir))).toBe('UNREADABLE'); // a directory
  });

  it('a PEM key file is read as PKCS#8 DER', async () => {
    const made = await generateSelfSigned({ keyType: 'p384' });
    await writePrivateKeyFile(tmp.file('k.pem'), made.privateKey);
    expect(await readPrivateKeyFile(tmp.file('k.pem'))).toEqual(made.privateKey);
    writeFileSync(tmp.file('k2.pem'), `junk before\n${readFileSync(tmp.file('k.pem'), 'utf8')}junk after\n`);
    expect(await readPrivateKeyFile(tmp.file('k2.pem'))).toEqual(made.privateKey);
  });
});

/** One in-process tls13-handshake (QUIC profile) with the server's files; the client pins the SPKI fingerprint. */
function pinnedHandshake(crypto: HandshakeCrypto, cert: Uint8Array, key: Uint8Array, pin: string): { ok: boolean; events: HandshakeEvent[] } {
  const client = createClient({ profile: { kind: 'quic', transportParams: Uint8Array.of(1) }, alpn: ['chat'], verify: 'event', serverName: 'localhost', crypto });
  const server = createServer({ profile: { kind: 'quic', transportParams: Uint8Array.of(2) }, alpn: ['chat'], crypto });
  const events: HandshakeEvent[] = [];
  server.start(0);
  let toServer = client.start(0);
  for (let round = 0; round < 10 && toServer.length > 0; round++) {
    const toClient: HandshakeEvent[] = [];
    for (const e of toServer) {
      if (e.type !== 'handshake-data') continue;
      for (const s of server.receive(e.level, e.bytes, 0)) {
        toClient.push(s);
        if (s.type === 'client-hello') toClient.push(...server.accept({ certificateChain: [cert], privateKey: key, alpn: 'chat' }));
      }
    }
    toServer = [];
    for (const e of toClient) {
      if (e.type !== 'handshake-data') continue;
      for (const c of client.receive(e.level, e.bytes, 0)) {
        events.push(c);
        if (c.type === 'verify-peer') {
          // Trust on first use: the certificate is accepted when its key is the pinned one.
          const verdict = spkiSha256(c.chain[0]!) === pin ? ({ ok: true } as const) : ({ ok: false, alert: 42 } as const);
          const more = client.resume(verdict);
          events.push(...more);
          toServer.push(...more);
        } else toServer.push(c);
      }
    }
  }
  return { ok: client.state === 'complete' && server.state === 'complete', events };
}

describe('@tsquic/tls13-handshake uses the files as they are', () => {
  const PROVIDERS: Record<string, HandshakeCrypto> = { noble: nobleCrypto, node: nodeCrypto };
  const cases: [KeyType, string][] = [
    ['p256', 'noble'],
    ['p384', 'noble'],
    ['ed25519', 'noble'],
    ['p256', 'node'],
    ['ed25519', 'node'],
    ['rsa2048', 'node'], // the noble provider verifies RSA but does not sign with it
  ];
  it.each(cases)('%s key, %s provider: handshake completes with the pinned key, fails with another pin', async (keyType, providerName) => {
    const crypto = PROVIDERS[providerName]!;
    const files = await generateIfMissing(tmp.file('server-cert.der'), tmp.file('server-key.der'), { keyType });
    const cert = new Uint8Array(readFileSync(tmp.file('server-cert.der')));
    const key = new Uint8Array(readFileSync(tmp.file('server-key.der')));
    const good = pinnedHandshake(crypto, cert, key, files.spkiSha256);
    expect(good.ok).toBe(true);
    expect(good.events.find((e) => e.type === 'complete')).toMatchObject({ alpn: 'chat', peerCertificates: [cert] });
    const other = (await generateSelfSigned()).certificate;
    const bad = pinnedHandshake(crypto, cert, key, spkiSha256(other));
    expect(bad.ok).toBe(false);
    expect(bad.events.find((e) => e.type === 'alert')).toMatchObject({ description: 42 });
  });
});
