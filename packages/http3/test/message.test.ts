/** RFC 9114 §4.1.2–§4.4 and RFC 9220 §3: message control data and field validity, table-driven. */
import { describe, expect, it } from 'vitest';
import { H3ErrorCode, Http3Error } from '../src/errors.js';
import { contentLengthOf, fieldSectionSize, fromHeaders, isValidFieldValue, parseRequestHead, parseResponseHead, parseTrailers, toHeaders } from '../src/message.js';
import type { FieldLine } from '../src/qpack/index.js';

type Pair = [string, string];
const F = (pairs: readonly Pair[]): FieldLine[] => pairs.map(([name, value]) => ({ name, value }));
const GET: Pair[] = [
  [':method', 'GET'],
  [':scheme', 'https'],
  [':authority', 'server4:443'],
  [':path', '/file.bin'],
];
const EXT: Pair[] = [
  [':method', 'CONNECT'],
  [':protocol', 'webtransport'],
  [':scheme', 'https'],
  [':authority', 'server4:443'],
  [':path', '/wt'],
];

function malformed(f: () => unknown): void {
  let thrown: unknown;
  try {
    f();
  } catch (e) {
    thrown = e;
  }
  expect(Http3Error.isInstance(thrown), 'a malformed message must be refused').toBe(true);
  expect((thrown as Http3Error).code).toBe(H3ErrorCode.H3_MESSAGE_ERROR);
  expect((thrown as Http3Error).scope).toBe('stream');
}

describe('request heads (RFC 9114 §4.3.1, §4.4)', () => {
  it('accepts a GET with the four pseudo-headers and regular fields', () => {
    expect(parseRequestHead(F([...GET, ['user-agent', 'x'], ['te', 'trailers']]))).toEqual({
      method: 'GET',
      scheme: 'https',
      authority: 'server4:443',
      path: '/file.bin',
      fields: F([
        ['user-agent', 'x'],
        ['te', 'trailers'],
      ]),
    });
  });

  it('accepts Host instead of :authority, OPTIONS *, and a classic CONNECT', () => {
    expect(parseRequestHead(F([...GET.filter(([n]) => n !== ':authority'), ['host', 'a.example']])).path).toBe('/file.bin');
    expect(
      parseRequestHead(
        F([
          [':method', 'OPTIONS'],
          [':scheme', 'https'],
          [':authority', 'a'],
          [':path', '*'],
        ]),
      ).path,
    ).toBe('*');
    expect(
      parseRequestHead(
        F([
          [':method', 'CONNECT'],
          [':authority', 'a.example:443'],
        ]),
      ),
    ).toEqual({ method: 'CONNECT', authority: 'a.example:443', fields: [] });
  });

  it.each<[string, Pair[]]>([
    ['missing :method', GET.slice(1)],
    ['missing :path', GET.filter(([n]) => n !== ':path')],
    ['missing :scheme', GET.filter(([n]) => n !== ':scheme')],
    ['neither :authority nor Host', GET.filter(([n]) => n !== ':authority')],
    ['empty :path', [...GET.slice(0, 3), [':path', '']]],
    ['relative :path', [...GET.slice(0, 3), [':path', 'file.bin']]],
    ['* as :path of a GET', [...GET.slice(0, 3), [':path', '*']]],
    ['duplicate :path', [...GET, [':path', '/x']]],
    ['a pseudo-header after a regular field', [...GET.slice(0, 3), ['accept', '*/*'], [':path', '/']]],
    ['a response pseudo-header', [...GET, [':status', '200']]],
    ['an unknown pseudo-header', [...GET, [':foo', 'x']]],
    ['an uppercase field name', [...GET, ['User-Agent', 'x']]],
    ['a space in a field name', [...GET, ['user agent', 'x']]],
    ['an empty field name', [...GET, ['', 'x']]],
    ['a connection-specific field', [...GET, ['connection', 'close']]],
    ['keep-alive', [...GET, ['keep-alive', '5']]],
    ['transfer-encoding', [...GET, ['transfer-encoding', 'chunked']]],
    ['upgrade', [...GET, ['upgrade', 'h2c']]],
    ['TE other than trailers', [...GET, ['te', 'gzip']]],
    ['CR LF in a value', [...GET, ['x-a', 'a\r\nb']]],
    ['NUL in a value', [...GET, ['x-a', 'a\u0000b']]],
    ['leading whitespace in a value', [...GET, ['x-a', ' a']]],
    ['trailing whitespace in a value', [...GET, ['x-a', 'a\t']]],
    [':authority and Host differ', [...GET, ['host', 'other']]],
    ['two Host fields', [...GET.filter(([n]) => n !== ':authority'), ['host', 'a'], ['host', 'a']]],
    ['empty :authority', [...GET.slice(0, 2), [':authority', ''], [':path', '/']]],
    [
      'userinfo in :authority',
      [
        [':method', 'GET'],
        [':scheme', 'https'],
        [':authority', 'u@h'],
        [':path', '/'],
      ],
    ],
    [
      'CONNECT with :path',
      [
        [':method', 'CONNECT'],
        [':authority', 'h:1'],
        [':path', '/'],
      ],
    ],
    ['CONNECT without :authority', [[':method', 'CONNECT']]],
  ])('refuses %s (H3_MESSAGE_ERROR)', (_, lines) => malformed(() => parseRequestHead(F(lines))));
});

describe('extended CONNECT (RFC 9220 §3, RFC 8441 §4)', () => {
  it('accepts :protocol on CONNECT with :scheme, :authority and :path once enabled', () => {
    expect(parseRequestHead(F([...EXT, ['origin', 'https://a']]), true)).toEqual({
      method: 'CONNECT',
      protocol: 'webtransport',
      scheme: 'https',
      authority: 'server4:443',
      path: '/wt',
      fields: F([['origin', 'https://a']]),
    });
  });

  it.each<[string, Pair[], boolean]>([
    [':protocol without SETTINGS_ENABLE_CONNECT_PROTOCOL', EXT, false],
    [':protocol on a GET', [[':method', 'GET'], ...EXT.slice(1)], true],
    ['extended CONNECT without :path', EXT.filter(([n]) => n !== ':path'), true],
    ['extended CONNECT without :scheme', EXT.filter(([n]) => n !== ':scheme'), true],
    ['extended CONNECT without :authority', EXT.filter(([n]) => n !== ':authority'), true],
  ])('refuses %s', (_, lines, enabled) => malformed(() => parseRequestHead(F(lines), enabled)));
});

describe('response heads and trailers (RFC 9114 §4.3.2, §4.1)', () => {
  it('parses :status and keeps regular fields', () => {
    expect(
      parseResponseHead(
        F([
          [':status', '404'],
          ['content-length', '0'],
        ]),
      ),
    ).toEqual({ status: 404, fields: F([['content-length', '0']]) });
    expect(parseResponseHead(F([[':status', '103']])).status).toBe(103);
  });

  it.each<[string, Pair[]]>([
    ['no :status', [['content-length', '0']]],
    ['a two-digit :status', [[':status', '20']]],
    ['a :status of 600', [[':status', '600']]],
    ['a :status of 101 (§4.5)', [[':status', '101']]],
    [
      'a request pseudo-header',
      [
        [':status', '200'],
        [':path', '/'],
      ],
    ],
    [
      'two :status',
      [
        [':status', '200'],
        [':status', '200'],
      ],
    ],
  ])('refuses %s', (_, lines) => malformed(() => parseResponseHead(F(lines))));

  it('refuses pseudo-headers in trailers', () => {
    expect(parseTrailers(F([['x-checksum', 'abc']]))).toEqual(F([['x-checksum', 'abc']]));
    malformed(() => parseTrailers(F([[':status', '200']])));
  });
});

describe('content-length (RFC 9110 §8.6, RFC 9114 §4.1.2)', () => {
  it('reads one value, or several identical ones', () => {
    expect(contentLengthOf([])).toBeUndefined();
    expect(contentLengthOf(F([['content-length', '42']]))).toBe(42);
    expect(
      contentLengthOf(
        F([
          ['content-length', '42, 42'],
          ['content-length', '42'],
        ]),
      ),
    ).toBe(42);
  });

  it.each(['-1', '4 2', '0x10', '', '1e3', '9999999999999999'])('refuses %j', (value) => malformed(() => contentLengthOf(F([['content-length', value]]))));

  it('refuses conflicting values', () =>
    malformed(() =>
      contentLengthOf(
        F([
          ['content-length', '1'],
          ['content-length', '2'],
        ]),
      ),
    ));
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

describe('Fetch Headers and field lines', () => {
  it('joins cookie crumbs with "; " (RFC 9114 §4.2.1) and keeps other repeated fields as a list', () => {
    const h = toHeaders(
      F([
        ['cookie', 'a=1'],
        ['accept', 'x'],
        ['cookie', 'b=2'],
        ['accept', 'y'],
      ]),
    );
    expect(h.get('cookie')).toBe('a=1; b=2');
    expect(h.get('accept')).toBe('x, y');
  });

  it('drops connection-specific fields and Host when sending (RFC 9114 §4.2), keeps set-cookie lines apart', () => {
    const h = new Headers([
      ['connection', 'keep-alive'],
      ['keep-alive', '5'],
      ['transfer-encoding', 'chunked'],
      ['upgrade', 'h2c'],
      ['host', 'a'],
      ['te', 'gzip'],
      ['x-ok', '1'],
      ['set-cookie', 'a=1'],
      ['set-cookie', 'b=2'],
    ]);
    expect(fromHeaders(h)).toEqual(
      F([
        ['x-ok', '1'],
        ['set-cookie', 'a=1'],
        ['set-cookie', 'b=2'],
      ]),
    );
    expect(fromHeaders({ te: 'trailers' })).toEqual(F([['te', 'trailers']]));
  });

  it('sizes a section as name + value + 32 per line (RFC 9114 §4.2.2)', () => {
    expect(
      fieldSectionSize(
        F([
          ['ab', 'cde'],
          ['x', ''],
        ]),
      ),
    ).toBe(2 + 3 + 32 + 1 + 32);
  });
});
