import { describe, expect, it } from 'vitest';
import type { SessionTicket } from '../../src/index.js';
import { ofType, runPair } from './pair.js';
import { makeTestCrypto } from './test-crypto.js';

const crypto = makeTestCrypto();
const ticketKey = new Uint8Array(32).fill(7);
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

function firstTicket(profile: { kind: 'tls' } | { kind: 'quic'; transportParams: Uint8Array }): SessionTicket {
  const r = runPair({ profile, alpn: ['h2'], crypto, verify: 'none', serverName: 's' }, { profile, alpn: ['h2'], crypto, ticketKey });
  const t = ofType(r.clientEvents, 'session-ticket');
  expect(t).toHaveLength(1);
  return t[0]!.ticket;
}

describe('resumption with a NewSessionTicket (PSK with (EC)DHE)', () => {
  for (const profile of [{ kind: 'tls' as const }, { kind: 'quic' as const, transportParams: Uint8Array.of(1) }]) {
    it(`${profile.kind}: ticket issued after the handshake, resumed handshake without certificates`, () => {
      const ticket = firstTicket(profile);
      expect(ticket).toMatchObject({ serverName: 's', alpn: 'h2', cipherSuite: 0x1301, lifetimeS: 7200 });
      // the ticket survives a JSON-ish round trip of its fields
      const copy: SessionTicket = { ...ticket, ticket: Uint8Array.from(ticket.ticket), resumptionSecret: Uint8Array.from(ticket.resumptionSecret) };
      const r = runPair({ profile, alpn: ['h2'], crypto, verify: 'none', serverName: 's', resume: copy }, { profile, alpn: ['h2'], crypto, ticketKey });
      const cc = ofType(r.clientEvents, 'complete')[0]!;
      const sc = ofType(r.serverEvents, 'complete')[0]!;
      expect(cc).toMatchObject({ resumed: true, peerCertificates: [] });
      expect(sc.resumed).toBe(true);
      const cw = ofType(r.clientEvents, 'keys').find((k) => k.level === 'application' && k.direction === 'write')!;
      const sr = ofType(r.serverEvents, 'keys').find((k) => k.level === 'application' && k.direction === 'read')!;
      expect(hex(cw.secret)).toBe(hex(sr.secret));
    });
  }

  it('a ticket from another server key falls back to a full handshake', () => {
    const ticket = firstTicket({ kind: 'tls' });
    const r = runPair({ profile: { kind: 'tls' }, alpn: ['h2'], crypto, verify: 'none', serverName: 's', resume: ticket }, { profile: { kind: 'tls' }, alpn: ['h2'], crypto, ticketKey: new Uint8Array(32).fill(9) });
    expect(ofType(r.clientEvents, 'complete')[0]!.resumed).toBe(false);
  });

  it('an expired ticket falls back to a full handshake', () => {
    const ticket = firstTicket({ kind: 'tls' });
    // issued at 0 with a 7200 s lifetime; presented 7201 s later
    const r = runPair({ profile: { kind: 'tls' }, alpn: ['h2'], crypto, verify: 'none', serverName: 's', resume: ticket }, { profile: { kind: 'tls' }, alpn: ['h2'], crypto, ticketKey }, { nowMs: 7_201_000 });
    expect(ofType(r.clientEvents, 'complete')[0]!.resumed).toBe(false);
    const fresh = runPair({ profile: { kind: 'tls' }, alpn: ['h2'], crypto, verify: 'none', serverName: 's', resume: ticket }, { profile: { kind: 'tls' }, alpn: ['h2'], crypto, ticketKey }, { nowMs: 7_199_000 });
    expect(ofType(fresh.clientEvents, 'complete')[0]!.resumed).toBe(true);
  });

  it('a corrupted binder → decrypt_error(51)', () => {
    const ticket = firstTicket({ kind: 'tls' });
    const r = runPair(
      { profile: { kind: 'tls' }, alpn: ['h2'], crypto, verify: 'none', serverName: 's', resume: ticket },
      { profile: { kind: 'tls' }, alpn: ['h2'], crypto, ticketKey },
      {
        tamper: (from, e) => {
          if (from !== 'client' || e.level !== 'initial') return e.bytes;
          const c = e.bytes.slice();
          c[c.length - 1]! ^= 1;
          return c;
        },
      },
    );
    expect(ofType(r.serverEvents, 'alert')[0]!.description).toBe(51);
  });

  it('resumption across a HelloRetryRequest recomputes the binder', () => {
    const ticket = firstTicket({ kind: 'tls' });
    const r = runPair(
      { profile: { kind: 'tls' }, alpn: ['h2'], crypto, verify: 'none', serverName: 's', resume: ticket, groups: ['x25519', 'secp256r1'] },
      { profile: { kind: 'tls' }, alpn: ['h2'], crypto, ticketKey, groups: ['secp256r1'] },
    );
    expect(ofType(r.clientEvents, 'complete')[0]!.resumed).toBe(true);
  });
});
