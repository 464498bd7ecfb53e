import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { AlertDescription, TlsAlertError } from '../../src/alert.js';
import { clientHelloExtensionTypes, decodeHandshake, encodeHandshake, type ClientHello, type HandshakeMessage } from '../../src/messages/handshake.js';
import { Reassembler } from '../../src/messages/reassembler.js';
import { hex, vec } from './rfc8448.js';

const RFC_MESSAGES: [string, number, 'client' | 'server', string, string][] = [
  ['§3 ClientHello', 3, 'client', 'construct a ClientHello', 'ClientHello'],
  ['§3 ServerHello', 3, 'server', 'construct a ServerHello', 'ServerHello'],
  ['§3 EncryptedExtensions', 3, 'server', 'construct a EncryptedExtensions', 'EncryptedExtensions'],
  ['§3 Certificate', 3, 'server', 'construct a Certificate handshake', 'Certificate'],
  ['§3 CertificateVerify', 3, 'server', 'construct a CertificateVerify', 'CertificateVerify'],
  ['§3 server Finished', 3, 'server', 'construct a Finished', 'Finished'],
  ['§3 client Finished', 3, 'client', 'construct a Finished', 'Finished'],
  ['§3 NewSessionTicket', 3, 'server', 'construct a NewSessionTicket', 'NewSessionTicket'],
  ['§4 ClientHello (PSK, early_data; the record payload, since the listed ClientHello is the binder prefix)', 4, 'client', 'send handshake record', 'payload'],
  ['§4 ServerHello (PSK)', 4, 'server', 'construct a ServerHello', 'ServerHello'],
  ['§4 EncryptedExtensions (early_data)', 4, 'server', 'construct a EncryptedExtensions', 'EncryptedExtensions'],
  ['§4 EndOfEarlyData', 4, 'client', 'construct a EndOfEarlyData', 'EndOfEarlyData'],
  ['§5 HelloRetryRequest', 5, 'server', 'construct a ServerHello', 'ServerHello'],
  ['§5 second ClientHello (cookie)', 5, 'client', 'construct a ClientHello', 'ClientHello'],
];

function decodeRaw(raw: Uint8Array): HandshakeMessage {
  return decodeHandshake(raw[0]!, raw.subarray(4));
}

function alertOf(f: () => unknown): number | undefined {
  try {
    f();
  } catch (e) {
    if (TlsAlertError.isInstance(e)) return e.description;
    throw e;
  }
  return undefined;
}

describe('handshake messages: RFC 8448 round trips', () => {
  for (const [name, sec, who, heading, field] of RFC_MESSAGES) {
    it(`${name}: decode then encode is byte for byte`, () => {
      const occurrence = name.includes('second ClientHello') ? 1 : 0;
      const raw = vec(sec, who, heading, field, occurrence);
      const m = decodeRaw(raw);
      expect(hex(encodeHandshake(m))).toBe(hex(raw));
    });
  }

  it('§3 ClientHello fields', () => {
    const m = decodeRaw(vec(3, 'client', 'construct a ClientHello', 'ClientHello'));
    if (m.type !== 1) throw new Error('not a ClientHello');
    expect(m.cipherSuites).toEqual([0x1301, 0x1303, 0x1302]);
    expect(m.ext.serverName).toBe('server');
    expect(m.ext.supportedVersions).toEqual([0x0304]);
    expect(m.ext.keyShares?.[0]?.group).toBe(0x1d);
    expect(hex(m.ext.keyShares![0]!.keyExchange)).toBe(hex(vec(3, 'client', 'create an ephemeral x25519', 'public key')));
  });

  it('§5 HelloRetryRequest is recognised by its random', () => {
    const m = decodeRaw(vec(5, 'server', 'construct a ServerHello', 'ServerHello'));
    expect(m.type === 2 && m.isHrr).toBe(true);
    if (m.type === 2) expect(m.ext.selectedGroup).toBe(0x17);
  });

  it('every truncated prefix of every RFC message fails with decode_error or illegal_parameter', () => {
    for (const [, sec, who, heading, field] of RFC_MESSAGES.slice(0, 13)) {
      const raw = vec(sec, who, heading, field);
      for (let n = 4; n < raw.length; n++) {
        const body = raw.subarray(4, n);
        const a = alertOf(() => decodeHandshake(raw[0]!, body));
        if (raw[0] === 5) continue;
        // a ClientHello/ServerHello cut exactly before its extension block is a legal legacy encoding
        if (a === undefined && (raw[0] === 1 || raw[0] === 2)) continue;
        expect([AlertDescription.decode_error, AlertDescription.illegal_parameter]).toContain(a);
      }
    }
  });

  it('duplicate extensions → illegal_parameter; unknown extensions ignored', () => {
    const ee = (exts: number[][]) => {
      const body = exts.flat();
      return Uint8Array.from([body.length >> 8, body.length & 0xff, ...body]);
    };
    expect(
      alertOf(() =>
        decodeHandshake(
          8,
          ee([
            [0, 0x10, 0, 5, 0, 3, 2, 0x68, 0x32],
            [0, 0x10, 0, 5, 0, 3, 2, 0x68, 0x32],
          ]),
        ),
      ),
    ).toBe(47);
    const m = decodeHandshake(8, ee([[0xfa, 0xfa, 0, 1, 9]]));
    expect(m.type === 8 && m.ext.unknown?.[0]?.type).toBe(0xfafa);
    // a recognised extension in the wrong message (key_share in EE) → illegal_parameter
    expect(alertOf(() => decodeHandshake(8, ee([[0, 51, 0, 2, 0, 0x1d]])))).toBe(47);
  });

  it('random bytes never throw anything but TlsAlertError', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 30 }), fc.uint8Array({ maxLength: 300 }), (t, body) => {
        alertOf(() => decodeHandshake(t, body));
      }),
      { numRuns: Number(process.env.TSQUIC_FUZZ_RUNS ?? 500) },
    );
  });
});

describe('Reassembler', () => {
  it('accepts any fragmentation and several messages per push', () => {
    const msgs = [vec(3, 'server', 'construct a EncryptedExtensions', 'EncryptedExtensions'), vec(3, 'server', 'construct a Certificate handshake', 'Certificate'), vec(3, 'server', 'construct a Finished', 'Finished')];
    const all = Uint8Array.from(msgs.flatMap((m) => [...m]));
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: all.length }), { maxLength: 8 }), (cuts) => {
        const points = [...new Set([0, ...cuts, all.length])].sort((a, b) => a - b);
        const r = new Reassembler(65536);
        const got: string[] = [];
        for (let i = 0; i + 1 < points.length; i++) for (const m of r.push(all.subarray(points[i], points[i + 1]))) got.push(hex(m.raw));
        expect(got).toEqual(msgs.map(hex));
        expect(r.pending).toBe(0);
      }),
      { numRuns: 200 },
    );
  });

  it('a message larger than the limit is an alert, without waiting for its bytes', () => {
    const r = new Reassembler(1024);
    expect(alertOf(() => r.push(Uint8Array.from([11, 0x01, 0, 0])))).toBe(AlertDescription.unexpected_message);
  });
});

describe('clientHelloExtensionTypes (what a client checks responses against, RFC 8446 §4.2)', () => {
  const clientHellos: [string, Uint8Array][] = RFC_MESSAGES.flatMap(([name, sec, who, heading, field]) => {
    if (!name.includes('ClientHello')) return [];
    return [[name, vec(sec, who, heading, field, name.includes('second ClientHello') ? 1 : 0)] as [string, Uint8Array]];
  });

  it.each(clientHellos)('RFC 8448 %s: the types in wire order, as the full decode finds them', (_name, raw) => {
    expect(raw[0]).toBe(1);
    expect(clientHelloExtensionTypes(raw.subarray(4))).toEqual((decodeRaw(raw) as ClientHello).ext.order);
  });

  it('our own ClientHellos: any session id length, unknown extensions, none at all', () => {
    const base: ClientHello = { type: 1, legacyVersion: 0x0303, random: new Uint8Array(32).fill(1), sessionId: new Uint8Array(0), cipherSuites: [0x1301, 0x1302], ext: {} };
    const variants: ClientHello[] = [
      base,
      { ...base, sessionId: new Uint8Array(32).fill(2), ext: { supportedVersions: [0x0304], serverName: 'example.com' } },
      { ...base, ext: { supportedVersions: [0x0304], quicTransportParams: new Uint8Array(300).fill(3), unknown: [{ type: 0xfafa, data: new Uint8Array(5) }], order: [0x2b, 0xfafa, 0x39] } },
    ];
    for (const ch of variants) {
      const raw = encodeHandshake(ch);
      expect(clientHelloExtensionTypes(raw.subarray(4))).toEqual((decodeRaw(raw) as ClientHello).ext.order);
    }
  });
});
