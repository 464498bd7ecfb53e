/**
 * @module measure/floor
 * The floor under any QUIC in Node at 1,452-byte datagrams (issue 19): CPU
 * µs per datagram on each side for `node:dgram` alone (32 sends per
 * event-loop turn, no callback, a synchronous lookup; a 'message' event per
 * datagram received) and with the packet protection node:crypto allows
 * (AES-128-GCM with a cipher per packet, header protection with one ECB
 * cipher), no QUIC logic — peers/floor.ts, each side in its own process.
 *   node bench/dist/measure/floor.js [datagrams]
 */
import { fileURLToPath } from 'node:url';
import { Peer } from '../proc.js';

export interface Floor {
  protect: boolean;
  senderUs: number;
  receiverUs: number;
  /** Datagrams the receiver got (the sender does not wait for it: the rest were dropped by a busy receiver). */
  received: number;
  sent: number;
}

export async function nodeFloor(count: number, protect: boolean): Promise<Floor> {
  const recv = Peer.start('floor', ['recv', protect ? '1' : '0']);
  try {
    const { port } = await recv.next('ready', 10_000);
    const sender = Peer.start('floor', ['send', String(port), String(count), protect ? '1' : '0']);
    const s = await sender.next('result', 120_000);
    await sender.exited;
    await new Promise((r) => setTimeout(r, 200));
    recv.send({ cmd: 'exit' });
    const r = await recv.next('result', 10_000);
    return { protect, senderUs: s.stats!.cpuMicros! / count, receiverUs: r.stats!.cpuMicros! / r.stats!.datagrams!, received: r.stats!.datagrams!, sent: count };
  } finally {
    await recv.stop();
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const n = Number(process.argv[2] ?? 100_000);
  for (const protect of [false, true]) {
    const f = await nodeFloor(n, protect);
    console.log(`${protect ? 'dgram + packet protection' : 'dgram alone              '}: sender ${f.senderUs.toFixed(1)} µs, receiver ${f.receiverUs.toFixed(1)} µs per datagram (${f.received} of ${f.sent} received)`);
  }
}
