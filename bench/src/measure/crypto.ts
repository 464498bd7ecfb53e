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

/** Iterations per second of each body, measured in alternating slices so both see the same machine load. */
function interleaved(seconds: number, bodies: Array<() => void>): number[] {
  for (const body of bodies) for (let i = 0; i < 200; i++) body();
  const counts = bodies.map(() => 0);
  const times = bodies.map(() => 0);
  const slices = 10;
  for (let s = 0; s < slices; s++) {
    bodies.forEach((body, b) => {
      const t0 = performance.now();
      const end = t0 + (seconds * 1000) / slices;
      let n = 0;
      while (performance.now() < end) {
        for (let i = 0; i < 20; i++) body();
        n += 20;
      }
      counts[b]! += n;
      times[b]! += performance.now() - t0;
    });
  }
  return counts.map((n, b) => n / (times[b]! / 1000));
}

const HEADER = new Uint8Array(randomBytes(20));

/** One packet per call: seal in place and open with quic-crypto-keys' node provider (the default on Node). */
function providerBody(size: number): () => void {
  const k = keysFromSecret(nodeProvider, QuicVersion.V1, CipherSuite.TLS_AES_128_GCM_SHA256, new Uint8Array(randomBytes(32)));
  const buf = new Uint8Array(HEADER.length + size + 16);
  buf.set(HEADER);
  let pn = 0;
  const header = buf.subarray(0, HEADER.length);
  const sealed = buf.subarray(HEADER.length);
  return () => {
    k.packet.sealInPlace(pn, buf, 0, HEADER.length, HEADER.length + size);
    if (!k.packet.open(pn, header, sealed)) throw new Error('open failed');
    pn++;
  };
}

/** One packet per call with raw node:crypto: createCipheriv/createDecipheriv with a raw key, nothing else. */
function rawBody(size: number): () => void {
  const key = randomBytes(16);
  const nonce = randomBytes(12);
  const payload = randomBytes(size);
  return () => {
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
  };
}

/** MB/s of payload sealed and opened: [node provider, raw node:crypto]. */
export function packetProtectionMBps(size: number, seconds: number): { provider: number; raw: number } {
  const [provider, raw] = interleaved(seconds, [providerBody(size), rawBody(size)]);
  return { provider: (provider! * size) / 1e6, raw: (raw! * size) / 1e6 };
}
