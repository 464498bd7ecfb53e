/**
 * @module config
 * Configuration of both programs: a flag beats its environment variable,
 * which beats the default. Addresses are `host:port` (`[v6]:port` for IPv6).
 */

export interface ServerConfig {
  listen: string;
  tlsCert: string;
  tlsKey: string;
  dataDir: string;
  /** Accept WebTransport sessions from pages (ALPN h3 on the same port). */
  webTransport: boolean;
  /** Origins of the pages allowed to open a session. */
  webOrigins: string[];
}

/** Vite's dev server, where the page runs by default. */
export const DEFAULT_WEB_ORIGINS = ['http://localhost:5173', 'http://127.0.0.1:5173'];

export interface ClientConfig {
  caCert: string;
  serverName: string;
  server: string;
  /** Where session tickets, address tokens and the owner token are kept (none: nothing is kept). */
  dataDir?: string;
}

type Env = Record<string, string | undefined>;

export interface ServerFlags {
  listen?: string | undefined;
  tlsCert?: string | undefined;
  tlsKey?: string | undefined;
  dataDir?: string | undefined;
  /** `--no-webtransport` */
  noWebTransport?: boolean | undefined;
  /** `--web-origin`, repeatable */
  webOrigins?: string[] | undefined;
}

export function serverConfig(flags: ServerFlags, env: Env): ServerConfig {
  const envOrigins = env['QPC_WEB_ORIGINS']
    ?.split(',')
    .map((o) => o.trim())
    .filter((o) => o !== '');
  return {
    listen: flags.listen ?? env['QPC_LISTEN'] ?? '0.0.0.0:5001',
    tlsCert: flags.tlsCert ?? env['QPC_TLS_CERT'] ?? 'data/server-cert.der',
    tlsKey: flags.tlsKey ?? env['QPC_TLS_KEY'] ?? 'data/server-key.der',
    dataDir: flags.dataDir ?? env['QPC_DATA_DIR'] ?? 'data',
    webTransport: flags.noWebTransport === true ? false : env['QPC_WEBTRANSPORT'] !== '0',
    webOrigins: flags.webOrigins && flags.webOrigins.length > 0 ? flags.webOrigins : (envOrigins ?? DEFAULT_WEB_ORIGINS),
  };
}

export function clientConfig(flags: Partial<Record<keyof ClientConfig, string | undefined>>, env: Env): ClientConfig {
  return {
    caCert: flags.caCert ?? env['QPC_CA_CERT'] ?? 'data/server-cert.der',
    serverName: flags.serverName ?? env['QPC_SERVER_NAME'] ?? 'localhost',
    server: flags.server ?? env['QPC_SERVER'] ?? '127.0.0.1:5001',
    dataDir: flags.dataDir ?? env['QPC_DATA_DIR'] ?? 'data',
  };
}

/** `host:port` or `[v6]:port` → parts; a RangeError names what is wrong. */
export function parseHostPort(s: string, what: string): { address: string; port: number } {
  const m = /^\[([0-9A-Fa-f:.]+)\]:(\d+)$/.exec(s) ?? /^([^:[\]]+):(\d+)$/.exec(s);
  if (!m) throw new RangeError(`${what} must be host:port or [ipv6]:port, got '${s}'`);
  const port = Number(m[2]);
  if (!Number.isInteger(port) || port > 65535) throw new RangeError(`${what}: port out of range in '${s}'`);
  return { address: m[1]!, port };
}

/** `host:port` for printing (brackets around IPv6). */
export function formatHostPort(a: { address: string; port: number }): string {
  return a.address.includes(':') ? `[${a.address}]:${a.port}` : `${a.address}:${a.port}`;
}
