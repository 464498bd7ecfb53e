/**
 * RFC 9001 Appendix A (QUIC v1) and RFC 9369 Appendix A (QUIC v2), byte for
 * byte, with every provider.
 */
import { describe, expect, it } from 'vitest';
import { CipherSuite, initialKeys, initialSecrets, keyMaterial, keysFromSecret, nextSecret, QuicVersion, retryIntegrityTag, verifyRetryIntegrity, type DirectionalKeys } from '../src/index.js';
import { hex, PROVIDERS, toHex } from './providers.js';
import { VECTORS } from './vectors.js';

const DCID = hex('8394c8f03e515708');
const RFCS = [
  { rfc: 'RFC 9001', version: QuicVersion.V1, v: VECTORS.rfc9001 },
  { rfc: 'RFC 9369', version: QuicVersion.V2, v: VECTORS.rfc9369 },
] as const;

/** Seal, then header-protect, a packet the way a sender does; returns the wire bytes. */
function protect(keys: DirectionalKeys, header: Uint8Array, payload: Uint8Array, pn: number, pnLength: number): Uint8Array {
  const sealed = keys.packet.seal(pn, header, payload);
  const packet = new Uint8Array(header.length + sealed.length);
  packet.set(header);
  packet.set(sealed, header.length);
  keys.header.protect(packet, header.length - pnLength);
  return packet;
}

/** Remove header protection and open; returns the header and payload. */
function unprotect(keys: DirectionalKeys, wire: Uint8Array, pnOffset: number, largestPn = 0): { header: string; pn: number; payload: string | null } {
  const packet = wire.slice();
  const r = keys.header.unprotect(packet, pnOffset);
  if (!r) throw new Error('too short');
  const pn = r.truncatedPn + largestPn; // the vectors' packet numbers are small
  const headerEnd = pnOffset + r.pnLength;
  const payload = keys.packet.open(pn, packet.subarray(0, headerEnd), packet.subarray(headerEnd));
  return { header: toHex(packet.subarray(0, headerEnd)), pn, payload: payload && toHex(payload) };
}

for (const { rfc, version, v } of RFCS) {
  describe(`${rfc} Appendix A`, () => {
    it(`A.1: initial secret, client and server keys`, () => {
      const s = initialSecrets(version, DCID);
      expect(toHex(s.client)).toBe(v.client_initial_secret);
      expect(toHex(s.server)).toBe(v.server_initial_secret);
      const c = keyMaterial(version, CipherSuite.TLS_AES_128_GCM_SHA256, s.client);
      expect([toHex(c.key), toHex(c.iv), toHex(c.hp)]).toEqual([v.client_key, v.client_iv, v.client_hp]);
      const sv = keyMaterial(version, CipherSuite.TLS_AES_128_GCM_SHA256, s.server);
      expect([toHex(sv.key), toHex(sv.iv), toHex(sv.hp)]).toEqual([v.server_key, v.server_iv, v.server_hp]);
    });

    for (const p of PROVIDERS) {
      it(`A.2: the protected client Initial (${p.name})`, () => {
        const payload = new Uint8Array(1162);
        payload.set(hex(v.client_crypto_frame));
        const { write } = initialKeys(p, version, DCID, 'client');
        const wire = protect(write, hex(v.client_header), payload, 2, 4);
        expect(toHex(wire.subarray(22, 38))).toBe(v.client_sample);
        expect(toHex(wire)).toBe(v.client_packet);
        const { read } = initialKeys(p, version, DCID, 'server');
        expect(unprotect(read, hex(v.client_packet), 18)).toEqual({ header: v.client_header, pn: 2, payload: toHex(payload) });
      });

      it(`A.3: the protected server Initial (${p.name})`, () => {
        const { write } = initialKeys(p, version, DCID, 'server');
        expect(toHex(protect(write, hex(v.server_header), hex(v.server_payload), 1, 2))).toBe(v.server_packet);
        const { read } = initialKeys(p, version, DCID, 'client');
        expect(unprotect(read, hex(v.server_packet), 18)).toEqual({ header: v.server_header, pn: 1, payload: v.server_payload });
      });

      it(`A.4: the Retry integrity tag (${p.name})`, () => {
        const retry = hex(v.retry_packet);
        expect(toHex(retryIntegrityTag(version, DCID, retry.subarray(0, retry.length - 16), p))).toBe(v.retry_packet.slice(-32));
        expect(verifyRetryIntegrity(version, DCID, retry, p)).toBe(true);
        expect(verifyRetryIntegrity(version, hex('8394c8f03e515709'), retry, p)).toBe(false);
        const bad = retry.slice();
        bad[10] = bad[10]! ^ 1;
        expect(verifyRetryIntegrity(version, DCID, bad, p)).toBe(false);
      });

      it(`A.5: the ChaCha20-Poly1305 short-header packet (${p.name})`, () => {
        const secret = hex(v.chacha_secret);
        const m = keyMaterial(version, CipherSuite.TLS_CHACHA20_POLY1305_SHA256, secret);
        expect([toHex(m.key), toHex(m.iv), toHex(m.hp)]).toEqual([v.chacha_key, v.chacha_iv, v.chacha_hp]);
        expect(toHex(nextSecret(version, CipherSuite.TLS_CHACHA20_POLY1305_SHA256, secret))).toBe(v.chacha_ku);
        const keys = keysFromSecret(p, version, CipherSuite.TLS_CHACHA20_POLY1305_SHA256, secret);
        const sealed = keys.packet.seal(v.chacha_pn, hex(v.chacha_header), hex(v.chacha_plaintext));
        expect(toHex(sealed)).toBe(v.chacha_ciphertext);
        expect(toHex(protect(keys, hex(v.chacha_header), hex(v.chacha_plaintext), v.chacha_pn, 3))).toBe(v.chacha_packet);
        // Receiver side: the truncated pn 0x00bff4 sits in the window of 654360564.
        expect(unprotect(keys, hex(v.chacha_packet), 1, v.chacha_pn - 0x00bff4)).toEqual({ header: v.chacha_header, pn: v.chacha_pn, payload: v.chacha_plaintext });
      });

      it(`sealInPlace produces the same client Initial bytes (${p.name})`, () => {
        const { write } = initialKeys(p, version, DCID, 'client');
        const buf = new Uint8Array(1200 + 7); // extra room is fine, the tag lands right after the payload
        buf.set(hex(v.client_header), 3);
        buf.set(hex(v.client_crypto_frame), 3 + 22);
        write.packet.sealInPlace(2, buf, 3, 3 + 22, 3 + 22 + 1162);
        const packet = buf.subarray(3, 3 + 1200);
        write.header.protect(packet, 18);
        expect(toHex(packet)).toBe(v.client_packet);
      });
    }
  });
}
