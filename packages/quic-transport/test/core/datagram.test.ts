/** DATAGRAM frames (RFC 9221) over the simulated network. */
import { describe, expect, it } from 'vitest';
import { TransportErrorCode as E, type ConnEvent } from '../../src/core/index.js';
import { Collector } from '../sim/apps.js';
import { forge } from '../sim/forge.js';
import { pair, SERVER_PATH } from '../sim/network.js';

const TLS = { serverName: 'localhost', alpn: ['test'], verifyPeer: 'none' as const };

function connected(clientMax: number, serverMax: number, link = {}) {
  const p = pair(link, { transport: { maxDatagramFrameSize: clientMax }, serverTransport: { maxDatagramFrameSize: serverMax } });
  const c = p.client.connect(0, SERVER_PATH, TLS);
  const cc = new Collector(c);
  p.net.runUntil(() => (cc.pump(p.net.now), cc.events.some((e) => e.type === 'handshake-confirmed')), 5000);
  const s = [...p.server.connections][0]!;
  return { ...p, c, s, cc, sc: new Collector(s) };
}

const datagrams = (events: ConnEvent[]) => events.flatMap((e) => (e.type === 'datagram' ? [new TextDecoder().decode(e.data)] : []));

describe('DATAGRAM (RFC 9221)', () => {
  it('both ways when both sides advertise max_datagram_frame_size', () => {
    const p = connected(1200, 1200);
    expect(p.c.maxDatagramPayload).toBeGreaterThan(1000);
    for (let i = 0; i < 5; i++) expect(p.c.sendDatagram(new TextEncoder().encode(`ping ${i}`))).toBe(true);
    expect(p.s.sendDatagram(new TextEncoder().encode('pong'))).toBe(true);
    p.net.runUntil(() => (p.sc.pump(p.net.now), p.cc.pump(p.net.now), datagrams(p.sc.events).length === 5 && datagrams(p.cc.events).length === 1), 2000);
    expect(datagrams(p.sc.events)).toEqual(['ping 0', 'ping 1', 'ping 2', 'ping 3', 'ping 4']);
    expect(datagrams(p.cc.events)).toEqual(['pong']);
  });

  it('unreliable: lost datagrams are not retransmitted, the connection carries on', () => {
    const p = connected(1200, 1200, { lossRate: 0.3, seed: 5, latencyMs: 5 });
    for (let i = 0; i < 100; i++) {
      p.c.sendDatagram(new Uint8Array(100).fill(i));
      p.net.step();
    }
    p.net.runUntil(() => (p.sc.pump(p.net.now), false), 500);
    const got = datagrams(p.sc.events).length;
    expect(got).toBeGreaterThan(40);
    expect(got).toBeLessThan(100);
    expect(p.c.state).toBe('established');
  });

  it('a peer that did not advertise it gets none; too large a datagram is refused locally', () => {
    const p = connected(1200, 0);
    expect(p.c.maxDatagramPayload).toBe(0);
    expect(p.c.sendDatagram(new Uint8Array(10))).toBe(false);
    expect(p.s.sendDatagram(new Uint8Array(5000))).toBe(false);
  });

  it('a DATAGRAM frame we did not allow closes with PROTOCOL_VIOLATION', () => {
    const p = connected(0, 1200);
    // A misbehaving peer sends one anyway.
    p.client.handleDatagram(p.net.now, forge(p.s, 2, [{ type: 'datagram', data: new Uint8Array(10) }]), SERVER_PATH);
    p.net.runUntil(() => (p.cc.pump(p.net.now), p.cc.closed() !== undefined), 2000);
    const closed = p.cc.closed();
    expect(closed?.type === 'closed' && closed.info.code).toBe(BigInt(E.PROTOCOL_VIOLATION));
  });
});
