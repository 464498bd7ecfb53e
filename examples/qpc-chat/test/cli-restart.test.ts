/**
 * The bins over real loopback QUIC: `qpc-server` started with its defaults in
 * a temporary directory (only the address moved to 127.0.0.1:0), `qpc`
 * clients in scripted and interactive modes.
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateSelfSigned } from '@tsquic/cert-tool';
import { afterEach, describe, expect, test } from 'vitest';
import { cleanUp, qpc, run, server, tempDir } from './harness.js';

afterEach(cleanUp);

describe('qpc-server and qpc over loopback QUIC: restarts, trust, configuration', () => {
  test('a server restart keeps the history and the certificate (also after SIGKILL)', async () => {
    const dir = await tempDir();
    const first = await server(dir);
    for (const text of ['one', 'two', 'three']) expect((await qpc(['send', '--nick', 'ann', text], { cwd: dir, env: first.env })).code).toBe(0);
    expect(await first.proc.stop('SIGTERM')).toBe(0);
    const cert = await readFile(join(dir, 'data/server-cert.der'));

    const second = await server(dir);
    expect(second.proc.stdout).toContain('using the certificate data/server-cert.der');
    expect(second.proc.stdout).toContain('3 messages in 1 rooms');
    expect((await readFile(join(dir, 'data/server-cert.der'))).equals(cert)).toBe(true);
    const h = await qpc(['history', '--room', 'lobby'], { cwd: dir, env: second.env });
    expect(h).toMatchObject({ code: 0, stdout: '[lobby] ann: one\n[lobby] ann: two\n[lobby] ann: three\n' });
    // An acknowledged message is on disk: killing the server at once loses nothing.
    expect((await qpc(['send', '--nick', 'ann', 'four'], { cwd: dir, env: second.env })).code).toBe(0);
    await second.proc.stop('SIGKILL');

    const third = await server(dir);
    const h3 = await qpc(['history', '--room', 'lobby', '--limit', '2'], { cwd: dir, env: third.env });
    expect(h3.stdout).toBe('[lobby] ann: three\n[lobby] ann: four\n');
  });

  test('a client with the wrong CA certificate or the wrong server name is refused with a clear message', async () => {
    const dir = await tempDir();
    const { env } = await server(dir);
    const other = await generateSelfSigned({ sans: ['localhost', '127.0.0.1', '::1'] });
    await writeFile(join(dir, 'other-cert.der'), other.certificate);

    const wrongCa = await qpc(['history', '--ca-cert', 'other-cert.der'], { cwd: dir, env });
    expect(wrongCa.code).toBe(1);
    expect(wrongCa.stderr).toMatch(new RegExp(`^qpc: refused the server ${env['QPC_SERVER']}: its certificate is not trusted by --ca-cert other-cert\\.der \\(.+\\)\n$`));

    const wrongName = await qpc(['history'], { cwd: dir, env: { ...env, QPC_SERVER_NAME: 'chat.example.com' } });
    expect(wrongName.code).toBe(1);
    expect(wrongName.stderr).toBe(`qpc: refused the server ${env['QPC_SERVER']}: its certificate is not valid for the name 'chat.example.com' (--server-name)\n`);

    const noCa = await qpc(['history', '--ca-cert', 'missing.der'], { cwd: dir, env });
    expect(noCa.code).toBe(1);
    expect(noCa.stderr).toMatch(/^qpc: cannot read the CA certificate missing\.der: ENOENT/);

    // The right name by IP SAN works.
    expect((await qpc(['history', '--server-name', '127.0.0.1'], { cwd: dir, env })).code).toBe(0);
  });

  test('flags beat environment variables: certificate, key and data directory elsewhere', async () => {
    const dir = await tempDir();
    const { env } = await server(dir, ['--tls-cert', 'tls/c.der', '--tls-key', 'tls/k.der', '--data-dir', 'store']);
    await stat(join(dir, 'tls/c.der'));
    await stat(join(dir, 'store/messages.jsonl'));
    const sent = await qpc(['send', '--nick', 'ann', '--room', 'r1', '--ca-cert', 'tls/c.der', 'hi'], { cwd: dir, env: { ...env, QPC_CA_CERT: 'nope.der' } });
    expect(sent.code).toBe(0);
    const bad = await qpc(['history', '--server', 'nonsense'], { cwd: dir, env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--server must be host:port or [ipv6]:port, got 'nonsense'");
  });
});
