import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { createClient, createServer, type CipherSuite, type GroupName, type Handshake, type HandshakeEvent } from '../../src/index.js';
import { fixture, ofType, runPair, serverChain, serverKey } from './pair.js';
import { makeTestCrypto } from './test-crypto.js';

const crypto = makeTestCrypto();
const quic = (tp: number[]) => ({ kind: 'quic' as const, transportParams: Uint8Array.from(tp) });
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function secretsMatch(r: ReturnType<typeof runPair>) {
  const ck = ofType(r.clientEvents, 'keys');
  const sk = ofType(r.serverEvents, 'keys');
  for (const level of ['handshake', 'application'] as const) {
    const cw = ck.find((k) => k.level === level && k.direction === 'write')!;
    const sr = sk.find((k) => k.level === level && k.direction === 'read')!;
    const sw = sk.find((k) => k.level === level && k.direction === 'write')!;
    const cr = ck.find((k) => k.level === level && k.direction === 'read')!;
    expect(hex(cw.secret)).toBe(hex(sr.secret));
    expect(hex(sw.secret)).toBe(hex(cr.secret));
  }
}

describe('full 1-RTT handshake, in-process pair', () => {
  for (const suite of [0x1301, 0x1302, 0x1303] as CipherSuite[]) {
    for (const group of ['x25519', 'secp256r1', 'secp384r1', 'x25519mlkem768'] as GroupName[]) {
      it(`suite 0x${suite.toString(16)} × ${group}, plain profile`, () => {
        const r = runPair({ profile: { kind: 'tls' }, alpn: ['h2'], crypto, cipherSuites: [suite], groups: [group], verify: 'none', serverName: 'core-server.test' }, { profile: { kind: 'tls' }, alpn: ['h2'], crypto, groups: [group] });
        expect(r.client.state).toBe('complete');
        expect(r.server.state).toBe('complete');
        const cc = ofType(r.clientEvents, 'complete')[0]!;
        expect(cc).toMatchObject({ alpn: 'h2', cipherSuite: suite, resumed: false, earlyData: 'not-offered' });
        expect(hex(cc.peerCertificates[0]!)).toBe(hex(fixture('core-server-cert.der')));
        expect(ofType(r.serverEvents, 'client-hello')[0]).toMatchObject({ serverName: 'core-server.test', alpn: ['h2'] });
        secretsMatch(r);
        expect(hex(r.client.exportKeyingMaterial('EXPORTER-x', new Uint8Array(3), 32))).toBe(hex(r.server.exportKeyingMaterial('EXPORTER-x', new Uint8Array(3), 32)));
      });
    }
  }

  it('QUIC profile: the server has both 1-RTT secrets with its own Finished (0.5-RTT data, RFC 9001 §5.7), completing only on the client Finished', () => {
    const client = createClient({ profile: quic([1, 0]), alpn: ['q'], crypto, verify: 'none' });
    const server = createServer({ profile: quic([2, 0]), alpn: ['q'], crypto, certificateChain: serverChain(), privateKey: serverKey() });
    server.start(0);
    const ch = client.start(0).filter((e) => e.type === 'handshake-data');
    const hello = ch.flatMap((e) => server.receive(e.level, e.bytes, 0));
    expect(hello.map((e) => e.type)).toContain('client-hello');
    const flight = server.accept({ alpn: 'q' });
    const keys = ofType(flight, 'keys').map((k) => `${k.level}:${k.direction}`);
    expect(keys).toEqual(['handshake:write', 'handshake:read', 'application:write', 'application:read']);
    expect(flight.some((e) => e.type === 'complete')).toBe(false);
    // The client's application write secret is the one the server already holds.
    const cEvents = ofType(flight, 'handshake-data').flatMap((e) => client.receive(e.level, e.bytes, 0));
    const cw = ofType(cEvents, 'keys').find((k) => k.level === 'application' && k.direction === 'write')!;
    expect(hex(cw.secret)).toBe(hex(ofType(flight, 'keys').find((k) => k.level === 'application' && k.direction === 'read')!.secret));
    const done = ofType(cEvents, 'handshake-data').flatMap((e) => server.receive(e.level, e.bytes, 0));
    expect(done.map((e) => e.type)).toContain('complete');
    expect(ofType(done, 'keys')).toEqual([]);
  });

  it('event order: write keys before read keys, a level’s write keys before its data, server complete after client Finished', () => {
    const r = runPair({ profile: { kind: 'tls' }, alpn: [], crypto, verify: 'none' }, { profile: { kind: 'tls' }, alpn: [], crypto });
    const s = r.serverEvents.map((e) => (e.type === 'keys' ? `keys:${e.level}:${e.direction}` : e.type === 'handshake-data' ? `data:${e.level}` : e.type));
    expect(s).toEqual(['client-hello', 'data:initial', 'keys:handshake:write', 'keys:handshake:read', 'data:handshake', 'keys:application:write', 'keys:application:read', 'complete']);
    const c = r.clientEvents.map((e) => (e.type === 'keys' ? `keys:${e.level}:${e.direction}` : e.type === 'handshake-data' ? `data:${e.level}` : e.type));
    expect(c).toEqual(['data:initial', 'keys:handshake:write', 'keys:handshake:read', 'data:handshake', 'keys:application:write', 'keys:application:read', 'complete']);
  });

  it('HelloRetryRequest when the client’s share does not match the server’s groups', () => {
    const r = runPair({ profile: { kind: 'tls' }, alpn: ['h2'], crypto, groups: ['x25519', 'secp256r1'], verify: 'none' }, { profile: { kind: 'tls' }, alpn: ['h2'], crypto, groups: ['secp256r1'] });
    expect(r.client.state).toBe('complete');
    expect(ofType(r.clientEvents, 'handshake-data').filter((e) => e.level === 'initial')).toHaveLength(2);
    secretsMatch(r);
  });

  it('QUIC profile: transport parameters both ways, empty session id, ALPN required', () => {
    const r = runPair({ profile: quic([1, 2, 3]), alpn: ['h3'], crypto, verify: 'none' }, { profile: quic([9, 8]), alpn: ['h3'], crypto });
    expect(r.client.state).toBe('complete');
    expect(ofType(r.clientEvents, 'peer-transport-params')[0]!.bytes).toEqual(Uint8Array.from([9, 8]));
    expect(ofType(r.serverEvents, 'peer-transport-params')[0]!.bytes).toEqual(Uint8Array.from([1, 2, 3]));
    expect(() => r.client.keyUpdate(false)).toThrow(TypeError);
  });

  it('QUIC server without transport parameters from the client → missing_extension(109)', () => {
    const r = runPair({ profile: { kind: 'tls' }, alpn: ['h3'], crypto, verify: 'none' }, { profile: quic([1]), alpn: ['h3'], crypto });
    expect(ofType(r.serverEvents, 'alert')[0]).toEqual({ type: 'alert', description: 109, sent: true, reason: expect.any(String) });
    expect(r.server.state).toBe('failed');
  });

  it('ALPN without overlap → no_application_protocol(120)', () => {
    const r = runPair({ profile: { kind: 'tls' }, alpn: ['h2'], crypto, verify: 'none' }, { profile: { kind: 'tls' }, alpn: ['http/1.1'], crypto });
    expect(ofType(r.serverEvents, 'alert')[0]!.description).toBe(120);
  });

  it('no common cipher suite → handshake_failure(40)', () => {
    const r = runPair({ profile: { kind: 'tls' }, alpn: [], crypto, cipherSuites: [0x1303], verify: 'none' }, { profile: { kind: 'tls' }, alpn: [], crypto, cipherSuites: [0x1301] });
    expect(ofType(r.serverEvents, 'alert')[0]!.description).toBe(40);
  });

  it('client certificates: requested, presented and verified; or an empty Certificate', () => {
    const ccfg = { profile: { kind: 'tls' as const }, alpn: [], crypto, verify: 'none' as const };
    const withCert = runPair({ ...ccfg, certificateChain: [fixture('core-client-cert.der')], privateKey: fixture('core-client-key.der') }, { profile: { kind: 'tls' }, alpn: [], crypto, requestClientCertificate: true, verify: 'none' });
    expect(withCert.server.state).toBe('complete');
    expect(hex(ofType(withCert.serverEvents, 'complete')[0]!.peerCertificates[0]!)).toBe(hex(fixture('core-client-cert.der')));
    secretsMatch(withCert);
    const without = runPair(ccfg, { profile: { kind: 'tls' }, alpn: [], crypto, requestClientCertificate: true, verify: 'none' });
    expect(without.server.state).toBe('complete');
    expect(ofType(without.serverEvents, 'complete')[0]!.peerCertificates).toEqual([]);
  });

  it("verify: 'event' suspends until resume(); a rejection ends in the given alert", () => {
    const ok = runPair({ profile: { kind: 'tls' }, alpn: [], crypto, verify: 'event', serverName: 'x' }, { profile: { kind: 'tls' }, alpn: [], crypto });
    expect(ofType(ok.clientEvents, 'verify-peer')[0]!.serverName).toBe('x');
    expect(ok.client.state).toBe('complete');
    const bad = runPair({ profile: { kind: 'tls' }, alpn: [], crypto, verify: 'event' }, { profile: { kind: 'tls' }, alpn: [], crypto }, { onVerify: () => ({ ok: false, alert: 48 }) });
    expect(ofType(bad.clientEvents, 'alert')[0]!.description).toBe(48);
  });

  it('keylog lines for the four traffic secrets and the exporter secret', () => {
    const lines: string[] = [];
    const r = runPair({ profile: { kind: 'tls' }, alpn: [], crypto, verify: 'none', keylog: (l) => lines.push(l) }, { profile: { kind: 'tls' }, alpn: [], crypto });
    expect(r.client.state).toBe('complete');
    expect(lines.map((l) => l.split(' ')[0])).toEqual(['CLIENT_HANDSHAKE_TRAFFIC_SECRET', 'SERVER_HANDSHAKE_TRAFFIC_SECRET', 'EXPORTER_SECRET', 'CLIENT_TRAFFIC_SECRET_0', 'SERVER_TRAFFIC_SECRET_0']);
    const cw = ofType(r.clientEvents, 'keys').find((k) => k.level === 'application' && k.direction === 'write')!;
    expect(lines[3]!.split(' ')[2]).toBe(hex(cw.secret));
  });

  it('plain-profile KeyUpdate: message then write keys; requests are answered once, when we next send (RFC 8446 §4.6.3)', () => {
    const r = runPair({ profile: { kind: 'tls' }, alpn: [], crypto, verify: 'none' }, { profile: { kind: 'tls' }, alpn: [], crypto });
    const ku = r.client.keyUpdate(true);
    expect(ku.map((e) => e.type)).toEqual(['handshake-data', 'keys']);
    expect(r.server.keyUpdateRequested).toBe(false);
    const resp = r.server.receive('application', (ku[0] as { bytes: Uint8Array }).bytes, 0);
    expect(resp.map((e) => (e.type === 'keys' ? `keys:${e.direction}` : e.type))).toEqual(['keys:read']);
    expect(hex((resp[0] as { secret: Uint8Array }).secret)).toBe(hex((ku[1] as { secret: Uint8Array }).secret));
    // a second request while the server is silent is covered by the same answer
    const ku2 = r.client.keyUpdate(true);
    expect(r.server.receive('application', (ku2[0] as { bytes: Uint8Array }).bytes, 0).map((e) => e.type)).toEqual(['keys']);
    expect(r.server.keyUpdateRequested).toBe(true);
    const answer = r.server.keyUpdate(false);
    expect(answer.map((e) => e.type)).toEqual(['handshake-data', 'keys']);
    expect(r.server.keyUpdateRequested).toBe(false);
    const back = r.client.receive('application', (answer[0] as { bytes: Uint8Array }).bytes, 0);
    expect(back.map((e) => e.type)).toEqual(['keys']);
    expect(r.client.keyUpdateRequested).toBe(false);
  });
});

describe('any fragmentation', () => {
  it('every flight cut into random pieces (several messages per call, messages across calls) still completes', () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1, maxLength: 12 }), (sizes) => {
        const client = createClient({ profile: { kind: 'tls' }, alpn: ['h2'], crypto, verify: 'none', groups: ['x25519', 'secp256r1'] });
        const server = createServer({ profile: { kind: 'tls' }, alpn: ['h2'], crypto, groups: ['secp256r1'], certificateChain: [fixture('core-server-cert.der')], privateKey: fixture('core-server-key.der') });
        server.start(0);
        let k = 0;
        const deliver = (to: Handshake, evs: HandshakeEvent[]): HandshakeEvent[] => {
          const out: HandshakeEvent[] = [];
          for (const e of evs) {
            if (e.type !== 'handshake-data') continue;
            for (let off = 0; off < e.bytes.length;) {
              const n = sizes[k++ % sizes.length]!;
              out.push(...to.receive(e.level, e.bytes.subarray(off, off + n), 0));
              off += n;
              if (to.state === 'suspended') out.push(...to.accept({}));
            }
          }
          return out;
        };
        let toServer = client.start(0);
        for (let i = 0; i < 4 && toServer.length > 0; i++) toServer = deliver(client, deliver(server, toServer));
        expect([client.state, server.state]).toEqual(['complete', 'complete']); // through a HelloRetryRequest too
      }),
      { numRuns: 40 },
    );
  });
});

describe('negative: peer faults end in an alert event', () => {
  it('a ServerHello with a cipher suite the client did not offer → illegal_parameter(47)', () => {
    const r = runPair(
      { profile: { kind: 'tls' }, alpn: [], crypto, verify: 'none', cipherSuites: [0x1301] },
      { profile: { kind: 'tls' }, alpn: [], crypto },
      {
        tamper: (from, e) => {
          if (from !== 'server' || e.level !== 'initial') return e.bytes;
          const b = e.bytes.slice();
          const at = 4 + 2 + 32 + 1 + b[4 + 2 + 32]!; // after legacy_session_id_echo
          b[at] = 0x13;
          b[at + 1] = 0x04; // TLS_AES_128_CCM_SHA256: not offered, not implemented
          return b;
        },
      },
    );
    expect(ofType(r.clientEvents, 'alert')[0]!.description).toBe(47);
  });
  const flip = (b: Uint8Array, i: number) => {
    const c = b.slice();
    c[i]! ^= 1;
    return c;
  };
  it('corrupted server Finished → decrypt_error(51)', () => {
    const r = runPair(
      { profile: { kind: 'tls' }, alpn: [], crypto, verify: 'none' },
      { profile: { kind: 'tls' }, alpn: [], crypto },
      {
        tamper: (from, e) => (from === 'server' && e.level === 'handshake' ? flip(e.bytes, e.bytes.length - 1) : e.bytes),
      },
    );
    expect(ofType(r.clientEvents, 'alert')[0]).toEqual({ type: 'alert', description: 51, sent: true, reason: 'server Finished does not verify' });
  });
  it('corrupted client Finished → decrypt_error(51) at the server', () => {
    const r = runPair(
      { profile: { kind: 'tls' }, alpn: [], crypto, verify: 'none' },
      { profile: { kind: 'tls' }, alpn: [], crypto },
      {
        tamper: (from, e) => (from === 'client' && e.level === 'handshake' ? flip(e.bytes, e.bytes.length - 1) : e.bytes),
      },
    );
    expect(ofType(r.serverEvents, 'alert')[0]!.description).toBe(51);
    expect(r.server.state).toBe('failed');
  });
  it('wrong CertificateVerify signature → decrypt_error(51)', () => {
    const r = runPair(
      { profile: { kind: 'tls' }, alpn: [], crypto, verify: 'none' },
      { profile: { kind: 'tls' }, alpn: [], crypto },
      {
        // the CertificateVerify signature ends 36 bytes before the end (Finished is 4 + 32 bytes)
        tamper: (from, e) => (from === 'server' && e.level === 'handshake' ? flip(e.bytes, e.bytes.length - 40) : e.bytes),
      },
    );
    expect(ofType(r.clientEvents, 'alert')[0]!.description).toBe(51);
  });
  it('a ServerHello selecting TLS 1.2 → protocol_version(70)', () => {
    const r = runPair(
      { profile: { kind: 'tls' }, alpn: [], crypto, verify: 'none' },
      { profile: { kind: 'tls' }, alpn: [], crypto },
      {
        tamper: (from, e) => {
          if (from !== 'server' || e.level !== 'initial') return e.bytes;
          const h = Buffer.from(e.bytes).toString('hex').replace('002b00020304', 'fafa00020304');
          return Uint8Array.from(Buffer.from(h, 'hex'));
        },
      },
    );
    expect(ofType(r.clientEvents, 'alert')[0]!.description).toBe(70);
  });
  it('a ServerHello whose supported_versions selects 0x0303 → illegal_parameter(47) (RFC 8446 §4.2.1; issue 15 finding 8)', () => {
    const r = runPair(
      { profile: { kind: 'tls' }, alpn: [], crypto, verify: 'none' },
      { profile: { kind: 'tls' }, alpn: [], crypto },
      {
        tamper: (from, e) => (from === 'server' && e.level === 'initial' ? Uint8Array.from(Buffer.from(Buffer.from(e.bytes).toString('hex').replace('002b00020304', '002b00020303'), 'hex')) : e.bytes),
      },
    );
    expect(ofType(r.clientEvents, 'alert')[0]).toEqual({ type: 'alert', description: 47, sent: true, reason: 'server selected version 0x0303 in supported_versions' });
  });
  it('a TLS 1.2 ServerHello carrying the downgrade sentinel → illegal_parameter(47)', () => {
    const r = runPair(
      { profile: { kind: 'tls' }, alpn: [], crypto, verify: 'none' },
      { profile: { kind: 'tls' }, alpn: [], crypto },
      {
        tamper: (from, e) => {
          if (from !== 'server' || e.level !== 'initial') return e.bytes;
          const b = Uint8Array.from(Buffer.from(Buffer.from(e.bytes).toString('hex').replace('002b00020304', 'fafa00020304'), 'hex'));
          b.set([0x44, 0x4f, 0x57, 0x4e, 0x47, 0x52, 0x44, 0x01], 6 + 24);
          return b;
        },
      },
    );
    expect(ofType(r.clientEvents, 'alert')[0]!.description).toBe(47);
  });
  it('a ClientHello without TLS 1.3 in supported_versions → protocol_version(70)', () => {
    const r = runPair(
      { profile: { kind: 'tls' }, alpn: [], crypto, verify: 'none' },
      { profile: { kind: 'tls' }, alpn: [], crypto },
      {
        tamper: (from, e) => Uint8Array.from(Buffer.from(Buffer.from(e.bytes).toString('hex').replace('002b0003020304', '002b0003020303'), 'hex')),
      },
    );
    expect(ofType(r.serverEvents, 'alert')[0]!.description).toBe(70);
  });
  it('caller mistakes in a config are TypeErrors at creation, not alerts later', () => {
    const ok = { profile: { kind: 'tls' as const }, alpn: [], crypto, verify: 'none' as const };
    expect(() => createClient({ ...ok, cipherSuites: [] })).toThrow(TypeError);
    expect(() => createClient({ ...ok, cipherSuites: [0x1304 as CipherSuite] })).toThrow(TypeError);
    expect(() => createClient({ ...ok, groups: ['x448' as GroupName] })).toThrow(TypeError);
    expect(() => createClient({ ...ok, alpn: [''] })).toThrow(TypeError);
    expect(() => createClient({ ...ok, profile: { kind: 'quic', transportParams: Uint8Array.of(1) } })).toThrow(/ALPN/);
    expect(() => createServer({ profile: { kind: 'udp' } as never, alpn: [] })).toThrow(TypeError);
  });
  it('a client without an explicit verify mode is refused (no silent skip of chain verification)', () => {
    expect(() => createClient({ profile: { kind: 'tls' }, alpn: [], crypto })).toThrow(TypeError);
  });
  it('data at the wrong level → unexpected_message(10); API misuse throws', () => {
    const r = runPair({ profile: { kind: 'tls' }, alpn: [], crypto, verify: 'none' }, { profile: { kind: 'tls' }, alpn: [], crypto });
    expect(r.client.receive('handshake', new Uint8Array([20, 0, 0, 0]), 0)).toEqual([{ type: 'alert', description: 10, sent: true, reason: expect.any(String) }]);
    expect(() => r.client.receive('application', new Uint8Array(1), 0)).toThrow(TypeError);
    expect(() => r.server.resume({ ok: true })).toThrow(TypeError);
  });
});

describe('the provider under test', () => {
  it('is the one this vitest project names (the core suite runs once per provider)', () => {
    expect(crypto.name).toBe(process.env.TSQUIC_HANDSHAKE_PROVIDER);
  });
});
