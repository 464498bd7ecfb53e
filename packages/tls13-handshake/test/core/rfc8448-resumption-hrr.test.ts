import { describe, expect, it } from 'vitest';
import { EarlySecret, finishedVerifyData, resumptionPsk } from '../../src/key-schedule.js';
import { Transcript } from '../../src/machine.js';
import { hex, vec } from './rfc8448.js';
import { hashOnlyCrypto as c } from './test-crypto.js';

describe('RFC 8448 §4 (resumed 0-RTT): PSK, binder and early secrets', () => {
  const v = (who: 'client' | 'server', h: string, f: string) => vec(4, who, h, f);

  it('the PSK from §3’s ticket gives §4’s early secret', () => {
    const res = vec(3, 'client', 'derive secret "tls13 res master"', 'expanded');
    const psk = resumptionPsk(c, 0x1301, res, new Uint8Array(2));
    expect(hex(psk)).toBe(hex(v('client', 'extract secret "early"', 'IKM')));
    expect(hex(new EarlySecret(c, 0x1301, psk).secret)).toBe(hex(v('client', 'extract secret "early"', 'secret')));
  });

  it('binder key, binder over the truncated ClientHello, and the binder on the wire', () => {
    const early = new EarlySecret(c, 0x1301, v('client', 'extract secret "early"', 'IKM'));
    const bk = early.binderKey('resumption');
    expect(hex(bk)).toBe(hex(v('client', 'calculate PSK binder', 'PRK')));
    const prefix = v('client', 'calculate PSK binder', 'ClientHello prefix');
    const th = c.hash('sha256', prefix);
    expect(hex(th)).toBe(hex(v('client', 'calculate PSK binder', 'binder hash')));
    const binder = finishedVerifyData(c, 0x1301, bk, th);
    expect(hex(binder)).toBe(hex(v('client', 'calculate PSK binder', 'finished')));
    const ch = v('client', 'send handshake record', 'payload');
    // RFC 8446 §4.2.11.2: the ClientHello is the prefix ‖ binders list (u16 len, u8 len, binder)
    expect(hex(ch.subarray(0, prefix.length))).toBe(hex(prefix));
    expect(hex(ch.subarray(prefix.length + 3))).toBe(hex(binder));
  });

  it('client early traffic and early exporter secrets over the full ClientHello', () => {
    const early = new EarlySecret(c, 0x1301, v('client', 'extract secret "early"', 'IKM'));
    const th = c.hash('sha256', v('client', 'send handshake record', 'payload'));
    expect(hex(early.clientEarlyTrafficSecret(th))).toBe(hex(v('client', 'derive secret "tls13 c e traffic"', 'expanded')));
    expect(hex(early.earlyExporterMasterSecret(th))).toBe(hex(v('client', 'derive secret "tls13 e exp master"', 'expanded')));
  });
});

describe('RFC 8448 §5 (HelloRetryRequest): the message_hash transcript', () => {
  it('message_hash(CH1) ‖ HRR ‖ CH2 ‖ SH gives the RFC handshake traffic secrets', () => {
    const v = (who: 'client' | 'server', h: string, f: string, i = 0) => vec(5, who, h, f, i);
    const t = new Transcript();
    t.add(v('client', 'construct a ClientHello', 'ClientHello', 0));
    t.rewriteForHrr(c, 0x1301);
    t.add(v('server', 'construct a ServerHello', 'ServerHello', 0));
    t.add(v('client', 'construct a ClientHello', 'ClientHello', 1));
    t.add(v('server', 'construct a ServerHello', 'ServerHello', 1));
    const th = t.hash(c, 0x1301);
    expect(hex(th)).toBe(hex(v('server', 'derive secret "tls13 c hs traffic"', 'hash')));
    const hs = new EarlySecret(c, 0x1301).toHandshake(v('server', 'extract secret "handshake"', 'IKM'));
    expect(hex(hs.secret)).toBe(hex(v('server', 'extract secret "handshake"', 'secret')));
    expect(hex(hs.clientHandshakeTrafficSecret(th))).toBe(hex(v('server', 'derive secret "tls13 c hs traffic"', 'expanded')));
    expect(hex(hs.serverHandshakeTrafficSecret(th))).toBe(hex(v('server', 'derive secret "tls13 s hs traffic"', 'expanded')));
  });
});
