/**
 * @module pem
 * Certificates and private keys from PEM or DER files (RFC 7468 PEM).
 */
import { createPrivateKey } from 'node:crypto';
import { readFileSync } from 'node:fs';

const PEM_BLOCK = /-----BEGIN ([A-Z0-9 ]+)-----([\s\S]*?)-----END \1-----/g;

/** All DER blocks of `label` in a PEM text. */
export function pemBlocks(text: string, label: string): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (const m of text.matchAll(PEM_BLOCK)) {
    if (m[1] === label) out.push(new Uint8Array(Buffer.from(m[2]!.replace(/\s+/g, ''), 'base64')));
  }
  return out;
}

function isPem(bytes: Uint8Array): boolean {
  return Buffer.from(bytes.subarray(0, 64)).toString('latin1').includes('-----BEGIN');
}

/** A certificate chain (leaf first) from a PEM file (one or more certificates) or a DER file (one). */
export function readCertificates(file: string): Uint8Array[] {
  const bytes = new Uint8Array(readFileSync(file));
  if (!isPem(bytes)) return [bytes];
  const certs = pemBlocks(Buffer.from(bytes).toString('latin1'), 'CERTIFICATE');
  if (certs.length === 0) throw new Error(`${file}: no CERTIFICATE block`);
  return certs;
}

/** A private key from PEM or DER (PKCS#8, SEC1 or PKCS#1), returned as PKCS#8 DER. */
export function readPrivateKey(file: string): Uint8Array {
  const bytes = readFileSync(file);
  const key = isPem(bytes) ? createPrivateKey({ key: bytes.toString('latin1'), format: 'pem' }) : createPrivateKey({ key: bytes, format: 'der', type: 'pkcs8' });
  return new Uint8Array(key.export({ format: 'der', type: 'pkcs8' }));
}
