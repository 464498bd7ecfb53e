/**
 * Peers that break the rules, over the simulated network: each must end in
 * the RFC's error code on the victim's side, and the victim's endpoint
 * must stay healthy (it accepts a fresh connection afterwards).
 */
import { describe, expect, it } from 'vitest';
import { TransportErrorCode as E, type Connection } from '../../src/core/index.js';
import { Collector } from '../sim/apps.js';
import { pair, SERVER_PATH } from '../sim/network.js';

const TLS = { serverName: 'localhost', alpn: ['test'], verifyPeer: 'none' as const };

function established() {
  const p = pair({}, { serverTransport: { streams: { connWindow: 64 * 1024, streamWindowBidiRemote: 16 * 1024, maxStreamsBidi: 4 } } as never });
  const c = p.client.connect(0, SERVER_PATH, TLS);
  p.net.runUntil(() => {
    for (let e = c.pollEvent(); e; e = c.pollEvent()) if (e.type === 'handshake-confirmed') return true;
    return false;
  }, 5000);
  const s = [...p.server.connections][0]!;
  return { ...p, c, s, sc: new Collector(s, false), cc: new Collector(c) };
}

/** Make the client ignore the server's limits, as a hostile peer would. */
function ignoreLimits(c: Connection): void {
  c.streams.setPeerLimits({ initialMaxData: 1 << 30, initialMaxStreamDataBidiLocal: 1 << 30, initialMaxStreamDataBidiRemote: 1 << 30, initialMaxStreamDataUni: 1 << 30, initialMaxStreamsBidi: 1000, initialMaxStreamsUni: 1000 });
}

function serverCloseCode(p: ReturnType<typeof established>): bigint | undefined {
  p.net.runUntil(() => (p.sc.pump(p.net.now), p.cc.pump(p.net.now), p.sc.closed() !== undefined), 5000);
  const e = p.sc.closed();
  return e?.type === 'closed' ? e.info.code : undefined;
}

function endpointStillServes(p: ReturnType<typeof established>): boolean {
  const c2 = p.client.connect(p.net.now, SERVER_PATH, TLS);
  return p.net.runUntil(() => c2.handshakeInfo !== undefined, 5000);
}

describe('hostile peers', () => {
  it('stream data beyond MAX_STREAM_DATA → FLOW_CONTROL_ERROR', () => {
    const p = established();
    ignoreLimits(p.c);
    const id = p.c.openStream('bidi')!;
    p.c.write(id, new Uint8Array(20 * 1024));
    expect(serverCloseCode(p)).toBe(BigInt(E.FLOW_CONTROL_ERROR));
    p.net.runUntil(() => (p.cc.pump(p.net.now), p.cc.closed() !== undefined), 2000);
    const cc = p.cc.closed();
    expect(cc?.type === 'closed' && cc.info).toMatchObject({ code: BigInt(E.FLOW_CONTROL_ERROR), remote: true });
    expect(endpointStillServes(p)).toBe(true);
  });

  it('data beyond MAX_DATA across streams → FLOW_CONTROL_ERROR', () => {
    const p = established();
    ignoreLimits(p.c);
    for (let i = 0; i < 4; i++) p.c.write(p.c.openStream('bidi')!, new Uint8Array(16 * 1024));
    p.c.write(p.c.openStream('uni')!, new Uint8Array(16 * 1024));
    expect(serverCloseCode(p)).toBe(BigInt(E.FLOW_CONTROL_ERROR));
  });

  it('more streams than MAX_STREAMS → STREAM_LIMIT_ERROR', () => {
    const p = established();
    ignoreLimits(p.c);
    for (let i = 0; i < 5; i++) p.c.write(p.c.openStream('bidi')!, Uint8Array.of(1), true);
    expect(serverCloseCode(p)).toBe(BigInt(E.STREAM_LIMIT_ERROR));
    expect(endpointStillServes(p)).toBe(true);
  });

  it('a RESET_STREAM changing the final size → FINAL_SIZE_ERROR', () => {
    const p = established();
    const id = p.c.openStream('bidi')!;
    p.c.write(id, new Uint8Array(100), true);
    p.net.runUntil(() => (p.sc.pump(p.net.now), p.sc.finished.has(id)), 2000);
    // Forge a reset with a different final size on the client side's send half.
    const h = p.c.streams.get(id)!.send!;
    h.state = 'send';
    p.c.resetStream(id, 1n);
    h.reset!.finalSize = 50;
    expect(serverCloseCode(p)).toBe(BigInt(E.FINAL_SIZE_ERROR));
  });

  it('a flood of tiny out-of-order fragments is bounded: memory stays under the flow-control window', () => {
    const p = established();
    const id = p.c.openStream('bidi')!;
    const h = p.c.streams.get(id)!.send!;
    // Queue 1-byte pieces at every other offset as if they were lost retransmissions.
    p.c.write(id, new Uint8Array(16 * 1024));
    h.buf.nextNew = 16 * 1024;
    p.c.streams.get(id)!.send!.credit.used = 16 * 1024;
    for (let off = 1; off < 16 * 1024; off += 2) h.buf.onLost(off, 1, false);
    p.net.runUntil(() => (p.sc.pump(p.net.now), false), 2000);
    const rs = p.s.streams.get(id)?.recv;
    if (rs) expect(rs.buf.buffered).toBeLessThanOrEqual(16 * 1024);
    expect(p.s.state === 'established' || p.sc.closed() !== undefined).toBe(true);
  });
});
