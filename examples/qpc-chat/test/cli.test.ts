/**
 * The bins over real loopback QUIC: `qpc-server` started with its defaults in
 * a temporary directory (only the address moved to 127.0.0.1:0), `qpc`
 * clients in scripted and interactive modes.
 */
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { inspectCertificate } from '@tsquic/cert-tool';
import { afterEach, describe, expect, test } from 'vitest';
import { cleanUp, qpc, run, server, tempDir } from './harness.js';

afterEach(cleanUp);

describe('qpc-server and qpc over loopback QUIC', () => {
  test('first start: a self-signed DER certificate for localhost, 127.0.0.1, ::1 and a 0600 key in data/', async () => {
    const dir = await tempDir();
    const { proc } = await server(dir);
    expect(proc.stdout).toContain('generated a self-signed certificate for localhost, 127.0.0.1, ::1: data/server-cert.der (key data/server-key.der)');
    const cert = new Uint8Array(await readFile(join(dir, 'data/server-cert.der')));
    expect(cert[0]).toBe(0x30); // DER SEQUENCE, not PEM
    const info = inspectCertificate(cert);
    expect(info.dnsNames).toEqual(['localhost']);
    expect(info.ipAddresses).toEqual(['127.0.0.1', '::1']);
    expect((await stat(join(dir, 'data/server-key.der'))).mode & 0o777).toBe(0o600);
    expect(await readFile(join(dir, 'data/messages.jsonl'), 'utf8')).toBe('');
  });

  test('two clients in one room: one sends, the other receives the push', async () => {
    const dir = await tempDir();
    const { env } = await server(dir);
    const watcher = run('qpc', ['watch', '--nick', 'bob', '--room', 'lobby', '--count', '2'], { cwd: dir, env });
    await watcher.waitFor(/watching lobby as bob/);
    const sent = await qpc(['send', '--nick', 'ann', '--room', 'lobby', 'hello', 'bob'], { cwd: dir, env });
    expect(sent).toMatchObject({ code: 0, stdout: 'sent #1 to lobby\n' });
    await watcher.waitFor(/\[lobby\] ann: hello bob/);
    // A message to another room is not pushed to bob.
    expect((await qpc(['send', '--nick', 'ann', '--room', 'other', 'not for bob'], { cwd: dir, env })).code).toBe(0);
    expect((await qpc(['send', '--nick', 'cy', '--room', 'lobby', 'second'], { cwd: dir, env })).code).toBe(0);
    expect(await watcher.exited).toBe(0);
    expect(watcher.stdout).toBe('[lobby] ann: hello bob\n[lobby] cy: second\n');
  });

  test('interactive mode: nick, join, send, members, history, and a push from another client', async () => {
    const dir = await tempDir();
    const { env } = await server(dir);
    await qpc(['send', '--nick', 'ann', 'before'], { cwd: dir, env });
    const session = run('qpc', [], { cwd: dir, env, input: null });
    // Commands one by one, each after the answer to the previous one.
    const say = (line: string): void => void session.child.stdin!.write(`${line}\n`);
    await session.waitFor(/connected; \/help for commands/);
    say('/nick carl');
    await session.waitFor(/you are carl/);
    say('/join lobby');
    await session.waitFor(/joined lobby; members: carl/);
    say('hi all');
    await session.waitFor(/\[lobby\] carl: hi all/);
    expect((await qpc(['send', '--nick', 'ann', 'welcome carl'], { cwd: dir, env })).code).toBe(0);
    await session.waitFor(/\[lobby\] ann: welcome carl/);
    say('/members');
    await session.waitFor(/lobby: carl/);
    say('/history 3');
    await session.waitFor(/lobby: carl\n(qpc> )*\[lobby\] ann: before\n(qpc> )*\[lobby\] carl: hi all\n(qpc> )*\[lobby\] ann: welcome carl\n/);
    say('/nick other');
    await session.waitFor(/error: FAILED_PRECONDITION: this connection is already registered as carl/);
    say('/quit');
    expect(await session.exited).toBe(0);
  });

  test('a returning qpc resumes from the ticket in its data directory and sends its first call in 0-RTT', async () => {
    const dir = await tempDir();
    const { env } = await server(dir);
    expect(await qpc(['send', '--nick', 'ann', 'kept'], { cwd: dir, env })).toMatchObject({ code: 0, stdout: 'sent #1 to lobby\n' });
    const state = JSON.parse(await readFile(join(dir, 'data/qpc-client.json'), 'utf8')) as Record<string, { ticket?: object; owner: string }>;
    expect(Object.values(state)).toEqual([expect.objectContaining({ ticket: expect.any(Object), owner: expect.any(String) })]);
    expect((await stat(join(dir, 'data/qpc-client.json'))).mode & 0o777).toBe(0o600);
    for (const args of [['history'], ['send', '--nick', 'ann', 'again'], ['members']]) {
      const r = await qpc(['-v', ...args], { cwd: dir, env });
      expect(r.code).toBe(0);
      expect(r.stderr).toBe(`qpc: connected to ${env.QPC_SERVER}: resumed, 0-RTT accepted\n`);
    }
    const fresh = await qpc(['-v', '--data-dir', 'elsewhere', 'history'], { cwd: dir, env });
    expect(fresh).toMatchObject({ code: 0, stdout: '[lobby] ann: kept\n[lobby] ann: again\n', stderr: `qpc: connected to ${env.QPC_SERVER}: full handshake\n` });
  });
});
