import { describe, expect, it } from 'vitest';
import { StrikeRegister } from '../../src/anti-replay.js';
import { createServer, type ClientConfig, type HandshakeEvent, type ServerConfig, type SessionTicket } from '../../src/index.js';
import { ofType, runPair } from './pair.js';
import { makeTestCrypto } from './test-crypto.js';

const crypto = makeTestCrypto();
const ticketKey = new Uint8Array(32).fill(3);
type Profile = ClientConfig['profile'];
const label = (e: HandshakeEvent) => (e.type === 'keys' ? `keys:${e.level}:${e.direction}` : e.type === 'handshake-data' ? `data:${e.level}` : e.type === 'early-data' ? `early-data:${e.status}` : e.type);

function ticketFor(profile: Profile, maxEarlyData: number): SessionTicket {
  const r = runPair({ profile, alpn: ['h2'], crypto, verify: 'none' }, { profile, alpn: ['h2'], crypto, ticketKey, maxEarlyData });
  return ofType(r.clientEvents, 'session-ticket')[0]!.ticket;
}

function resume(profile: Profile, ticket: SessionTicket, server: Partial<ServerConfig>, client: Partial<ClientConfig> = {}) {
  return runPair({ profile, alpn: ['h2'], crypto, verify: 'none', resume: ticket, enableEarlyData: true, ...client }, { profile, alpn: ['h2'], crypto, ticketKey, maxEarlyData: 16384, ...server });
}

describe('0-RTT', () => {
  it('plain profile: early write keys after the ClientHello, EndOfEarlyData at early, then handshake write keys', () => {
    const ticket = ticketFor({ kind: 'tls' }, 16384);
    expect(ticket.maxEarlyData).toBe(16384);
    const r = resume({ kind: 'tls' }, ticket, { antiReplay: new StrikeRegister(10) });
    expect(r.clientEvents.map(label)).toEqual([
      'data:initial',
      'keys:early:write',
      'keys:handshake:read',
      'early-data:accepted',
      'data:early',
      'keys:handshake:write',
      'data:handshake',
      'keys:application:write',
      'keys:application:read',
      'complete',
      'session-ticket',
    ]);
    expect(r.serverEvents.map(label)).toEqual([
      'client-hello',
      'data:initial',
      'keys:handshake:write',
      'keys:early:read',
      'early-data:accepted',
      'data:handshake',
      'keys:application:write',
      'keys:handshake:read',
      'keys:application:read',
      'complete',
      'data:application',
    ]);
    const ce = ofType(r.clientEvents, 'keys').find((k) => k.level === 'early')!;
    const se = ofType(r.serverEvents, 'keys').find((k) => k.level === 'early')!;
    expect(Buffer.from(ce.secret).equals(Buffer.from(se.secret))).toBe(true);
    expect(ofType(r.clientEvents, 'complete')[0]).toMatchObject({ resumed: true, earlyData: 'accepted' });
    expect(ofType(r.serverEvents, 'complete')[0]).toMatchObject({ resumed: true, earlyData: 'accepted' });
    expect(ofType(r.serverEvents, 'client-hello')[0]!.earlyDataOffered).toBe(true);
  });

  it('QUIC: max_early_data_size 0xffffffff (RFC 9001 §4.6.1), no EndOfEarlyData', () => {
    const profile = { kind: 'quic' as const, transportParams: Uint8Array.of(1) };
    expect(() => createServer({ profile, alpn: ['h2'], crypto, maxEarlyData: 16384 })).toThrow(RangeError);
    const ticket = ticketFor(profile, 0xffffffff);
    expect(ticket.maxEarlyData).toBe(0xffffffff);
    const r = resume(profile, ticket, { antiReplay: new StrikeRegister(), maxEarlyData: 0xffffffff });
    expect(ofType(r.clientEvents, 'handshake-data').some((e) => e.level === 'early')).toBe(false);
    expect(ofType(r.clientEvents, 'complete')[0]).toMatchObject({ resumed: true, earlyData: 'accepted' });
  });

  it('a replayed ticket: resumed, but 0-RTT rejected', () => {
    const ticket = ticketFor({ kind: 'tls' }, 16384);
    const guard = new StrikeRegister();
    expect(ofType(resume({ kind: 'tls' }, ticket, { antiReplay: guard }).clientEvents, 'complete')[0]!.earlyData).toBe('accepted');
    const again = resume({ kind: 'tls' }, ticket, { antiReplay: guard });
    expect(ofType(again.clientEvents, 'early-data')[0]!.status).toBe('rejected');
    expect(ofType(again.clientEvents, 'complete')[0]).toMatchObject({ resumed: true, earlyData: 'rejected' });
    expect(again.server.state).toBe('complete');
  });

  it('without an anti-replay guard, or with choice.earlyData false, 0-RTT is rejected', () => {
    const ticket = ticketFor({ kind: 'tls' }, 16384);
    expect(ofType(resume({ kind: 'tls' }, ticket, {}).serverEvents, 'complete')[0]!.earlyData).toBe('rejected');
    const r = runPair(
      { profile: { kind: 'tls' }, alpn: ['h2'], crypto, verify: 'none', resume: ticket, enableEarlyData: true },
      { profile: { kind: 'tls' }, alpn: ['h2'], crypto, ticketKey, maxEarlyData: 1, antiReplay: new StrikeRegister() },
      { choose: () => ({ earlyData: false }) },
    );
    expect(ofType(r.clientEvents, 'complete')[0]!.earlyData).toBe('rejected');
  });

  it('a HelloRetryRequest rejects 0-RTT; the handshake still resumes', () => {
    const ticket = ticketFor({ kind: 'tls' }, 16384);
    const r = resume({ kind: 'tls' }, ticket, { antiReplay: new StrikeRegister(), groups: ['secp256r1'] }, { groups: ['x25519', 'secp256r1'] });
    expect(ofType(r.clientEvents, 'early-data')[0]!.status).toBe('rejected');
    expect(ofType(r.clientEvents, 'keys').filter((k) => k.level === 'handshake' && k.direction === 'write')).toHaveLength(1);
    expect(ofType(r.clientEvents, 'complete')[0]).toMatchObject({ resumed: true, earlyData: 'rejected' });
  });

  it('a ticket without early data is not offered 0-RTT', () => {
    const ticket = ticketFor({ kind: 'tls' }, 0);
    const r = resume({ kind: 'tls' }, ticket, { antiReplay: new StrikeRegister() });
    expect(ofType(r.clientEvents, 'keys').some((k) => k.level === 'early')).toBe(false);
    expect(ofType(r.clientEvents, 'complete')[0]!.earlyData).toBe('not-offered');
    expect(ofType(r.serverEvents, 'client-hello')[0]!.earlyDataOffered).toBe(false);
  });
});
