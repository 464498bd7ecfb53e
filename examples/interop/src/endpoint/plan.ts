/**
 * @module endpoint/plan
 * From the environment and the test case row to a plan: which ALPN, which
 * cipher suites, which transport features, and (client) which URLs go on
 * which connection, in order; (server) which addresses, certificate and
 * document root. Pure: reads no files, opens nothing.
 */
import { join } from 'node:path';
import type { ClientConfig, EndpointConfig, ServerConfig } from './env.js';
import type { Alpn, CipherSuite, TestCase, TransportFeature } from './testcases.js';

interface CommonPlan {
  readonly testCase: string;
  readonly alpn: Alpn;
  readonly cipherSuites: readonly CipherSuite[];
  readonly features: readonly TransportFeature[];
  readonly keylogFile: string | undefined;
  readonly qlogDir: string | undefined;
}

export interface ConnectionPlan {
  /** Host to connect to (IPv6 literals without brackets). */
  readonly host: string;
  readonly port: number;
  /** Name for SNI and certificate verification. */
  readonly serverName: string;
  /** URLs fetched on this connection, concurrently. */
  readonly urls: readonly URL[];
}

export interface ClientPlan extends CommonPlan {
  readonly role: 'client';
  /** Connections, opened one after another. */
  readonly connections: readonly ConnectionPlan[];
  readonly downloads: string;
  /** `${CERTS}/ca.pem`: used for verification if it exists. */
  readonly caFile: string;
}

export interface ServerPlan extends CommonPlan {
  readonly role: 'server';
  readonly addresses: readonly { readonly host: string; readonly port: number }[];
  readonly www: string;
  readonly certificateFile: string;
  readonly privateKeyFile: string;
  /** Offered as preferred_address, at most one per address family (each by the listener of its family). */
  readonly preferredAddresses: readonly { readonly host: string; readonly port: number }[];
}

/** The shape of `os.networkInterfaces()`. */
export type Interfaces = Readonly<Record<string, readonly { readonly address: string; readonly family: string | number; readonly internal: boolean }[] | undefined>>;

export type EndpointPlan = ClientPlan | ServerPlan;

function hostOf(url: URL): string {
  return url.hostname.replace(/^\[(.*)\]$/, '$1');
}

function connectionFor(urls: readonly URL[]): ConnectionPlan {
  const first = urls[0]!;
  const host = hostOf(first);
  return { host, port: first.port === '' ? 443 : Number(first.port), serverName: host, urls };
}

/** URLs grouped by authority (host:port), groups in order of first appearance, URLs in order. */
export function groupByAuthority(urls: readonly URL[]): URL[][] {
  const groups = new Map<string, URL[]>();
  for (const url of urls) {
    const key = `${hostOf(url)}:${url.port === '' ? 443 : url.port}`;
    const group = groups.get(key);
    if (group) group.push(url);
    else groups.set(key, [url]);
  }
  return [...groups.values()];
}

/** The client's connections for a test case's grouping. */
export function planConnections(urls: readonly URL[], grouping: TestCase['connections']): ConnectionPlan[] {
  if (urls.length === 0) return [];
  switch (grouping) {
    case 'single':
      return groupByAuthority(urls).map(connectionFor);
    case 'per-url':
      return urls.map((url) => connectionFor([url]));
    case 'first-then-rest':
      return [[urls[0]!], ...groupByAuthority(urls.slice(1))].map(connectionFor);
  }
}

function common(config: EndpointConfig, testCase: TestCase): CommonPlan {
  return {
    testCase: config.testCase,
    alpn: config.alpnOverride ?? testCase.alpn,
    cipherSuites: testCase.cipherSuites,
    features: testCase.features,
    keylogFile: config.sslKeyLogFile,
    qlogDir: config.qlogDir,
  };
}

export function planClient(config: ClientConfig, testCase: TestCase): ClientPlan {
  return {
    ...common(config, testCase),
    role: 'client',
    connections: planConnections(config.requests, testCase.connections),
    downloads: config.downloads,
    caFile: join(config.certs, 'ca.pem'),
  };
}

/**
 * Where a server without INTEROP_PREFERRED_ADDRESS sends clients that test
 * connection migration: its first non-loopback, non-link-local address of
 * each family (in the runner's containers, server4's and server6's
 * addresses), on the next port (a second socket; PORT 0: any port).
 */
export function interfaceAddresses(interfaces: Interfaces, port: number): { host: string; port: number }[] {
  const out: { host: string; port: number }[] = [];
  const next = port === 0 ? 0 : port === 65535 ? port - 1 : port + 1;
  for (const v6 of [false, true]) {
    for (const list of Object.values(interfaces)) {
      const a = list?.find((i) => !i.internal && (i.family === 'IPv6' || i.family === 6) === v6 && !/^fe80:/i.test(i.address));
      if (a) {
        out.push({ host: a.address, port: next });
        break;
      }
    }
  }
  return out;
}

export function planServer(config: ServerConfig, testCase: TestCase, interfaces: Interfaces = {}): ServerPlan {
  const offer = config.preferredAddresses.length || !testCase.features.includes('preferred-address') ? config.preferredAddresses : interfaceAddresses(interfaces, config.port);
  return {
    ...common(config, testCase),
    role: 'server',
    // DESIGN.md: listen on 0.0.0.0 and [::] (the runner's ipv6 test needs the latter).
    addresses: [
      { host: '0.0.0.0', port: config.port },
      { host: '::', port: config.port },
    ],
    www: config.www,
    certificateFile: join(config.certs, 'cert.pem'),
    privateKeyFile: join(config.certs, 'priv.key'),
    preferredAddresses: offer,
  };
}

export function planEndpoint(config: EndpointConfig, testCase: TestCase, interfaces: Interfaces = {}): EndpointPlan {
  return config.role === 'client' ? planClient(config, testCase) : planServer(config, testCase, interfaces);
}
