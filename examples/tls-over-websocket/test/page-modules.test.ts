/**
 * The page's small modules on their own: HTTP/1.1 request and response
 * (RFC 9112), PEM / base64 trust anchors (RFC 7468), the configuration, and
 * the certificate subject (RFC 4514).
 */
import { describe, expect, it } from 'vitest';
import { certificateSubject } from '../src/page/certificate.js';
import { ConfigError, loadConfig, resolveConfig } from '../src/page/config.js';
import { encodeGet, HttpParseError, parseResponse } from '../src/page/http1.js';
import { base64ToBytes, certificatesFromText } from '../src/page/pem.js';
import { makeTestPki } from '../src/node/test-pki.js';

const enc = (s: string): Uint8Array => new TextEncoder().encode(s);
const dec = (b: Uint8Array): string => new TextDecoder().decode(b);

describe('http1', () => {
  it('encodes one GET with Host and Connection: close (RFC 9112 §3, §9.6)', () => {
    expect(dec(encodeGet('localhost', '/a?b=c'))).toBe('GET /a?b=c HTTP/1.1\r\nHost: localhost\r\nUser-Agent: tsquic-tls-over-websocket\r\nAccept: */*\r\nConnection: close\r\n\r\n');
  });

  it.each([
    ['a path without /', 'localhost', 'a'],
    ['a path with a space', 'localhost', '/a b'],
    ['a path with CRLF', 'localhost', '/a\r\nX: y'],
    ['an empty Host', '', '/'],
    ['a Host with CRLF', 'a\r\nX: y', '/'],
  ])('refuses %s (TypeError)', (_what, host, path) => {
    expect(() => encodeGet(host, path)).toThrow(TypeError);
  });

  it.each([
    ['Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhello, and more', 'hello'],
    ['chunked, with an extension and a trailer', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nhel\r\n2\r\nlo\r\n0\r\nT: 1\r\n\r\n', 'hello'],
    ['chunked over Content-Length (§6.3)', 'HTTP/1.1 200 OK\r\nContent-Length: 99\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n0\r\n\r\n', 'hello'],
    ['the close', 'HTTP/1.0 200 OK\r\nServer: x\r\n\r\nhello', 'hello'],
  ])('parses a body framed by %s', (_what, text, body) => {
    expect(dec(parseResponse(enc(text)).body)).toBe(body);
  });

  it('parses the status line and the header fields (names lower-cased, values trimmed)', () => {
    const r = parseResponse(enc('HTTP/1.1 404 Not Found\r\nContent-Type:  text/plain \r\nX-A: 1\r\nContent-Length: 0\r\n\r\n'));
    expect([r.version, r.status, r.reason]).toEqual(['HTTP/1.1', 404, 'Not Found']);
    expect(r.headers).toEqual([
      ['content-type', 'text/plain'],
      ['x-a', '1'],
      ['content-length', '0'],
    ]);
    expect(parseResponse(enc('HTTP/1.1 204\r\n\r\n')).reason).toBe('');
  });

  it.each([
    ['no end of the header section', 'HTTP/1.1 200 OK\r\nContent-Length: 1\r\n', /inside its header/],
    ['not HTTP', 'SSH-2.0-x\r\n\r\n', /bad status line/],
    ['HTTP/2 in a status line', 'HTTP/2 200\r\n\r\n', /bad status line/],
    ['a space before the colon (§5.1)', 'HTTP/1.1 200 OK\r\nX-A : 1\r\n\r\n', /bad header line/],
    ['a line without a colon', 'HTTP/1.1 200 OK\r\nnonsense\r\n\r\n', /bad header line/],
    ['a short Content-Length body', 'HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\nabc', /truncated: 3 of 10/],
    ['a negative Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: -1\r\n\r\n', /bad Content-Length/],
    ['a huge Content-Length', 'HTTP/1.1 200 OK\r\nContent-Length: 9999999999999999\r\n\r\n', /bad Content-Length/],
    ['gzip transfer-coding', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: gzip\r\n\r\n', /unsupported transfer-coding/],
    ['a bad chunk size', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n', /bad chunk size/],
    ['a chunk longer than the data', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nff\r\nabc', /chunked body truncated/],
    ['no last chunk', 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n', /chunked body truncated/],
  ])('refuses %s (HttpParseError)', (_what, text, message) => {
    let error: unknown;
    try {
      parseResponse(enc(text));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(HttpParseError);
    expect((error as Error).message).toMatch(message);
  });

  it('every truncation of a chunked response is refused until the last chunk has arrived', () => {
    const text = 'HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n';
    const full = enc(text);
    const complete = text.lastIndexOf('0\r\n') + 3;
    for (let n = 0; n <= full.length; n++) {
      if (n < complete) expect(() => parseResponse(full.subarray(0, n)), `prefix ${n}`).toThrow(HttpParseError);
      else expect(dec(parseResponse(full.subarray(0, n)).body)).toBe('hello world');
    }
  });
});

describe('pem', () => {
  it('decodes base64 and base64url, with or without padding', () => {
    expect(Array.from(base64ToBytes('+/8='))).toEqual([0xfb, 0xff]);
    expect(Array.from(base64ToBytes('-_8'))).toEqual([0xfb, 0xff]);
    expect(Array.from(base64ToBytes(' AA\nEC '))).toEqual([0, 1, 2]);
    expect(() => base64ToBytes('a')).toThrow(TypeError);
    expect(() => base64ToBytes('ab$d')).toThrow(TypeError);
  });

  it('reads every CERTIFICATE block of a PEM text and skips other blocks', () => {
    const pki = makeTestPki();
    try {
      const two = certificatesFromText(`${pki.ca.cert}${pki.server.key}${pki.server.cert}`);
      expect(two).toHaveLength(2);
      expect(certificateSubject(two[0]!)).toBe('CN=tsquic test root, O=tsquic');
      expect(certificateSubject(two[1]!)).toBe('CN=localhost, O=tsquic');
      // One bare base64 DER certificate is accepted too.
      const b64 = pki.ca.cert.replace(/-----[A-Z ]+-----/g, '').replace(/\s+/g, '');
      expect(certificatesFromText(b64)).toEqual([two[0]]);
      expect(() => certificatesFromText(pki.server.key)).toThrow(/no CERTIFICATE block/);
      expect(() => certificatesFromText('aGVsbG8=')).toThrow(/neither PEM nor/);
    } finally {
      pki.remove();
    }
  });
});

describe('config', () => {
  const ca = 'MAMCAQA='; // a DER SEQUENCE: accepted as an anchor by the config (pkijs judges it later)

  it('merges JSON and query string, the query winning, with defaults', () => {
    const c = resolveConfig({ proxy: 'ws://127.0.0.1:1/', serverName: 'a.test', ca }, new URLSearchParams('serverName=b.test&host=h.test'));
    expect(c).toEqual({ proxy: 'ws://127.0.0.1:1/', serverName: 'b.test', path: '/', host: 'h.test', trustAnchors: [Uint8Array.of(0x30, 3, 2, 1, 0)] });
  });

  it.each([
    [{}, /no relay URL/],
    [{ proxy: 'nope' }, /proxy is not a URL/],
    [{ proxy: 'http://127.0.0.1/' }, /must be a ws:\/\/ or wss:\/\//],
    [{ proxy: 'ws://127.0.0.1/' }, /no server name/],
    [{ proxy: 'ws://127.0.0.1/', serverName: 'a' }, /no trust anchor/],
    [{ proxy: 'ws://127.0.0.1/', serverName: 'a', ca: '%%%' }, /bad trust anchor/],
    [{ proxy: 'ws://127.0.0.1/', serverName: 'a', ca, path: 'x' }, /path must start with/],
    [{ proxy: 'ws://127.0.0.1/', serverName: 1 }, /serverName must be a string/],
  ])('refuses %j with a ConfigError', (json, message) => {
    expect(() => resolveConfig(json as never, new URLSearchParams())).toThrow(ConfigError);
    expect(() => resolveConfig(json as never, new URLSearchParams())).toThrow(message);
  });

  it('loads config.json beside the page, or the document named by ?config=', async () => {
    const docs: Record<string, unknown> = {
      'http://x/app/config.json': { proxy: 'ws://127.0.0.1:1/', serverName: 'a.test', ca },
      'http://x/app/other.json': { proxy: 'ws://127.0.0.1:2/', serverName: 'b.test', ca },
    };
    const fetchFn = (async (url: URL) => {
      const doc = docs[url.href];
      return doc ? new Response(JSON.stringify(doc)) : new Response('', { status: 404 });
    }) as typeof fetch;
    expect((await loadConfig(new URL('http://x/app/'), fetchFn)).serverName).toBe('a.test');
    expect((await loadConfig(new URL('http://x/app/?config=other.json'), fetchFn)).proxy).toBe('ws://127.0.0.1:2/');
    await expect(loadConfig(new URL('http://x/app/?config=missing.json'), fetchFn)).rejects.toThrow(/cannot load config missing.json \(HTTP 404\)/);
    // No config.json at all: the query string alone is enough.
    const q = new URLSearchParams({ proxy: 'ws://127.0.0.1:3/', serverName: 'c.test', ca });
    expect((await loadConfig(new URL(`http://x/elsewhere/?${q}`), fetchFn)).serverName).toBe('c.test');
  });
});
