/**
 * @module test/sim/hostile
 * The hostile-peer suites' bench: an established pair or one stopped
 * mid-handshake, forged datagrams handed straight to the server endpoint,
 * the server's close code (and whether the client heard it), and the check
 * that the endpoint stays healthy afterwards; plus a harness that drives a
 * server endpoint alone and counts the bytes it sends to each address.
 */
import { expect } from 'vitest';
import { Endpoint, type Connection, type Path } from '../../src/core/index.js';
import type { Frame } from '@tsquic/quic-wire';
import { Collector } from './apps.js';
import { forge, forgeRaw as forgeBytes } from './forge.js';
import { CLIENT_PATH, Network, pair, SERVER_PATH } from './network.js';

export const TLS = { serverName: 'localhost', alpn: ['test'], verifyPeer: 'none' as const };
export const STREAMS = { connWindow: 64 * 1024, streamWindowBidiRemote: 16 * 1024, maxStreamsBidi: 4 };

export type Env = ReturnType<typeof pair> & { c: Connection; s: Connection; sc: Collector; cc: Collector; /** The client's first Destination Connection ID (RFC 9000 §7.2). */ originalDcid?: Uint8Array };

/** The Destination Connection ID of the client's first datagram (a long header: its length at byte 5). */
function recordOriginalDcid(p: ReturnType<typeof pair>): () => Uint8Array {
  let dcid: Uint8Array | undefined;
  const before = p.net.filter;
  p.net.filter = (from, d, i) => {
    if (from === 'client' && !dcid) dcid = d.slice(6, 6 + d[5]!);
    return before ? before(from, d, i) : d;
  };
  return () => dcid!;
}

export function established(serverTransport: Record<string, unknown> = {}, clientTransport: Record<string, unknown> = {}, opts: { qlog?: boolean } = {}): Env {
  const p = pair({}, { serverTransport: { streams: STREAMS, ...serverTransport }, transport: clientTransport, ...opts });
  const originalDcid = recordOriginalDcid(p);
  const c = p.client.connect(0, SERVER_PATH, TLS);
  const cc = new Collector(c);
  p.net.runUntil(() => (cc.pump(p.net.now), cc.events.some((e) => e.type === 'handshake-confirmed')), 5000);
  p.net.filter = undefined;
  const s = [...p.server.connections][0]!;
  expect(s.state).toBe('established');
  return { ...p, c, s, sc: new Collector(s, false), cc, originalDcid: originalDcid() };
}

/** Run a handshake only until the client holds Handshake write keys (its Finished not yet delivered). */
export function midHandshake(): Env {
  const p = pair();
  const c = p.client.connect(0, SERVER_PATH, TLS);
  const hasHandshakeKeys = () => c.crypto.hasWriteKeys(1);
  p.net.filter = (from, d) => (from === 'client' && hasHandshakeKeys() ? null : d);
  const originalDcid = recordOriginalDcid(p);
  p.net.runUntil(hasHandshakeKeys, 5000);
  p.net.filter = undefined;
  const s = [...p.server.connections][0]!;
  expect(s.state).toBe('handshake');
  return { ...p, c, s, sc: new Collector(s, false), cc: new Collector(c), originalDcid: originalDcid() };
}

/** Hand a forged datagram to the server, as if it came from the client (or from `from`). */
export function inject(p: Env, space: 0 | 1 | 2, frames: Frame[], padTo?: number, from: Path = CLIENT_PATH): number {
  const d = forge(p.c, space, frames, padTo ? { padTo } : {});
  p.server.handleDatagram(p.net.now, d, from);
  return d.length;
}

/** The server's close code (after letting the network run), and whether the client heard the same code. */
export function serverClose(p: Env): { code: bigint | undefined; clientHeard: bigint | undefined } {
  p.net.runUntil(() => (p.sc.pump(p.net.now), p.cc.pump(p.net.now), p.sc.closed() !== undefined && p.cc.closed() !== undefined), 5000);
  const e = p.sc.closed();
  const ce = p.cc.closed();
  return { code: e?.type === 'closed' ? e.info.code : undefined, clientHeard: ce?.type === 'closed' && ce.info.remote ? ce.info.code : undefined };
}

/** The endpoint forgets the hostile connection and completes a fresh handshake. */
export function healthy(p: Env): boolean {
  p.net.runUntil(() => !p.server.connections.has(p.s), 10_000);
  if (p.server.connections.has(p.s)) return false;
  const c2 = p.client.connect(p.net.now, SERVER_PATH, TLS);
  return p.net.runUntil(() => c2.handshakeInfo !== undefined && [...p.server.connections].some((x) => x.state === 'established'), 5000);
}

/** The connection still carries a request from the client to the server's application. */
export function carriesData(p: Env): boolean {
  const id = p.c.openStream('bidi')!;
  p.c.write(id, Uint8Array.of(1, 2, 3), true);
  p.sc.reading = true;
  return p.net.runUntil(() => (p.sc.pump(p.net.now), p.sc.finished.has(id)), 2000);
}

export function expectClose(p: Env, code: number): void {
  const r = serverClose(p);
  expect(r.code).toBe(BigInt(code));
  expect(r.clientHeard).toBe(BigInt(code));
  expect(healthy(p)).toBe(true);
}

/** A 1-RTT packet whose payload is `payload` verbatim (sealed with the client's keys, not checked). */
export function forgeRaw(p: Env, payload: Uint8Array): Uint8Array {
  return forgeBytes(p.c, payload);
}

/** One client Initial (a real one, from a throwaway client endpoint). */
export function clientInitial(): Uint8Array {
  const ep = new Endpoint();
  ep.connect(0, SERVER_PATH, TLS);
  return ep.pollTransmit(0)!.data;
}

/** Drive a server alone: deliver, collect what it sends per address, run its timers. */
export class Harness {
  now = 0;
  readonly sentTo = new Map<string, number>();
  constructor(readonly server: Endpoint) {}
  deliver(d: Uint8Array, path: Path): void {
    this.server.handleDatagram(this.now, d, path);
    this.drain();
  }
  drain(): void {
    for (let t = this.server.pollTransmit(this.now); t; t = this.server.pollTransmit(this.now)) this.sentTo.set(t.path.address, (this.sentTo.get(t.path.address) ?? 0) + t.data.length);
  }
  advance(ms: number): void {
    const end = this.now + ms;
    for (;;) {
      const t = this.server.pollTimeout();
      if (t === null || t > end) break;
      this.now = Math.max(this.now, t);
      this.server.handleTimeout(this.now);
      this.drain();
    }
    this.now = end;
    this.server.handleTimeout(this.now);
    this.drain();
  }
}

export function freshClientConnects(server: Endpoint, now: number): boolean {
  const client = new Endpoint();
  const net = new Network(client, server);
  net.now = now;
  const c = client.connect(now, SERVER_PATH, TLS);
  return net.runUntil(() => c.handshakeInfo !== undefined, 5000);
}
