/**
 * @module core/preferred-address
 * The preferred_address transport parameter (RFC 9000 §9.6, §18.2) between
 * our settings (address strings) and the wire form (address bytes), and the
 * choice of the address of the current path's family.
 */
import type { PreferredAddress } from '@tsquic/quic-wire';
import type { TransportSettings } from './config.js';
import type { Path } from './connection.js';

/** RFC 9000 §18.2 preferred_address from our settings (zero address and port for a family we do not offer). */
export function encodePreferredAddress(pa: NonNullable<TransportSettings['preferredAddress']>, cid: { cid: Uint8Array; resetToken: Uint8Array }): PreferredAddress {
  return {
    ipv4Address: pa.ipv4 ? Uint8Array.from(pa.ipv4.address.split('.').map(Number)) : new Uint8Array(4),
    ipv4Port: pa.ipv4?.port ?? 0,
    ipv6Address: pa.ipv6 ? ipv6Bytes(pa.ipv6.address) : new Uint8Array(16),
    ipv6Port: pa.ipv6?.port ?? 0,
    connectionId: cid.cid,
    statelessResetToken: cid.resetToken,
  };
}

/** The preferred address of the current path's family, if the server offered one. */
export function preferredPathFor(pa: PreferredAddress, current: Path): Path | undefined {
  const v6 = current.address.includes(':');
  if (!v6 && pa.ipv4Port !== 0 && pa.ipv4Address.some((b) => b !== 0)) return { address: pa.ipv4Address.join('.'), port: pa.ipv4Port };
  if (v6 && pa.ipv6Port !== 0 && pa.ipv6Address.some((b) => b !== 0)) return { address: ipv6Text(pa.ipv6Address), port: pa.ipv6Port };
  return undefined;
}

export function ipv6Bytes(text: string): Uint8Array {
  const [head, tail] = text.includes('::') ? text.split('::') : [text, undefined];
  const h = head ? head.split(':') : [];
  const t = tail ? tail.split(':') : [];
  const groups = tail === undefined ? h : [...h, ...Array<string>(8 - h.length - t.length).fill('0'), ...t];
  if (groups.length !== 8) throw new TypeError(`not an IPv6 address: ${text}`);
  const out = new Uint8Array(16);
  groups.forEach((g, i) => {
    const v = parseInt(g, 16);
    out[2 * i] = v >> 8;
    out[2 * i + 1] = v & 0xff;
  });
  return out;
}

export function ipv6Text(b: Uint8Array): string {
  const groups: string[] = [];
  for (let i = 0; i < 16; i += 2) groups.push(((b[i]! << 8) | b[i + 1]!).toString(16));
  return groups.join(':').replace(/(^|:)0(:0)+(:|$)/, '::');
}
