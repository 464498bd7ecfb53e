/**
 * The hostile-peer suite (issue 11): a peer that breaks the rules on
 * purpose, over the simulated network. Frames are sealed with the client's
 * own keys (test/sim/forge.ts) and handed to the server endpoint, so every
 * check below runs exactly where a real attacker's packet would land. Each
 * case asserts the RFC 9000 §20.1 error code of the server's
 * CONNECTION_CLOSE (or, for floods, that memory and responses stay
 * bounded), and that the endpoint stays healthy: the hostile connection is
 * forgotten and a fresh connection completes its handshake.
 */
import { describe, expect, it } from 'vitest';
import { Endpoint, TransportErrorCode as E, type Path } from '../../src/core/index.js';
import type { Frame } from '@tsquic/quic-wire';
import { Collector } from '../sim/apps.js';
import { forge } from '../sim/forge.js';
import { carriesData, clientInitial, established, expectClose, forgeRaw, freshClientConnects, Harness, healthy, inject, midHandshake, serverClose, TLS, type Env } from '../sim/hostile.js';
import { CLIENT_PATH, pair, SERVER_PATH, serverTls } from '../sim/network.js';

const cid = (b: number) => new Uint8Array(8).fill(b);

describe('hostile peers: frames and packet types (RFC 9000 §12.4)', () => {
  it('a STREAM frame in a Handshake packet → PROTOCOL_VIOLATION', () => {
    const p = midHandshake();
    inject(p, 1, [{ type: 'stream', streamId: 0, offset: 0, data: Uint8Array.of(1, 2, 3), fin: false }]);
    expectClose(p, E.PROTOCOL_VIOLATION);
  });

  it('a STREAM frame in an Initial packet → PROTOCOL_VIOLATION', () => {
    // The server has seen the client's first Initial; the client has heard nothing back yet.
    const base = pair();
    const c = base.client.connect(0, SERVER_PATH, TLS);
    base.net.filter = (from, d) => (from === 'server' ? null : d);
    base.net.runUntil(() => base.server.connections.size > 0, 1000);
    base.net.filter = undefined;
    const s = [...base.server.connections][0]!;
    const p: Env = { ...base, c, s, sc: new Collector(s, false), cc: new Collector(c) };
    inject(p, 0, [{ type: 'stream', streamId: 0, offset: 0, data: Uint8Array.of(1), fin: false }], 1200);
    const r = serverClose(p);
    expect(r.code).toBe(BigInt(E.PROTOCOL_VIOLATION));
    expect(healthy(p)).toBe(true);
  });

  it('HANDSHAKE_DONE from a client → PROTOCOL_VIOLATION', () => {
    const p = established();
    inject(p, 2, [{ type: 'handshake_done' }]);
    expectClose(p, E.PROTOCOL_VIOLATION);
  });

  it('NEW_TOKEN from a client → PROTOCOL_VIOLATION', () => {
    const p = established();
    inject(p, 2, [{ type: 'new_token', token: Uint8Array.of(1, 2, 3) }]);
    expectClose(p, E.PROTOCOL_VIOLATION);
  });

  it('a truncated frame → FRAME_ENCODING_ERROR', () => {
    const p = established();
    // PINGs, then a MAX_DATA frame type followed by the first 2 bytes of a 4-byte varint.
    p.server.handleDatagram(p.net.now, forgeRaw(p, Uint8Array.of(0x01, 0x01, 0x01, 0x10, 0x80, 0x01)), CLIENT_PATH);
    expectClose(p, E.FRAME_ENCODING_ERROR);
  });
});

describe('hostile peers: flow control and stream limits (RFC 9000 §4)', () => {
  it('stream data beyond MAX_STREAM_DATA → FLOW_CONTROL_ERROR', () => {
    const p = established();
    inject(p, 2, [{ type: 'stream', streamId: 0, offset: 16 * 1024, data: Uint8Array.of(1), fin: false }]);
    expectClose(p, E.FLOW_CONTROL_ERROR);
  });

  it('data beyond MAX_DATA across streams → FLOW_CONTROL_ERROR', () => {
    const p = established();
    const frames: Frame[] = [0, 4, 8, 12].map((streamId) => ({ type: 'stream', streamId, offset: 16 * 1024 - 1, data: Uint8Array.of(1), fin: false }));
    inject(p, 2, frames);
    inject(p, 2, [{ type: 'stream', streamId: 2, offset: 0, data: new Uint8Array(1), fin: false }]);
    // 4 × 16 KiB is exactly the 64 KiB connection window; the uni stream's byte goes beyond it.
    expectClose(p, E.FLOW_CONTROL_ERROR);
  });

  it('opening more streams than MAX_STREAMS → STREAM_LIMIT_ERROR', () => {
    const p = established();
    inject(p, 2, [{ type: 'stream', streamId: 4 * 4, offset: 0, data: Uint8Array.of(1), fin: true }]);
    expectClose(p, E.STREAM_LIMIT_ERROR);
  });

  it('a final size that changes → FINAL_SIZE_ERROR', () => {
    const p = established();
    inject(p, 2, [{ type: 'stream', streamId: 0, offset: 0, data: new Uint8Array(10), fin: true }]);
    inject(p, 2, [{ type: 'reset_stream', streamId: 0, errorCode: 1n, finalSize: 5 }]);
    expectClose(p, E.FINAL_SIZE_ERROR);
  });

  it('an endless stream of tiny out-of-order STREAM fragments keeps memory bounded', () => {
    const p = established();
    // Every other byte of four 16 KiB stream windows, 150 fragments per packet, then the same again and again.
    let packets = 0;
    for (let round = 0; round < 2 && p.s.state === 'established'; round++) {
      for (const streamId of [0, 4, 8, 12]) {
        for (let off = 1; off < 16 * 1024 && p.s.state === 'established'; off += 300) {
          const frames: Frame[] = [];
          for (let i = 0; i < 150 && off + 2 * i < 16 * 1024 - 1; i++) frames.push({ type: 'stream', streamId, offset: off + 2 * i, data: Uint8Array.of(7), fin: false });
          inject(p, 2, frames);
          packets++;
          const r = p.s.streams.get(streamId)?.recv;
          if (r) expect(r.buf.buffered).toBeLessThanOrEqual(16 * 1024);
          expect(p.s.streams.reassemblyFragments).toBeLessThanOrEqual(p.s.streams.maxReassemblyFragments);
        }
      }
    }
    // 4 × 8,192 fragments would fit the flow-control windows; the connection-wide fragment
    // budget (maxConnWindow / 1024 = 24,576 by default) ends the flood with PROTOCOL_VIOLATION.
    expect(p.s.streams.maxReassemblyFragments).toBe(24 * 1024);
    expect(packets).toBeGreaterThan((24 * 1024) / 150);
    expectClose(p, E.PROTOCOL_VIOLATION);
  });
});

describe('hostile peers: stream states (RFC 9000 §19.4–§19.10)', () => {
  const cases: Array<[string, Frame]> = [
    ['STREAM on a server-initiated bidi stream the server never opened', { type: 'stream', streamId: 1, offset: 0, data: Uint8Array.of(1), fin: false }],
    ['STREAM on a server-initiated unidirectional stream', { type: 'stream', streamId: 3, offset: 0, data: Uint8Array.of(1), fin: false }],
    ['MAX_STREAM_DATA for a stream the server only receives on', { type: 'max_stream_data', streamId: 2, maximum: 1000 }],
    ['RESET_STREAM on a stream the server only sends on', { type: 'reset_stream', streamId: 3, errorCode: 0n, finalSize: 0 }],
    ['STOP_SENDING for a stream the server only receives on', { type: 'stop_sending', streamId: 2, errorCode: 0n }],
  ];
  for (const [name, frame] of cases) {
    it(`${name} → STREAM_STATE_ERROR`, () => {
      const p = established();
      inject(p, 2, [frame]);
      expectClose(p, E.STREAM_STATE_ERROR);
    });
  }

  it('no stream event refers to a stream the application has already finished (fuzz regression: 0b 06 00)', () => {
    const p = established();
    while (p.s.pollEvent());
    // An empty STREAM frame with FIN on client uni stream 6 opens 2 and 6 at once.
    inject(p, 2, [{ type: 'stream', streamId: 6, offset: 0, data: new Uint8Array(0), fin: true }]);
    const seen: string[] = [];
    for (let e = p.s.pollEvent(); e; e = p.s.pollEvent()) {
      seen.push(`${e.type}${'id' in e ? ` ${e.id}` : ''}`);
      // The natural application loop: read whatever an event points at, to the end.
      if (e.type === 'stream-incoming' || e.type === 'stream-readable') for (let r = p.s.read(e.id, 100, p.net.now); r && !r.fin; r = p.s.read(e.id, 100, p.net.now));
    }
    expect(seen).toEqual(['stream-incoming 2', 'stream-incoming 6', 'stream-closed 6']);
    expect(p.s.state).toBe('established');
  });

  it('NEW_CONNECTION_ID with Retire Prior To above its sequence number → FRAME_ENCODING_ERROR', () => {
    const p = established();
    // type 0x18, sequence 1, retire_prior_to 2, length 8, CID, 16-byte token
    const frame = Uint8Array.from([0x18, 0x01, 0x02, 0x08, ...cid(0x44), ...new Array(16).fill(0xaa)]);
    p.server.handleDatagram(p.net.now, forgeRaw(p, frame), CLIENT_PATH);
    expectClose(p, E.FRAME_ENCODING_ERROR);
  });
});

describe('hostile peers: connection IDs (RFC 9000 §5.1, §19.15, §19.16)', () => {
  it('more connection IDs than active_connection_id_limit → CONNECTION_ID_LIMIT_ERROR', () => {
    const p = established();
    const frames: Frame[] = [];
    for (let i = 0; i < 8; i++) frames.push({ type: 'new_connection_id', sequence: 20 + i, retirePriorTo: 0, connectionId: cid(0x30 + i), statelessResetToken: new Uint8Array(16).fill(i) });
    inject(p, 2, frames);
    expectClose(p, E.CONNECTION_ID_LIMIT_ERROR);
  });

  it('RETIRE_CONNECTION_ID of the connection ID the packet was sent to → PROTOCOL_VIOLATION', () => {
    const p = established();
    // The sequence number under which the server issued the CID the client is sending to.
    const seq = [0, 1, 2, 3, 4].find((q) => {
      const x = p.s.localCids.get(q);
      return x !== undefined && Buffer.compare(Buffer.from(x.cid), Buffer.from(p.c.remoteCids.current.cid)) === 0;
    });
    expect(seq).toBeDefined();
    inject(p, 2, [{ type: 'retire_connection_id', sequence: seq! }]);
    expectClose(p, E.PROTOCOL_VIOLATION);
  });

  it('RETIRE_CONNECTION_ID of a sequence never issued → PROTOCOL_VIOLATION', () => {
    const p = established();
    inject(p, 2, [{ type: 'retire_connection_id', sequence: 1000 }]);
    expectClose(p, E.PROTOCOL_VIOLATION);
  });
});

describe('hostile peers: acknowledgements (RFC 9000 §13.1, §21.4)', () => {
  it('an ACK of a packet number never sent → PROTOCOL_VIOLATION', () => {
    const p = established();
    const largest = p.s.spaces[2].nextPn + 1000;
    inject(p, 2, [{ type: 'ack', largest, ackDelay: 0, ranges: [[0, largest]] }]);
    expectClose(p, E.PROTOCOL_VIOLATION);
  });

  it('an optimistic ACK (acknowledging what the server has not delivered, including a skipped packet number) → PROTOCOL_VIOLATION', () => {
    const p = established();
    // The client asks for a large download but (as an attacker) never lets real ACKs through: it acks ahead.
    p.net.filter = (from, d) => (from === 'client' ? null : d);
    const id = p.c.openStream('bidi')!;
    p.c.write(id, Uint8Array.of(1), true);
    inject(p, 2, [{ type: 'stream', streamId: id, offset: 0, data: Uint8Array.of(1), fin: true }]);
    p.sc.pump(p.net.now);
    const big = new Uint8Array(4 * 1024 * 1024);
    let written = 0;
    let closed = false;
    for (let round = 0; round < 2000 && !closed; round++) {
      while (written < big.length) {
        const n = p.s.write(id, big.subarray(written, written + 64 * 1024));
        if (n === 0) break;
        written += n;
      }
      p.net.step();
      // Acknowledge everything the server has numbered so far, received or not.
      const largest = p.s.spaces[2].nextPn - 1;
      // ...and hands out flow-control credit so nothing but the congestion window holds the server back.
      if (largest > 0)
        inject(p, 2, [
          { type: 'ack', largest, ackDelay: 0, ranges: [[0, largest]] },
          { type: 'max_data', maximum: 1 << 30 },
          { type: 'max_stream_data', streamId: id, maximum: 1 << 30 },
        ]);
      p.sc.pump(p.net.now);
      closed = p.sc.closed() !== undefined;
    }
    p.net.filter = undefined;
    expect(closed).toBe(true);
    const e = p.sc.closed();
    expect(e?.type === 'closed' && e.info.reason).toMatch(/skipped/);
    expect(e?.type === 'closed' && e.info.code).toBe(BigInt(E.PROTOCOL_VIOLATION));
    expect(healthy(p)).toBe(true);
  });
});

describe('hostile peers: CRYPTO and path validation', () => {
  it('CRYPTO data beyond the buffer limit (1-RTT) → CRYPTO_BUFFER_EXCEEDED', () => {
    const p = established();
    inject(p, 2, [{ type: 'crypto', offset: 1_000_000, data: Uint8Array.of(1) }]);
    expectClose(p, E.CRYPTO_BUFFER_EXCEEDED);
  });

  it('CRYPTO data beyond the buffer limit during the handshake → CRYPTO_BUFFER_EXCEEDED', () => {
    const p = midHandshake();
    inject(p, 1, [{ type: 'crypto', offset: 200_000, data: new Uint8Array(100) }]);
    expectClose(p, E.CRYPTO_BUFFER_EXCEEDED);
  });

  it('a PATH_CHALLENGE flood gets a bounded number of PATH_RESPONSEs and the connection keeps working', () => {
    const p = established();
    const before = p.net.bytes.server;
    let received = 0;
    for (let i = 0; i < 500; i++) {
      const frames: Frame[] = [];
      for (let j = 0; j < 100; j++) frames.push({ type: 'path_challenge', data: new Uint8Array(8).fill((i + j) & 0xff) });
      const d = forge(p.c, 2, frames);
      received += d.length;
      p.server.handleDatagram(p.net.now, d, CLIENT_PATH);
    }
    p.net.runUntil(() => false, 500);
    p.sc.pump(p.net.now);
    const ce = p.sc.closed();
    expect(ce?.type === 'closed' ? ce.info.reason : 'open').toBe('open');
    // 50,000 challenges: answered at most a few per datagram, never more bytes than came in.
    expect(p.net.bytes.server - before).toBeLessThan(received);
    expect(p.s.state).toBe('established');
    // The connection still carries data both ways.
    expect(carriesData(p)).toBe(true);
  });

  it('PATH_CHALLENGEs from a spoofed address: responses there stay within 3× what arrived from it', () => {
    const p = established();
    const spoofed: Path = { address: '203.0.113.7', port: 999 };
    let toSpoof = 0;
    let fromSpoof = 0;
    for (let i = 0; i < 200; i++) {
      const d = forge(p.c, 2, [{ type: 'path_challenge', data: new Uint8Array(8).fill(i) }, { type: 'ping' }]);
      fromSpoof += d.length;
      p.server.handleDatagram(p.net.now, d, spoofed);
      for (let t = p.server.pollTransmit(p.net.now); t; t = p.server.pollTransmit(p.net.now)) if (t.path.address === spoofed.address) toSpoof += t.data.length;
    }
    expect(toSpoof).toBeLessThanOrEqual(3 * fromSpoof);
    // The connection and the endpoint carry on.
    expect(p.s.state).toBe('established');
    const c2 = p.client.connect(p.net.now, SERVER_PATH, TLS);
    expect(p.net.runUntil(() => c2.handshakeInfo !== undefined, 5000)).toBe(true);
  });
});

describe('hostile peers: Initial floods from spoofed addresses (RFC 9000 §8, §21.1)', () => {
  const N = 300;
  // Copies are delivered: a connection removes header protection in place.
  const initials = Array.from({ length: N }, () => clientInitial());
  const spoof = (i: number): Path => ({ address: `198.51.${(i >> 8) & 0xff}.${i & 0xff}`, port: 1000 + i });

  it('without Retry: at most 3× the bytes received go to each spoofed address, handshakes in flight are capped, and all expire', () => {
    const server = new Endpoint({ server: { tls: serverTls(), transport: { handshakeTimeoutMs: 3000 } }, maxHandshakes: 100, retry: 'never' });
    const h = new Harness(server);
    for (let i = 0; i < N; i++) h.deliver(initials[i % initials.length]!.slice(), spoof(i));
    expect(server.connections.size).toBeLessThanOrEqual(100);
    expect(server.counters.dropped).toBeGreaterThanOrEqual(N - 100);
    h.advance(20_000);
    for (const [addr, n] of h.sentTo) expect(n, addr).toBeLessThanOrEqual(3 * 1200);
    expect(server.connections.size).toBe(0);
    expect(freshClientConnects(server, h.now)).toBe(true);
  });

  it('with Retry under load: spoofed Initials get one small stateless Retry each and create no state; a real client still connects', () => {
    const server = new Endpoint({ server: { tls: serverTls() }, retry: { handshakes: 10 } });
    const h = new Harness(server);
    for (let i = 0; i < N; i++) h.deliver(initials[i % initials.length]!.slice(), spoof(i));
    expect(server.connections.size).toBe(10);
    expect(server.counters.retries).toBe(N - 10);
    for (let i = 10; i < N; i++) expect(h.sentTo.get(spoof(i).address)).toBeLessThan(200);
    expect(freshClientConnects(server, h.now)).toBe(true);
  });

  it('a slowloris peer that never completes the handshake is dropped at the handshake timeout', () => {
    const p = pair({}, { serverTransport: { handshakeTimeoutMs: 2000 } });
    p.client.connect(0, SERVER_PATH, TLS);
    // After its first Initial the client goes silent (its later packets never arrive).
    p.net.filter = (from, d, i) => (from === 'client' && i > 0 ? null : d);
    p.net.runUntil(() => p.server.connections.size > 0, 1000);
    const s = [...p.server.connections][0]!;
    const sc = new Collector(s, false);
    p.net.runUntil(() => (sc.pump(p.net.now), sc.closed() !== undefined), 10_000);
    const e = sc.closed();
    expect(e?.type === 'closed' && e.info.kind).toBe('handshake-timeout');
    expect(p.net.now).toBeLessThanOrEqual(2000 + 100);
    p.net.runUntil(() => p.server.connections.size === 0, 1000);
    expect(p.server.connections.size).toBe(0);
    p.net.filter = undefined;
    const c2 = p.client.connect(p.net.now, SERVER_PATH, TLS);
    expect(p.net.runUntil(() => c2.handshakeInfo !== undefined, 5000)).toBe(true);
  });

  it('max connections per endpoint: Initials beyond the limit are dropped, existing connections unaffected', () => {
    const server = new Endpoint({ server: { tls: serverTls() }, maxConnections: 5, retry: 'never' });
    const h = new Harness(server);
    for (let i = 0; i < 20; i++) h.deliver(initials[i]!.slice(), spoof(i));
    expect(server.connections.size).toBe(5);
    expect(server.counters.dropped).toBe(15);
    const kept = [...server.connections];
    expect(kept.every((c) => c.state === 'handshake')).toBe(true);
    // Once they expire (handshake timeout), a new client gets in.
    h.advance(11_000);
    expect(server.connections.size).toBe(0);
    expect(freshClientConnects(server, h.now)).toBe(true);
  });
});
