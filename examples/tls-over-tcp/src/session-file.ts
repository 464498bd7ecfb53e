/**
 * @module session-file
 * A SessionTicket (RFC 8446 §4.6.1 state the client keeps) as a JSON file,
 * byte fields in base64, so that `tls-get --session FILE` resumes across runs.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import type { SessionTicket } from '@tsquic/tls13-handshake';

const B64_FIELDS = ['ticket', 'resumptionSecret', 'appData'] as const;

export function saveTicket(file: string, t: SessionTicket): void {
  const out: Record<string, unknown> = { ...t };
  for (const f of B64_FIELDS) if (t[f]) out[f] = Buffer.from(t[f]!).toString('base64');
  writeFileSync(file, JSON.stringify(out, null, 1));
}

export function loadTicket(file: string): SessionTicket | undefined {
  if (!existsSync(file)) return undefined;
  const raw = JSON.parse(readFileSync(file, 'utf8')) as Record<string, unknown>;
  for (const f of B64_FIELDS) if (typeof raw[f] === 'string') raw[f] = new Uint8Array(Buffer.from(raw[f] as string, 'base64'));
  return raw as unknown as SessionTicket;
}
