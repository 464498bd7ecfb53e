/**
 * @module measure/crypto
 * QUIC packet protection (RFC 9001 §5.3), seal + open of one packet per
 * iteration with AES-128-GCM: quic-crypto-keys' node provider against raw
 * node:crypto (createCipheriv/createDecipheriv per packet with a raw key,
 * the ceiling for any wrapper), in MB/s of payload.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { CipherSuite, keysFromSecret, QuicVersion } from '@tsquic/quic-crypto-keys';
import { nodeProvider } from '@tsquic/quic-crypto-keys/node';

function perSecond(seconds: number, body: () => void): number {
  for (let i = 0; i < 200; i++) body();
  let n = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  while (performance.now() < end) {
    for (let i = 0; i < 50; i++) body();
    n += 50;
  }
  return n / ((performance.now() - t0) / 1000);
}

const HEADER = new Uint8Array(randomBytes(20));

export function providerMBps(size: number, seconds: number): number {
  const k = keysFromSecret(nodeProvider, QuicVersion.V1, CipherSuite.TLS_AES_128_GCM_SHA256, new Uint8Array(randomBytes(32)));
  const buf = new Uint8Array(HEADER.length + size + 16);
  buf.set(HEADER);
  let pn = 0;
  const header = buf.subarray(0, HEADER.length);
  const r = perSecond(seconds, () => {
    k.packet.sealInPlace(pn, buf, 0, HEADER.length, HEADER.length + size);
    if (!k.packet.open(pn, header, buf.subarray(HEADER.length))) throw new Error('open failed');
    pn++;
  });
  return (r * size) / 1e6;
}

export function rawMBps(size: number, seconds: number): number {
  const key = randomBytes(16);
  const nonce = randomBytes(12);
  const payload = randomBytes(size);
  const r = perSecond(seconds, () => {
    const c = createCipheriv('aes-128-gcm', key, nonce, { authTagLength: 16 });
    c.setAAD(HEADER);
    const ct = c.update(payload);
    c.final();
    const tag = c.getAuthTag();
    const d = createDecipheriv('aes-128-gcm', key, nonce, { authTagLength: 16 });
    d.setAAD(HEADER);
    d.setAuthTag(tag);
    d.update(ct);
    d.final();
  });
  return (r * size) / 1e6;
}
