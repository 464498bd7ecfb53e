import { describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { EMPTY_HASH, EarlySecret, exportKeyingMaterial, finishedVerifyData, hkdfExpandLabel, nextTrafficSecret, resumptionPsk, suiteParams, trafficKeys } from '../../src/key-schedule.js';
import { hex, section, vec } from './rfc8448.js';
import { hashOnlyCrypto as c } from './test-crypto.js';

describe('key schedule: RFC 8448 §3 (simple 1-RTT)', () => {
  const v = (who: 'client' | 'server', h: string, f: string, i = 0) => vec(3, who, h, f, i);

  it('every "derive secret" step: HKDF-Expand-Label(PRK, label, hash) = expanded', () => {
    const steps = section(3).filter((s) => /^derive secret (for \w+ )?"tls13 /.test(s.heading) && s.fields.has('expanded'));
    expect(steps.length).toBeGreaterThanOrEqual(8);
    for (const s of steps) {
      const label = /"tls13 ([^"]+)"/.exec(s.heading)![1]!;
      const out = hkdfExpandLabel(c, 'sha256', s.fields.get('PRK')!, label, s.fields.get('hash')!, 32);
      expect(hex(out), s.heading).toBe(hex(s.fields.get('expanded')!));
    }
  });

  it('every "derive … traffic keys" step: key and iv (§7.3)', () => {
    const steps = section(3).filter((s) => /traffic keys/.test(s.heading) && s.fields.has('PRK'));
    expect(steps.length).toBeGreaterThanOrEqual(4);
    for (const s of steps) {
      const k = trafficKeys(c, 0x1301, s.fields.get('PRK')!);
      expect(hex(k.key), s.heading).toBe(hex(s.fields.get('key expanded')!));
      expect(hex(k.iv), s.heading).toBe(hex(s.fields.get('iv expanded')!));
    }
  });

  it('stages Early → Handshake → Master chain to the RFC secrets', () => {
    const early = new EarlySecret(c, 0x1301);
    expect(hex(early.secret)).toBe(hex(v('server', 'extract secret "early"', 'secret')));
    const hs = early.toHandshake(v('server', 'extract secret "handshake"', 'IKM'));
    expect(hex(hs.secret)).toBe(hex(v('server', 'extract secret "handshake"', 'secret')));
    const thSH = v('server', 'derive secret "tls13 c hs traffic"', 'hash');
    expect(hex(hs.clientHandshakeTrafficSecret(thSH))).toBe(hex(v('server', 'derive secret "tls13 c hs traffic"', 'expanded')));
    expect(hex(hs.serverHandshakeTrafficSecret(thSH))).toBe(hex(v('server', 'derive secret "tls13 s hs traffic"', 'expanded')));
    const ms = hs.toMaster();
    expect(hex(ms.secret)).toBe(hex(v('server', 'extract secret "master"', 'secret')));
    const thSF = v('server', 'derive secret "tls13 c ap traffic"', 'hash');
    expect(hex(ms.clientApplicationTrafficSecret(thSF))).toBe(hex(v('server', 'derive secret "tls13 c ap traffic"', 'expanded')));
    expect(hex(ms.serverApplicationTrafficSecret(thSF))).toBe(hex(v('server', 'derive secret "tls13 s ap traffic"', 'expanded')));
    expect(hex(ms.exporterMasterSecret(thSF))).toBe(hex(v('server', 'derive secret "tls13 exp master"', 'expanded')));
    const thCF = v('client', 'derive secret "tls13 res master"', 'hash');
    const res = ms.resumptionMasterSecret(thCF);
    expect(hex(res)).toBe(hex(v('client', 'derive secret "tls13 res master"', 'expanded')));
    // §4.6.1 resumption PSK with ticket nonce 00 00
    expect(hex(resumptionPsk(c, 0x1301, res, new Uint8Array(2)))).toBe(hex(v('server', 'generate resumption secret', 'expanded')));
  });

  it('Finished verify_data (§4.4.4) for server and client, over the RFC transcript', () => {
    const msgs = [
      v('client', 'construct a ClientHello', 'ClientHello'),
      v('server', 'construct a ServerHello', 'ServerHello'),
      v('server', 'construct a EncryptedExtensions', 'EncryptedExtensions'),
      v('server', 'construct a Certificate handshake', 'Certificate'),
      v('server', 'construct a CertificateVerify', 'CertificateVerify'),
    ];
    const cat = (xs: Uint8Array[]) => Uint8Array.from(xs.flatMap((x) => [...x]));
    const sfin = finishedVerifyData(c, 0x1301, v('server', 'calculate finished', 'PRK'), c.hash('sha256', cat(msgs)));
    expect(hex(sfin)).toBe(hex(v('server', 'calculate finished', 'finished')));
    msgs.push(v('server', 'construct a Finished', 'Finished'));
    const cfin = finishedVerifyData(c, 0x1301, v('client', 'calculate finished "tls13 finished":', 'PRK'), c.hash('sha256', cat(msgs)));
    expect(hex(cfin)).toBe(hex(v('client', 'calculate finished "tls13 finished":', 'finished')));
  });

  it('suite parameters (Appendix B.4) and key update / exporter lengths', () => {
    expect(suiteParams(0x1302)).toMatchObject({ hash: 'sha384', hashLen: 48, keyLen: 32 });
    expect(suiteParams(0x1303).aead).toBe('chacha20-poly1305');
    const s = v('server', 'derive secret "tls13 s ap traffic"', 'expanded');
    const n1 = nextTrafficSecret(c, 0x1301, s);
    expect(hex(n1)).toBe(hex(hkdfExpandLabel(c, 'sha256', s, 'traffic upd', new Uint8Array(0), 32)));
    expect(hex(nextTrafficSecret(c, 0x1301, n1))).not.toBe(hex(n1));
    const exp = v('server', 'derive secret "tls13 exp master"', 'expanded');
    const a = exportKeyingMaterial(c, 0x1301, exp, 'EXPORTER-test', new Uint8Array([1]), 40);
    expect(a.length).toBe(40);
    expect(hex(a)).not.toBe(hex(exportKeyingMaterial(c, 0x1301, exp, 'EXPORTER-test', new Uint8Array([2]), 40)));
  });

  it('the constant Hash("") of each hash is what the hash gives (the "derived" and binder contexts)', () => {
    for (const alg of ['sha256', 'sha384', 'sha512'] as const) expect(hex(EMPTY_HASH[alg])).toBe(createHash(alg).update(new Uint8Array(0)).digest('hex'));
  });
});
