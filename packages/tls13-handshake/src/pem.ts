/**
 * @module pem
 * Our own identity as users hand it over (docs/vocabulary.md, "our own identity"): DER bytes, or the
 * PEM text (RFC 7468) that openssl and cert-tool write — read as RFC 7468 §3 "laxtextualmsg" allows
 * (whitespace anywhere, explanatory text between blocks, several blocks for a chain). A private key
 * must be PKCS#8 (RFC 5208, label `PRIVATE KEY`); a legacy SEC1 or PKCS#1 key gets a TypeError that
 * says how to convert it.
 */

const BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;
const PEM_START = '-----BEGIN ';

/** One PEM block: its label (`CERTIFICATE`, `PRIVATE KEY`…) and the DER it carries. */
export interface PemBlock {
  label: string;
  der: Uint8Array;
}

/** True when `input` is PEM text rather than DER (which starts with a SEQUENCE, 0x30). */
export function isPem(input: Uint8Array | string): boolean {
  if (typeof input === 'string') return input.includes(PEM_START);
  return input.length > 0 && input[0] !== 0x30 && new TextDecoder().decode(input).includes(PEM_START);
}

/** Every PEM block in `input`, in order (TypeError for a block that is not base64). */
export function pemBlocks(input: Uint8Array | string): PemBlock[] {
  const text = typeof input === 'string' ? input : new TextDecoder().decode(input);
  const out: PemBlock[] = [];
  for (const m of text.matchAll(BLOCK)) {
    const label = m[1]!;
    let bin: string;
    try {
      bin = atob(m[2]!.replace(/\s+/g, ''));
    } catch {
      throw new TypeError(`PEM block ${label} is not base64`);
    }
    out.push({ label, der: Uint8Array.from(bin, (c) => c.charCodeAt(0)) });
  }
  return out;
}

/**
 * PEM certificate text → its DER certificates, decoded once: a server hands
 * the same configured chain to every connection (66 µs of base64 and regular
 * expressions per connection for one certificate, measured). Byte arrays by
 * identity, as `decodedKeys`; text by value, a bounded number of them.
 */
const decodedChains = new WeakMap<Uint8Array, Uint8Array[]>();
const decodedChainTexts = new Map<string, Uint8Array[]>();
const MAX_CHAIN_TEXTS = 32;

function pemCertificates(pem: Uint8Array | string): Uint8Array[] {
  const known = typeof pem === 'string' ? decodedChainTexts.get(pem) : decodedChains.get(pem);
  if (known) return known;
  const chain = pemBlocks(pem)
    .filter((b) => b.label === 'CERTIFICATE')
    .map((b) => b.der);
  if (chain.length === 0) throw new TypeError('certificateChain: PEM text without a CERTIFICATE block');
  if (typeof pem !== 'string') decodedChains.set(pem, chain);
  else if (decodedChainTexts.size < MAX_CHAIN_TEXTS) decodedChainTexts.set(pem, chain);
  return chain;
}

/** A certificate chain, leaf first, from DER certificates and/or PEM text with CERTIFICATE blocks. */
export function certificateChainFrom(certificates: readonly (Uint8Array | string)[]): Uint8Array[] {
  return certificates.flatMap((c) => (isPem(c) ? pemCertificates(c) : [c as Uint8Array]));
}

/** Legacy key formats: how to make PKCS#8 of them. */
const CONVERT: Readonly<Record<string, string>> = {
  'EC PRIVATE KEY': 'a SEC1 EC key',
  'RSA PRIVATE KEY': 'a PKCS#1 RSA key',
  'ENCRYPTED PRIVATE KEY': 'an encrypted PKCS#8 key',
};

/** PEM key bytes → their DER, the same object each time (the crypto providers cache signers by key object). */
const decodedKeys = new WeakMap<Uint8Array, Uint8Array>();

/** A PKCS#8 private key from DER, or from PEM with a `PRIVATE KEY` block (TypeError otherwise, saying what to do). */
export function privateKeyFrom(key: Uint8Array | string): Uint8Array {
  if (!isPem(key)) return key as Uint8Array;
  if (typeof key === 'string') return pkcs8Of(key);
  let der = decodedKeys.get(key);
  if (!der) decodedKeys.set(key, (der = pkcs8Of(key)));
  return der;
}

function pkcs8Of(key: Uint8Array | string): Uint8Array {
  const blocks = pemBlocks(key);
  const pkcs8 = blocks.find((b) => b.label === 'PRIVATE KEY');
  if (pkcs8) return pkcs8.der;
  const legacy = blocks.find((b) => CONVERT[b.label]);
  if (legacy) throw new TypeError(`privateKey is ${CONVERT[legacy.label]} (PEM ${legacy.label}); convert it to PKCS#8: openssl pkcs8 -topk8 -nocrypt -in key.pem -out key-pkcs8.pem`);
  throw new TypeError('privateKey: PEM text without a PRIVATE KEY (PKCS#8) block');
}
