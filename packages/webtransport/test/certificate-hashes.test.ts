/**
 * The Node client's serverCertificateHashes check (W3C WebTransport: verify a certificate hash, custom
 * certificate requirements), as Chromium 156 applies it (CHROMIUM.md) — and end to end: a server whose
 * certificate the hashes do not name is refused.
 */
import { createHash } from 'node:crypto';
import { generateSelfSigned, generateWebTransportCertificate } from '@tsquic/cert-tool';
import { afterEach, describe, expect, it } from 'vitest';
import { certificateHashRefusal } from '../src/node/index.js';
import { rejection, startServer, stopAll } from './support/servers.js';

afterEach(stopAll);
const DAY = 86_400_000;

describe('serverCertificateHashes (Node client)', () => {
  it('accepts the profile certificate whose SHA-256 is listed, in any case of "sha-256", ignoring unknown algorithms', async () => {
    const now = new Date('2026-12-01T00:00:00Z');
    const c = await generateWebTransportCertificate({ now });
    expect(certificateHashRefusal(c.certificate, [{ algorithm: 'SHA-256', value: c.hash.value }], now.getTime())).toBeUndefined();
    expect(
      certificateHashRefusal(
        c.certificate,
        [
          { algorithm: 'sha-512', value: new Uint8Array(64) },
          { algorithm: 'sha-256', value: c.hash.value.buffer.slice(0) as ArrayBuffer },
        ],
        now.getTime(),
      ),
    ).toBeUndefined();
  });

  it('refuses what Chromium refuses: another hash, more than 14 days, an RSA key, outside the validity period', async () => {
    const now = new Date('2026-12-01T00:00:00Z');
    const c = await generateWebTransportCertificate({ now });
    const other = await generateWebTransportCertificate({ now });
    expect(certificateHashRefusal(c.certificate, [other.hash], now.getTime())).toMatch(/is not in serverCertificateHashes/);
    expect(certificateHashRefusal(c.certificate, [c.hash], now.getTime() + 15 * DAY)).toMatch(/not valid now/);
    expect(certificateHashRefusal(c.certificate, [c.hash], now.getTime() - DAY)).toMatch(/not valid now/);
    const long = await generateSelfSigned({ now, days: 15 });
    const hashOf = async (der: Uint8Array) => ({ algorithm: 'sha-256', value: new Uint8Array(createHash('sha256').update(der).digest()) });
    expect(certificateHashRefusal(long.certificate, [await hashOf(long.certificate)], now.getTime())).toBe('its certificate is valid for 15.0 days, more than 14');
    const rsa = await generateSelfSigned({ now, days: 10, keyType: 'rsa2048' });
    expect(certificateHashRefusal(rsa.certificate, [await hashOf(rsa.certificate)], now.getTime())).toBe('its certificate has a rsa key, not ECDSA');
  });

  it('a session to a server whose certificate is not named fails: the handshake is refused', async () => {
    const srv = await startServer((req) => void req.accept());
    const other = await generateWebTransportCertificate();
    const wt = srv.client('/', { serverCertificateHashes: [other.hash] });
    expect(await rejection(wt.ready)).toMatchObject({ name: 'WebTransportError', source: 'session', message: expect.stringMatching(/could not connect|bad certificate|certificate/) });
  });
});
