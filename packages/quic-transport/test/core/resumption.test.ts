/** Resumption and 0-RTT (RFC 9001 §4.6, RFC 9000 §7.4.1) over the simulated network. */
import { describe, expect, it } from 'vitest';
import { defaultStreamSettings, Endpoint, type Connection } from '../../src/core/index.js';
import { Collector } from '../sim/apps.js';
import { SERVER_PATH } from '../sim/network.js';
import { firstTicket, ticketed } from '../sim/tickets.js';

const TLS = { serverName: 'localhost', alpn: ['test'], verifyPeer: 'none' as const };
const setup = ticketed;

/** The server's view: collect requests on every accepted connection (at the current virtual time). */
function serverRequests(server: Endpoint, seen: Map<Connection, Collector>, now: number): string[] {
  const out: string[] = [];
  for (const s of server.connections) {
    if (!seen.has(s)) seen.set(s, new Collector(s));
  }
  for (const [, col] of seen) col.pump(now);
  for (const [, col] of seen) for (const [id] of col.data) out.push(new TextDecoder().decode(col.bytes(id)));
  return out;
}

describe('resumption and 0-RTT', () => {
  it('a resumed connection sends its request in 0-RTT: the server has it before the handshake completes', () => {
    const env = setup(true);
    const ticket = firstTicket(env);
    const start = env.net.now;
    const c = env.client.connect(start, SERVER_PATH, { ...TLS, sessionTicket: ticket, earlyData: true });
    const id = c.openStream('bidi');
    expect(id).not.toBeNull(); // limits come from the remembered transport parameters
    c.write(id!, new TextEncoder().encode('GET /index.html'), true);
    const seen = new Map<Connection, Collector>();
    let at = 0;
    env.net.runUntil(() => {
      const reqs = serverRequests(env.server, seen, env.net.now);
      if (reqs.includes('GET /index.html') && !at) at = env.net.now - start;
      return at > 0 && c.handshakeInfo !== undefined;
    }, 5000);
    // One-way latency 25 ms: the request arrives with the first flight, after ~25 ms, not after a round trip.
    expect(at).toBeLessThan(40);
    expect(c.handshakeInfo).toMatchObject({ resumed: true, earlyData: 'accepted' });
  });

  it('the server answers a 0-RTT request at once (0.5-RTT data): the client has the response one round trip after connecting', () => {
    const env = setup(true);
    const ticket = firstTicket(env);
    const start = env.net.now;
    const c = env.client.connect(start, SERVER_PATH, { ...TLS, sessionTicket: ticket, earlyData: true });
    const id = c.openStream('bidi')!;
    c.write(id, new TextEncoder().encode('GET /'), true);
    const col = new Collector(c);
    const seen = new Map<Connection, Collector>();
    let answered = false;
    let at = -1;
    env.net.runUntil(() => {
      if (!answered && serverRequests(env.server, seen, env.net.now).includes('GET /')) {
        const s = [...env.server.connections].at(-1)!;
        expect(s.handshakeInfo).toBeUndefined(); // the client's Finished has not arrived yet
        s.write(id, new TextEncoder().encode('200'), true);
        answered = true;
      }
      col.pump(env.net.now);
      if (at < 0 && col.bytes(id).length > 0) at = env.net.now - start;
      return at >= 0;
    }, 5000);
    // Latency 25 ms each way: request at 25 ms, answer back at 50 ms — one round trip, not two.
    expect(at).toBe(50);
    expect(col.bytes(id).toString()).toBe('200');
    // RFC 9001 §4.1.2: only an acknowledged 1-RTT packet confirms the handshake. The server's
    // acknowledgment of the client's 0-RTT packet came with its Handshake flight; had the client
    // taken it as confirmation, it would have dropped its Handshake keys before sending Finished
    // and the server would never complete.
    const s = [...env.server.connections].at(-1)!;
    env.net.runUntil(() => s.handshakeInfo !== undefined, 3000);
    expect(s.handshakeInfo).toMatchObject({ resumed: true, earlyData: 'accepted' });
  });

  it('a replayed 0-RTT flight is not processed twice (single-use tickets)', () => {
    const env = setup(true);
    const ticket = firstTicket(env);
    const captured: Uint8Array[] = [];
    env.net.filter = (from, d) => {
      if (from === 'client' && captured.length < 2) captured.push(d.slice());
      return d;
    };
    const c = env.client.connect(env.net.now, SERVER_PATH, { ...TLS, sessionTicket: ticket, earlyData: true });
    c.write(c.openStream('bidi')!, new TextEncoder().encode('POST /pay'), true);
    const seen = new Map<Connection, Collector>();
    env.net.runUntil(() => {
      return serverRequests(env.server, seen, env.net.now).includes('POST /pay') && c.handshakeInfo !== undefined;
    }, 5000);
    env.net.filter = undefined;
    // An attacker replays the client's first datagrams to the server from another address.
    for (const d of captured) env.server.handleDatagram(env.net.now, d, { address: '10.9.9.9', port: 1234 });
    env.net.runUntil(() => {
      serverRequests(env.server, seen, env.net.now);
      return false;
    }, 500);
    const payments = serverRequests(env.server, seen, env.net.now).filter((r) => r === 'POST /pay');
    expect(payments).toHaveLength(1);
  });

  it('rejected 0-RTT: the data goes again in 1-RTT and arrives intact; the ticket still resumes', () => {
    const env = setup(false); // tickets, but no early data accepted
    const ticket = firstTicket(env);
    const c = env.client.connect(env.net.now, SERVER_PATH, { ...TLS, sessionTicket: { ...ticket, maxEarlyData: 0xffffffff }, earlyData: true });
    const body = new Uint8Array(20_000).fill(5);
    const id = c.openStream('bidi')!;
    c.write(id, body, true);
    const seen = new Map<Connection, Collector>();
    env.net.runUntil(() => {
      serverRequests(env.server, seen, env.net.now);
      return [...seen.values()].some((col) => col.finished.has(id));
    }, 5000);
    const col = [...seen.values()].find((x) => x.finished.has(id))!;
    expect(col.bytes(id).equals(body)).toBe(true);
    expect(c.handshakeInfo).toMatchObject({ resumed: true, earlyData: 'rejected' });
  });

  it('RFC 9000 §7.4.1: a server whose limits fell below those in its ticket rejects 0-RTT (the ticket still resumes); equal limits accept it', () => {
    const limits = (connWindow: number) => ({ streams: { ...defaultStreamSettings, connWindow, maxStreamsBidi: 50 } });
    const resume = (before: number, after: number) => {
      const env = ticketed(true, {}, limits(before));
      const ticket = firstTicket(env);
      // The same server (same ticket key) restarted with other limits.
      env.server.opts.server!.transport = limits(after);
      const c = env.client.connect(env.net.now, SERVER_PATH, { ...TLS, sessionTicket: ticket, earlyData: true });
      const id = c.openStream('bidi')!;
      c.write(id, new TextEncoder().encode('GET /'), true);
      const seen = new Map<Connection, Collector>();
      env.net.runUntil(() => c.handshakeInfo !== undefined && serverRequests(env.server, seen, env.net.now).includes('GET /'), 5000);
      return c.handshakeInfo;
    };
    expect(resume(1 << 20, 1 << 20)).toMatchObject({ resumed: true, earlyData: 'accepted' });
    expect(resume(1 << 20, 1 << 21)).toMatchObject({ resumed: true, earlyData: 'accepted' });
    expect(resume(1 << 20, 1 << 19)).toMatchObject({ resumed: true, earlyData: 'rejected' });
  });
});
