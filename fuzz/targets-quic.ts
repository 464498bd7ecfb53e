/**
 * @module fuzz/targets-quic
 * The QUIC connection fuzz targets (issue 22): one side of an established
 * connection (the victim, server or client) under an attacker who holds the
 * keys — the other side's — and plays a small program the fuzzer writes:
 * authenticated 1-RTT packets of arbitrary frames, sent from the real
 * address or from spoofed ones, packet numbers jumped forward and back,
 * acknowledgements of everything seen (ACKs of ACKs), and time passing. After
 * every input the victim must hold the bounds the hostile-peer suite asserts:
 * no exception out of the core, no INTERNAL_ERROR of its own making, at most
 * 3× to each spoofed address what came from it (RFC 9000 §8, §9.3), bytes in
 * flight within the congestion window, and a bounded number of packets
 * tracked for loss recovery.
 */
import * as wire from '../packages/quic-wire/src/index.js';
import { Endpoint, TransportErrorCode, type Connection, type Path } from '../packages/quic-transport/src/core/index.js';
import { forgeRaw } from '../packages/quic-transport/test/sim/forge.js';
import type { Target } from './engine.js';
import { corpus, SERVER_CERT, SERVER_KEY } from './targets.js';

const TLS_CLIENT = { serverName: 'localhost', alpn: ['fuzz'], verifyPeer: 'none' as const };
const PATH_C: Path = { address: '10.0.0.1', port: 5000 };
const PATH_S: Path = { address: '10.0.0.2', port: 443 };
const SPOOFED: Path[] = [0, 1, 2, 3].map((i) => ({ address: `203.0.113.${i + 1}`, port: 4000 + i }));
/** Sent packets a victim may track, whatever the attacker withholds (ACK-only ones are capped at 256 per space). */
const MAX_TRACKED = 2048;

/** A bug signal from inside a target (an outcome that should be impossible). */
class Violation extends Error {
  override name = 'Violation';
}

const key = (p: Path): string => `${p.address}|${p.port}`;

/** Two sans-IO endpoints joined by a perfect link; the handshake is run to completion. */
export function establishedPair(): { server: Endpoint; client: Endpoint; c: Connection; s: Connection; now: number } {
  const server = new Endpoint({ server: { tls: { certificateChain: [SERVER_CERT()], privateKey: SERVER_KEY(), alpn: ['fuzz'] } } });
  const client = new Endpoint();
  const c = client.connect(0, PATH_S, TLS_CLIENT);
  let now = 0;
  for (let i = 0; i < 50 && !(c.handshakeInfo && [...server.connections][0]?.state === 'established'); i++) {
    for (let t = client.pollTransmit(now); t; t = client.pollTransmit(now)) server.handleDatagram(now, t.data, PATH_C);
    for (let t = server.pollTransmit(now); t; t = server.pollTransmit(now)) client.handleDatagram(now, t.data, PATH_S);
    now += 5;
  }
  const s = [...server.connections][0]!;
  if (s.state !== 'established') throw new Error('fuzz set-up: handshake did not complete');
  return { server, client, c, s, now };
}

/** Seal `payload` as a 1-RTT packet with `c`'s keys and its next packet number (the payload is not checked: that is the point). */
export function seal1Rtt(c: Connection, payload: Uint8Array): Uint8Array {
  return forgeRaw(c, payload);
}

/** One live attack: the pair, who is who, and the bytes each address sent and received. */
interface Arena {
  pair: ReturnType<typeof establishedPair>;
  victim: Connection;
  victimEp: Endpoint;
  attacker: Connection;
  attackerEp: Endpoint;
  /** Where the victim sees the attacker, and where the attacker sees the victim. */
  attackerPath: Path;
  victimPath: Path;
  sentTo: Map<string, number>;
  receivedFrom: Map<string, number>;
}

function arena(victim: 'server' | 'client'): Arena {
  const pair = establishedPair();
  const v = victim === 'server';
  return {
    pair,
    victim: v ? pair.s : pair.c,
    victimEp: v ? pair.server : pair.client,
    attacker: v ? pair.c : pair.s,
    attackerEp: v ? pair.client : pair.server,
    attackerPath: v ? PATH_C : PATH_S,
    victimPath: v ? PATH_S : PATH_C,
    sentTo: new Map(),
    receivedFrom: new Map(),
  };
}

/** Hand a datagram to the victim as coming from `from`. */
function deliver(a: Arena, d: Uint8Array, from: Path): void {
  a.receivedFrom.set(key(from), (a.receivedFrom.get(key(from)) ?? 0) + d.length);
  a.victimEp.handleDatagram(a.pair.now, d, from);
}

/** Let both sides talk: the victim's datagrams to the attacker's real address reach it, those to spoofed ones are only counted. */
function exchange(a: Arena): void {
  for (let i = 0; i < 3; i++) {
    for (let t = a.victimEp.pollTransmit(a.pair.now); t; t = a.victimEp.pollTransmit(a.pair.now)) {
      a.sentTo.set(key(t.path), (a.sentTo.get(key(t.path)) ?? 0) + t.data.length);
      if (key(t.path) === key(a.attackerPath)) a.attackerEp.handleDatagram(a.pair.now, t.data, a.victimPath);
    }
    for (let t = a.attackerEp.pollTransmit(a.pair.now); t; t = a.attackerEp.pollTransmit(a.pair.now)) deliver(a, t.data, a.attackerPath);
  }
}

/** The frames of a 1-RTT packet from the program, or null when they do not decode (they would only reach the frame decoder). */
function frames(payload: Uint8Array): Uint8Array | null {
  try {
    wire.decodeFrames(payload, '1rtt');
    return payload;
  } catch (e) {
    if (wire.QuicWireError.isInstance(e)) return null;
    throw e;
  }
}

/**
 * Run the program in `d`, one operation per step, each an opcode byte:
 * high nibble the action, low nibble its parameter.
 * - 0x0_: a 1-RTT packet from the attacker's address; next byte: payload length, then the payload
 * - 0x1_: the same from spoofed address (param & 3)
 * - 0x2_: the attacker's next packet number jumps by ±(param+1)×64 (odd params go back)
 * - 0x3_: the attacker acknowledges everything it received (its ACK of the victim's ACKs), from spoofed (param & 4) or not
 * - 0x4_: (param+1) PATH_CHALLENGE-only packets from spoofed address (param & 3)
 * - 0x5_: time passes, (param+1)×25 ms, timers run
 * - other: the rest of the input is one 1-RTT payload from the attacker's address
 */
function play(a: Arena, d: Uint8Array): void {
  for (let i = 0; i < d.length;) {
    const op = d[i++]!;
    const param = op & 0x0f;
    switch (op >> 4) {
      case 0:
      case 1: {
        const len = d[i++] ?? 0;
        const p = frames(d.subarray(i, i + len));
        i += len;
        if (p) deliver(a, seal1Rtt(a.attacker, p), op >> 4 === 0 ? a.attackerPath : SPOOFED[param & 3]!);
        break;
      }
      case 2: {
        const sp = a.attacker.spaces[2];
        sp.nextPn = Math.max(0, sp.nextPn + (param & 1 ? -1 : 1) * (param + 1) * 64);
        break;
      }
      case 3: {
        const ack = a.attacker.spaces[2].ack.build(a.pair.now, 3);
        if (!ack) break;
        const w = wire.Writer.alloc(wire.frameSize({ type: 'ack', largest: ack.largest, ackDelay: 0, ranges: ack.ranges }) + 1);
        wire.encodeFrame(w, { type: 'ack', largest: ack.largest, ackDelay: 0, ranges: ack.ranges });
        wire.encodeFrame(w, { type: 'ping' });
        deliver(a, seal1Rtt(a.attacker, w.written()), param & 4 ? SPOOFED[param & 3]! : a.attackerPath);
        break;
      }
      case 4:
        for (let k = 0; k <= param; k++) deliver(a, seal1Rtt(a.attacker, Uint8Array.of(0x1a, k, 1, 2, 3, 4, 5, 6, param)), SPOOFED[param & 3]!);
        break;
      case 5:
        a.pair.now += (param + 1) * 25;
        a.victimEp.handleTimeout(a.pair.now);
        a.attackerEp.handleTimeout(a.pair.now);
        break;
      default: {
        const p = frames(d.subarray(i - 1));
        if (p) deliver(a, seal1Rtt(a.attacker, p), a.attackerPath);
        i = d.length;
      }
    }
    exchange(a);
  }
}

/** The bounds of issue 22 on the victim; a Violation when one does not hold. */
function check(a: Arena): void {
  for (let e = a.victim.pollEvent(); e; e = a.victim.pollEvent()) {
    // INTERNAL_ERROR of our own making means an exception escaped a frame handler (a peer may send it: remote)
    if (e.type === 'closed' && !e.info.remote && !e.info.application && e.info.code === BigInt(TransportErrorCode.INTERNAL_ERROR)) throw new Violation(`${a.victim.side} closed with INTERNAL_ERROR: ${e.info.reason}`);
    // read to the end of what is there; a stream is forgotten once its FIN has been read
    if (e.type === 'stream-readable' || e.type === 'stream-incoming') for (let r = a.victim.read(e.id, 1 << 16, a.pair.now); r && !r.fin && r.data.length; r = a.victim.read(e.id, 1 << 16, a.pair.now));
  }
  for (let e = a.attacker.pollEvent(); e; e = a.attacker.pollEvent());
  for (const p of SPOOFED) {
    const sent = a.sentTo.get(key(p)) ?? 0;
    const received = a.receivedFrom.get(key(p)) ?? 0;
    if (sent > 3 * received) throw new Violation(`${a.victim.side} sent ${sent} bytes to spoofed ${key(p)}, which sent ${received}`);
  }
  const st = a.victim.getStats();
  if (st.sentPacketsTracked > MAX_TRACKED) throw new Violation(`${a.victim.side} tracks ${st.sentPacketsTracked} sent packets`);
  if (st.bytesInFlight > st.cwnd + 4 * 1500) throw new Violation(`${a.victim.side} has ${st.bytesInFlight} bytes in flight for a window of ${st.cwnd}`);
}

/** Seeds: the frame corpus as single packets from the attacker, and one program per class of attack. */
function seeds(): Uint8Array[] {
  const frameSeeds = corpus('quic-wire-frames')
    .map((f) => f.subarray(1))
    .filter((f) => f.length < 250)
    .map((f) => Uint8Array.of(0x00, f.length, ...f));
  const ping = [0x00, 1, 0x01];
  const programs = [
    [0x43, 0x43, 0x43, 0x50], // PATH_CHALLENGE floods from spoofed addresses
    [0x10, 9, 0x1a, 1, 2, 3, 4, 5, 6, 7, 8], // a PATH_CHALLENGE alone from a spoofed address
    [0x24, ...ping, ...ping, 0x51, 0x25, 0x30, 0x51], // the ACK of our ACK below the largest (finding 6)
    [...ping, ...ping, ...ping, ...ping, 0x5f], // PINGs, never an ACK
    [0x20, 0x11, 1, 0x01, 0x31, 0x34], // a spoofed migration, then ACKs from the real address
    [0x5f, 0x5f, 0x5f, 0x30], // time passing
  ];
  return [...frameSeeds, ...programs.map((p) => Uint8Array.from(p))];
}

/** The victim `side` of an established connection, played against by an attacker holding the other side's keys. */
function connectionTarget(victim: 'server' | 'client'): Target {
  let live: Arena | undefined;
  let uses = 0;
  return {
    name: `quic-transport/${victim}-connection`,
    cover: ['/packages/quic-transport/src/core/'],
    seeds,
    run(d) {
      // A fresh pair now and then, or when the last input ended the connection; the address counts go with it.
      if (!live || live.victim.state !== 'established' || live.attacker.state !== 'established' || ++uses > 500) {
        live = arena(victim);
        uses = 0;
      }
      play(live, d);
      check(live);
    },
    expected: () => false,
    maxLength: 1400,
  };
}

export const QUIC_TARGETS: Target[] = [connectionTarget('server'), connectionTarget('client')];
