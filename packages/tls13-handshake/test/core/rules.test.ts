/**
 * RFC 8446 / RFC 9001 rules on what a peer may send, each enforced with the
 * alert the RFC names: unsolicited extensions, psk_key_exchange_modes, key
 * shares outside supported_groups, the second ClientHello, QUIC's
 * PROTOCOL_VIOLATION cases, NewSessionTicket lifetimes, the 0-RTT ticket-age
 * window, and which tickets a client may offer at all.
 */
import { describe, expect, it } from 'vitest';
import { createClient, EARLY_DATA_AGE_WINDOW_MS, QUIC_PROTOCOL_VIOLATION, StrikeRegister, type ClientConfig, type HandshakeEvent, type ServerConfig, type SessionTicket } from '../../src/index.js';
import { decodeHandshake, encodeHandshake, type HandshakeMessage } from '../../src/messages/handshake.js';
import { ofType, runPair } from './pair.js';
import { makeTestCrypto } from './test-crypto.js';

const crypto = makeTestCrypto();
const tls = { kind: 'tls' as const };
const quic = { kind: 'quic' as const, transportParams: Uint8Array.of(1, 2) };
type Data = Extract<HandshakeEvent, { type: 'handshake-data' }>;

/** Split concatenated handshake messages, edit them, join them again. */
function edit(bytes: Uint8Array, f: (m: HandshakeMessage, i: number) => HandshakeMessage): Uint8Array {
  const out: Uint8Array[] = [];
  for (let off = 0, i = 0; off < bytes.length; i++) {
    const len = (bytes[off + 1]! << 16) | (bytes[off + 2]! << 8) | bytes[off + 3]!;
    const raw = bytes.subarray(off, off + 4 + len);
    const m = decodeHandshake(raw[0]!, raw.subarray(4), 32);
    const e = f(m, i);
    out.push(e === m ? raw : encodeHandshake(e));
    off += 4 + len;
  }
  return Uint8Array.from(out.flatMap((x) => [...x]));
}
const withExt = (m: HandshakeMessage, type: number, data: number[] = []): HandshakeMessage => {
  if (!('ext' in m)) return m;
  return { ...m, ext: { ...m.ext, unknown: [...(m.ext.unknown ?? []), { type, data: Uint8Array.from(data) }], order: [...(m.ext.order ?? []), type] } } as HandshakeMessage;
};

const c0 = { profile: tls, alpn: ['h2'], crypto, verify: 'none' as const, serverName: 's' };
const s0 = { profile: tls, alpn: ['h2'], crypto };
const alertAt = (evs: HandshakeEvent[]) => ofType(evs, 'alert')[0];

function tamper(from: 'client' | 'server', level: string, f: (m: HandshakeMessage, i: number) => HandshakeMessage, nth = 0) {
  let seen = 0;
  return (who: 'client' | 'server', e: Data) => (who === from && e.level === level && seen++ === nth ? edit(e.bytes, f) : e.bytes);
}

describe('RFC 8446 §4.2: responses carry only extensions we asked for → unsupported_extension(110)', () => {
  it('an unknown extension in ServerHello', () => {
    const r = runPair(c0, s0, { tamper: tamper('server', 'initial', (m) => withExt(m, 0xff01)) });
    expect(alertAt(r.clientEvents)?.description).toBe(110);
  });
  it('record_size_limit (not offered) in EncryptedExtensions', () => {
    const r = runPair(c0, s0, { tamper: tamper('server', 'handshake', (m) => (m.type === 8 ? withExt(m, 28, [0x40, 0]) : m)) });
    expect(alertAt(r.clientEvents)?.description).toBe(110);
  });
  it('ALPN in EncryptedExtensions when the client offered none', () => {
    const r = runPair({ ...c0, alpn: [] }, s0, {
      tamper: tamper('server', 'handshake', (m) => (m.type === 8 ? { ...m, ext: { ...m.ext, alpn: ['h2'], order: [...(m.ext.order ?? []), 16] } } : m)),
    });
    expect(alertAt(r.clientEvents)?.description).toBe(110);
  });
  it('an extension in a server CertificateEntry (signed_certificate_timestamp was not asked for)', () => {
    const r = runPair(c0, s0, {
      tamper: tamper('server', 'handshake', (m) => (m.type === 11 ? { ...m, entries: m.entries.map((x) => ({ ...x, ext: { unknown: [{ type: 18, data: Uint8Array.of(0, 0) }], order: [18] } })) } : m)),
    });
    expect(alertAt(r.clientEvents)?.description).toBe(110);
  });
  it('an unknown extension in HelloRetryRequest; a cookie is the exception and is echoed', () => {
    const groups = { c: { ...c0, groups: ['x25519', 'secp256r1'] } as ClientConfig, s: { ...s0, groups: ['secp256r1'] } as ServerConfig };
    expect(alertAt(runPair(groups.c, groups.s, { tamper: tamper('server', 'initial', (m) => withExt(m, 0xff02)) }).clientEvents)?.description).toBe(110);
    const cookie = [0, 3, 7, 7, 7];
    const r = runPair(groups.c, groups.s, { tamper: tamper('server', 'initial', (m) => ({ ...m, ext: { ...(m as { ext: object }).ext, cookie: Uint8Array.from(cookie.slice(2)), order: [43, 51, 44] } }) as HandshakeMessage) });
    const ch2 = ofType(r.clientEvents, 'handshake-data').filter((e) => e.level === 'initial')[1]!;
    const m = decodeHandshake(1, ch2.bytes.subarray(4));
    expect(m.type === 1 && Array.from(m.ext.cookie ?? [])).toEqual([7, 7, 7]);
  });
});

describe('ClientHello rules at the server', () => {
  it('key_share for a group not in supported_groups → illegal_parameter(47)', () => {
    const r = runPair(c0, s0, { tamper: tamper('client', 'initial', (m) => (m.type === 1 ? { ...m, ext: { ...m.ext, supportedGroups: [0x17] } } : m)) });
    expect(alertAt(r.serverEvents)?.description).toBe(47);
  });
  it('pre_shared_key without psk_key_exchange_modes → missing_extension(109)', () => {
    const ticket = ticketFrom(tls);
    const r = runPair({ ...c0, resume: ticket }, { ...s0, ticketKey }, { tamper: tamper('client', 'initial', (m) => (m.type === 1 ? { ...m, ext: { ...m.ext, pskModes: undefined } } : m)) });
    expect(alertAt(r.serverEvents)?.description).toBe(109);
  });
  it('early_data in the ClientHello that answers a HelloRetryRequest → illegal_parameter(47)', () => {
    const r = runPair(
      { ...c0, groups: ['x25519', 'secp256r1'] },
      { ...s0, groups: ['secp256r1'] },
      {
        tamper: tamper('client', 'initial', (m) => (m.type === 1 ? { ...m, ext: { ...m.ext, earlyData: true, order: [...(m.ext.order ?? []), 42] } } : m), 1),
      },
    );
    expect(alertAt(r.serverEvents)?.description).toBe(47);
  });
  it('quic_transport_parameters at a plain-TLS server → unsupported_extension(110) (RFC 9001 §8.2)', () => {
    const r = runPair({ ...c0, profile: quic }, s0);
    expect(alertAt(r.serverEvents)?.description).toBe(110);
  });
});

describe('QUIC: faults RFC 9001 maps to PROTOCOL_VIOLATION', () => {
  it('a ClientHello with a legacy_session_id (§8.4)', () => {
    const r = runPair(
      { ...c0, profile: quic, alpn: ['h3'] },
      { ...s0, profile: quic, alpn: ['h3'] },
      {
        tamper: tamper('client', 'initial', (m) => (m.type === 1 ? { ...m, sessionId: new Uint8Array(32) } : m)),
      },
    );
    expect(alertAt(r.serverEvents)).toEqual({ type: 'alert', description: 47, sent: true, quicError: QUIC_PROTOCOL_VIOLATION, reason: expect.any(String) });
  });
  it('a NewSessionTicket with max_early_data_size other than 0xffffffff (§4.6.1)', () => {
    const r = runPair({ ...c0, profile: quic, alpn: ['h3'] }, { ...s0, profile: quic, alpn: ['h3'] });
    const nst = encodeHandshake({ type: 4, lifetime: 100, ageAdd: 1, nonce: Uint8Array.of(1), ticket: Uint8Array.of(9), ext: { maxEarlyDataSize: 16384 } });
    expect(r.client.receive('application', nst, 0)).toEqual([{ type: 'alert', description: 47, sent: true, quicError: QUIC_PROTOCOL_VIOLATION, reason: expect.any(String) }]);
  });
  it('plain TLS takes any max_early_data_size; its alerts carry no quicError', () => {
    const r = runPair(c0, s0);
    const nst = encodeHandshake({ type: 4, lifetime: 100, ageAdd: 1, nonce: Uint8Array.of(1), ticket: Uint8Array.of(9), ext: { maxEarlyDataSize: 16384 } });
    expect(ofType(r.client.receive('application', nst, 0), 'session-ticket')[0]!.ticket.maxEarlyData).toBe(16384);
    // a bad KeyUpdate request value (RFC 8446 §4.6.3) → illegal_parameter, no quicError
    expect(r.client.receive('application', Uint8Array.of(24, 0, 0, 1, 7), 0)).toEqual([{ type: 'alert', description: 47, sent: true, reason: expect.any(String) }]);
  });
});

const ticketKey = new Uint8Array(32).fill(4);
function ticketFrom(profile: ClientConfig['profile'], maxEarlyData = 0): SessionTicket {
  const r = runPair({ ...c0, profile }, { ...s0, profile, ticketKey, maxEarlyData });
  return ofType(r.clientEvents, 'session-ticket')[0]!.ticket;
}

describe('tickets at the client (RFC 8446 §4.6.1)', () => {
  const nst = (lifetime: number) => encodeHandshake({ type: 4, lifetime, ageAdd: 5, nonce: Uint8Array.of(1), ticket: Uint8Array.of(9, 9), ext: {} });
  it('lifetime 0 means discard: no session-ticket event; longer than 7 days is capped', () => {
    const r = runPair(c0, s0);
    expect(r.client.receive('application', nst(0), 0)).toEqual([]);
    const t = ofType(r.client.receive('application', nst(10_000_000), 0), 'session-ticket')[0]!.ticket;
    expect(t.lifetimeS).toBe(604800);
  });
  it('a ticket is offered only for its server name, within its lifetime', () => {
    const ticket = ticketFrom(tls);
    const offered = (cfg: Partial<ClientConfig>, nowMs = 0) => {
      const ch = ofType(createClient({ ...c0, resume: ticket, ...cfg }).start(nowMs), 'handshake-data')[0]!;
      const m = decodeHandshake(1, ch.bytes.subarray(4));
      return m.type === 1 && m.ext.preSharedKey !== undefined;
    };
    expect(offered({})).toBe(true);
    expect(offered({ serverName: 'S' })).toBe(true); // host names compare case-insensitively
    expect(offered({ serverName: 'other' })).toBe(false);
    expect(offered({}, ticket.lifetimeS * 1000 + 1)).toBe(false);
    expect(offered({ cipherSuites: [0x1302] })).toBe(false);
  });
  it('0-RTT is offered only under the ticket’s ALPN', () => {
    const ticket = ticketFrom(tls, 1000);
    const early = (alpn: string[]) => ofType(createClient({ ...c0, alpn, resume: ticket, enableEarlyData: true }).start(0), 'keys').length;
    expect(early(['h2'])).toBe(1);
    expect(early(['http/1.1'])).toBe(0);
  });
  it('after a HelloRetryRequest to a suite of another hash, the PSK is no longer offered (§4.1.4)', () => {
    const r0 = runPair({ ...c0, cipherSuites: [0x1302] }, { ...s0, ticketKey });
    const t384 = ofType(r0.clientEvents, 'session-ticket')[0]!.ticket;
    expect(t384.cipherSuite).toBe(0x1302);
    const r = runPair({ ...c0, resume: t384, cipherSuites: [0x1302, 0x1301], groups: ['x25519', 'secp256r1'] }, { ...s0, ticketKey, cipherSuites: [0x1301], groups: ['secp256r1'] });
    const [ch1, ch2] = ofType(r.clientEvents, 'handshake-data').filter((e) => e.level === 'initial');
    const psk = (d: Data) => (decodeHandshake(1, d.bytes.subarray(4)) as { ext: { preSharedKey?: unknown } }).ext.preSharedKey !== undefined;
    expect([psk(ch1!), psk(ch2!)]).toEqual([true, false]);
    expect(r.client.state).toBe('complete');
    expect(ofType(r.clientEvents, 'complete')[0]!.resumed).toBe(false);
  });
});

describe('0-RTT ticket age window (RFC 8446 §8.3)', () => {
  const attempt = (skewMs: number) => {
    const ticket = ticketFrom(tls, 1000);
    // The client believes it got the ticket skewMs later than the server issued it.
    const skewed = { ...ticket, issuedAtMs: ticket.issuedAtMs + skewMs };
    const r = runPair({ ...c0, resume: skewed, enableEarlyData: true }, { ...s0, ticketKey, maxEarlyData: 1000, antiReplay: new StrikeRegister() }, { nowMs: 60_000 });
    return ofType(r.serverEvents, 'complete')[0]!;
  };
  it('within the window: accepted', () => expect(attempt(EARLY_DATA_AGE_WINDOW_MS - 1000)).toMatchObject({ resumed: true, earlyData: 'accepted' }));
  it('beyond it: 0-RTT rejected, the session still resumed', () => expect(attempt(EARLY_DATA_AGE_WINDOW_MS + 1000)).toMatchObject({ resumed: true, earlyData: 'rejected' }));
});
