/**
 * @module key-schedule
 * The TLS 1.3 key schedule (RFC 8446 §7): HKDF-Extract / HKDF-Expand-Label on
 * the provider's HMAC (RFC 5869), Derive-Secret, the three stages Early →
 * Handshake → Master as one type each, traffic keys (§7.3), key update (§7.2),
 * Finished keys (§4.4.4), resumption PSKs (§4.6.1) and exporters (§7.5).
 */
import type { AeadAlg, HandshakeCrypto, HashAlg } from './crypto/provider.js';

export type CipherSuite = 0x1301 | 0x1302 | 0x1303;

/** RFC 8446 Appendix B.4: the cipher suites and what they are made of. */
export const CipherSuite = {
  TLS_AES_128_GCM_SHA256: 0x1301,
  TLS_AES_256_GCM_SHA384: 0x1302,
  TLS_CHACHA20_POLY1305_SHA256: 0x1303,
} as const;

const SUITE_NAMES = new Map<number, string>(Object.entries(CipherSuite).map(([name, code]) => [code, name]));

/** The IANA name of a cipher suite (`TLS_AES_128_GCM_SHA256` for 0x1301), or `0x…` in hex for one TLS 1.3 does not define. */
export function cipherSuiteName(suite: number): string {
  return SUITE_NAMES.get(suite) ?? `0x${suite.toString(16).padStart(4, '0')}`;
}

/** What a cipher suite is made of: its hash, AEAD and key length. */
export interface SuiteParams {
  hash: 'sha256' | 'sha384';
  hashLen: 32 | 48;
  aead: AeadAlg;
  keyLen: 16 | 32;
  ivLen: 12;
}

const SUITES = {
  0x1301: { hash: 'sha256', hashLen: 32, aead: 'aes-128-gcm', keyLen: 16, ivLen: 12 },
  0x1302: { hash: 'sha384', hashLen: 48, aead: 'aes-256-gcm', keyLen: 32, ivLen: 12 },
  0x1303: { hash: 'sha256', hashLen: 32, aead: 'chacha20-poly1305', keyLen: 32, ivLen: 12 },
} as const satisfies Record<CipherSuite, SuiteParams>;

export function isCipherSuite(x: number): x is CipherSuite {
  return x === 0x1301 || x === 0x1302 || x === 0x1303;
}

/** Hash, AEAD and key length of a TLS 1.3 suite (RFC 8446 §B.4); `RangeError` for another. */
export function suiteParams(suite: CipherSuite): SuiteParams {
  return SUITES[suite];
}

const HASH_LEN: Record<HashAlg, number> = { sha256: 32, sha384: 48, sha512: 64 };
const encoder = new TextEncoder();
const hex = (s: string): Uint8Array => Uint8Array.from(s.match(/../g)!, (b) => parseInt(b, 16));

/**
 * Hash("") (FIPS 180-4), the context of "derived", the binder keys and the
 * exporter (RFC 8446 §7.1, §7.5): a constant, so no hash call per derivation.
 */
export const EMPTY_HASH: Readonly<Record<HashAlg, Uint8Array>> = {
  sha256: hex('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855'),
  sha384: hex('38b060a751ac96384cd9327eb1b1e36a21fdb71114be07434c0cc7bf63f6e1da274edebfe76f65fbd51ad2f14898b95b'),
  sha512: hex('cf83e1357eefb8bdf1542850d66d8007d620e4050b5715dc83f4a921d36ce9ce47d0d13c5d85f2b0ff8318d2877eec2f63b931bd47417a81a538327af927da3e'),
};

/** "tls13 " + label, encoded once per label (RFC 8446 §7.1 HkdfLabel.label); exporter labels from callers are encoded per call. */
const LABELS = new Map<string, Uint8Array>(
  ['derived', 'c e traffic', 'e exp master', 'res binder', 'ext binder', 'c hs traffic', 's hs traffic', 'c ap traffic', 's ap traffic', 'exp master', 'res master', 'resumption', 'finished', 'key', 'iv', 'traffic upd', 'exporter'].map(
    (l) => [l, encoder.encode(`tls13 ${l}`)],
  ),
);

/** RFC 5869 §2.2: HKDF-Extract(salt, IKM) = HMAC-Hash(salt, IKM); an empty salt is HashLen zeros. */
export function hkdfExtract(c: HandshakeCrypto, hash: HashAlg, salt: Uint8Array, ikm: Uint8Array): Uint8Array {
  return c.hmac(hash, salt.length === 0 ? ZEROS[hash] : salt, ikm);
}

/** HashLen zero bytes (an empty salt, the Master Secret's IKM): shared, read only. */
const EMPTY = new Uint8Array(0);
const ZEROS: Readonly<Record<HashAlg, Uint8Array>> = { sha256: new Uint8Array(32), sha384: new Uint8Array(48), sha512: new Uint8Array(64) };

/**
 * Where each HkdfLabel is written: the HMAC reads it before returning (every provider is synchronous), so one
 * buffer serves every derivation — no ArrayBuffer per secret. Room for the longest label and context and the counter.
 */
const HKDF_LABEL = new Uint8Array(2 + 1 + 255 + 1 + 255 + 1);

/** RFC 5869 §2.3: HKDF-Expand(PRK, info, L). */
export function hkdfExpand(c: HandshakeCrypto, hash: HashAlg, prk: Uint8Array, info: Uint8Array, length: number): Uint8Array {
  const hl = HASH_LEN[hash];
  if (length > 255 * hl) throw new RangeError('HKDF-Expand: length too large');
  const out = new Uint8Array(length);
  let t: Uint8Array = new Uint8Array(0);
  for (let i = 1, off = 0; off < length; i++) {
    const input = new Uint8Array(t.length + info.length + 1);
    input.set(t);
    input.set(info, t.length);
    input[input.length - 1] = i;
    t = c.hmac(hash, prk, input);
    out.set(t.subarray(0, Math.min(hl, length - off)), off);
    off += hl;
  }
  return out;
}

/** RFC 8446 §7.1: HKDF-Expand-Label(Secret, Label, Context, Length) with the "tls13 " prefix. */
export function hkdfExpandLabel(c: HandshakeCrypto, hash: HashAlg, secret: Uint8Array, label: string, context: Uint8Array, length: number): Uint8Array {
  const full = LABELS.get(label) ?? encoder.encode(`tls13 ${label}`);
  // RFC 8446 §7.1: opaque label<7..255>, opaque context<0..255>.
  if (full.length > 255 || context.length > 255) throw new RangeError('HkdfLabel: label or context too long');
  // The HkdfLabel and one more byte: RFC 5869 §2.3's block counter, so that an output of one block
  // (every TLS 1.3 secret, key and iv) is one HMAC over this buffer, T(1) = HMAC(PRK, info | 0x01).
  const info = HKDF_LABEL.subarray(0, 2 + 1 + full.length + 1 + context.length + 1);
  info[0] = length >> 8;
  info[1] = length & 0xff;
  info[2] = full.length;
  info.set(full, 3);
  info[3 + full.length] = context.length;
  info.set(context, 4 + full.length);
  if (length > HASH_LEN[hash]) return hkdfExpand(c, hash, secret, info.subarray(0, info.length - 1), length);
  info[info.length - 1] = 1;
  const t = c.hmac(hash, secret, info);
  return t.length === length ? t : t.slice(0, length);
}

/** RFC 8446 §7.1: Derive-Secret(Secret, Label, Messages) with the transcript hash already computed. */
export function deriveSecret(c: HandshakeCrypto, hash: HashAlg, secret: Uint8Array, label: string, transcriptHash: Uint8Array): Uint8Array {
  return hkdfExpandLabel(c, hash, secret, label, transcriptHash, HASH_LEN[hash]);
}

/** RFC 8446 §7.3: the write key and iv of a traffic secret. */
export function trafficKeys(c: HandshakeCrypto, suite: CipherSuite, secret: Uint8Array): { key: Uint8Array; iv: Uint8Array } {
  const p = SUITES[suite];
  return {
    key: hkdfExpandLabel(c, p.hash, secret, 'key', EMPTY, p.keyLen),
    iv: hkdfExpandLabel(c, p.hash, secret, 'iv', EMPTY, p.ivLen),
  };
}

/** RFC 8446 §7.2: application_traffic_secret_N+1 = HKDF-Expand-Label(secret_N, "traffic upd", "", Hash.length). */
export function nextTrafficSecret(c: HandshakeCrypto, suite: CipherSuite, secret: Uint8Array): Uint8Array {
  const p = SUITES[suite];
  return hkdfExpandLabel(c, p.hash, secret, 'traffic upd', EMPTY, p.hashLen);
}

/** RFC 8446 §4.4.4: finished_key = HKDF-Expand-Label(BaseKey, "finished", "", Hash.length). */
export function finishedKey(c: HandshakeCrypto, suite: CipherSuite, baseKey: Uint8Array): Uint8Array {
  const p = SUITES[suite];
  return hkdfExpandLabel(c, p.hash, baseKey, 'finished', EMPTY, p.hashLen);
}

/** RFC 8446 §4.4.4: verify_data = HMAC(finished_key, Transcript-Hash(...)). */
export function finishedVerifyData(c: HandshakeCrypto, suite: CipherSuite, baseKey: Uint8Array, transcriptHash: Uint8Array): Uint8Array {
  return c.hmac(SUITES[suite].hash, finishedKey(c, suite, baseKey), transcriptHash);
}

/** RFC 8446 §4.6.1: PSK = HKDF-Expand-Label(resumption_master_secret, "resumption", ticket_nonce, Hash.length). */
export function resumptionPsk(c: HandshakeCrypto, suite: CipherSuite, resumptionMasterSecret: Uint8Array, ticketNonce: Uint8Array): Uint8Array {
  const p = SUITES[suite];
  return hkdfExpandLabel(c, p.hash, resumptionMasterSecret, 'resumption', ticketNonce, p.hashLen);
}

/**
 * RFC 8446 §7.5: TLS-Exporter(label, context_value, key_length) =
 * HKDF-Expand-Label(Derive-Secret(Secret, label, ""), "exporter", Hash(context_value), key_length).
 */
export function exportKeyingMaterial(c: HandshakeCrypto, suite: CipherSuite, exporterSecret: Uint8Array, label: string, context: Uint8Array, length: number): Uint8Array {
  const p = SUITES[suite];
  const derived = deriveSecret(c, p.hash, exporterSecret, label, EMPTY_HASH[p.hash]);
  return hkdfExpandLabel(c, p.hash, derived, 'exporter', c.hash(p.hash, context), length);
}

/**
 * Without a PSK the Early Secret is HKDF-Extract(0, 0) and its "derived"
 * salt a constant too (RFC 8448 §3: 33ad0a1c… and 6f2615a1… for SHA-256):
 * worked out once per hash, not with two HMACs per full handshake. Pure
 * functions of the hash, whatever the provider.
 */
const NO_PSK = new Map<HashAlg, { secret: Uint8Array; derived: Uint8Array }>();

/** Stage 1 (RFC 8446 §7.1): Early Secret = HKDF-Extract(0, PSK or zeros). */
export class EarlySecret {
  readonly secret: Uint8Array;
  private readonly p: SuiteParams;
  /** Derive-Secret(., "derived", "") when it is a constant (no PSK). */
  private readonly derived: Uint8Array | undefined;
  constructor(
    private readonly c: HandshakeCrypto,
    readonly suite: CipherSuite,
    psk?: Uint8Array,
  ) {
    this.p = SUITES[suite];
    if (psk) {
      this.secret = hkdfExtract(c, this.p.hash, EMPTY, psk);
      return;
    }
    let k = NO_PSK.get(this.p.hash);
    if (!k) {
      const secret = hkdfExtract(c, this.p.hash, new Uint8Array(0), new Uint8Array(this.p.hashLen));
      k = { secret, derived: deriveSecret(c, this.p.hash, secret, 'derived', EMPTY_HASH[this.p.hash]) };
      NO_PSK.set(this.p.hash, k);
    }
    this.secret = k.secret;
    this.derived = k.derived;
  }
  /** binder_key: "res binder" for resumption PSKs, "ext binder" for external ones; context Hash(""). */
  binderKey(kind: 'resumption' | 'external' = 'resumption'): Uint8Array {
    return deriveSecret(this.c, this.p.hash, this.secret, kind === 'resumption' ? 'res binder' : 'ext binder', EMPTY_HASH[this.p.hash]);
  }
  clientEarlyTrafficSecret(transcriptHashCH: Uint8Array): Uint8Array {
    return deriveSecret(this.c, this.p.hash, this.secret, 'c e traffic', transcriptHashCH);
  }
  earlyExporterMasterSecret(transcriptHashCH: Uint8Array): Uint8Array {
    return deriveSecret(this.c, this.p.hash, this.secret, 'e exp master', transcriptHashCH);
  }
  /** Handshake Secret = HKDF-Extract(Derive-Secret(early, "derived", ""), (EC)DHE). */
  toHandshake(sharedSecret: Uint8Array): HandshakeSecret {
    const salt = this.derived ?? deriveSecret(this.c, this.p.hash, this.secret, 'derived', EMPTY_HASH[this.p.hash]);
    return new HandshakeSecret(this.c, this.suite, hkdfExtract(this.c, this.p.hash, salt, sharedSecret));
  }
}

/** Stage 2 (RFC 8446 §7.1): the handshake traffic secrets. */
export class HandshakeSecret {
  private readonly p: SuiteParams;
  constructor(
    private readonly c: HandshakeCrypto,
    readonly suite: CipherSuite,
    readonly secret: Uint8Array,
  ) {
    this.p = SUITES[suite];
  }
  clientHandshakeTrafficSecret(transcriptHashSH: Uint8Array): Uint8Array {
    return deriveSecret(this.c, this.p.hash, this.secret, 'c hs traffic', transcriptHashSH);
  }
  serverHandshakeTrafficSecret(transcriptHashSH: Uint8Array): Uint8Array {
    return deriveSecret(this.c, this.p.hash, this.secret, 's hs traffic', transcriptHashSH);
  }
  /** Master Secret = HKDF-Extract(Derive-Secret(hs, "derived", ""), 0). */
  toMaster(): MasterSecret {
    const salt = deriveSecret(this.c, this.p.hash, this.secret, 'derived', EMPTY_HASH[this.p.hash]);
    return new MasterSecret(this.c, this.suite, hkdfExtract(this.c, this.p.hash, salt, ZEROS[this.p.hash]));
  }
}

/** Stage 3 (RFC 8446 §7.1): application traffic, exporter and resumption secrets. */
export class MasterSecret {
  private readonly p: SuiteParams;
  constructor(
    private readonly c: HandshakeCrypto,
    readonly suite: CipherSuite,
    readonly secret: Uint8Array,
  ) {
    this.p = SUITES[suite];
  }
  clientApplicationTrafficSecret(transcriptHashSF: Uint8Array): Uint8Array {
    return deriveSecret(this.c, this.p.hash, this.secret, 'c ap traffic', transcriptHashSF);
  }
  serverApplicationTrafficSecret(transcriptHashSF: Uint8Array): Uint8Array {
    return deriveSecret(this.c, this.p.hash, this.secret, 's ap traffic', transcriptHashSF);
  }
  exporterMasterSecret(transcriptHashSF: Uint8Array): Uint8Array {
    return deriveSecret(this.c, this.p.hash, this.secret, 'exp master', transcriptHashSF);
  }
  resumptionMasterSecret(transcriptHashCF: Uint8Array): Uint8Array {
    return deriveSecret(this.c, this.p.hash, this.secret, 'res master', transcriptHashCF);
  }
}
