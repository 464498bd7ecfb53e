import { describe, expect, it } from 'vitest';
import { H3Error, H3ErrorCode } from '../src/h3/errors.js';
import { contentLengthOf, isValidFieldValue, parseRequestHead, parseResponseHead, parseTrailers } from '../src/h3/message.js';
import type { FieldLine } from '../src/qpack/field-section.js';

const GET: FieldLine[] = [
  [':method', 'GET'],
  [':scheme', 'https'],
  [':authority', 'server4:443'],
  [':path', '/file.bin'],
];

function malformed(f: () => unknown): void {
  try {
    f();
  } catch (e) {
    expect(H3Error.isInstance(e)).toBe(true);
    expect((e as H3Error).code).toBe(H3ErrorCode.H3_MESSAGE_ERROR);
    expect((e as H3Error).scope).toBe('stream');
    return;
  }
  throw new Error('accepted a malformed message');
}

describe('request heads (RFC 9114 §4.3.1)', () => {
  it('accepts a GET with the four pseudo-headers and regular fields', () => {
    expect(parseRequestHead([...GET, ['user-agent', 'x'], ['te', 'trailers']])).toEqual({
      method: 'GET',
      scheme: 'https',
      authority: 'server4:443',
      path: '/file.bin',
      fields: [
        ['user-agent', 'x'],
        ['te', 'trailers'],
      ],
    });
  });

  it('accepts Host instead of :authority, and a CONNECT request', () => {
    expect(parseRequestHead([...GET.filter(([n]) => n !== ':authority'), ['host', 'a.example']]).path).toBe('/file.bin');
    expect(parseRequestHead([[':method', 'CONNECT'], [':authority', 'a.example:443']]).method).toBe('CONNECT');
  });

  it.each<[string, FieldLine[]]>([
    ['missing :method', GET.slice(1)],
    ['missing :path', GET.filter(([n]) => n !== ':path')],
    ['missing :scheme', GET.filter(([n]) => n !== ':scheme')],
    ['neither :authority nor Host', GET.filter(([n]) => n !== ':authority')],
    ['empty :path', [...GET.slice(0, 3), [':path', '']]],
    ['relative :path', [...GET.slice(0, 3), [':path', 'file.bin']]],
    ['duplicate :path', [...GET, [':path', '/x']]],
    ['a pseudo-header after a regular field', [...GET.slice(0, 3), ['accept', '*/*'], [':path', '/']]],
    ['a response pseudo-header', [...GET, [':status', '200']]],
    ['an unknown pseudo-header', [...GET, [':protocol', 'websocket']]],
    ['an uppercase field name', [...GET, ['User-Agent', 'x']]],
    ['a space in a field name', [...GET, ['user agent', 'x']]],
    ['an empty field name', [...GET, ['', 'x']]],
    ['a connection-specific field', [...GET, ['connection', 'close']]],
    ['transfer-encoding', [...GET, ['transfer-encoding', 'chunked']]],
    ['TE other than trailers', [...GET, ['te', 'gzip']]],
    ['CR LF in a value', [...GET, ['x-a', 'a\r\nb']]],
    ['NUL in a value', [...GET, ['x-a', 'a\u0000b']]],
    ['leading whitespace in a value', [...GET, ['x-a', ' a']]],
    [':authority and Host differ', [...GET, ['host', 'other']]],
    ['userinfo in :authority', [[':method', 'GET'], [':scheme', 'https'], [':authority', 'u@h'], [':path', '/']]],
    ['CONNECT with :path', [[':method', 'CONNECT'], [':authority', 'h:1'], [':path', '/']]],
  ])('refuses %s', (_, lines) => malformed(() => parseRequestHead(lines)));
});

describe('response heads and trailers (RFC 9114 §4.3.2, §4.1)', () => {
  it('parses :status and keeps regular fields', () => {
    expect(parseResponseHead([[':status', '404'], ['content-length', '0']])).toEqual({ status: 404, fields: [['content-length', '0']] });
  });

  it.each<[string, FieldLine[]]>([
    ['no :status', [['content-length', '0']]],
    ['a two-digit :status', [[':status', '20']]],
    ['a :status of 600', [[':status', '600']]],
    ['a request pseudo-header', [[':status', '200'], [':path', '/']]],
    ['two :status', [[':status', '200'], [':status', '200']]],
  ])('refuses %s', (_, lines) => malformed(() => parseResponseHead(lines)));

  it('refuses pseudo-headers in trailers', () => {
    expect(parseTrailers([['x-checksum', 'abc']])).toEqual([['x-checksum', 'abc']]);
    malformed(() => parseTrailers([[':status', '200']]));
  });
});

describe('content-length (RFC 9110 §8.6)', () => {
  it('reads one value, or several identical ones', () => {
    expect(contentLengthOf([])).toBeUndefined();
    expect(contentLengthOf([['content-length', '42']])).toBe(42);
    expect(contentLengthOf([['content-length', '42, 42'], ['content-length', '42']])).toBe(42);
  });

  it.each(['-1', '4 2', '0x10', '', '1e3', '9999999999999999'])('refuses %j', (value) => malformed(() => contentLengthOf([['content-length', value]])));

  it('refuses conflicting values', () => malformed(() => contentLengthOf([['content-length', '1'], ['content-length', '2']])));
});

describe('field values (RFC 9114 §10.3)', () => {
  it('allows visible characters, obs-text and inner whitespace only', () => {
    expect(isValidFieldValue('')).toBe(true);
    expect(isValidFieldValue('a b\tc')).toBe(true);
    expect(isValidFieldValue('caf\u00e9')).toBe(true);
    expect(isValidFieldValue('a ')).toBe(false);
    expect(isValidFieldValue('\u007f')).toBe(false);
    expect(isValidFieldValue('\u0001')).toBe(false);
  });
});
