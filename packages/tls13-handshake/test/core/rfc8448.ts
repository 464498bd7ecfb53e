/**
 * @module test/core/rfc8448
 * Reads the RFC 8448 trace text (/work/shared/specs/rfc8448.txt, or the copy
 * next to it) into steps: `{who}  heading` followed by `field (N octets): hex`.
 * Tests look values up by section, heading and field, so every vector comes
 * straight from the RFC text.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export interface Step {
  who: string;
  heading: string;
  fields: Map<string, Uint8Array>;
}

const CANDIDATES = [fileURLToPath(new URL('../fixtures/rfc8448.txt', import.meta.url)), '/work/shared/specs/rfc8448.txt'];

function load(): string {
  for (const p of CANDIDATES) if (existsSync(p)) return readFileSync(p, 'utf8');
  throw new Error('rfc8448.txt not found');
}

const SECTION_TITLES: Record<number, string> = {
  3: '3.  Simple 1-RTT Handshake',
  4: '4.  Resumed 0-RTT Handshake',
  5: '5.  HelloRetryRequest',
  6: '6.  Client Authentication',
  7: '7.  Compatibility Mode',
};

function parseSection(text: string, n: number): Step[] {
  const start = text.indexOf(`\n${SECTION_TITLES[n]}\n`);
  const end = text.indexOf(`\n${SECTION_TITLES[n + 1] ?? '8.  Security Considerations'}\n`);
  const lines = text
    .slice(start, end)
    .split('\n')
    .filter((l) => !/^(Thomson|Internet-Draft|RFC 8448|Thomson\s)/.test(l) && !l.includes('\f'));
  const steps: Step[] = [];
  let cur: Step | undefined;
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!;
    const h = /^ {3}\{(client|server)\}\s+(.*)$/.exec(line);
    if (h) {
      let heading = h[2]!;
      // headings may wrap onto the next line
      while (i + 1 < lines.length && /^ {6}\S/.test(lines[i + 1]!) && !/\(\d+ octets\):/.test(lines[i + 1]!)) heading += ' ' + lines[++i]!.trim();
      cur = { who: h[1]!, heading, fields: new Map() };
      steps.push(cur);
      continue;
    }
    const f = /^ {6}(\S.*?) \((\d+) octets\):\s*(.*)$/.exec(line);
    if (f && cur) {
      // Collect the hex on continuation lines (9-space indent), across page breaks; the
      // declared octet count is not trusted (RFC 8448 §4's ClientHello says 477, holds 512).
      const hex: string[] = f[3]!.trim() === '(empty)' ? [] : f[3]!.trim().split(/\s+/).filter(Boolean);
      for (;;) {
        let j = i + 1;
        while (j < lines.length && lines[j]!.trim() === '') j++;
        if (j < lines.length && /^ {9}[0-9a-f]{2}( [0-9a-f]{2})*\s*$/.test(lines[j]!)) {
          hex.push(...lines[j]!.trim().split(/\s+/));
          i = j;
        } else break;
      }
      cur.fields.set(f[1]!, Uint8Array.from(hex.map((x) => parseInt(x, 16))));
    }
  }
  return steps;
}

const cache = new Map<number, Step[]>();

export function section(n: number): Step[] {
  let s = cache.get(n);
  if (!s) {
    s = parseSection(load(), n);
    cache.set(n, s);
  }
  return s;
}

/** The field of the `occurrence`-th step whose heading starts with `heading` (and optionally is by `who`). */
export function vec(n: number, who: 'client' | 'server', heading: string, field: string, occurrence = 0): Uint8Array {
  const matches = section(n).filter((s) => s.who === who && s.heading.startsWith(heading) && s.fields.has(field));
  const m = matches[occurrence];
  if (!m) throw new Error(`RFC 8448 §${n}: no ${who} "${heading}" / ${field} #${occurrence}`);
  return m.fields.get(field)!;
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
export const unhex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
