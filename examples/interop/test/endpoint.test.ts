import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { EnvironmentError, parseEnvironment, parsePort, parseRequests } from '../src/endpoint/env.js';
import { groupByAuthority, interfaceAddresses, planClient, planConnections, planServer } from '../src/endpoint/plan.js';
import { runEndpoint } from '../src/endpoint/run.js';
import { EXIT_UNSUPPORTED, lookupTestCase, TEST_CASES } from '../src/endpoint/testcases.js';
import { createQuicTransport } from '../src/transport.js';
import { type Fixture, makeFixture, readAll } from './support/files.js';
import { memoryTransport } from './support/memory-transport.js';

const urls = (...paths: string[]): string => paths.map((p) => `https://server4:443/${p}`).join(' ');

describe('environment (DESIGN.md interop contract)', () => {
  it('reads a client environment with defaults', () => {
    const config = parseEnvironment({ ROLE: 'client', TESTCASE: 'transfer', REQUESTS: ` ${urls('a', 'b')}  https://[fd00::1]:4433/c ` });
    expect(config).toMatchObject({ role: 'client', testCase: 'transfer', downloads: '/downloads', certs: '/certs', sslKeyLogFile: undefined, qlogDir: undefined });
    expect(config.role === 'client' && config.requests.map((u) => u.href)).toEqual(['https://server4/a', 'https://server4/b', 'https://[fd00::1]:4433/c']);
  });

  it('reads a server environment with defaults and overrides', () => {
    expect(parseEnvironment({ ROLE: 'server', TESTCASE: 'handshake' })).toMatchObject({ role: 'server', port: 443, www: '/www', certs: '/certs' });
    expect(parseEnvironment({ ROLE: 'server', TESTCASE: 'x', PORT: '4433', WWW: '/srv', CERTS: '/c', SSLKEYLOGFILE: '/k.log', QLOGDIR: '/q' })).toMatchObject({ port: 4433, www: '/srv', certs: '/c', sslKeyLogFile: '/k.log', qlogDir: '/q' });
  });

  it.each([
    ['no ROLE', { TESTCASE: 'handshake' }],
    ['an unknown ROLE', { ROLE: 'proxy', TESTCASE: 'handshake' }],
    ['no TESTCASE', { ROLE: 'server' }],
    ['a client without REQUESTS', { ROLE: 'client', TESTCASE: 'handshake' }],
    ['a non-https URL', { ROLE: 'client', TESTCASE: 'handshake', REQUESTS: 'http://server4/a' }],
    ['a URL without a file name', { ROLE: 'client', TESTCASE: 'handshake', REQUESTS: 'https://server4/' }],
    ['two URLs with one file name', { ROLE: 'client', TESTCASE: 'handshake', REQUESTS: urls('x/a', 'y/a') }],
    ['a bad PORT', { ROLE: 'server', TESTCASE: 'handshake', PORT: '70000' }],
  ])('refuses %s', (_, env) => {
    expect(() => parseEnvironment(env)).toThrow(EnvironmentError);
  });

  it('INTEROP_PREFERRED_ADDRESS (ours, not the runner’s): literal ip:port and/or [v6]:port, planned for the listeners', () => {
    const c = parseEnvironment({ ROLE: 'server', TESTCASE: 'transfer', INTEROP_PREFERRED_ADDRESS: '127.0.0.1:4434' });
    expect(c).toMatchObject({ preferredAddresses: [{ host: '127.0.0.1', port: 4434 }] });
    expect(parseEnvironment({ ROLE: 'server', TESTCASE: 'transfer', INTEROP_PREFERRED_ADDRESS: '[::1]:4434, 127.0.0.2:5' })).toMatchObject({
      preferredAddresses: [
        { host: '::1', port: 4434 },
        { host: '127.0.0.2', port: 5 },
      ],
    });
    expect(planServer(c as Parameters<typeof planServer>[0], lookupTestCase('transfer')!).preferredAddresses).toEqual([{ host: '127.0.0.1', port: 4434 }]);
    expect(parseEnvironment({ ROLE: 'server', TESTCASE: 'transfer' })).toMatchObject({ preferredAddresses: [] });
    for (const bad of ['localhost:4434', '127.0.0.1', '::1:4434', '127.0.0.1:99999', '127.0.0.1:1,127.0.0.2:2']) {
      expect(() => parseEnvironment({ ROLE: 'server', TESTCASE: 'transfer', INTEROP_PREFERRED_ADDRESS: bad })).toThrow(EnvironmentError);
    }
  });

  it('connectionmigration (server): without INTEROP_PREFERRED_ADDRESS it offers its own interface addresses, one per family, on PORT+1', () => {
    const interfaces = {
      lo: [
        { address: '127.0.0.1', family: 'IPv4', internal: true },
        { address: '::1', family: 'IPv6', internal: true },
      ],
      eth0: [
        { address: 'fe80::1', family: 'IPv6', internal: false },
        { address: '193.167.100.100', family: 'IPv4', internal: false },
        { address: 'fd00:cafe:cafe:100::100', family: 'IPv6', internal: false },
      ],
    };
    const config = parseEnvironment({ ROLE: 'server', TESTCASE: 'connectionmigration' }) as Parameters<typeof planServer>[0];
    expect(planServer(config, lookupTestCase('connectionmigration')!, interfaces).preferredAddresses).toEqual([
      { host: '193.167.100.100', port: 444 },
      { host: 'fd00:cafe:cafe:100::100', port: 444 },
    ]);
    // Other test cases offer nothing unless told to.
    expect(planServer(config, lookupTestCase('transfer')!, interfaces).preferredAddresses).toEqual([]);
    expect(interfaceAddresses({ lo: interfaces.lo }, 443)).toEqual([]);
    expect(interfaceAddresses(interfaces, 0)[0]!.port).toBe(0);
  });

  it('parses ports and request lists', () => {
    expect([parsePort(undefined), parsePort(''), parsePort('0'), parsePort('65535')]).toEqual([443, 443, 0, 65535]);
    expect(() => parsePort('-1')).toThrow(EnvironmentError);
    expect(parseRequests('https://a/x').length).toBe(1);
    expect(() => parseRequests('not a url')).toThrow(EnvironmentError);
  });
});

describe('test case table', () => {
  it('supports handshake, transfer, multiconnect, chacha20, http3, retry, resumption, zerortt, keyupdate, rebind-port, rebind-addr, v2, connectionmigration and migrate; answers ecn', () => {
    expect(Object.keys(TEST_CASES).sort()).toEqual(['chacha20', 'connectionmigration', 'ecn', 'handshake', 'http3', 'keyupdate', 'migrate', 'multiconnect', 'rebind-addr', 'rebind-port', 'resumption', 'retry', 'transfer', 'v2', 'zerortt']);
    expect(lookupTestCase('zerortt')).toMatchObject({ connections: 'first-then-rest', features: ['resumption', 'zero-rtt'] });
    expect(lookupTestCase('keyupdate')).toMatchObject({ features: ['key-update'] });
    expect(lookupTestCase('http3')).toMatchObject({ alpn: 'h3', connections: 'single' });
    expect(lookupTestCase('chacha20')).toMatchObject({ alpn: 'hq-interop', cipherSuites: [0x1303] });
    expect(lookupTestCase('multiconnect')).toMatchObject({ connections: 'per-url' });
    expect(lookupTestCase('transfer')?.cipherSuites).toEqual([0x1301, 0x1302, 0x1303]);
    expect(lookupTestCase('connectionmigration')).toMatchObject({ features: ['preferred-address'] });
    expect(lookupTestCase('ecn')?.unsupported).toMatch(/node:dgram can neither mark/);
  });

  it('every TESTCASE the runner passes to an endpoint has a row (shared/specs/interop-runner-testcases.md)', () => {
    const passed = ['handshake', 'transfer', 'chacha20', 'retry', 'resumption', 'zerortt', 'http3', 'keyupdate', 'ecn', 'multiconnect', 'v2', 'connectionmigration'];
    for (const name of passed) expect(lookupTestCase(name), name).toBeDefined();
  });

  it.each(['versionnegotiation', 'toString', '__proto__', ''])('%j is unsupported', (name) => {
    expect(lookupTestCase(name)).toBeUndefined();
  });
});

describe('plans', () => {
  const u = (s: string): URL => new URL(s);
  const a = u('https://server4:443/a');
  const b = u('https://server4/b');
  const c = u('https://server6:4433/c');
  const d = u('https://[fd00:cafe::100]/d');

  it('groups URLs by authority, keeping order', () => {
    expect(groupByAuthority([a, c, b]).map((g) => g.map((x) => x.pathname))).toEqual([['/a', '/b'], ['/c']]);
  });

  it('spreads URLs over connections per grouping', () => {
    const shape = (g: 'single' | 'per-url' | 'first-then-rest'): string[][] => planConnections([a, b, c], g).map((p) => p.urls.map((x) => x.pathname));
    expect(shape('single')).toEqual([['/a', '/b'], ['/c']]);
    expect(shape('per-url')).toEqual([['/a'], ['/b'], ['/c']]);
    expect(shape('first-then-rest')).toEqual([['/a'], ['/b'], ['/c']]);
    expect(planConnections([a, b], 'first-then-rest').map((p) => p.urls.length)).toEqual([1, 1]);
    expect(planConnections([a, b, b], 'first-then-rest').map((p) => p.urls.length)).toEqual([1, 2]);
  });

  it('names hosts, ports and SNI; IPv6 literals lose their brackets', () => {
    expect(planConnections([c], 'single')[0]).toMatchObject({ host: 'server6', port: 4433, serverName: 'server6' });
    expect(planConnections([d], 'single')[0]).toMatchObject({ host: 'fd00:cafe::100', port: 443 });
  });

  it('plans a client and a server', () => {
    const client = planClient({ role: 'client', testCase: 'chacha20', requests: [a], downloads: '/dl', certs: '/certs', sslKeyLogFile: '/k', qlogDir: undefined }, lookupTestCase('chacha20')!);
    expect(client).toMatchObject({ alpn: 'hq-interop', cipherSuites: [0x1303], caFile: '/certs/ca.pem', keylogFile: '/k', downloads: '/dl' });
    const server = planServer({ role: 'server', testCase: 'http3', port: 443, www: '/www', certs: '/certs', sslKeyLogFile: undefined, qlogDir: '/q', preferredAddresses: [] }, lookupTestCase('http3')!);
    expect(server).toMatchObject({
      alpn: 'h3',
      addresses: [
        { host: '0.0.0.0', port: 443 },
        { host: '::', port: 443 },
      ],
      certificateFile: '/certs/cert.pem',
      privateKeyFile: '/certs/priv.key',
      qlogDir: '/q',
    });
  });
});

describe('the endpoint end to end over in-memory sessions', () => {
  let fx: Fixture;
  let certs: string;
  const logs: string[] = [];
  const log = (line: string): void => void logs.push(line);

  beforeEach(async () => {
    fx = await makeFixture({ '1k.bin': 1024, '2m.bin': 2 * 1024 * 1024, '3m.bin': 3 * 1024 * 1024, '5k.bin': 5 * 1024 });
    certs = join(fx.dir, 'certs');
    await mkdir(certs);
    await writeFile(join(certs, 'cert.pem'), '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n');
    await writeFile(join(certs, 'priv.key'), '-----BEGIN PRIVATE KEY-----\n-----END PRIVATE KEY-----\n');
    logs.length = 0;
  });
  afterEach(() => fx.cleanup());

  /** Runs a server and a client on one memory transport; returns the client's exit status. */
  async function run(testCase: string, requests: string, transport = memoryTransport(), serverCase = testCase): Promise<number> {
    const stop = new AbortController();
    const server = runEndpoint({ ROLE: 'server', TESTCASE: serverCase, WWW: fx.www, CERTS: certs, PORT: '443', SSLKEYLOGFILE: join(fx.dir, 'keys.log') }, transport, { log, signal: stop.signal });
    await transport.listening;
    const status = await runEndpoint({ ROLE: 'client', TESTCASE: testCase, REQUESTS: requests, DOWNLOADS: fx.downloads, CERTS: certs, SSLKEYLOGFILE: join(fx.dir, 'keys.log') }, transport, { log });
    stop.abort();
    expect(await server).toBe(0);
    expect(transport.closedListeners).toBe(1);
    return status;
  }

  async function expectDownloaded(names: string[]): Promise<void> {
    const got = await readAll(fx.downloads);
    expect([...got.keys()]).toEqual([...names].sort());
    for (const name of names) expect(Buffer.from(got.get(name)!).equals(Buffer.from(fx.files.get(name)!)), name).toBe(true);
  }

  it('transfer: one connection, files fetched concurrently, exit 0', async () => {
    const t = memoryTransport();
    expect(await run('transfer', urls('2m.bin', '3m.bin', '1k.bin'), t)).toBe(0);
    await expectDownloaded(['2m.bin', '3m.bin', '1k.bin']);
    expect(t.connects).toHaveLength(1);
    expect(t.connects[0]).toMatchObject({ host: 'server4', port: 443, options: { alpn: ['hq-interop'], serverName: 'server4', cipherSuites: [0x1301, 0x1302, 0x1303] } });
    expect(t.listens[0]).toMatchObject({ alpn: ['hq-interop'], certificateChainPem: expect.stringContaining('CERTIFICATE') });
  });

  it('multiconnect: one connection per URL', async () => {
    const t = memoryTransport();
    expect(await run('multiconnect', urls('1k.bin', '5k.bin'), t)).toBe(0);
    await expectDownloaded(['1k.bin', '5k.bin']);
    expect(t.connects).toHaveLength(2);
  });

  it('chacha20: offers only TLS_CHACHA20_POLY1305_SHA256 and passes the CA when ca.pem exists', async () => {
    await writeFile(join(certs, 'ca.pem'), 'CA PEM');
    const t = memoryTransport();
    expect(await run('chacha20', urls('5k.bin'), t)).toBe(0);
    expect(t.connects[0]!.options).toMatchObject({ cipherSuites: [0x1303], ca: 'CA PEM' });
    expect(t.listens[0]!.cipherSuites).toEqual([0x1303]);
    expect(typeof t.connects[0]!.options.keylog).toBe('function');
  });

  it('http3: HTTP/3 with ALPN h3, files byte for byte', async () => {
    const t = memoryTransport();
    expect(await run('http3', urls('5k.bin', '1k.bin', '2m.bin'), t)).toBe(0);
    await expectDownloaded(['5k.bin', '1k.bin', '2m.bin']);
    expect(t.connects[0]!.options.alpn).toEqual(['h3']);
  });

  it.each(['transfer', 'http3'])('%s: a missing file makes the run fail (exit 1) and leaves no partial file', async (testCase) => {
    expect(await run(testCase, urls('1k.bin', 'missing.bin'), memoryTransport())).toBe(1);
    await expectDownloaded(['1k.bin']);
    expect(logs.some((l) => l.includes('missing.bin') && l.includes('failed'))).toBe(true);
  });

  it('a failed connection fails the run but the other connections still run', async () => {
    const t = memoryTransport({ refuse: (host) => host === 'server6' });
    expect(await run('multiconnect', `${urls('1k.bin')} https://server6/5k.bin`, t)).toBe(1);
    await expectDownloaded(['1k.bin']);
  });

  it('the transport receives a key log sink that appends to SSLKEYLOGFILE', async () => {
    const t = memoryTransport();
    expect(await run('handshake', urls('1k.bin'), t)).toBe(0);
    t.connects[0]!.options.keylog!('CLIENT_HANDSHAKE_TRAFFIC_SECRET 00 11');
    t.listens[0]!.keylog!('SERVER_HANDSHAKE_TRAFFIC_SECRET 00 22\n');
    expect(await readFile(join(fx.dir, 'keys.log'), 'utf8')).toBe('CLIENT_HANDSHAKE_TRAFFIC_SECRET 00 11\nSERVER_HANDSHAKE_TRAFFIC_SECRET 00 22\n');
  });

  it('exits 127 for an unsupported test case, before touching the transport; ecn says why', async () => {
    const t = memoryTransport();
    expect(await runEndpoint({ ROLE: 'client', TESTCASE: 'versionnegotiation', REQUESTS: urls('a') }, t, { log })).toBe(EXIT_UNSUPPORTED);
    expect(logs.at(-1)).toBe('test case versionnegotiation is not supported');
    expect(await runEndpoint({ ROLE: 'client', TESTCASE: 'ecn', REQUESTS: urls('a') }, t, { log })).toBe(EXIT_UNSUPPORTED);
    expect(await runEndpoint({ ROLE: 'server', TESTCASE: 'ecn' }, t, { log })).toBe(EXIT_UNSUPPORTED);
    expect(logs.at(-1)).toMatch(/^ecn: node:dgram can neither mark datagrams ECT\(0\)\/ECT\(1\) nor read/);
    // connectionmigration on a machine with no address to offer (loopback only) and no INTEROP_PREFERRED_ADDRESS.
    expect(await runEndpoint({ ROLE: 'server', TESTCASE: 'connectionmigration' }, t, { log, interfaces: { lo: [{ address: '127.0.0.1', family: 'IPv4', internal: true }] } })).toBe(EXIT_UNSUPPORTED);
    expect(logs.at(-1)).toMatch(/no address to offer as preferred_address/);
    expect(t.connects.length + t.listens.length).toBe(0);
  });

  it('connectionmigration: the server listens offering its preferred addresses; the client runs as transfer', async () => {
    const t = memoryTransport();
    const ac = new AbortController();
    const server = runEndpoint({ ROLE: 'server', TESTCASE: 'connectionmigration', WWW: fx.www, CERTS: certs, PORT: '4433' }, t, {
      log,
      signal: ac.signal,
      interfaces: { eth0: [{ address: '193.167.100.100', family: 'IPv4', internal: false }] },
    });
    await t.listening;
    expect(t.listens[0]!.preferredAddresses).toEqual([{ host: '193.167.100.100', port: 4434 }]);
    const status = await runEndpoint({ ROLE: 'client', TESTCASE: 'connectionmigration', REQUESTS: urls('1k.bin'), DOWNLOADS: fx.downloads, CERTS: certs }, t, { log });
    ac.abort();
    expect([status, await server]).toEqual([0, 0]);
    expect((await readAll(fx.downloads)).get('1k.bin')).toEqual(fx.files.get('1k.bin'));
  });

  it('exits 127 with "transport not available" when no transport is given; the real one is wired in', async () => {
    expect(createQuicTransport()).toBeDefined();
    expect(await runEndpoint({ ROLE: 'client', TESTCASE: 'handshake', REQUESTS: urls('a') }, undefined, { log })).toBe(127);
    expect(logs).toContain('transport not available');
  });

  it('exits 1 for a bad environment', async () => {
    expect(await runEndpoint({ ROLE: 'client', TESTCASE: 'handshake' }, memoryTransport(), { log })).toBe(1);
    expect(logs[0]).toMatch(/REQUESTS/);
  });
});
