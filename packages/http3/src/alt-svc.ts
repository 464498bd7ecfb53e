/**
 * @module alt-svc
 * The Alt-Svc header field (RFC 7838 §3) with which an HTTPS-over-TCP server
 * advertises HTTP/3 (RFC 9114 §3.1.1: the "h3" ALPN token): build a value
 * such as `h3=":443"; ma=86400`, and parse one (quoted alt-authority,
 * percent-encoded protocol IDs, `ma` and `persist` parameters, `clear`).
 */

export interface AltSvcEntry {
  /** ALPN protocol ID (default 'h3'). */
  readonly protocol?: string;
  /** Alternative host; empty or absent: the same host as the origin. */
  readonly host?: string;
  readonly port: number;
  /** Freshness lifetime in seconds (`ma`, RFC 7838 §3.1; default 24 hours when absent). */
  readonly maxAge?: number;
  /** Keep the alternative across network changes (`persist=1`, §3.1). */
  readonly persist?: boolean;
}

/** RFC 7838 §3: protocol-id is a token with "%" and non-tchar octets percent-encoded. */
function encodeProtocolId(id: string): string {
  let out = '';
  for (const ch of new TextEncoder().encode(id)) {
    const c = String.fromCharCode(ch);
    out += /[!#$&'*+\-.^_`|~0-9A-Za-z]/.test(c) ? c : `%${ch.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** An Alt-Svc value for one or more alternatives, e.g. `altSvc({ port: 443 })` → `h3=":443"`. */
export function altSvc(entries: AltSvcEntry | readonly AltSvcEntry[]): string {
  const list = Array.isArray(entries) ? entries : [entries as AltSvcEntry];
  if (list.length === 0) return 'clear';
  return list
    .map((e) => {
      if (!Number.isInteger(e.port) || e.port < 1 || e.port > 65535) throw new RangeError(`Alt-Svc port ${e.port}`);
      const host = e.host ?? '';
      if (/["\\\s]/.test(host)) throw new TypeError(`Alt-Svc host ${JSON.stringify(host)}`);
      let value = `${encodeProtocolId(e.protocol ?? 'h3')}="${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${e.port}"`;
      if (e.maxAge !== undefined) {
        if (!Number.isInteger(e.maxAge) || e.maxAge < 0) throw new RangeError(`Alt-Svc max age ${e.maxAge}`);
        value += `; ma=${e.maxAge}`;
      }
      if (e.persist) value += '; persist=1';
      return value;
    })
    .join(', ');
}

/** Parses an Alt-Svc value: the alternatives in order, or 'clear'. Malformed alternatives are skipped (RFC 7838 §3: ignore what cannot be parsed). */
export function parseAltSvc(value: string): AltSvcEntry[] | 'clear' {
  if (value.trim() === 'clear') return 'clear';
  const out: AltSvcEntry[] = [];
  // alternative = protocol-id "=" alt-authority *( OWS ";" OWS parameter )
  const re = /\s*([^=\s,;]+)\s*=\s*"((?:[^"\\]|\\.)*)"((?:\s*;\s*[^=\s,;]+\s*=\s*(?:"(?:[^"\\]|\\.)*"|[^,;\s]*))*)\s*(?:,|$)/y;
  let m: RegExpExecArray | null;
  while (re.lastIndex < value.length && (m = re.exec(value)) !== null) {
    const authority = m[2]!.replace(/\\(.)/g, '$1');
    const colon = authority.lastIndexOf(':');
    const port = Number(authority.slice(colon + 1));
    if (colon < 0 || !Number.isInteger(port) || port < 1 || port > 65535) continue;
    let protocol: string;
    try {
      protocol = decodeURIComponent(m[1]!);
    } catch {
      continue;
    }
    let maxAge: number | undefined;
    let persist = false;
    for (const p of m[3]!.matchAll(/;\s*([^=\s,;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^,;\s]*)/g)) {
      const name = p[1]!.toLowerCase();
      const raw = p[2]!.startsWith('"') ? p[2]!.slice(1, -1) : p[2]!;
      if (name === 'ma' && /^\d+$/.test(raw)) maxAge = Number(raw);
      if (name === 'persist' && raw === '1') persist = true;
    }
    const host = authority.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
    out.push({ protocol, host, port, ...(maxAge === undefined ? {} : { maxAge }), ...(persist ? { persist } : {}) });
  }
  return out;
}
