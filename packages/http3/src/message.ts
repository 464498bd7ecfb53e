/**
 * @module message
 * HTTP message control data and field validity (RFC 9114 §4.1.2, §4.2,
 * §4.3, §4.4, §10.3; RFC 9220 §3 for `:protocol`): a decoded field section
 * becomes a request head, a response head or trailers, or is refused as
 * malformed (a stream error of type H3_MESSAGE_ERROR). Also the
 * Content-Length rule (§4.1.2) and the conversions between field lines and
 * the Fetch API's `Headers` (cookie crumbs joined by "; ", §4.2.1).
 */
import { malformed } from './errors.js';
import type { FieldLine } from './qpack/index.js';

export interface RequestHead {
  readonly method: string;
  /** Absent only for a classic CONNECT (§4.4). */
  readonly scheme?: string;
  readonly authority?: string;
  readonly path?: string;
  /** RFC 9220 `:protocol`: present only on an extended CONNECT. */
  readonly protocol?: string;
  /** Regular fields, in order. */
  readonly fields: readonly FieldLine[];
}

export interface ResponseHead {
  readonly status: number;
  readonly fields: readonly FieldLine[];
}

/** RFC 9110 §5.6.2 tchar, lowercase only (RFC 9114 §4.2: uppercase field names are malformed). */
const NAME_CHAR = (() => {
  const ok = new Uint8Array(128);
  for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz") ok[c.charCodeAt(0)] = 1;
  return ok;
})();

/** RFC 9114 §4.2, RFC 9110 §5.1: a non-empty token of lowercase tchars. */
export function isValidFieldName(name: string): boolean {
  if (name.length === 0) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 128 || NAME_CHAR[c] !== 1) return false;
  }
  return true;
}

/**
 * RFC 9114 §10.3, RFC 9110 §5.5 field-content: visible characters, obs-text,
 * and SP/HTAB only between them (never NUL, CR, LF or other controls, no
 * leading or trailing whitespace). Characters are octets (latin1).
 */
export function isValidFieldValue(value: string): boolean {
  const n = value.length;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    const ws = c === 0x20 || c === 0x09;
    if (ws && (i === 0 || i === n - 1)) return false;
    if (!ws && (c < 0x21 || c === 0x7f || c > 0xff)) return false;
  }
  return true;
}

/** RFC 9114 §4.2: connection-specific fields MUST NOT appear; TE only as "trailers". */
export const CONNECTION_SPECIFIC_FIELDS: ReadonlySet<string> = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade']);

function checkRegularField(name: string, value: string): void {
  if (!isValidFieldName(name)) throw malformed(`invalid field name ${JSON.stringify(name)}`);
  if (!isValidFieldValue(value)) throw malformed(`invalid value for ${name}`);
  if (CONNECTION_SPECIFIC_FIELDS.has(name)) throw malformed(`connection-specific field ${name}`);
  if (name === 'te' && value !== 'trailers') throw malformed('TE other than "trailers"');
}

/** A message's pseudo-header fields (§4.3), each at most once: one object of one shape, not a Map per message. */
class PseudoFields {
  ':method': string | undefined = undefined;
  ':scheme': string | undefined = undefined;
  ':authority': string | undefined = undefined;
  ':path': string | undefined = undefined;
  ':protocol': string | undefined = undefined;
  ':status': string | undefined = undefined;
}

type PseudoName = keyof PseudoFields;

/** Splits pseudo-header fields from regular fields, enforcing the order rule (§4.3) and field validity. */
function split(lines: readonly FieldLine[], allowed: ReadonlySet<string>): { pseudo: PseudoFields; fields: FieldLine[] } {
  const pseudo = new PseudoFields();
  const fields: FieldLine[] = [];
  for (const line of lines) {
    const { name, value } = line;
    if (name.charCodeAt(0) === 0x3a /* ':' */) {
      // §4.3: pseudo-header fields after a regular field, undefined ones, or ones of the other message kind are malformed.
      if (fields.length > 0) throw malformed(`pseudo-header ${name} after a regular field`);
      if (!allowed.has(name)) throw malformed(`pseudo-header ${name} not allowed here`);
      if (pseudo[name as PseudoName] !== undefined) throw malformed(`duplicate ${name}`);
      if (value !== '' && !isValidFieldValue(value)) throw malformed(`invalid value for ${name}`);
      pseudo[name as PseudoName] = value;
    } else {
      checkRegularField(name, value);
      fields.push(line);
    }
  }
  return { pseudo, fields };
}

const REQUEST_PSEUDO: ReadonlySet<string> = new Set([':method', ':scheme', ':authority', ':path', ':protocol']);
const RESPONSE_PSEUDO: ReadonlySet<string> = new Set([':status']);
const NO_PSEUDO: ReadonlySet<string> = new Set();

/**
 * A request header section to a `RequestHead` (RFC 9114 §4.3.1, §4.4;
 * RFC 9220 §3). `extendedConnect` says whether we sent
 * SETTINGS_ENABLE_CONNECT_PROTOCOL = 1: without it `:protocol` is malformed.
 */
export function parseRequestHead(lines: readonly FieldLine[], extendedConnect = false): RequestHead {
  const { pseudo, fields } = split(lines, REQUEST_PSEUDO);
  const method = pseudo[':method'];
  if (method === undefined || !isValidFieldName(method.toLowerCase())) throw malformed('missing or invalid :method');
  const authority = pseudo[':authority'];
  const scheme = pseudo[':scheme'];
  const path = pseudo[':path'];
  const protocol = pseudo[':protocol'];
  if (protocol !== undefined) {
    // RFC 9220 §3 (RFC 8441 §4): only on CONNECT, only when enabled, with :scheme, :path and :authority.
    if (!extendedConnect) throw malformed(':protocol without SETTINGS_ENABLE_CONNECT_PROTOCOL');
    if (method !== 'CONNECT') throw malformed(`:protocol on a ${method} request`);
    if (!scheme || !path || !authority) throw malformed('extended CONNECT without :scheme, :path or :authority');
    if (path[0] !== '/' && path !== '*') throw malformed(`invalid :path ${JSON.stringify(path)}`);
    return { method, scheme, authority, path, protocol, fields };
  }
  if (method === 'CONNECT') {
    // §4.4: :scheme and :path omitted, :authority present.
    if (scheme !== undefined || path !== undefined || !authority) throw malformed('malformed CONNECT request');
    return { method, authority, fields };
  }
  if (scheme === undefined || path === undefined) throw malformed('missing :scheme or :path');
  if (scheme === 'http' || scheme === 'https') {
    // §4.3.1: :path non-empty, "/..." or "*"; :authority or Host present and non-empty, equal if both; no userinfo.
    if (path === '' || (path[0] !== '/' && !(path === '*' && method === 'OPTIONS'))) throw malformed(`invalid :path ${JSON.stringify(path)}`);
    let host: string | undefined;
    for (const f of fields) {
      if (f.name !== 'host') continue;
      if (host !== undefined) throw malformed('more than one Host field');
      host = f.value;
    }
    if (authority === undefined && host === undefined) throw malformed('neither :authority nor Host');
    if (authority === '' || host === '') throw malformed('empty :authority or Host');
    if (authority !== undefined && host !== undefined && authority !== host) throw malformed(':authority and Host differ');
    if ((authority ?? host ?? '').includes('@')) throw malformed('userinfo in the authority');
  }
  return authority === undefined ? { method, scheme, path, fields } : { method, scheme, authority, path, fields };
}

/** A response header section to a `ResponseHead` (RFC 9114 §4.3.2). */
export function parseResponseHead(lines: readonly FieldLine[]): ResponseHead {
  const { pseudo, fields } = split(lines, RESPONSE_PSEUDO);
  const status = pseudo[':status'];
  // RFC 9110 §15: a three-digit status code, 100 to 599; RFC 9114 §4.5: 101 is not allowed.
  if (status === undefined || !/^[1-5][0-9][0-9]$/.test(status)) throw malformed(`missing or invalid :status ${status ?? ''}`);
  if (status === '101') throw malformed('101 (Switching Protocols) is not allowed in HTTP/3');
  return { status: Number(status), fields };
}

/** A trailer section: regular fields only (RFC 9114 §4.3). */
export function parseTrailers(lines: readonly FieldLine[]): FieldLine[] {
  return split(lines, NO_PSEUDO).fields;
}

/**
 * The Content-Length of a message (RFC 9110 §8.6), or undefined. Several
 * fields or a list are accepted only when every value is the same number.
 */
export function contentLengthOf(fields: readonly FieldLine[]): number | undefined {
  let length: number | undefined;
  for (const { name, value } of fields) {
    if (name !== 'content-length') continue;
    for (const part of value.split(',')) {
      const text = part.trim();
      if (!/^[0-9]{1,15}$/.test(text)) throw malformed(`invalid content-length ${JSON.stringify(value)}`);
      const n = Number(text);
      if (length !== undefined && length !== n) throw malformed('conflicting content-length values');
      length = n;
    }
  }
  return length;
}

/** Field lines to Fetch `Headers`; RFC 9114 §4.2.1: several cookie lines are joined with "; ". */
export function toHeaders(fields: readonly FieldLine[]): Headers {
  return appendFields(new Headers(), fields);
}

const noop = (): void => undefined;

/** A message's trailer fields (none: empty), or why they never came. */
export type TrailerOutcome = { readonly fields: readonly FieldLine[] } | { readonly error: unknown };

/** Records a message's trailer outcome (the first one counts) and settles `trailers` if it was asked for. */
export let settleTrailers: (t: PendingTrailers, outcome: TrailerOutcome) => void;
/** Whether a message's trailer outcome has been recorded (its reading ended, with or without trailers, or failed). */
export let trailersSettled: (t: PendingTrailers) => boolean;

/**
 * A message's trailers as `trailers: Promise<Headers>` (a request's `info.trailers`, a response's
 * `trailers`): the promise and its `Headers` made only when first read — most never are — and settled
 * from the outcome recorded before or after that.
 */
export class PendingTrailers {
  #outcome: TrailerOutcome | undefined;
  #promise: Promise<Headers> | undefined;
  #settle: { resolve(h: Headers): void; reject(e: unknown): void } | undefined;

  get trailers(): Promise<Headers> {
    if (!this.#promise) {
      const o = this.#outcome;
      if (o) this.#promise = 'fields' in o ? Promise.resolve(toHeaders(o.fields)) : Promise.reject(o.error);
      else this.#promise = new Promise<Headers>((resolve, reject) => (this.#settle = { resolve, reject }));
      this.#promise.catch(noop);
    }
    return this.#promise;
  }

  static {
    trailersSettled = (t) => t.#outcome !== undefined;
    settleTrailers = (t, outcome) => {
      if (t.#outcome) return;
      t.#outcome = outcome;
      const s = t.#settle;
      if (s) 'fields' in outcome ? s.resolve(toHeaders(outcome.fields)) : s.reject(outcome.error);
    };
  }
}

/**
 * Appends field lines to a `Headers` (a request's, a response's or a new
 * one): one `append` per field costs less than a `[name, value]` pairs init,
 * which the platform copies and checks as a sequence before appending the
 * same way (Node 20: 2.1 µs less for three fields). RFC 9114 §4.2.1:
 * several cookie field lines are joined with "; ".
 */
export function appendFields(headers: Headers, fields: readonly FieldLine[]): Headers {
  let cookie: string | undefined;
  for (const { name, value } of fields) {
    if (name !== 'cookie') headers.append(name, value);
    else cookie = cookie === undefined ? value : `${cookie}; ${value}`;
  }
  if (cookie !== undefined) headers.append('cookie', cookie);
  return headers;
}

/**
 * Fetch `Headers` (or any init) to field lines for sending: names lowercase
 * (Headers already lowercases), connection-specific fields dropped (RFC 9114
 * §4.2: an HTTP/3 sender MUST NOT generate them), `te` kept only as
 * "trailers", and `set-cookie` kept as separate lines.
 */
export function fromHeaders(init: HeadersInit | undefined, out: FieldLine[] = []): FieldLine[] {
  if (init === undefined) return out;
  const headers = init instanceof Headers ? init : new Headers(init);
  headers.forEach((value, name) => {
    if (CONNECTION_SPECIFIC_FIELDS.has(name) || name === 'host' || name === 'set-cookie') return;
    if (name === 'te' && value !== 'trailers') return;
    out.push({ name, value });
  });
  for (const value of headers.getSetCookie?.() ?? []) out.push({ name: 'set-cookie', value });
  return out;
}

/** RFC 9114 §4.2.2: the size of a field line is name + value + 32 octets; the section's is the sum. */
export function fieldSectionSize(fields: readonly FieldLine[]): number {
  let size = 0;
  for (const { name, value } of fields) size += name.length + value.length + 32;
  return size;
}
