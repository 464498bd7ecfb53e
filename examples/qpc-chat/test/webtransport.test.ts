/**
 * qpc-server's WebTransport side, in-process over loopback: the same UDP port
 * takes qpc (QUIC) and HTTP/3 (WebTransport) connections, a WebTransport
 * session is a chat client like a QUIC connection (rpc-framing unchanged over
 * it), pages from other origins and other paths are refused, and the
 * certificate is one browsers take (14 days), re-issued for the same key so
 * that qpc clients holding the older file still trust it.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { generateSelfSigned, inspectCertificate, webTransportCertificateProblems } from '@tsquic/cert-tool';
import { writeCertificateFile, writePrivateKeyFile } from '@tsquic/cert-tool/node';
import { createClient as createRpcClient, RpcClient } from '@tsquic/rpc-framing';
import { WebTransport } from '@tsquic/webtransport/node';
import { afterEach, describe, expect, test } from 'vitest';
import { connect, type ChatConnection } from '../src/client.js';
import { serverConfig } from '../src/config.js';
import { Chat } from '../src/protocol.js';
import { startServer, WEBTRANSPORT_INFO_FILE, type RunningServer } from '../src/server.js';
import { cleanUp, tempDir } from './harness.js';

const ORIGIN = 'http://127.0.0.1:4173';
let srv: RunningServer | undefined;
const closers: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of closers.splice(0)) await c().catch(() => undefined);
  await srv?.close();
  srv = undefined;
  await cleanUp();
});

async function setUp(dir?: string): Promise<{ dir: string; quic(): Promise<ChatConnection>; web(origin?: string, path?: string): WebTransport }> {
  const d = dir ?? (await tempDir());
  srv = await startServer(serverConfig({ listen: '127.0.0.1:0', tlsCert: join(d, 'c.der'), tlsKey: join(d, 'k.der'), dataDir: join(d, 'data'), webOrigins: [ORIGIN] }, {}));
  const info = srv.webTransport!;
  return {
    dir: d,
    async quic() {
      const c = await connect({ server: `127.0.0.1:${srv!.address.port}`, serverName: 'localhost', caCert: join(d, 'c.der'), dataDir: join(d, 'quic-client') });
      closers.push(() => c.close());
      return c;
    },
    web(origin = ORIGIN, path = '/qpc') {
      const hash = { algorithm: 'sha-256', value: Buffer.from(info.certificateHash, 'hex') };
      const wt = new WebTransport(info.url.replace('/qpc', path), { serverCertificateHashes: [hash], origin });
      closers.push(async () => {
        wt.close();
        await wt.closed.catch(() => undefined);
      });
      return wt;
    },
  };
}

describe('qpc-server over WebTransport', () => {
  test('a page-like WebTransport client and a QUIC client chat in one room on one port', async () => {
    const env = await setUp();
    expect(srv!.webTransport!.url).toBe(`https://127.0.0.1:${srv!.address.port}/qpc`);
    expect(JSON.parse(await readFile(join(env.dir, 'data', WEBTRANSPORT_INFO_FILE), 'utf8'))).toEqual(srv!.webTransport);
    const wt = env.web();
    await wt.ready;
    const web = createRpcClient(Chat, new RpcClient(wt));
    await web.register({ nick: 'page', token: new Uint8Array(16).fill(1) });
    await web.join({ room: 'lobby' });
    const webWatch = web.watch({ room: 'lobby' });
    await webWatch.response;

    const cli = await env.quic();
    await cli.register('cli');
    await cli.chat.join({ room: 'lobby' });
    const cliWatch = cli.chat.watch({ room: 'lobby' });
    await cliWatch.response;

    await web.send({ room: 'lobby', text: 'from the page' });
    await cli.send('lobby', 'from the CLI');
    const seen = async (sub: AsyncIterable<{ text: string }>): Promise<string[]> => {
      const texts: string[] = [];
      for await (const m of sub) if (texts.push(m.text) === 2) break;
      return texts;
    };
    expect(await seen(webWatch)).toEqual(['from the page', 'from the CLI']);
    expect(await seen(cliWatch)).toEqual(['from the page', 'from the CLI']);
    expect((await web.members({ room: 'lobby' })).members).toEqual(['cli', 'page']);
    expect((await cli.chat.history({ room: 'lobby' })).messages.map((m) => `${m.nick}: ${m.text}`)).toEqual(['page: from the page', 'cli: from the CLI']);
  });

  test('refuses pages from other origins (403) and other paths (404); the session ends with the page', async () => {
    const env = await setUp();
    await expect(env.web('https://evil.example').ready).rejects.toMatchObject({ message: 'the server refused the session with status 403' });
    await expect(env.web(ORIGIN, '/other').ready).rejects.toMatchObject({ message: 'the server refused the session with status 404' });
    const wt = env.web();
    await wt.ready;
    const web = createRpcClient(Chat, new RpcClient(wt));
    await web.register({ nick: 'leaving' });
    expect(srv!.connectionCount).toBe(1);
    wt.close({ closeCode: 0, reason: 'page closed' });
    await wt.closed;
    for (let i = 0; i < 100 && srv!.connectionCount > 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(srv!.connectionCount).toBe(0);
    // Its nickname is free again at once.
    const again = await env.quic();
    await expect(again.register('leaving')).resolves.toMatchObject({ nick: 'leaving' });
  });

  test('re-issues a certificate browsers would refuse for the same key; qpc clients with the old file still connect', async () => {
    const dir = await tempDir();
    const old = await generateSelfSigned({ sans: ['localhost', '127.0.0.1', '::1'] }); // 365 days: no good for browsers
    await writePrivateKeyFile(join(dir, 'k.der'), old.privateKey);
    await writeCertificateFile(join(dir, 'c.der'), old.certificate);
    await writeCertificateFile(join(dir, 'old-copy.der'), old.certificate);
    const env = await setUp(dir);
    const now = new Date();
    const current = new Uint8Array(await readFile(join(dir, 'c.der')));
    expect(webTransportCertificateProblems(current, now)).toEqual([]);
    expect(inspectCertificate(current).spkiSha256).toBe(inspectCertificate(old.certificate).spkiSha256);
    // A client that trusted the old file (same name, same key) trusts the re-issued certificate.
    const c = await connect({ server: `127.0.0.1:${srv!.address.port}`, serverName: 'localhost', caCert: join(dir, 'old-copy.der') });
    closers.push(() => c.close());
    await expect(c.chat.history({ room: 'lobby' })).resolves.toMatchObject({ messages: [] });
    await env.web().ready;
  });
});
