/**
 * What the node provider asks of node:crypto per packet (issue 19): one
 * AES-GCM cipher per packet sealed or opened — node:crypto has no reusable
 * GCM context — created without an options object (the tag length is 16 by
 * default; parsing options costs per packet), and for header protection
 * (RFC 9001 §5.4.3) one ECB cipher per key for the key's whole life, never
 * one per packet. Counted through an injected node:crypto.
 */
import * as nodeCrypto from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { CipherSuite, keysFromSecret, QuicVersion } from '../src/index.js';
import { makeNodeProvider } from '../src/provider/make-node.js';

type Created = { alg: string; options: unknown; key?: unknown };

function countingCrypto(): { crypto: Parameters<typeof makeNodeProvider>[0]; created: Created[] } {
  const created: Created[] = [];
  const wrap = <F extends (...a: never[]) => unknown>(f: F): F =>
    ((...a: unknown[]) => {
      created.push({ alg: a[0] as string, options: a[3], key: a[1] });
      return (f as unknown as (...x: unknown[]) => unknown)(...a);
    }) as unknown as F;
  const createSecretKey = (k: Uint8Array) => (created.push({ alg: 'KeyObject', options: undefined }), nodeCrypto.createSecretKey(k));
  // createSecretKey is offered (counted) though the provider's type no longer asks for it.
  const crypto = { ...nodeCrypto, createSecretKey, createCipheriv: wrap(nodeCrypto.createCipheriv), createDecipheriv: wrap(nodeCrypto.createDecipheriv) };
  return { crypto, created };
}

describe('node provider: crypto objects per packet', () => {
  it('100 packets sealed and opened at 1,452 B: one GCM cipher each, no options object; one ECB cipher for header protection in all', () => {
    const { crypto, created } = countingCrypto();
    const k = keysFromSecret(makeNodeProvider(crypto), QuicVersion.V1, CipherSuite.TLS_AES_128_GCM_SHA256, new Uint8Array(32).fill(9));
    const pnOffset = 9;
    const payloadStart = pnOffset + 2;
    const payloadEnd = 1452 - 16;
    for (let pn = 0; pn < 100; pn++) {
      const packet = new Uint8Array(1452).fill(pn);
      packet[0] = 0x41; // short header, 2-byte packet number
      packet[pnOffset] = pn >> 8;
      packet[pnOffset + 1] = pn & 0xff;
      const plain = packet.slice(payloadStart, payloadEnd);
      k.packet.sealInPlace(pn, packet, 0, payloadStart, payloadEnd);
      k.header.protect(packet, pnOffset);
      // The receiver's side, on the same keys: unprotect, open, the plaintext back.
      expect(k.header.unprotect(packet, pnOffset)).toEqual({ pnLength: 2, truncatedPn: pn });
      expect(Buffer.from(k.packet.open(pn, packet.subarray(0, payloadStart), packet.subarray(payloadStart))!)).toEqual(Buffer.from(plain));
    }
    const by = (alg: string): Created[] => created.filter((c) => c.alg === alg);
    expect(by('aes-128-ecb')).toHaveLength(1);
    expect(by('aes-128-gcm')).toHaveLength(200);
    expect(by('aes-128-gcm').every((c) => c.options === undefined)).toBe(true);
  });

  it('makes no KeyObject per AEAD key (~3.4 µs and a native object each, five or six keys a handshake, no faster cipher): a copy of the raw key, so wiping the caller’s buffer changes nothing', () => {
    const { crypto, created } = countingCrypto();
    const key = new Uint8Array(16).fill(3);
    const aead = makeNodeProvider(crypto).aead('aes-128-gcm', key);
    const nonce = new Uint8Array(12).fill(1);
    const sealed = aead.seal(nonce, new Uint8Array(5), new Uint8Array(40).fill(7));
    key.fill(0);
    expect(Buffer.from(aead.open(nonce, new Uint8Array(5), sealed)!)).toEqual(Buffer.alloc(40, 7));
    expect(created.filter((c) => c.alg === 'KeyObject')).toHaveLength(0);
    expect(created.every((c) => !(c.key instanceof nodeCrypto.KeyObject))).toBe(true);
  });
});
