/**
 * RFC 8448 §4 (resumed 0-RTT handshake) through the server state machine:
 * the RFC's ClientHello (PSK from §3's ticket, early_data) goes in; with the
 * RFC's server random and x25519 key, and a ticketer that opens the RFC's
 * ticket to §3's resumption state, the server verifies the RFC binder,
 * accepts 0-RTT and answers with the RFC's ServerHello byte for byte, and its
 * early and handshake traffic secrets are the RFC's.
 */
import { describe, expect, it } from 'vitest';
import { createServer, StrikeRegister } from '../../src/index.js';
import { decodeHandshake } from '../../src/messages/handshake.js';
import { encodeTicketState } from '../../src/ticket.js';
import { ofType } from './pair.js';
import { hex, vec } from './rfc8448.js';
import { makeTestCrypto } from './test-crypto.js';

describe('RFC 8448 §4 through the server', () => {
  it('binder verified, 0-RTT accepted, ServerHello and early / handshake secrets byte for byte', () => {
    const v = (who: 'client' | 'server', h: string, f: string) => vec(4, who, h, f);
    const ch = v('client', 'send handshake record', 'payload');
    const m = decodeHandshake(ch[0]!, ch.subarray(4));
    if (m.type !== 1 || !m.ext.preSharedKey) throw new Error('not the §4 ClientHello');
    const identity = m.ext.preSharedKey.identities[0]!;
    const nst = decodeHandshake(4, vec(3, 'server', 'construct a NewSessionTicket', 'NewSessionTicket').subarray(4));
    if (nst.type !== 4) throw new Error('not the §3 NewSessionTicket');
    const nowMs = 1_000_000;
    const clientAgeMs = (identity.obfuscatedTicketAge - nst.ageAdd) >>> 0;
    // §3's ticket, as our ticketer would have sealed it: PSK, suite, age_add, lifetime, max_early_data_size.
    const state = encodeTicketState({
      suite: 0x1301,
      psk: v('client', 'extract secret "early"', 'IKM'),
      ageAdd: nst.ageAdd,
      issuedAtMs: nowMs - clientAgeMs,
      lifetimeS: nst.lifetime,
      alpn: '',
      maxEarlyData: nst.ext.maxEarlyDataSize ?? 0,
    });
    const ticketer = {
      seal: () => new Uint8Array(0),
      open: (t: Uint8Array) => (hex(t) === hex(identity.identity) ? state : null),
    };
    const sh = v('server', 'construct a ServerHello', 'ServerHello');
    const crypto = makeTestCrypto({ fixedX25519: v('server', 'create an ephemeral x25519 key pair', 'private key') });
    const server = createServer({ profile: { kind: 'tls' }, alpn: [], crypto, random: () => sh.slice(6, 38), ticketer, maxEarlyData: 1024, antiReplay: new StrikeRegister() });
    server.start(nowMs);
    const hello = server.receive('initial', ch, nowMs);
    expect(ofType(hello, 'client-hello')[0]).toMatchObject({ serverName: 'server', cipherSuites: [0x1301, 0x1303, 0x1302] });
    const out = server.accept({});
    expect(hex(ofType(out, 'handshake-data')[0]!.bytes)).toBe(hex(sh));
    expect(ofType(out, 'early-data')[0]!.status).toBe('accepted');
    const key = (level: string, direction: string) => hex(ofType(out, 'keys').find((k) => k.level === level && k.direction === direction)!.secret);
    expect(key('early', 'read')).toBe(hex(vec(4, 'client', 'derive secret "tls13 c e traffic"', 'expanded')));
    expect(key('handshake', 'write')).toBe(hex(v('server', 'derive secret "tls13 s hs traffic"', 'expanded')));
    // plain profile with accepted 0-RTT: the handshake read key waits for EndOfEarlyData (§4.5)
    expect(server.readLevel).toBe('early');
    const eoed = server.receive('early', vec(4, 'client', 'construct a EndOfEarlyData', 'EndOfEarlyData'), nowMs);
    expect(hex(ofType(eoed, 'keys')[0]!.secret)).toBe(hex(v('server', 'derive secret "tls13 c hs traffic"', 'expanded')));
  });
});
