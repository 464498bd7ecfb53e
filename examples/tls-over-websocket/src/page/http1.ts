/**
 * @module page/http1
 * The HTTP/1.1 the page speaks inside TLS (RFC 9112): one GET with
 * `Connection: close`, and a parser for the whole response once the server
 * has ended it — status line, header fields, and a body framed by
 * Transfer-Encoding: chunked (§7.1), Content-Length (§6.3) or the close.
 */

export interface HttpResponse {
  version: string;
  status: number;
  reason: string;
  /** Field names lower-cased, in order received. */
  headers: Array<[string, string]>;
  body: Uint8Array;
}

/** A response that is not valid HTTP/1.x (or is cut short). */
export class HttpParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'HttpParseError';
  }
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

/** RFC 9112 §3: `GET <path> HTTP/1.1` with Host (§3.2) and Connection: close (§9.6). */
export function encodeGet(host: string, path: string): Uint8Array {
  if (!path.startsWith('/') || /[\s\x00-\x1f\x7f]/.test(path)) throw new TypeError(`bad request path ${JSON.stringify(path)}`);
  if (/[\s\x00-\x1f\x7f/]/.test(host) || host === '') throw new TypeError(`bad Host ${JSON.stringify(host)}`);
  const head = `GET ${path} HTTP/1.1\r\nHost: ${host}\r\nUser-Agent: tsquic-tls-over-websocket\r\nAccept: */*\r\nConnection: close\r\n\r\n`;
  return new TextEncoder().encode(head);
}

function indexOfCrlfCrlf(b: Uint8Array): number {
  for (let i = 0; i + 3 < b.length; i++) if (b[i] === 13 && b[i + 1] === 10 && b[i + 2] === 13 && b[i + 3] === 10) return i;
  return -1;
}

const latin1 = new TextDecoder('latin1');

/** Parse a complete response (everything the server sent before closing). */
export function parseResponse(bytes: Uint8Array): HttpResponse {
  const end = indexOfCrlfCrlf(bytes);
  if (end < 0) throw new HttpParseError('response ended inside its header section');
  const lines = latin1.decode(bytes.subarray(0, end)).split('\r\n');
  // RFC 9112 §4: status-line = HTTP-version SP status-code SP [ reason-phrase ]
  const m = /^(HTTP\/1\.[01]) ([0-9]{3})(?: (.*))?$/.exec(lines[0]!);
  if (!m) throw new HttpParseError(`bad status line ${JSON.stringify(lines[0]!.slice(0, 80))}`);
  const headers: Array<[string, string]> = [];
  for (const line of lines.slice(1)) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon);
    // RFC 9112 §5.1: no whitespace between the field name and the colon.
    if (colon <= 0 || !TOKEN.test(name)) throw new HttpParseError(`bad header line ${JSON.stringify(line.slice(0, 80))}`);
    headers.push([name.toLowerCase(), line.slice(colon + 1).trim()]);
  }
  const rest = bytes.subarray(end + 4);
  const field = (n: string): string | undefined => headers.find(([k]) => k === n)?.[1];
  const te = field('transfer-encoding');
  const cl = field('content-length');
  let body: Uint8Array;
  if (te !== undefined) {
    // RFC 9112 §6.3: Transfer-Encoding overrides Content-Length; only chunked is understood here.
    if (te.toLowerCase() !== 'chunked') throw new HttpParseError(`unsupported transfer-coding ${te}`);
    body = dechunk(rest);
  } else if (cl !== undefined) {
    if (!/^[0-9]{1,15}$/.test(cl)) throw new HttpParseError(`bad Content-Length ${cl}`);
    const n = Number(cl);
    if (rest.length < n) throw new HttpParseError(`body truncated: ${rest.length} of ${n} bytes`);
    body = rest.subarray(0, n);
  } else {
    body = rest; // §6.3 rule 8: the body runs to the close.
  }
  return { version: m[1]!, status: Number(m[2]), reason: m[3] ?? '', headers, body };
}

/** RFC 9112 §7.1: chunked transfer coding (extensions and trailers ignored). */
function dechunk(b: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  let total = 0;
  let off = 0;
  for (;;) {
    const eol = indexOfCrlf(b, off);
    if (eol < 0) throw new HttpParseError('chunked body truncated');
    const sizeText = latin1.decode(b.subarray(off, eol)).split(';')[0]!.trim();
    if (!/^[0-9A-Fa-f]{1,8}$/.test(sizeText)) throw new HttpParseError(`bad chunk size ${JSON.stringify(sizeText)}`);
    const size = parseInt(sizeText, 16);
    off = eol + 2;
    if (size === 0) break;
    if (off + size + 2 > b.length) throw new HttpParseError('chunked body truncated');
    parts.push(b.subarray(off, off + size));
    total += size;
    off += size + 2;
  }
  const out = new Uint8Array(total);
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

function indexOfCrlf(b: Uint8Array, from: number): number {
  for (let i = from; i + 1 < b.length; i++) if (b[i] === 13 && b[i + 1] === 10) return i;
  return -1;
}
