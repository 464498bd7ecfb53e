/**
 * @module san
 * Subject Alternative Names (RFC 5280 §4.2.1.6): dNSName in the RFC 1034
 * "preferred name syntax" (LDH labels, RFC 1123 §2.1 leading digits, an
 * optional leftmost `*` wildcard label, RFC 6125 §6.4.3) and iPAddress as 4 or
 * 16 network-order octets, with IPv4 dotted-quad and RFC 4291 §2.2 IPv6 text
 * parsing and RFC 5952 §4 canonical IPv6 output. No `node:net` — browser-safe.
 */
import { fail } from './errors.js';

/** A subjectAltName entry (RFC 5280 §4.2.1.6): a DNS name, or an IP address with its 4 or 16 bytes. */
export type SubjectAltName = { readonly type: 'dns'; readonly value: string } | { readonly type: 'ip'; readonly value: string; readonly bytes: Uint8Array };

/** The SANs a development certificate gets when none are given. */
export const DEFAULT_SANS: readonly string[] = ['localhost', '127.0.0.1', '::1'];

/** Dotted-quad IPv4 (no leading zeros, which some parsers read as octal); null when not one. */
export function parseIPv4(s: string): Uint8Array | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p)) return null;
    const v = Number(p);
    if (v > 255) return null;
    out[i] = v;
  }
  return out;
}

function parseGroups(s: string): number[] | null {
  if (s === '') return [];
  const out: number[] = [];
  for (const g of s.split(':')) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(g)) return null;
    out.push(parseInt(g, 16));
  }
  return out;
}

/** RFC 4291 §2.2 text forms (x:x:x:x:x:x:x:x, `::` compression, trailing dotted quad); null when not one. */
export function parseIPv6(s: string): Uint8Array | null {
  if (s.length > 45 || !s.includes(':')) return null;
  let text = s;
  let tail: Uint8Array | null = null;
  const lastColon = text.lastIndexOf(':');
  if (text.indexOf('.', lastColon) >= 0) {
    tail = parseIPv4(text.slice(lastColon + 1));
    if (!tail) return null;
    text = `${text.slice(0, lastColon + 1)}0:0`; // the dotted quad stands for two 16-bit groups
  }
  const dbl = text.indexOf('::');
  if (dbl >= 0 && text.indexOf('::', dbl + 1) >= 0) return null;
  let groups: number[];
  if (dbl >= 0) {
    const head = parseGroups(text.slice(0, dbl));
    const rest = parseGroups(text.slice(dbl + 2));
    if (!head || !rest || head.length + rest.length > 7) return null;
    groups = [...head, ...new Array<number>(8 - head.length - rest.length).fill(0), ...rest];
  } else {
    const all = parseGroups(text);
    if (!all || all.length !== 8) return null;
    groups = all;
  }
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  if (tail) out.set(tail, 12);
  return out;
}

/**
 * RFC 5952 §4: lowercase, no leading zeros, the longest run (≥ 2) of zero groups as `::`, leftmost on ties;
 * §5: IPv4-mapped addresses as `::ffff:a.b.c.d`.
 */
export function formatIPv6(b: Uint8Array): string {
  if (b.subarray(0, 10).every((x) => x === 0) && b[10] === 0xff && b[11] === 0xff) return `::ffff:${Array.from(b.subarray(12)).join('.')}`;
  const g: number[] = [];
  for (let i = 0; i < 16; i += 2) g.push((b[i]! << 8) | b[i + 1]!);
  let bestAt = -1;
  let bestLen = 1;
  for (let i = 0; i < 8;) {
    if (g[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && g[j] === 0) j++;
    if (j - i > bestLen) [bestAt, bestLen] = [i, j - i];
    i = j;
  }
  const hex = (xs: number[]): string => xs.map((x) => x.toString(16)).join(':');
  if (bestAt < 0) return hex(g);
  return `${hex(g.slice(0, bestAt))}::${hex(g.slice(bestAt + bestLen))}`;
}

/** An iPAddress SAN's octets as text (RFC 5280 §4.2.1.6: 4 octets IPv4, 16 octets IPv6); null for other lengths. */
export function formatIp(b: Uint8Array): string | null {
  if (b.length === 4) return Array.from(b).join('.');
  if (b.length === 16) return formatIPv6(b);
  return null;
}

const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** RFC 1034 §3.5 / RFC 1123 §2.1 host name, lowercased; an optional leftmost `*` label (RFC 6125 §6.4.3). */
function checkDnsName(raw: string): string {
  const name = raw.toLowerCase();
  if (name.length > 253) fail('BAD_SAN', `"${raw}" is longer than 253 characters`);
  const labels = name.split('.');
  labels.forEach((label, i) => {
    if (label === '*' && i === 0 && labels.length > 1) return;
    if (!LABEL.test(label)) fail('BAD_SAN', `"${raw}" is not a valid DNS name or IP address`);
  });
  // A name ending in an all-numeric label is a mistyped IPv4 address, not a host name (RFC 1123 §2.1).
  if (/^[0-9]+$/.test(labels[labels.length - 1]!)) fail('BAD_SAN', `"${raw}" is not a valid IPv4 address`);
  return name;
}

/**
 * Parse one SAN: an IP address (v4, v6, or `[v6]`) becomes iPAddress, anything else must be a DNS name.
 * An explicit `DNS:` or `IP:` prefix (OpenSSL's subjectAltName syntax) forces the type.
 */
export function parseSan(input: string): SubjectAltName {
  if (typeof input !== 'string') throw new TypeError('a SAN must be a string');
  const m = /^(dns|ip):(.*)$/i.exec(input);
  const forced = m ? (m[1]!.toLowerCase() as 'dns' | 'ip') : undefined;
  const s = (m ? m[2]! : input).trim();
  if (s === '') fail('BAD_SAN', 'empty Subject Alternative Name');
  if (forced !== 'dns') {
    const v6 = s.startsWith('[') && s.endsWith(']') ? s.slice(1, -1) : s;
    const bytes = parseIPv4(s) ?? parseIPv6(v6);
    if (bytes) return { type: 'ip', value: formatIp(bytes)!, bytes };
    if (forced === 'ip') fail('BAD_SAN', `"${input}" is not a valid IP address`);
    if (s.includes(':')) fail('BAD_SAN', `"${input}" is not a valid IPv6 address`);
  }
  return { type: 'dns', value: checkDnsName(s) };
}

/** Parse a list of SANs, dropping duplicates; BAD_SAN for the first bad one, RangeError for none. */
export function parseSans(inputs: readonly string[]): SubjectAltName[] {
  if (!Array.isArray(inputs)) throw new TypeError('sans must be an array of strings');
  if (inputs.length === 0) throw new RangeError('at least one Subject Alternative Name is needed');
  const seen = new Set<string>();
  const out: SubjectAltName[] = [];
  for (const s of inputs) {
    const san = parseSan(s);
    const key = `${san.type}:${san.value}`;
    if (!seen.has(key)) out.push(san);
    seen.add(key);
  }
  return out;
}
