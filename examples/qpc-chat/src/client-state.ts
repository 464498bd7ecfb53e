/**
 * @module client-state
 * What the qpc client keeps between runs in its data directory, per server
 * (address, server name and the certificate it trusts): the newest TLS
 * session ticket, for resumption and 0-RTT (RFC 8446 §4.6.1, RFC 9001 §4.6),
 * the newest address validation token from NEW_TOKEN (RFC 9000 §8.1.3), and
 * the client's owner token (RegisterRequest.token), which lets it take back
 * its nickname while the server still holds an earlier connection of its own.
 * One JSON file, `qpc-client.json`, mode 0600 (a ticket carries a resumption
 * secret), replaced atomically; an unreadable or damaged file is treated as
 * empty and rewritten.
 */
import { createHash, randomBytes } from 'node:crypto';
import { chmod, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { SessionTicket } from '@tsquic/tls13-handshake';

export const CLIENT_STATE_FILE = 'qpc-client.json';

/** RFC 8446 §4.6.1: ticket lifetimes never exceed seven days. */
const MAX_TICKET_AGE_MS = 7 * 86_400_000;

interface StoredServer {
  ticket?: Record<string, string | number>;
  token?: string;
  owner: string;
}

const b64 = (b: Uint8Array): string => Buffer.from(b).toString('base64');
const bytes = (s: unknown): Uint8Array | undefined => (typeof s === 'string' ? new Uint8Array(Buffer.from(s, 'base64')) : undefined);

function encodeTicket(t: SessionTicket): Record<string, string | number> {
  return {
    serverName: t.serverName,
    alpn: t.alpn,
    cipherSuite: t.cipherSuite,
    ticket: b64(t.ticket),
    resumptionSecret: b64(t.resumptionSecret),
    ageAdd: t.ageAdd,
    issuedAtMs: t.issuedAtMs,
    lifetimeS: t.lifetimeS,
    maxEarlyData: t.maxEarlyData,
    ...(t.appData ? { appData: b64(t.appData) } : {}),
  };
}

function decodeTicket(o: Record<string, unknown> | undefined): SessionTicket | undefined {
  if (!o) return undefined;
  const ticket = bytes(o.ticket);
  const resumptionSecret = bytes(o.resumptionSecret);
  const numbers = [o.cipherSuite, o.ageAdd, o.issuedAtMs, o.lifetimeS, o.maxEarlyData];
  if (!ticket || !resumptionSecret || typeof o.serverName !== 'string' || typeof o.alpn !== 'string' || !numbers.every(Number.isFinite)) return undefined;
  const appData = bytes(o.appData);
  return {
    serverName: o.serverName,
    alpn: o.alpn,
    cipherSuite: o.cipherSuite as SessionTicket['cipherSuite'],
    ticket,
    resumptionSecret,
    ageAdd: o.ageAdd as number,
    issuedAtMs: o.issuedAtMs as number,
    lifetimeS: o.lifetimeS as number,
    maxEarlyData: o.maxEarlyData as number,
    ...(appData ? { appData } : {}),
  };
}

/** The key of one server's entry: where it is, the name it must have, and the certificate trusted for it. */
export function serverKey(server: string, serverName: string, caCert: Uint8Array): string {
  return `${server} ${serverName} ${createHash('sha256').update(caCert).digest('hex').slice(0, 32)}`;
}

/** One server's entry of a client's data directory; `save()` writes it back. */
export class ClientState {
  private constructor(
    private readonly file: string,
    private readonly key: string,
    private entry: StoredServer,
  ) {}

  static async open(dataDir: string, key: string): Promise<ClientState> {
    const file = join(dataDir, CLIENT_STATE_FILE);
    const all = await readAll(file);
    const entry = all[key] ?? { owner: b64(randomBytes(32)) };
    return new ClientState(file, key, entry);
  }

  /** The owner token sent with Register (made once per server and kept). */
  get owner(): Uint8Array {
    return bytes(this.entry.owner)!;
  }

  /** The address validation token for the next connection, if one was received. */
  get addressToken(): Uint8Array | undefined {
    return bytes(this.entry.token);
  }

  /**
   * The stored ticket if it is still within its lifetime, removed from the
   * state: a ticket is offered once (servers refuse 0-RTT on a ticket seen
   * before), the connection's own tickets replace it.
   */
  takeTicket(nowMs: number): SessionTicket | undefined {
    const t = decodeTicket(this.entry.ticket);
    delete this.entry.ticket;
    if (!t) return undefined;
    const age = nowMs - t.issuedAtMs;
    return age >= 0 && age < Math.min(t.lifetimeS * 1000, MAX_TICKET_AGE_MS) ? t : undefined;
  }

  setTicket(t: SessionTicket): void {
    this.entry.ticket = encodeTicket(t);
  }

  setAddressToken(token: Uint8Array): void {
    this.entry.token = b64(token);
  }

  /** Writes this server's entry (re-reading the file first, so other servers' entries are kept). */
  async save(): Promise<void> {
    const all = await readAll(this.file);
    all[this.key] = this.entry;
    await mkdir(join(this.file, '..'), { recursive: true });
    const tmp = `${this.file}.${process.pid}.tmp`;
    await writeFile(tmp, `${JSON.stringify(all, null, 1)}\n`, { mode: 0o600 });
    await chmod(tmp, 0o600);
    await rename(tmp, this.file);
  }
}

async function readAll(file: string): Promise<Record<string, StoredServer>> {
  try {
    const parsed: unknown = JSON.parse(await readFile(file, 'utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return {};
    const out: Record<string, StoredServer> = {};
    for (const [k, v] of Object.entries(parsed as Record<string, unknown>)) {
      if (typeof v === 'object' && v !== null && typeof (v as StoredServer).owner === 'string') out[k] = v as StoredServer;
    }
    return out;
  } catch {
    return {};
  }
}
