import { describe, expect, it } from 'vitest';
import { createServer } from '../../src/index.js';
import { ofType, serverChain, serverKey } from './pair.js';
import { hex, vec } from './rfc8448.js';
import { makeTestCrypto } from './test-crypto.js';

describe('RFC 8448 §3 through the server state machine', () => {
  it('the RFC ClientHello in, with the RFC server random and x25519 key: ServerHello and handshake secrets byte for byte', () => {
    const v = (who: 'client' | 'server', h: string, f: string) => vec(3, who, h, f);
    const crypto = makeTestCrypto({ fixedX25519: v('server', 'create an ephemeral x25519', 'private key') });
    const sh = v('server', 'construct a ServerHello', 'ServerHello');
    const server = createServer({ profile: { kind: 'tls' }, alpn: [], crypto, random: () => sh.slice(6, 38) });
    server.start(0);
    const evs = server.receive('initial', v('client', 'construct a ClientHello', 'ClientHello'), 0);
    const ch = ofType(evs, 'client-hello')[0]!;
    expect(ch).toMatchObject({ serverName: 'server', alpn: [], cipherSuites: [0x1301, 0x1303, 0x1302] });
    const out = server.accept({ certificateChain: serverChain(), privateKey: serverKey(), alpn: '' });
    const data = ofType(out, 'handshake-data');
    expect(data[0]!.level).toBe('initial');
    expect(hex(data[0]!.bytes)).toBe(hex(sh));
    const keys = ofType(out, 'keys');
    expect(hex(keys.find((k) => k.level === 'handshake' && k.direction === 'write')!.secret)).toBe(hex(v('server', 'derive secret "tls13 s hs traffic"', 'expanded')));
    expect(hex(keys.find((k) => k.level === 'handshake' && k.direction === 'read')!.secret)).toBe(hex(v('server', 'derive secret "tls13 c hs traffic"', 'expanded')));
  });
});
