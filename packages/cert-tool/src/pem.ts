/**
 * @module pem
 * RFC 7468 textual encoding (PEM) of DER: `-----BEGIN LABEL-----`, base64
 * (RFC 4648 §4) in 64-character lines, `-----END LABEL-----`. Writing is
 * strict (RFC 7468 §3 "stricttextualmsg"); reading accepts the §3 "laxtextualmsg"
 * whitespace, explanatory text between blocks and several blocks in one file
 * (certificate chains). RFC 1421 headers (encrypted legacy keys) are refused.
 */
import { fail } from './errors.js';

/** The PEM labels this package reads and writes (RFC 7468). */
export const PemLabel = {
  CERTIFICATE: 'CERTIFICATE',
  PRIVATE_KEY: 'PRIVATE KEY',
  PUBLIC_KEY: 'PUBLIC KEY',
  EC_PRIVATE_KEY: 'EC PRIVATE KEY',
  RSA_PRIVATE_KEY: 'RSA PRIVATE KEY',
  ENCRYPTED_PRIVATE_KEY: 'ENCRYPTED PRIVATE KEY',
} as const;

/** One PEM block: its label and the DER bytes it carries. */
export interface PemBlock {
  readonly label: string;
  readonly der: Uint8Array;
}

const ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const DECODE = new Int16Array(128).fill(-1);
for (let i = 0; i < ALPHABET.length; i++) DECODE[ALPHABET.charCodeAt(i)] = i;

/** RFC 4648 §4 base64 with padding. */
export function base64Encode(b: Uint8Array): string {
  let s = '';
  let i = 0;
  for (; i + 2 < b.length; i += 3) {
    const n = (b[i]! << 16) | (b[i + 1]! << 8) | b[i + 2]!;
    s += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + ALPHABET[n & 63]!;
  }
  const rest = b.length - i;
  if (rest === 1) {
    const n = b[i]! << 16;
    s += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + '==';
  } else if (rest === 2) {
    const n = (b[i]! << 16) | (b[i + 1]! << 8);
    s += ALPHABET[n >> 18]! + ALPHABET[(n >> 12) & 63]! + ALPHABET[(n >> 6) & 63]! + '=';
  }
  return s;
}

/** Strict RFC 4648 §4 base64 (padding required, canonical trailing bits); null when invalid. */
export function base64Decode(s: string): Uint8Array | null {
  if (s.length % 4 !== 0) return null;
  const pad = s.endsWith('==') ? 2 : s.endsWith('=') ? 1 : 0;
  const out = new Uint8Array((s.length / 4) * 3 - pad);
  let o = 0;
  for (let i = 0; i < s.length; i += 4) {
    const last = i + 4 === s.length;
    let n = 0;
    for (let k = 0; k < 4; k++) {
      const ch = s.charCodeAt(i + k);
      if (last && ch === 61 /* = */ && k >= 4 - pad) {
        n <<= 6;
        continue;
      }
      const v = ch < 128 ? DECODE[ch]! : -1;
      if (v < 0) return null;
      n = (n << 6) | v;
    }
    // RFC 4648 §3.5: pad bits must be zero (one canonical encoding per byte string).
    if (last && pad === 2 && (n & 0xffff) !== 0) return null;
    if (last && pad === 1 && (n & 0xff) !== 0) return null;
    out[o++] = n >> 16;
    if (o < out.length) out[o++] = (n >> 8) & 0xff;
    if (o < out.length) out[o++] = n & 0xff;
  }
  return out;
}

/** One PEM block: `label` such as 'CERTIFICATE' or 'PRIVATE KEY'. */
export function encodePem(label: string, der: Uint8Array): string {
  const b64 = base64Encode(der);
  let s = `-----BEGIN ${label}-----\n`;
  for (let i = 0; i < b64.length; i += 64) s += `${b64.slice(i, i + 64)}\n`;
  return `${s}-----END ${label}-----\n`;
}

const BEGIN = /-----BEGIN ([\x21-\x2c\x2e-\x7e](?:[- ]?[\x21-\x2c\x2e-\x7e])*)?-----/g;

/** Every PEM block in `text`, in order. MALFORMED_PEM when there is none or one is broken. */
export function decodePemAll(text: string): PemBlock[] {
  const blocks: PemBlock[] = [];
  BEGIN.lastIndex = 0;
  for (let m = BEGIN.exec(text); m; m = BEGIN.exec(text)) {
    const label = m[1] ?? '';
    const endMarker = `-----END ${label}-----`;
    const endAt = text.indexOf(endMarker, BEGIN.lastIndex);
    const nextBegin = text.indexOf('-----BEGIN ', BEGIN.lastIndex);
    if (endAt < 0 || (nextBegin >= 0 && nextBegin < endAt)) fail('MALFORMED_PEM', `PEM block "${label}" has no matching END line`);
    const body = text.slice(BEGIN.lastIndex, endAt);
    // RFC 1421 encapsulated headers (Proc-Type/DEK-Info: legacy encrypted keys).
    if (body.includes(':')) fail('MALFORMED_PEM', `PEM block "${label}" has RFC 1421 headers (encrypted keys are not supported)`);
    const der = base64Decode(body.replace(/[ \t\r\n\v\f]+/g, ''));
    if (!der || der.length === 0) fail('MALFORMED_PEM', `PEM block "${label}" is not valid base64`);
    blocks.push({ label, der });
    BEGIN.lastIndex = endAt + endMarker.length;
  }
  if (blocks.length === 0) fail('MALFORMED_PEM', 'no PEM block ("-----BEGIN ...-----") found');
  return blocks;
}

/** The DER of every block with one of the `labels`; MALFORMED_PEM when there is none. */
export function decodePem(text: string, labels: readonly string[]): PemBlock[] {
  const all = decodePemAll(text);
  const wanted = all.filter((b) => labels.includes(b.label));
  if (wanted.length === 0) {
    const found = [...new Set(all.map((b) => b.label))].join(', ');
    fail('MALFORMED_PEM', `expected a PEM block labelled ${labels.map((l) => `"${l}"`).join(' or ')}, found ${found}`);
  }
  return wanted;
}

/**
 * True when input is PEM rather than DER: it starts, after whitespace, with a BEGIN line, or it does not
 * start like DER (a SEQUENCE, 0x30) and has a BEGIN line after some explanatory text (RFC 7468 §5.2).
 */
export function looksLikePem(input: Uint8Array | string): boolean {
  const prefix = '-----BEGIN ';
  if (typeof input === 'string') return input.includes(prefix);
  if (input.length === 0 || input[0] === 0x30) return false;
  const marker = new TextEncoder().encode(prefix);
  outer: for (let i = 0; i + marker.length <= input.length; i++) {
    for (let k = 0; k < marker.length; k++) if (input[i + k] !== marker[k]) continue outer;
    return true;
  }
  return false;
}

/** Bytes → text for PEM parsing; MALFORMED_PEM unless it is ASCII/UTF-8 text. */
export function pemText(input: Uint8Array | string): string {
  if (typeof input === 'string') return input;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(input);
  } catch (e) {
    return fail('MALFORMED_PEM', 'PEM input is not UTF-8 text', e);
  }
}
