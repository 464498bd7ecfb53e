/**
 * @module http
 * The little HTTP/1.1 (RFC 9112) the example needs: a GET request, a response
 * parser (Content-Length, chunked, or until close), and a request-head reader.
 */

const enc = new TextEncoder();
const dec = new TextDecoder();

export function getRequest(url: URL): Uint8Array {
  const path = `${url.pathname || '/'}${url.search}`;
  return enc.encode(`GET ${path} HTTP/1.1\r\nHost: ${url.host}\r\nUser-Agent: tls-get\r\nAccept: */*\r\nConnection: close\r\n\r\n`);
}

export interface HttpResponse {
  status: number;
  headers: Record<string, string>;
  body: Uint8Array;
}

function indexOfCrlfCrlf(b: Uint8Array): number {
  for (let i = 0; i + 3 < b.length; i++) {
    if (b[i] === 13 && b[i + 1] === 10 && b[i + 2] === 13 && b[i + 3] === 10) return i;
  }
  return -1;
}

/** Parse a complete response (the whole stream up to EOF). */
export function parseResponse(all: Uint8Array): HttpResponse {
  const end = indexOfCrlfCrlf(all);
  if (end < 0) throw new Error('incomplete HTTP response head');
  const lines = dec.decode(all.subarray(0, end)).split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(lines[0] ?? '');
  if (!m) throw new Error(`bad status line: ${lines[0]}`);
  const headers: Record<string, string> = {};
  for (const l of lines.slice(1)) {
    const i = l.indexOf(':');
    if (i > 0) headers[l.slice(0, i).trim().toLowerCase()] = l.slice(i + 1).trim();
  }
  let body = all.subarray(end + 4);
  if (/chunked/i.test(headers['transfer-encoding'] ?? '')) body = dechunk(body);
  else if (headers['content-length'] !== undefined) body = body.subarray(0, Number(headers['content-length']));
  return { status: Number(m[1]), headers, body };
}

function dechunk(b: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [];
  let off = 0;
  for (;;) {
    let eol = off;
    while (eol + 1 < b.length && !(b[eol] === 13 && b[eol + 1] === 10)) eol++;
    if (eol + 1 >= b.length) throw new Error('truncated chunked body');
    const size = parseInt(dec.decode(b.subarray(off, eol)).split(';')[0]!, 16);
    if (!Number.isFinite(size)) throw new Error('bad chunk size');
    off = eol + 2;
    if (size === 0) break;
    if (off + size > b.length) throw new Error('truncated chunk');
    parts.push(b.subarray(off, off + size));
    off += size + 2;
  }
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
}

/** Read from `reader` until a request head (CRLFCRLF) has arrived; null on EOF first. */
export async function readRequestHead(reader: ReadableStreamDefaultReader<Uint8Array>, max = 16384): Promise<string | null> {
  let buf = new Uint8Array(0);
  for (;;) {
    const end = indexOfCrlfCrlf(buf);
    if (end >= 0) return dec.decode(buf.subarray(0, end));
    if (buf.length > max) throw new Error('request head too large');
    const { value, done } = await reader.read();
    if (done) return null;
    const next = new Uint8Array(buf.length + value.length);
    next.set(buf);
    next.set(value, buf.length);
    buf = next;
  }
}

export function okResponse(body: string, keepAlive = false): Uint8Array {
  const b = enc.encode(body);
  const head = `HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${b.length}\r\nConnection: ${keepAlive ? 'keep-alive' : 'close'}\r\n\r\n`;
  const h = enc.encode(head);
  const out = new Uint8Array(h.length + b.length);
  out.set(h);
  out.set(b, h.length);
  return out;
}
