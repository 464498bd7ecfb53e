/**
 * @module endpoint/env
 * The interop endpoint's environment contract (shared/DESIGN.md, "The
 * interop endpoint contract"; the runner's README): ROLE, TESTCASE,
 * REQUESTS, WWW, DOWNLOADS, CERTS, SSLKEYLOGFILE, QLOGDIR, PORT, parsed and
 * checked into one typed configuration. A bad environment is the runner's
 * mistake, reported as an `EnvironmentError` (exit status 1).
 */
import { downloadName } from '../downloads.js';

export interface CommonConfig {
  readonly testCase: string;
  readonly certs: string;
  readonly sslKeyLogFile: string | undefined;
  readonly qlogDir: string | undefined;
  /** INTEROP_ALPN (not a runner variable): run a test case over 'h3' instead of 'hq-interop', for peers that speak only HTTP/3 (ngtcp2's tools). */
  readonly alpnOverride?: 'hq-interop' | 'h3';
}

export interface ClientConfig extends CommonConfig {
  readonly role: 'client';
  /** REQUESTS, in order. */
  readonly requests: readonly URL[];
  readonly downloads: string;
}

export interface ServerConfig extends CommonConfig {
  readonly role: 'server';
  readonly port: number;
  readonly www: string;
  /**
   * INTEROP_PREFERRED_ADDRESS (not a runner variable): `ip:port`, `[ipv6]:port`, or one of each separated by
   * a comma, offered as preferred_address (RFC 9000 §9.6) by the listener of the same family.
   */
  readonly preferredAddresses: readonly { readonly host: string; readonly port: number }[];
}

export type EndpointConfig = ClientConfig | ServerConfig;

export class EnvironmentError extends Error {
  override readonly name = 'EnvironmentError';
}

type Env = Readonly<Record<string, string | undefined>>;

function optional(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

/** Parses REQUESTS: space-separated https URLs, each with a usable, distinct file name. */
export function parseRequests(text: string | undefined): URL[] {
  const words = (text ?? '').split(/\s+/).filter((w) => w !== '');
  if (words.length === 0) throw new EnvironmentError('REQUESTS is empty');
  const names = new Set<string>();
  return words.map((word) => {
    let url: URL;
    try {
      url = new URL(word);
    } catch {
      throw new EnvironmentError(`REQUESTS: ${word} is not a URL`);
    }
    if (url.protocol !== 'https:') throw new EnvironmentError(`REQUESTS: ${word} is not https`);
    let name: string;
    try {
      name = downloadName(url);
    } catch (e) {
      throw new EnvironmentError(`REQUESTS: ${(e as Error).message}`);
    }
    if (names.has(name)) throw new EnvironmentError(`REQUESTS: two URLs download to ${name}`);
    names.add(name);
    return url;
  });
}

/** Parses PORT (default 443). */
export function parsePort(text: string | undefined): number {
  if (text === undefined || text === '') return 443;
  if (!/^[0-9]{1,5}$/.test(text) || Number(text) > 65535) throw new EnvironmentError(`PORT ${text} is not a port number`);
  return Number(text);
}

/** Reads the environment; throws EnvironmentError for a missing or malformed variable. */
export function parseEnvironment(env: Env): EndpointConfig {
  const testCase = optional(env, 'TESTCASE');
  if (testCase === undefined) throw new EnvironmentError('TESTCASE is not set');
  const common: CommonConfig = {
    testCase,
    certs: optional(env, 'CERTS') ?? '/certs',
    sslKeyLogFile: optional(env, 'SSLKEYLOGFILE'),
    qlogDir: optional(env, 'QLOGDIR'),
  };
  const alpn = optional(env, 'INTEROP_ALPN');
  if (alpn !== undefined) {
    if (alpn !== 'h3' && alpn !== 'hq-interop') throw new EnvironmentError(`INTEROP_ALPN ${alpn} is neither h3 nor hq-interop`);
    (common as { alpnOverride?: string }).alpnOverride = alpn;
  }
  const role = optional(env, 'ROLE');
  if (role === 'client') {
    return { ...common, role, requests: parseRequests(env.REQUESTS), downloads: optional(env, 'DOWNLOADS') ?? '/downloads' };
  }
  if (role === 'server') {
    const pa = optional(env, 'INTEROP_PREFERRED_ADDRESS');
    const preferredAddresses = (pa ?? '')
      .split(',')
      .filter((a) => a.trim() !== '')
      .map((a) => parseHostPort(a.trim()));
    if (new Set(preferredAddresses.map((a) => a.host.includes(':'))).size < preferredAddresses.length) throw new EnvironmentError(`INTEROP_PREFERRED_ADDRESS ${pa}: at most one address per family`);
    return { ...common, role, port: parsePort(env.PORT), www: optional(env, 'WWW') ?? '/www', preferredAddresses };
  }
  throw new EnvironmentError(`ROLE must be client or server, not ${JSON.stringify(role ?? '')}`);
}

/** `host:port` or `[v6]:port` (a literal address: preferred_address carries addresses, not names). */
function parseHostPort(s: string): { host: string; port: number } {
  const m = /^\[([0-9a-fA-F:.]+)\]:(\d+)$/.exec(s) ?? /^(\d+\.\d+\.\d+\.\d+):(\d+)$/.exec(s);
  if (!m) throw new EnvironmentError(`INTEROP_PREFERRED_ADDRESS ${JSON.stringify(s)} is not ip:port or [ipv6]:port`);
  return { host: m[1]!, port: parsePort(m[2]) };
}
