/**
 * @module key
 * Key pairs as DER: PKCS#8 PrivateKeyInfo (RFC 5208 §5) and
 * SubjectPublicKeyInfo (RFC 5280 §4.1.2.7) for ECDSA P-256/P-384 (RFC 5480,
 * RFC 5915 ECPrivateKey), Ed25519 (RFC 8410) and RSA (RFC 8017 A.1). EC and
 * Ed25519 keys are generated and used with @noble/curves (sync, any runtime);
 * RSA with WebCrypto (`globalThis.crypto.subtle`), RSASSA-PKCS1-v1_5 SHA-256.
 * Signatures for certificates: ecdsa-with-SHA256/SHA384 (RFC 5758 §3.2),
 * Ed25519 (RFC 8410 §6), sha256WithRSAEncryption (RFC 4055 §5).
 */
import { ed25519 } from '@noble/curves/ed25519.js';
import { p256, p384 } from '@noble/curves/nist.js';
import * as asn1js from 'asn1js';
import { bytesEqual, bytesOf, checkDer, childrenOf, classifyDer, contentOf, oidToString, readTlv, TAG, type Tlv } from './der.js';
import { fail } from './errors.js';
import { decodePem, looksLikePem, PemLabel, pemText } from './pem.js';

/** The key types this package generates. */
export type KeyType = 'p256' | 'p384' | 'ed25519' | 'rsa2048';
/** The key types this package generates, default first. */
export const KEY_TYPES: readonly KeyType[] = ['p256', 'p384', 'ed25519', 'rsa2048'];
/** A key type as read back from a key or certificate (RSA keys of any size from other tools). */
export type KeyAlgorithm = 'p256' | 'p384' | 'ed25519' | `rsa${number}`;

/** A key pair as DER: the private key as PKCS#8, the public key as SubjectPublicKeyInfo. */
export interface KeyPair {
  readonly type: KeyAlgorithm;
  /** PKCS#8 PrivateKeyInfo, DER (what tls13-handshake's `privateKey` takes). */
  readonly privateKey: Uint8Array;
  /** SubjectPublicKeyInfo, DER. */
  readonly publicKey: Uint8Array;
}

export const OID = {
  ecPublicKey: '1.2.840.10045.2.1',
  prime256v1: '1.2.840.10045.3.1.7',
  secp384r1: '1.3.132.0.34',
  ed25519: '1.3.101.112',
  rsaEncryption: '1.2.840.113549.1.1.1',
  ecdsaWithSha256: '1.2.840.10045.4.3.2',
  ecdsaWithSha384: '1.2.840.10045.4.3.3',
  sha256WithRsa: '1.2.840.113549.1.1.11',
} as const;

const CURVES = {
  p256: { oid: OID.prime256v1, curve: p256, size: 32, sigOid: OID.ecdsaWithSha256 },
  p384: { oid: OID.secp384r1, curve: p384, size: 48, sigOid: OID.ecdsaWithSha384 },
} as const;
type Curve = keyof typeof CURVES;

const der = (a: asn1js.AsnType): Uint8Array => new Uint8Array(a.toBER(false));
const oid = (value: string): asn1js.ObjectIdentifier => new asn1js.ObjectIdentifier({ value });
const seq = (...value: asn1js.AsnType[]): asn1js.Sequence => new asn1js.Sequence({ value });
const octets = (b: Uint8Array): asn1js.OctetString => new asn1js.OctetString({ valueHex: b });
const bits = (b: Uint8Array): asn1js.BitString => new asn1js.BitString({ valueHex: b });
const raw = (b: Uint8Array): asn1js.AsnType => asn1js.fromBER(b).result;

function algorithmIdentifier(type: KeyAlgorithm): asn1js.Sequence {
  if (type === 'ed25519') return seq(oid(OID.ed25519)); // RFC 8410 §3: parameters absent
  if (type === 'p256' || type === 'p384') return seq(oid(OID.ecPublicKey), oid(CURVES[type].oid));
  return seq(oid(OID.rsaEncryption), new asn1js.Null()); // RFC 8017 A.1: parameters NULL
}

function ecKeyPair(type: Curve, d: Uint8Array, point = CURVES[type].curve.getPublicKey(d, false)): KeyPair {
  // RFC 5915 §3 ECPrivateKey with [1] publicKey, so any reader can check the pair.
  const ecPrivateKey = seq(new asn1js.Integer({ value: 1 }), octets(d), new asn1js.Constructed({ idBlock: { tagClass: 3, tagNumber: 1 }, value: [bits(point)] }));
  return {
    type,
    privateKey: der(seq(new asn1js.Integer({ value: 0 }), algorithmIdentifier(type), octets(der(ecPrivateKey)))),
    publicKey: der(seq(algorithmIdentifier(type), bits(point))),
  };
}

function ed25519KeyPair(seed: Uint8Array): KeyPair {
  // RFC 8410 §7: CurvePrivateKey ::= OCTET STRING, wrapped in the PKCS#8 privateKey OCTET STRING.
  return {
    type: 'ed25519',
    privateKey: der(seq(new asn1js.Integer({ value: 0 }), algorithmIdentifier('ed25519'), octets(der(octets(seed))))),
    publicKey: der(seq(algorithmIdentifier('ed25519'), bits(ed25519.getPublicKey(seed)))),
  };
}

function subtle(): SubtleCrypto {
  const s = (globalThis as { crypto?: Crypto }).crypto?.subtle;
  if (!s) fail('UNAVAILABLE', 'RSA needs WebCrypto (globalThis.crypto.subtle), which this runtime lacks');
  return s;
}

const RSA_SIGN = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' } as const;

async function rsaKeyPair(bitsLength: number): Promise<KeyPair> {
  const s = subtle();
  const pair = (await s.generateKey({ ...RSA_SIGN, modulusLength: bitsLength, publicExponent: new Uint8Array([1, 0, 1]) }, true, ['sign', 'verify'])) as CryptoKeyPair;
  const pkcs8 = new Uint8Array(await s.exportKey('pkcs8', pair.privateKey));
  return readPrivateKey(pkcs8); // normalises and checks what the platform exported
}

/** Generate a key pair (default ECDSA P-256). RSA needs WebCrypto; the others run anywhere. */
export async function generateKeyPair(type: KeyType = 'p256'): Promise<KeyPair> {
  switch (type) {
    case 'p256':
    case 'p384':
      return ecKeyPair(type, CURVES[type].curve.utils.randomSecretKey());
    case 'ed25519':
      return ed25519KeyPair(ed25519.utils.randomSecretKey());
    case 'rsa2048':
      return rsaKeyPair(2048);
    default:
      throw new RangeError(`unknown key type ${JSON.stringify(type)} (expected one of ${KEY_TYPES.join(', ')})`);
  }
}

/** The OID of an AlgorithmIdentifier SEQUENCE and the TLV of its parameters, if any. */
export function readAlgorithm(b: Uint8Array, alg: Tlv, what: string): { oid: string; params?: Tlv } {
  const parts = childrenOf(b, alg, what);
  if (parts.length < 1 || parts.length > 2 || parts[0]!.tag !== TAG.OID) fail('MALFORMED_DER', `${what}: malformed AlgorithmIdentifier`);
  return parts[1] ? { oid: oidToString(contentOf(b, parts[0]!)), params: parts[1] } : { oid: oidToString(contentOf(b, parts[0]!)) };
}

/** A positive INTEGER's magnitude without leading zero octets. */
function unsigned(b: Uint8Array, t: Tlv, what: string): Uint8Array {
  if (t.tag !== TAG.INTEGER || t.end === t.content) fail('MALFORMED_DER', `${what}: expected an INTEGER`);
  let v = contentOf(b, t);
  if (v[0]! & 0x80) fail('MALFORMED_DER', `${what}: negative INTEGER`);
  while (v.length > 1 && v[0] === 0) v = v.subarray(1);
  return v;
}

function parseEcPrivateKey(type: Curve, inner: Uint8Array): KeyPair {
  const what = 'EC private key';
  const top = checkDer(inner, what);
  const parts = top.tag === TAG.SEQUENCE ? childrenOf(inner, top, what) : [];
  if (parts.length < 2 || parts[0]!.tag !== TAG.INTEGER || parts[1]!.tag !== TAG.OCTET_STRING) fail('MALFORMED_DER', `${what}: not an RFC 5915 ECPrivateKey`);
  const { size, curve, oid: curveOid } = CURVES[type];
  const d = contentOf(inner, parts[1]!);
  if (d.length === 0 || d.length > size) fail('MALFORMED_DER', `${what}: private scalar of ${d.length} bytes`);
  const padded = new Uint8Array(size);
  padded.set(d, size - d.length);
  if (!curve.utils.isValidSecretKey(padded)) fail('MALFORMED_DER', `${what}: private scalar out of range`);
  const point = curve.getPublicKey(padded, false);
  for (const p of parts.slice(2)) {
    // [0] parameters must agree with the PKCS#8 algorithm; [1] publicKey must be this key's point.
    const content = readTlv(inner, p.content, p.end, what);
    if (p.tag === 0xa0 && (content.tag !== TAG.OID || oidToString(contentOf(inner, content)) !== curveOid)) fail('MALFORMED_DER', `${what}: curve parameters disagree`);
    if (p.tag === 0xa1) {
      const pub = contentOf(inner, content);
      if (content.tag !== TAG.BIT_STRING || !bytesEqual(pub.subarray(1), point)) fail('KEY_MISMATCH', `${what}: embedded public key does not match the private key`);
    }
  }
  return ecKeyPair(type, padded, point);
}

function parseRsaPrivateKey(inner: Uint8Array): KeyPair {
  const what = 'RSA private key';
  const top = checkDer(inner, what);
  const parts = top.tag === TAG.SEQUENCE ? childrenOf(inner, top, what) : [];
  // RFC 8017 A.1.2: version, n, e, d, p, q, dP, dQ, qInv (version 0: two primes).
  if (parts.length !== 9 || parts.some((p) => p.tag !== TAG.INTEGER)) fail('MALFORMED_DER', `${what}: not an RFC 8017 RSAPrivateKey`);
  const n = unsigned(inner, parts[1]!, what);
  const e = unsigned(inner, parts[2]!, what);
  const modulusBits = (n.length - 1) * 8 + (32 - Math.clz32(n[0]!));
  if (modulusBits < 2048 || modulusBits > 16384) fail('UNSUPPORTED_KEY', `RSA keys of ${modulusBits} bits are not supported (2048 to 16384)`);
  if (e.length > 8 || (e[e.length - 1]! & 1) === 0) fail('MALFORMED_DER', `${what}: bad public exponent`);
  const type = `rsa${modulusBits}` as const;
  const rsaPublicKey = seq(new asn1js.Integer({ valueHex: positive(n) }), new asn1js.Integer({ valueHex: positive(e) }));
  const pkcs8 = der(seq(new asn1js.Integer({ value: 0 }), algorithmIdentifier(type), octets(inner)));
  return { type, privateKey: pkcs8, publicKey: der(seq(algorithmIdentifier(type), bits(der(rsaPublicKey)))) };
}

/** Magnitude → DER INTEGER content (a 0x00 prefix when the top bit is set). */
function positive(v: Uint8Array): Uint8Array {
  if ((v[0]! & 0x80) === 0) return v;
  const out = new Uint8Array(v.length + 1);
  out.set(v, 1);
  return out;
}

/** Parse and check a PKCS#8 DER private key; the result's `privateKey` is a normalised PKCS#8 DER. */
function parsePkcs8(pkcs8: Uint8Array): KeyPair {
  const what = 'PKCS#8 private key';
  const top = checkDer(pkcs8, what);
  const parts = top.tag === TAG.SEQUENCE ? childrenOf(pkcs8, top, what) : [];
  if (parts.length < 3 || parts[0]!.tag !== TAG.INTEGER || parts[1]!.tag !== TAG.SEQUENCE || parts[2]!.tag !== TAG.OCTET_STRING) {
    fail('MALFORMED_DER', `${what}: not an RFC 5208 PrivateKeyInfo`);
  }
  const version = contentOf(pkcs8, parts[0]!);
  if (version.length !== 1 || version[0]! > 1) fail('MALFORMED_DER', `${what}: unknown version`); // RFC 5958 §2: v1(0) or v2(1)
  const alg = readAlgorithm(pkcs8, parts[1]!, what);
  const inner = contentOf(pkcs8, parts[2]!);
  if (alg.oid === OID.ed25519) {
    const t = checkDer(inner, what);
    const seed = contentOf(inner, t);
    if (t.tag !== TAG.OCTET_STRING || seed.length !== 32) fail('MALFORMED_DER', `${what}: Ed25519 key is not a 32-byte OCTET STRING`);
    return ed25519KeyPair(seed.slice());
  }
  if (alg.oid === OID.rsaEncryption) return parseRsaPrivateKey(inner.slice());
  if (alg.oid === OID.ecPublicKey) {
    const curveOid = alg.params?.tag === TAG.OID ? oidToString(contentOf(pkcs8, alg.params)) : '';
    const type = (Object.keys(CURVES) as Curve[]).find((c) => CURVES[c].oid === curveOid);
    if (!type) fail('UNSUPPORTED_KEY', `EC curve ${curveOid || '(not a named curve)'} is not supported (P-256, P-384)`);
    return parseEcPrivateKey(type, inner);
  }
  return fail('UNSUPPORTED_KEY', `private key algorithm ${alg.oid} is not supported (EC P-256/P-384, Ed25519, RSA)`);
}

/** Legacy OpenSSL encodings → PKCS#8: SEC1 "EC PRIVATE KEY" (RFC 5915) and PKCS#1 "RSA PRIVATE KEY" (RFC 8017). */
function legacyToPkcs8(label: string, body: Uint8Array): Uint8Array {
  if (label === PemLabel.RSA_PRIVATE_KEY) return der(seq(new asn1js.Integer({ value: 0 }), algorithmIdentifier('rsa2048'), octets(body)));
  const what = 'EC private key';
  const top = checkDer(body, what);
  const params = top.tag === TAG.SEQUENCE ? childrenOf(body, top, what).find((p) => p.tag === 0xa0) : undefined;
  if (!params) fail('MALFORMED_DER', `${what}: SEC1 key without curve parameters`);
  const curve = readTlv(body, params.content, params.end, what);
  if (curve.tag !== TAG.OID) fail('UNSUPPORTED_KEY', `${what}: explicit curve parameters are not supported`);
  return der(seq(new asn1js.Integer({ value: 0 }), seq(oid(OID.ecPublicKey), raw(bytesOf(body, curve))), octets(body)));
}

/**
 * Read a private key: PKCS#8 DER, or PEM labelled "PRIVATE KEY" (also OpenSSL's traditional forms, SEC1
 * "EC PRIVATE KEY" and PKCS#1 "RSA PRIVATE KEY", as PEM or DER). Checks the key and derives its public
 * key; the result's `privateKey` is PKCS#8 DER.
 */
export function readPrivateKey(input: Uint8Array | string): KeyPair {
  if (typeof input !== 'string' && !(input instanceof Uint8Array)) throw new TypeError('a private key must be a Uint8Array or a string');
  if (typeof input === 'string' || looksLikePem(input)) {
    const labels = [PemLabel.PRIVATE_KEY, PemLabel.EC_PRIVATE_KEY, PemLabel.RSA_PRIVATE_KEY, PemLabel.ENCRYPTED_PRIVATE_KEY];
    const [block] = decodePem(pemText(input), labels);
    if (block!.label === PemLabel.ENCRYPTED_PRIVATE_KEY) fail('UNSUPPORTED_KEY', 'encrypted private keys are not supported; decrypt with `openssl pkcs8 -in key.pem -out plain.pem`');
    return parsePkcs8(block!.label === PemLabel.PRIVATE_KEY ? block!.der : legacyToPkcs8(block!.label, block!.der));
  }
  const kind = classifyDer(input);
  if (kind === 'sec1') return parsePkcs8(legacyToPkcs8(PemLabel.EC_PRIVATE_KEY, input));
  if (kind === 'pkcs1') return parsePkcs8(legacyToPkcs8(PemLabel.RSA_PRIVATE_KEY, input));
  return parsePkcs8(input);
}

/** The key type a SubjectPublicKeyInfo holds, or null for other algorithms; MALFORMED_DER when malformed. */
export function spkiKeyType(spki: Uint8Array): KeyAlgorithm | null {
  const what = 'SubjectPublicKeyInfo';
  const top = checkDer(spki, what);
  const parts = top.tag === TAG.SEQUENCE ? childrenOf(spki, top, what) : [];
  if (parts.length !== 2 || parts[0]!.tag !== TAG.SEQUENCE || parts[1]!.tag !== TAG.BIT_STRING) fail('MALFORMED_DER', `${what}: malformed`);
  const alg = readAlgorithm(spki, parts[0]!, what);
  const key = contentOf(spki, parts[1]!).subarray(1);
  if (alg.oid === OID.ed25519) return 'ed25519';
  if (alg.oid === OID.ecPublicKey && alg.params?.tag === TAG.OID) {
    const curveOid = oidToString(contentOf(spki, alg.params));
    return (Object.keys(CURVES) as Curve[]).find((c) => CURVES[c].oid === curveOid) ?? null;
  }
  if (alg.oid === OID.rsaEncryption) {
    const t = checkDer(key, what);
    const ints = t.tag === TAG.SEQUENCE ? childrenOf(key, t, what) : [];
    if (ints.length !== 2) fail('MALFORMED_DER', `${what}: malformed RSAPublicKey`);
    const n = unsigned(key, ints[0]!, what);
    return `rsa${(n.length - 1) * 8 + (32 - Math.clz32(n[0]!))}`;
  }
  return null;
}

/** The `subjectPublicKey` BIT STRING's bytes (no unused-bits octet), as RFC 5280 §4.2.1.2 hashes them. */
export function spkiKeyBits(spki: Uint8Array): Uint8Array {
  const top = checkDer(spki, 'SubjectPublicKeyInfo');
  const parts = childrenOf(spki, top);
  if (parts.length !== 2 || parts[1]!.tag !== TAG.BIT_STRING || parts[1]!.end === parts[1]!.content) fail('MALFORMED_DER', 'SubjectPublicKeyInfo: malformed');
  return contentOf(spki, parts[1]!).subarray(1);
}

/** The certificate signature algorithm a key signs with: OID, and whether parameters are NULL (RSA) or absent. */
export function signatureAlgorithmOf(type: KeyAlgorithm): { oid: string; nullParams: boolean } {
  if (type === 'p256' || type === 'p384') return { oid: CURVES[type].sigOid, nullParams: false }; // RFC 5758 §3.2: absent
  if (type === 'ed25519') return { oid: OID.ed25519, nullParams: false }; // RFC 8410 §6: absent
  return { oid: OID.sha256WithRsa, nullParams: true }; // RFC 4055 §5: NULL
}

/** Sign `data` as a certificate signature of `key`'s type (the algorithm of `signatureAlgorithmOf`). */
export async function signWithKey(key: KeyPair, data: Uint8Array): Promise<Uint8Array> {
  const parsed = readPrivateKey(key.privateKey);
  if (parsed.type === 'ed25519') return ed25519.sign(data, edSeed(parsed.privateKey));
  if (parsed.type === 'p256' || parsed.type === 'p384') {
    return CURVES[parsed.type].curve.sign(data, ecScalar(parsed.privateKey), { prehash: true, format: 'der' });
  }
  const s = subtle();
  const k = await s.importKey('pkcs8', new Uint8Array(parsed.privateKey), RSA_SIGN, false, ['sign']);
  return new Uint8Array(await s.sign(RSA_SIGN.name, k, new Uint8Array(data)));
}

/** The Ed25519 seed of a normalised PKCS#8 key (as this module writes them). */
function edSeed(pkcs8: Uint8Array): Uint8Array {
  const parts = childrenOf(pkcs8, checkDer(pkcs8));
  const inner = contentOf(pkcs8, parts[2]!);
  return contentOf(inner, checkDer(inner));
}

/** The EC private scalar of a normalised PKCS#8 key (as this module writes them). */
function ecScalar(pkcs8: Uint8Array): Uint8Array {
  const parts = childrenOf(pkcs8, checkDer(pkcs8));
  const inner = contentOf(pkcs8, parts[2]!);
  return contentOf(inner, childrenOf(inner, checkDer(inner))[1]!);
}
