/**
 * End to end in headless Chromium: the built page opens a WebSocket to the
 * relay and runs TLS 1.3 in the page against real servers on 127.0.0.1
 * (node:https, openssl s_server -www), trusting only the CA in its
 * configuration. Every byte the relay carries is recorded, and no plaintext
 * of the exchange may appear in it.
 */
import { existsSync, mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { build } from 'vite';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startProxy, type Proxy, type RelayDirection } from '../src/node/proxy.js';
import { startStaticServer, type StaticServer } from '../src/node/static-server.js';
import { makeTestPki, type TestPki } from '../src/node/test-pki.js';
import { CHROMIUM, CHROMIUM_FLAGS, hasChromium, startChromium, type RunningChromium } from '@tsquic/test-support/chromium';
import { startNodeHttps, startOpensslServer, type NodeHttpsServer, type OpensslServer } from './servers.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const pageDir = fileURLToPath(new URL('../dist/page/', import.meta.url));
const results = fileURLToPath(new URL('../test-results/', import.meta.url));

/** A relay with a tape of everything it forwarded. */
interface TapedProxy {
  proxy: Proxy;
  tape: Record<RelayDirection, Buffer[]>;
  /** Both directions as one latin1 string (byte-for-byte searchable). */
  all(): string;
}

async function tapedProxy(port: number): Promise<TapedProxy> {
  const tape: TapedProxy['tape'] = { 'to-target': [], 'to-client': [] };
  const proxy = await startProxy({ target: { host: '127.0.0.1', port }, onRelay: (dir, bytes) => tape[dir].push(Buffer.from(bytes)) });
  return { proxy, tape, all: () => Buffer.concat([...tape['to-target'], ...tape['to-client']]).toString('latin1') };
}

/** TLS record content types of a recorded direction (RFC 8446 §5.1), walking the record headers. */
function recordTypes(chunks: Buffer[]): number[] {
  const b = Buffer.concat(chunks);
  const types: number[] = [];
  for (let off = 0; off + 5 <= b.length; off += 5 + b.readUInt16BE(off + 3)) types.push(b[off]!);
  return types;
}

let pki: TestPki;
let chrome: RunningChromium;
let context: BrowserContext;
let site: StaticServer;
let nodeServer: NodeHttpsServer;
let opensslServer: OpensslServer;
let impostor: NodeHttpsServer;
let viaNode: TapedProxy;
let viaOpenssl: TapedProxy;
let viaImpostor: TapedProxy;
const cleanups: Array<() => Promise<unknown> | unknown> = [];

beforeAll(async () => {
  if (!hasChromium()) throw new Error(`Chromium not found at ${CHROMIUM} (Debian package "chromium"; .ci/run installs it)`);
  // turbo builds before testing; a bare `vitest run` builds the page here.
  if (!existsSync(`${pageDir}index.html`)) await build({ root, logLevel: 'warn' });
  mkdirSync(results, { recursive: true });
  pki = makeTestPki();
  cleanups.push(() => pki.remove());
  nodeServer = await startNodeHttps(pki.server);
  cleanups.push(() => nodeServer.close());
  opensslServer = await startOpensslServer(pki.serverRsa);
  cleanups.push(() => opensslServer.stop());
  impostor = await startNodeHttps(pki.untrusted);
  cleanups.push(() => impostor.close());
  viaNode = await tapedProxy(nodeServer.port);
  viaOpenssl = await tapedProxy(opensslServer.port);
  viaImpostor = await tapedProxy(impostor.port);
  for (const t of [viaNode, viaOpenssl, viaImpostor]) cleanups.push(() => t.proxy.close());
  const config = (t: TapedProxy): object => ({ proxy: t.proxy.url, serverName: 'localhost', path: '/hello', ca: pki.ca.cert });
  site = await startStaticServer({ root: pageDir, json: { '/configs/node.json': config(viaNode), '/configs/impostor.json': config(viaImpostor) } });
  cleanups.push(() => site.close());
  chrome = await startChromium({ viewport: { width: 1100, height: 720 } });
  cleanups.push(async () => {
    const left = await chrome.stop();
    if (left.length > 0) throw new Error(`Chromium processes outlived the test (killed): ${left.join(', ')}`);
  });
  context = chrome.context;
  context.setDefaultTimeout(20_000);
}, 60_000);

afterAll(async () => {
  for (const c of cleanups.reverse()) await c();
}, 30_000);

/** Load the page and wait until it reports `ok` or `error`. */
async function load(query: string): Promise<{ page: Page; state: string; text: (id: string) => Promise<string> }> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${site.url}?${query}`);
  await page.waitForSelector('body:not([data-state="loading"])', { timeout: 20_000 });
  expect(errors).toEqual([]);
  const state = (await page.getAttribute('body', 'data-state')) ?? '';
  return { page, state, text: async (id) => (await page.locator(`#${id}`).textContent()) ?? '' };
}

describe('TLS 1.3 in the page, over the WebSocket relay', () => {
  it("is Debian's Chromium, headless, with the CI flags and a fresh profile", async () => {
    const page = await context.newPage();
    await page.goto('chrome://version');
    const commandLine = ((await page.locator('#command_line').textContent()) ?? '').trim().split(/\s+/);
    await page.close();
    // /usr/bin/chromium is Debian's wrapper script; it execs the browser binary.
    if (CHROMIUM === '/usr/bin/chromium') expect(commandLine[0]).toBe('/usr/lib/chromium/chromium');
    for (const flag of CHROMIUM_FLAGS) expect(commandLine).toContain(flag);
    expect(commandLine).toContain(`--user-data-dir=${chrome.profile}`);
  });

  it('node:https — handshake, verified certificate, GET; the body, suite and subject are shown', async () => {
    const { page, state, text } = await load('config=configs/node.json');
    expect(state, await text('error')).toBe('ok');
    expect(nodeServer.requests).toHaveLength(1);
    const seen = nodeServer.requests[0]!;
    expect(seen).toMatchObject({ path: '/hello', host: 'localhost' });
    const body = await text('body');
    expect(body).toBe(`Hello from node:https over TLS 1.3 (${seen.cipher}); secret ${nodeServer.nonce}\n`);
    expect(await text('cipher-suite')).toBe(seen.cipher);
    expect(await text('subject')).toBe('CN=localhost, O=tsquic');
    // defaultCrypto() in a browser: @noble, no node:crypto.
    expect(await text('crypto-provider')).toBe('noble');
    expect(await text('http-status')).toBe('200 OK');
    await page.screenshot({ path: `${results}success.png`, fullPage: true });
    await page.close();

    // The relay carried TLS records only: a ClientHello first, application_data (23) after the handshake,
    // and none of the request or response in clear.
    const tape = viaNode.all();
    // The search is not vacuous: the server name in the ClientHello's SNI (RFC 6066 §3) is in clear.
    expect(tape).toContain('localhost');
    expect(tape).not.toContain(body);
    expect(tape).not.toContain(nodeServer.nonce);
    expect(tape).not.toContain('Hello from node:https');
    expect(tape).not.toContain('GET /hello');
    expect(tape).not.toContain('Host: localhost');
    expect(recordTypes(viaNode.tape['to-target'])[0]).toBe(22);
    expect(recordTypes(viaNode.tape['to-client'])[0]).toBe(22);
    expect(recordTypes(viaNode.tape['to-client'])).toContain(23);
  });

  it('openssl s_server -www (RSA certificate) — configured by query string; its status page is shown', async () => {
    const query = new URLSearchParams({ proxy: viaOpenssl.proxy.url, serverName: 'localhost', path: '/', ca: pki.ca.cert });
    const { page, state, text } = await load(query.toString());
    expect(state, await text('error')).toBe('ok');
    const body = await text('body');
    const suite = await text('cipher-suite');
    expect(suite).toMatch(/^TLS_(AES_128_GCM_SHA256|AES_256_GCM_SHA384|CHACHA20_POLY1305_SHA256)$/);
    // s_server reports the session it negotiated with the page.
    expect(body).toContain(`New, TLSv1.3, Cipher is ${suite}`);
    expect(await text('subject')).toBe('CN=localhost, OU=openssl s_server, O=tsquic');
    expect(await text('http-status')).toBe('200 ok');
    await page.close();

    const sessionId = /Session-ID: ([0-9A-F]{64})/.exec(body)?.[1];
    expect(sessionId).toBeDefined();
    const tape = viaOpenssl.all();
    expect(tape).toContain('localhost');
    expect(tape).not.toContain(body);
    // Not a line of the status page either (each long enough not to occur by chance).
    const lines = body
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l.length >= 16);
    expect(lines.length).toBeGreaterThan(5);
    expect(lines.filter((l) => tape.includes(l))).toEqual([]);
    expect(tape).not.toContain(sessionId);
    expect(tape).not.toContain('Ciphers supported in s_server binary');
    expect(tape).not.toContain('GET / HTTP/1.1');
  });

  it('a server whose certificate does not chain to the configured CA — the page shows a certificate error', async () => {
    const { page, state, text } = await load('config=configs/impostor.json');
    expect(state).toBe('error');
    expect(await text('status')).toBe('Certificate error: the server is not trusted');
    expect(await page.getAttribute('#error', 'data-kind')).toBe('certificate');
    expect(await text('error')).toMatch(/^Certificate error — unknown_ca: the certificate is not issued by the configured trust anchor/);
    expect(await text('body')).toBe('');
    await page.screenshot({ path: `${results}certificate-error.png`, fullPage: true });
    await page.close();
    // The page refused before sending a request.
    expect(impostor.requests).toHaveLength(0);
  });
});
