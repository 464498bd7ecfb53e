/**
 * 0-RTT anti-replay (RFC 8446 §8, issue 15 finding 5): the register fails
 * closed — a ClientHello it cannot remember for its whole window gets 1-RTT,
 * and a replay inside the window is refused however many other 0-RTT
 * handshakes came in between; entries leave only once a replay could no
 * longer pass the ticket-age check. The stores: in memory, and shared
 * between worker threads through a SharedArrayBuffer.
 */
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { MemoryReplayStore, SharedReplayStore, StrikeRegister, type ClientConfig, type ServerConfig, type SessionTicket } from '../../src/index.js';
import { ofType, runPair } from './pair.js';
import { makeTestCrypto } from './test-crypto.js';

const crypto = makeTestCrypto();
const ticketKey = new Uint8Array(32).fill(5);
const c0: ClientConfig = { profile: { kind: 'tls' }, alpn: ['h2'], crypto, verify: 'none', serverName: 's' };
const s0: ServerConfig = { profile: { kind: 'tls' }, alpn: ['h2'], crypto, ticketKey, maxEarlyData: 1000 };

function freshTicket(nowMs: number): SessionTicket {
  const r = runPair(c0, s0, { nowMs });
  return ofType(r.clientEvents, 'session-ticket')[0]!.ticket;
}
/** One 0-RTT attempt with `t` at `nowMs`: the server's verdict. */
const attempt = (t: SessionTicket, register: StrikeRegister, nowMs: number) => ofType(runPair({ ...c0, resume: t, enableEarlyData: true }, { ...s0, antiReplay: register }, { nowMs }).serverEvents, 'complete')[0]!.earlyData;

describe('finding 5: the register fails closed', () => {
  it('a full register refuses new 0-RTT, and a replay stays refused inside the window (before: evicted, then accepted again)', () => {
    const register = new StrikeRegister(2); // the form the QUIC endpoint uses: { maxEntries: 2 }
    const [a, b, c] = [freshTicket(0), freshTicket(0), freshTicket(0)];
    expect(attempt(a, register, 1000)).toBe('accepted');
    expect(attempt(b, register, 1000)).toBe('accepted');
    expect(attempt(c, register, 1000)).toBe('rejected'); // no room to remember it: 1-RTT
    expect(attempt(a, register, 2000)).toBe('rejected'); // the replay
    expect(register.stats).toEqual({ accepted: 2, replayed: 1, full: 1 });
  });

  it('entries leave once a replay could no longer pass the ticket-age check; a replay then fails that check', () => {
    const register = new StrikeRegister({ maxEntries: 1, windowMs: 10_000 });
    const [a, b] = [freshTicket(0), freshTicket(0)];
    expect(attempt(a, register, 1000)).toBe('accepted');
    expect(attempt(b, register, 5000)).toBe('rejected'); // a is still remembered: its replay would be fresh until 11 s
    expect(attempt(b, register, 13_000)).toBe('accepted'); // a expired (11 s, + 1 s bucket), so b fits
    // a's ClientHello replayed now carries the same ticket age (1 s) against a real age of 14 s: stale
    expect(attempt(a, register, 14_000)).toBe('rejected');
  });

  it('windowMs is the freshness window the server applies, and is validated', () => {
    const t = freshTicket(0);
    // the client believes the ticket is 4 s younger than it is
    const skewed = { ...t, issuedAtMs: t.issuedAtMs + 4000 };
    expect(attempt(skewed, new StrikeRegister({ windowMs: 5000 }), 10_000)).toBe('accepted');
    expect(attempt(skewed, new StrikeRegister({ windowMs: 3000 }), 10_000)).toBe('rejected');
    expect(() => new StrikeRegister({ windowMs: 0 })).toThrow(RangeError);
    expect(() => runPair(c0, { ...s0, antiReplay: { windowMs: -1, firstUse: () => true } })).toThrow(RangeError);
  });

  it('the server hands the register the time until which to remember (issued + client age + window, within the ticket lifetime)', () => {
    const calls: number[][] = [];
    const t = freshTicket(0);
    runPair({ ...c0, resume: t, enableEarlyData: true }, { ...s0, antiReplay: { windowMs: 10_000, firstUse: (_id, now, until) => (calls.push([now, until!]), true) } }, { nowMs: 3000 });
    expect(calls).toEqual([[3000, 13_000]]);
  });
});

describe('replay stores', () => {
  const key = (n: number) => Uint8Array.from({ length: 16 }, (_, i) => (n >> (8 * (i % 4))) & 0xff);
  for (const [name, make] of [
    ['MemoryReplayStore', () => new MemoryReplayStore(64)],
    ['SharedReplayStore', () => new SharedReplayStore(SharedReplayStore.allocate(64))],
  ] as const) {
    it(`${name}: new, seen until it expires, full instead of evicting a live entry`, () => {
      const s = make();
      expect(s.insert(key(1), 0, 5000)).toBe('new');
      expect(s.insert(key(1), 4000, 9000)).toBe('seen');
      expect(s.insert(key(1), 7000, 9000)).toBe('new'); // expired (plus the memory store's bucket slack)
      let full = 0;
      for (let i = 2; i < 200; i++) if (s.insert(key(i), 7000, 20_000) === 'full') full++;
      expect(full).toBeGreaterThan(0);
      expect(s.insert(key(1), 8000, 20_000)).toBe('seen'); // never evicted to make room
    });
  }

  it('SharedReplayStore: two worker threads inserting the same 20,000 keys accept each exactly once', async () => {
    const buffer = SharedReplayStore.allocate(65536);
    const code = `
      const { parentPort, workerData } = require('node:worker_threads');
      const { buffer, source } = workerData;
      const SharedReplayStore = new Function('return ' + source)();
      const store = new SharedReplayStore(buffer);
      let fresh = 0;
      for (let i = 0; i < 20000; i++) {
        const k = new Uint8Array(16); new DataView(k.buffer).setUint32(0, i * 2654435761 >>> 0); new DataView(k.buffer).setUint32(12, i);
        if (store.insert(k, 1, 1000) === 'new') fresh++;
      }
      parentPort.postMessage(fresh);`;
    // The class's own source, run in each worker: the same code the package ships, no build step.
    const source = SharedReplayStore.toString().replace(/\bPROBES\b/g, '32');
    const run = () =>
      new Promise<number>((resolve, reject) => {
        const w = new Worker(code, { eval: true, workerData: { buffer, source } });
        w.once('message', resolve);
        w.once('error', reject);
      });
    const [a, b] = await Promise.all([run(), run()]);
    expect(a + b).toBe(20000);
  }, 30_000);
});
