/**
 * A client's first request when its first flight after the server's is lost
 * (found with the simulator hunting the qpc call that hung under receive-buffer
 * overflow): the request's 1-RTT packet reaches the server before the
 * client's Finished does and is kept until the handshake completes (RFC 9001
 * §5.7), and the server gets HANDSHAKE_DONE to the client again — with its
 * probes (RFC 9002 §6.2.4) and whenever the client's Handshake packets show
 * it still waits — since a client without it arms no 1-RTT PTO (§6.2.1) and
 * resends nothing of its own.
 */
import { describe, expect, it } from 'vitest';
import { Collector } from '../sim/apps.js';
import { pair, SERVER_PATH } from '../sim/network.js';

const TLS = { serverName: 'localhost', alpn: ['test'], verifyPeer: 'none' as const };

/** The server answered the request (the loss patterns key on it). */
let answered = false;

/** Virtual ms until the client has the server's answer to its first request; `drop` picks datagrams to lose. */
function firstCall(drop: (from: 'client' | 'server', index: number, answered: boolean) => boolean): number {
  answered = false;
  const p = pair({ latencyMs: 10 });
  p.net.filter = (from, d, i) => (drop(from, i, answered) ? null : d);
  const c = p.client.connect(0, SERVER_PATH, TLS);
  const cc = new Collector(c);
  let id = -1;
  const done = p.net.runUntil(() => {
    cc.pump(p.net.now);
    if (id < 0 && c.handshakeInfo) {
      id = c.openStream('bidi')!;
      c.write(id, new TextEncoder().encode('GET /'), true);
    }
    const s = [...p.server.connections][0];
    for (let e = s?.pollEvent(); s && e; e = s.pollEvent()) {
      if (!answered && (e.type === 'stream-incoming' || e.type === 'stream-readable') && e.id === 0) {
        while (s.read(0, 1 << 16, p.net.now)) {}
        s.write(0, new TextEncoder().encode('200'), true);
        answered = true;
      }
    }
    return id >= 0 && cc.finished.has(id);
  }, 30_000);
  expect(done).toBe(true);
  return p.net.now;
}

describe('the first request survives the loss of the client’s second flight and of HANDSHAKE_DONE', () => {
  it('its early 1-RTT packet is kept until the handshake completes, and HANDSHAKE_DONE is sent again: one PTO, not a cascade of them', () => {
    const clean = firstCall(() => false);
    // Lost: the client's Finished (with its first 1-RTT packet) and the server's datagrams carrying HANDSHAKE_DONE.
    const lossy = firstCall((from, i) => (from === 'client' && i === 1) || (from === 'server' && (i === 1 || i === 2)));
    expect(clean).toBeLessThan(100);
    // Before: 1,184 ms (the request discarded, the server's PING-only probe, then its loss detection, then the client's PTO).
    expect(lossy).toBeLessThan(600); // now 240 ms
  });

  it('a lost response goes again in the server’s probe: the client has it though none of its packets reaches the server', () => {
    let lostResponse = false;
    const ms = firstCall((from, _i, answered) => {
      // Once the server answered: its next datagram (the answer) is lost, and everything the client sends.
      if (from === 'server' && answered && !lostResponse) return (lostResponse = true);
      return from === 'client' && answered;
    });
    expect(lostResponse).toBe(true);
    // One PTO (no RTT sample is lost: about 3 × 10 ms + 4 × rttvar + max_ack_delay) — before: never, until the idle timeout.
    expect(ms).toBeLessThan(1000);
  });
});
