import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createClient, createServer, type Handshake, type Level } from '../../src/index.js';
import { serverChain, serverKey } from './pair.js';
import { makeTestCrypto } from './test-crypto.js';

const crypto = makeTestCrypto();
const RUNS = Number(process.env.TSQUIC_FUZZ_RUNS ?? 150);
const LEVELS: Level[] = ['initial', 'early', 'handshake', 'application'];

/** Drives a fresh pair for `steps` deliveries, then returns the side under test. */
function at(side: 'client' | 'server', steps: number): Handshake {
  const c = createClient({ profile: { kind: 'tls' }, alpn: ['h2'], crypto, verify: 'none' });
  const s = createServer({ profile: { kind: 'tls' }, alpn: ['h2'], crypto });
  s.start(0);
  let toServer = c.start(0);
  for (let i = 0; i < steps; i++) {
    let out = toServer.flatMap((e) => (e.type === 'handshake-data' && s.state === 'running' ? s.receive(e.level, e.bytes, 0) : []));
    if (s.state === 'suspended') out = [...out, ...s.accept({ certificateChain: serverChain(), privateKey: serverKey(), alpn: 'h2' })];
    if (side === 'client' && i === steps - 1) return c;
    toServer = out.flatMap((e) => (e.type === 'handshake-data' && c.state !== 'failed' ? c.receive(e.level, e.bytes, 0) : []));
  }
  return side === 'client' ? c : s;
}

describe('random bytes to receive() at each state and level never throw', () => {
  for (const side of ['client', 'server'] as const) {
    for (const steps of [0, 1, 2]) {
      it(`${side} after ${steps} round trip(s)`, () => {
        fc.assert(
          fc.property(fc.constantFrom(...LEVELS), fc.uint8Array({ maxLength: 400 }), fc.boolean(), (level, bytes, framed) => {
            const h = at(side, steps);
            if (h.state === 'failed' || h.state === 'idle') return;
            // half of the inputs get a plausible handshake header so the decoders are reached
            const input = framed && bytes.length > 0 ? Uint8Array.from([bytes[0]! % 25, 0, (bytes.length - 1) >> 8, (bytes.length - 1) & 0xff, ...bytes.subarray(1)]) : bytes;
            const evs = h.receive(level, input, 0);
            const alert = evs.find((e) => e.type === 'alert');
            if (alert) {
              expect(h.state).toBe('failed');
              // internal_error would mean a bug (a non-TlsAlertError exception) was caught by the guard
              expect((alert as { description: number }).description).not.toBe(80);
            } else expect(h.state).not.toBe('failed');
          }),
          { numRuns: RUNS },
        );
      });
    }
  }
});

import { StrikeRegister } from '../../src/anti-replay.js';
import { ofType, runPair } from './pair.js';

describe('random bytes in the resumption / 0-RTT states never throw', () => {
  const ticketKey = new Uint8Array(32).fill(5);
  const first = runPair({ profile: { kind: 'tls' }, alpn: ['h2'], crypto, verify: 'none' }, { profile: { kind: 'tls' }, alpn: ['h2'], crypto, ticketKey, maxEarlyData: 1024 });
  const ticket = ofType(first.clientEvents, 'session-ticket')[0]!.ticket;

  it('server awaiting EndOfEarlyData, and client after a resumed ServerHello', () => {
    fc.assert(
      fc.property(fc.constantFrom(...LEVELS), fc.uint8Array({ maxLength: 200 }), fc.boolean(), (level, bytes, serverSide) => {
        const c = createClient({ profile: { kind: 'tls' }, alpn: ['h2'], crypto, verify: 'none', resume: ticket, enableEarlyData: true });
        const s = createServer({ profile: { kind: 'tls' }, alpn: ['h2'], crypto, ticketKey, maxEarlyData: 1024, antiReplay: new StrikeRegister() });
        s.start(0);
        const ch = c.start(0).find((e) => e.type === 'handshake-data')!;
        s.receive('initial', (ch as { bytes: Uint8Array }).bytes, 0);
        const flight = s.accept({ certificateChain: serverChain(), privateKey: serverKey(), alpn: 'h2' });
        expect(s.readLevel).toBe('early');
        const h = serverSide ? s : c;
        if (!serverSide) c.receive('initial', (flight.find((e) => e.type === 'handshake-data') as { bytes: Uint8Array }).bytes, 0);
        const evs = h.receive(level, bytes, 0);
        const alert = evs.find((e) => e.type === 'alert') as { description: number } | undefined;
        if (alert) expect(alert.description).not.toBe(80);
      }),
      { numRuns: RUNS },
    );
  });
});
