/**
 * @module peers/floor
 * The floor under any QUIC in Node at 1,452-byte datagrams (issue 19): what
 * one datagram costs through `node:dgram` alone, and with the packet
 * protection node:crypto allows (RFC 9001 §5.3 AES-128-GCM, a cipher per
 * packet; §5.4 header protection, one long-lived ECB cipher) — no QUIC
 * logic at all. Each side in its own process, CPU time per datagram.
 *   node peers/floor.js recv <0|1 protect>             (IPC: 'ready', then on 'exit' a 'result')
 *   node peers/floor.js send <port> <count> <0|1 protect>
 */
import { createCipheriv, createDecipheriv, createSecretKey } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { cpuMicros, type ParentMessage, type PeerMessage } from './ipc.js';

const SIZE = 1452;
/** Datagrams sent per event-loop turn (the QUIC shell sends what it has once per turn). */
const BURST = 32;
const HEADER = 9; // a short header: first byte, 8-byte connection ID (the packet number follows, as in ours)
const KEY = createSecretKey(new Uint8Array(16).fill(1));
const HP = new Uint8Array(16).fill(2);
const IV = new Uint8Array(12).fill(3);

const send = (m: PeerMessage): void => void process.send!(m);

function nonce(pn: number): Uint8Array {
  const n = IV.slice();
  n[8]! ^= pn >>> 24;
  n[9]! ^= (pn >>> 16) & 0xff;
  n[10]! ^= (pn >>> 8) & 0xff;
  n[11]! ^= pn & 0xff;
  return n;
}

function ecb(): (sample: Uint8Array) => Uint8Array {
  const c = createCipheriv('aes-128-ecb', HP, null);
  c.setAutoPadding(false);
  return (sample) => c.update(sample);
}

/** Seal in place and mask the header as a QUIC sender does (RFC 9001 §5.3, §5.4). */
function protect(buf: Uint8Array, pn: number, mask: (s: Uint8Array) => Uint8Array): void {
  new DataView(buf.buffer, buf.byteOffset).setUint32(HEADER, pn);
  const end = SIZE - 16;
  const c = createCipheriv('aes-128-gcm', KEY, nonce(pn));
  c.setAAD(buf.subarray(0, HEADER + 4));
  buf.set(c.update(buf.subarray(HEADER + 4, end)), HEADER + 4);
  c.final();
  buf.set(c.getAuthTag(), end);
  const m = mask(buf.subarray(HEADER + 8, HEADER + 24));
  buf[0]! ^= m[0]! & 0x1f;
  for (let i = 0; i < 4; i++) buf[HEADER + i]! ^= m[1 + i]!;
}

/** Unmask and open (the plaintext in a new buffer, as node:crypto gives it); false when it does not authenticate. */
function unprotect(buf: Uint8Array, mask: (s: Uint8Array) => Uint8Array): boolean {
  const m = mask(buf.subarray(HEADER + 8, HEADER + 24));
  buf[0]! ^= m[0]! & 0x1f;
  for (let i = 0; i < 4; i++) buf[HEADER + i]! ^= m[1 + i]!;
  const pn = new DataView(buf.buffer, buf.byteOffset).getUint32(HEADER);
  const d = createDecipheriv('aes-128-gcm', KEY, nonce(pn));
  d.setAAD(buf.subarray(0, HEADER + 4));
  d.setAuthTag(buf.subarray(SIZE - 16));
  d.update(buf.subarray(HEADER + 4, SIZE - 16));
  try {
    d.final();
    return true;
  } catch {
    return false;
  }
}

async function recv(withCrypto: boolean): Promise<void> {
  const socket = createSocket({ type: 'udp4', recvBufferSize: 4 << 20 });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  const mask = ecb();
  let datagrams = 0;
  let failed = 0;
  let cpu0 = 0;
  socket.on('message', (msg) => {
    if (datagrams++ === 0) cpu0 = cpuMicros();
    if (withCrypto && !unprotect(new Uint8Array(msg.buffer, msg.byteOffset, msg.length), mask)) failed++;
  });
  process.on('message', (m: ParentMessage) => {
    if (m.cmd !== 'exit') return;
    send({ type: 'result', bytes: datagrams * SIZE, seconds: 0, stats: { datagrams, failed, cpuMicros: cpuMicros() - cpu0 } });
    socket.close();
    process.exit(0);
  });
  send({ type: 'ready', port: socket.address().port });
}

async function sender(port: number, count: number, withCrypto: boolean): Promise<void> {
  const socket = createSocket({ type: 'udp4', sendBufferSize: 4 << 20, lookup: (host, _o, cb) => (cb as (e: null, a: string, f: number) => void)(null, host, 4) });
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  const mask = ecb();
  // Datagrams carved from 64 KiB slabs, as the QUIC sender builds them (views, no copy).
  const PER_SLAB = 45; // 64 KiB
  let slab = new Uint8Array(0);
  const cpu0 = cpuMicros();
  let pn = 0;
  await new Promise<void>((done) => {
    const turn = (): void => {
      for (let i = 0; i < BURST && pn < count; i++, pn++) {
        if (pn % PER_SLAB === 0) slab = new Uint8Array(SIZE * PER_SLAB).fill(0x61);
        const at = (pn % PER_SLAB) * SIZE;
        const d = slab.subarray(at, at + SIZE);
        d[0] = 0x40;
        if (withCrypto) protect(d, pn, mask);
        socket.send(d, port, '127.0.0.1');
      }
      if (pn < count) setImmediate(turn);
      else setImmediate(done);
    };
    turn();
  });
  send({ type: 'result', bytes: count * SIZE, seconds: 0, stats: { datagrams: count, cpuMicros: cpuMicros() - cpu0 } });
  socket.close();
  process.exit(0);
}

const [role, a, b, c] = process.argv.slice(2);
const run = role === 'recv' ? recv(a === '1') : sender(Number(a), Number(b), c === '1');
run.catch((e: unknown) => {
  send({ type: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  process.exit(1);
});
