/**
 * @module certificates/name
 * Server identity checks: the reference identity (the SNI host name or the IP
 * address the client connected to) against the certificate's
 * subjectAltName, by RFC 6125 §6 (DNS-ID, IP-ID; a wildcard only as the
 * whole left-most label, matching exactly one label, never a bare public
 * suffix such as `*.com`; no Common Name fallback, as in RFC 9525), and the
 * dNSName / iPAddress name constraints of RFC 5280 §4.2.1.10.
 */
import { equalBytes } from '../codec.js';
import type { Subtree } from './x509.js';

/** A parsed reference identity. */
export type ReferenceName = { kind: 'dns'; name: string } | { kind: 'ip'; address: Uint8Array };

function parseIpv4(s: string): Uint8Array | null {
  const parts = s.split('.');
  if (parts.length !== 4) return null;
  const out = new Uint8Array(4);
  for (let i = 0; i < 4; i++) {
    const p = parts[i]!;
    if (!/^(0|[1-9][0-9]{0,2})$/.test(p) || Number(p) > 255) return null;
    out[i] = Number(p);
  }
  return out;
}

function parseIpv6(s: string): Uint8Array | null {
  const text = s.startsWith('[') && s.endsWith(']') ? s.slice(1, -1) : s;
  if (!text.includes(':') || text.includes('%')) return null;
  let head = text;
  let tail = '';
  const dbl = text.indexOf('::');
  if (dbl >= 0) {
    if (text.indexOf('::', dbl + 1) >= 0) return null;
    head = text.slice(0, dbl);
    tail = text.slice(dbl + 2);
  }
  const groups = (part: string): number[] | null => {
    if (part === '') return [];
    const out: number[] = [];
    const items = part.split(':');
    for (let i = 0; i < items.length; i++) {
      const g = items[i]!;
      if (i === items.length - 1 && g.includes('.')) {
        const v4 = parseIpv4(g);
        if (!v4) return null;
        out.push((v4[0]! << 8) | v4[1]!, (v4[2]! << 8) | v4[3]!);
      } else if (/^[0-9a-fA-F]{1,4}$/.test(g)) out.push(parseInt(g, 16));
      else return null;
    }
    return out;
  };
  const h = groups(head);
  const t = groups(tail);
  if (!h || !t) return null;
  const missing = 8 - h.length - t.length;
  if ((dbl >= 0 && missing < 1) || (dbl < 0 && missing !== 0)) return null;
  const all = [...h, ...new Array<number>(dbl >= 0 ? missing : 0).fill(0), ...t];
  const out = new Uint8Array(16);
  all.forEach((g, i) => {
    out[2 * i] = g >> 8;
    out[2 * i + 1] = g & 0xff;
  });
  return out;
}

/** An IPv4 or IPv6 literal as bytes, or null for anything else. */
export function ipAddressBytes(s: string): Uint8Array | null {
  return parseIpv4(s) ?? parseIpv6(s);
}

/** RFC 6125 §6.2.1: a host name (case-folded, without a trailing dot) or an IP address. */
export function referenceName(serverName: string): ReferenceName {
  const ip = ipAddressBytes(serverName);
  if (ip) return { kind: 'ip', address: ip };
  return { kind: 'dns', name: canonicalDns(serverName) };
}

/** RFC 6125 §6.2.1 / RFC 5280 §7.2: compare host names case-insensitively, without a trailing dot. */
export function canonicalDns(name: string): string {
  const lower = name.toLowerCase();
  return lower.endsWith('.') ? lower.slice(0, -1) : lower;
}

/** RFC 6125 §6.4: one presented DNS-ID against the reference host name. */
export function dnsIdMatches(presented: string, reference: string): boolean {
  const p = canonicalDns(presented);
  if (p.length === 0 || reference.length === 0) return false;
  if (!p.startsWith('*.')) return p === reference;
  // RFC 6125 §6.4.3 (as narrowed by RFC 9525 §6.3): '*' is the whole left-most label and stands for exactly one label.
  const base = p.slice(2);
  if (base.includes('*') || base.split('.').length < 2) return false; // no '*.com', no second wildcard
  const dot = reference.indexOf('.');
  if (dot <= 0) return false;
  return reference.slice(dot + 1) === base;
}

/** Does the certificate's subjectAltName carry the reference identity? */
export function matchesReference(ref: ReferenceName, dnsNames: string[], ipAddresses: Uint8Array[]): boolean {
  if (ref.kind === 'ip') return ipAddresses.some((a) => equalBytes(a, ref.address));
  return dnsNames.some((d) => dnsIdMatches(d, ref.name));
}

/** Both canonical (see canonicalDns); no allocation: this runs name × subtree times. */
function dnsWithin(n: string, c: string): boolean {
  if (c === '') return true;
  // RFC 5280 §4.2.1.10: names built by adding labels to the left satisfy the constraint.
  if (c.charCodeAt(0) === 46) return n.endsWith(c);
  return n === c || (n.length > c.length && n.endsWith(c) && n.charCodeAt(n.length - c.length - 1) === 46);
}

function ipWithin(address: Uint8Array, constraint: Uint8Array): boolean {
  // RFC 5280 §4.2.1.10: iPAddress constraints are address ‖ mask (8 bytes for IPv4, 32 for IPv6).
  if (constraint.length !== 2 * address.length) return false;
  for (let i = 0; i < address.length; i++) {
    const mask = constraint[address.length + i]!;
    if ((address[i]! & mask) !== (constraint[i]! & mask)) return false;
  }
  return true;
}

/**
 * Can a wildcard DNS-ID `*.base` stand for a name inside the DNS subtree
 * `constraint`? It stands for any one label to the left of `base` (RFC 6125
 * §6.4.3), so it enters the subtree when the subtree holds all of
 * `*.base` or exactly one label more than `base`.
 */
function wildcardEnters(base: string, c: string): boolean {
  if (c === '') return true;
  if (c.startsWith('.')) return base === c.slice(1) || base.endsWith(c);
  if (base === c || base.endsWith(`.${c}`)) return true;
  const label = c.endsWith(`.${base}`) ? c.slice(0, c.length - base.length - 1) : null;
  return label !== null && label.length > 0 && !label.includes('.');
}

function within(kind: 'dns' | 'ip', value: string | Uint8Array, t: Subtree): boolean {
  if (t.kind !== kind) return false;
  return kind === 'dns' ? dnsWithin(value as string, t.value as string) : ipWithin(value as Uint8Array, t.value as Uint8Array);
}

/** An excluded subtree rules a name out; a wildcard DNS-ID is ruled out when any name it stands for would be. */
function excludedBy(kind: 'dns' | 'ip', value: string | Uint8Array, t: Subtree): boolean {
  if (kind === 'dns' && t.kind === 'dns') {
    const name = value as string;
    if (name.startsWith('*.')) return wildcardEnters(name.slice(2), t.value as string);
  }
  return within(kind, value, t);
}

/**
 * RFC 5280 §4.2.1.10 for the dNSName and iPAddress names of a certificate
 * (and, from the path check, the reference name the client asked for;
 * dNSName subtrees are canonical, as parseCertificate makes them):
 * every name of a constrained form must lie in a permitted subtree of that
 * form, and none in an excluded one — a wildcard DNS-ID counts as every name
 * it can stand for. `compare` is called once per name–subtree comparison
 * (the path builder's work budget).
 */
export function satisfiesNameConstraints(nc: { permitted: Subtree[]; excluded: Subtree[] }, dnsNames: readonly string[], ipAddresses: readonly Uint8Array[], compare: () => void = () => {}): boolean {
  const names: Array<['dns' | 'ip', string | Uint8Array]> = [...dnsNames.map((d) => ['dns', canonicalDns(d)] as ['dns', string]), ...ipAddresses.map((a) => ['ip', a] as ['ip', Uint8Array])];
  for (const [kind, value] of names) {
    let constrained = false;
    let permitted = false;
    for (const t of nc.permitted) {
      if (t.kind !== kind) continue;
      compare();
      constrained = true;
      if (within(kind, value, t)) {
        permitted = true;
        break;
      }
    }
    if (constrained && !permitted) return false;
    for (const t of nc.excluded) {
      compare();
      if (excludedBy(kind, value, t)) return false;
    }
  }
  return true;
}
