/**
 * @module page/config
 * The page's configuration: where the relay is, which server name to expect,
 * what to GET, and the trust anchor. It comes from a JSON document served
 * with the page (`config.json`, or the URL in `?config=`) and/or the query
 * string (`?proxy=…&serverName=…&path=…&ca=…`), the query string winning.
 */
import { certificatesFromText } from './pem.js';

export interface PageConfig {
  /** ws:// or wss:// URL of the WebSocket relay. */
  proxy: string;
  /** Server name: SNI and the name the certificate must carry. */
  serverName: string;
  /** Request target, default `/`. */
  path: string;
  /** Host header (default `serverName`). */
  host?: string;
  /** The trust anchors, DER. */
  trustAnchors: Uint8Array[];
}

/** The raw fields, as JSON or query parameters give them; `ca` is PEM or base64 DER. */
export interface RawConfig {
  proxy?: string;
  serverName?: string;
  path?: string;
  host?: string;
  ca?: string;
}

/** A configuration the page cannot run with. */
export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const FIELDS = ['proxy', 'serverName', 'path', 'host', 'ca'] as const;

/** Merge the JSON document and the query string (query wins) and validate. */
export function resolveConfig(json: RawConfig, query: URLSearchParams): PageConfig {
  const raw: RawConfig = {};
  for (const f of FIELDS) {
    const v = query.get(f) ?? json[f];
    if (v !== undefined && v !== null) {
      if (typeof v !== 'string') throw new ConfigError(`config field ${f} must be a string`);
      raw[f] = v;
    }
  }
  if (!raw.proxy) throw new ConfigError('no relay URL: set "proxy" (e.g. ws://127.0.0.1:8080/)');
  let proxyUrl: URL;
  try {
    proxyUrl = new URL(raw.proxy);
  } catch {
    throw new ConfigError(`proxy is not a URL: ${raw.proxy}`);
  }
  if (proxyUrl.protocol !== 'ws:' && proxyUrl.protocol !== 'wss:') throw new ConfigError(`proxy must be a ws:// or wss:// URL, got ${raw.proxy}`);
  if (!raw.serverName) throw new ConfigError('no server name: set "serverName" (the name in the server certificate)');
  if (!raw.ca) throw new ConfigError('no trust anchor: set "ca" (a PEM or base64 DER CA certificate)');
  let trustAnchors: Uint8Array[];
  try {
    trustAnchors = certificatesFromText(raw.ca);
  } catch (e) {
    throw new ConfigError(`bad trust anchor: ${e instanceof Error ? e.message : String(e)}`);
  }
  const path = raw.path ?? '/';
  if (!path.startsWith('/')) throw new ConfigError(`path must start with "/", got ${path}`);
  return { proxy: raw.proxy, serverName: raw.serverName, path, trustAnchors, ...(raw.host && { host: raw.host }) };
}

/** Load the JSON config named by `?config=` (default `config.json` beside the page; absent is fine without `?config=`). */
export async function loadConfig(location: URL, fetchFn: typeof fetch = fetch): Promise<PageConfig> {
  const named = location.searchParams.get('config');
  const url = new URL(named ?? 'config.json', location);
  let json: RawConfig = {};
  const res = await fetchFn(url, { cache: 'no-store' }).catch(() => undefined);
  if (res?.ok) {
    const body: unknown = await res.json().catch(() => {
      throw new ConfigError(`${url.pathname} is not valid JSON`);
    });
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ConfigError(`${url.pathname} must hold a JSON object`);
    json = body as RawConfig;
  } else if (named !== null) {
    throw new ConfigError(`cannot load config ${named}${res ? ` (HTTP ${res.status})` : ''}`);
  }
  return resolveConfig(json, location.searchParams);
}
