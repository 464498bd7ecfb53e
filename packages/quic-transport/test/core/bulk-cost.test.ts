/**
 * Work per packet on the bulk path at Internet-sized datagrams (issue 19):
 * what a bulk transfer at 1,452 B does per datagram, counted (never timed),
 * so that a structural saving cannot quietly come undone. The transfer is
 * driven as the Node shell drives it: a batch of datagrams in, then the
 * output drained and the timers polled once.
 */
import { afterEach, describe, expect, it, vi } from 'vitest';
import { Connection } from '../../src/core/connection.js';
import { CryptoState } from '../../src/core/crypto-state.js';
import { Endpoint } from '../../src/core/endpoint.js';
import { LossDetection, newlyAcked, type SentPacket } from '../../src/core/recovery/loss-detection.js';
import { serverTls } from '../sim/network.js';

const INTERNET = { maxDatagramSize: 1452, pmtuDiscovery: false };
const SERVER = { address: '10.0.0.2', port: 443 };
const CLIENT = { address: '10.0.0.1', port: 5000 };
/** Datagrams a shell hands over per event-loop turn. */
const BATCH = 16;

afterEach(() => {
  vi.restoreAllMocks();
});

/** One side's turn as a shell runs it: due timers, every datagram it can send, the next deadline. */
function turn(ep: Endpoint, now: number, out: Uint8Array[]): void {
  ep.handleTimeout(now);
  for (let t = ep.pollTransmit(now); t && out.length < BATCH; t = out.length < BATCH ? ep.pollTransmit(now) : null) out.push(t.data);
  ep.pollTimeout();
}

/** The client uploads `bytes` on one stream to the server (1 ms of virtual time per turn); `measure` runs from the first 1-RTT data on. */
function upload(bytes: number, measure: () => void): { datagrams: number } {
  const server = new Endpoint({ server: { tls: serverTls(), transport: INTERNET } });
  const client = new Endpoint({ transport: INTERNET });
  const cc = client.connect(0, SERVER, { serverName: 'localhost', alpn: ['test'], verifyPeer: 'none' });
  let now = 0;
  const toServer: Uint8Array[] = [];
  const toClient: Uint8Array[] = [];
  const exchange = (): void => {
    turn(client, now, toServer);
    for (const d of toServer.splice(0)) server.handleDatagram(now, d, CLIENT);
    turn(server, now, toClient);
    for (const d of toClient.splice(0)) client.handleDatagram(now, d, SERVER);
    now += 1;
  };
  while (cc.state !== 'established' && now < 1000) exchange();
  for (let i = 0; i < 50; i++) exchange(); // HANDSHAKE_DONE, NEW_CONNECTION_ID and their ACKs
  const id = cc.openStream('bidi')!;
  const chunk = new Uint8Array(64 * 1024).fill(0x61);
  const sc = [...server.connections][0]!;
  const sent0 = cc.stats.packetsSent + sc.stats.packetsSent;
  measure();
  let written = 0;
  let got = 0;
  while (got < bytes && now < 60_000) {
    while (written < bytes && cc.writableBytes(id) > 0) written += cc.write(id, chunk.subarray(0, Math.min(chunk.length, bytes - written)));
    exchange();
    for (let e = server.pollEvent(); e; e = server.pollEvent());
    for (let r = sc.read(id, Infinity, now); r && r.data.length > 0; r = sc.read(id, Infinity, now)) got += r.data.length;
  }
  expect(got).toBe(bytes);
  return { datagrams: cc.stats.packetsSent + sc.stats.packetsSent - sent0 };
}

describe('bulk transfer: work per packet', () => {
  it('the loss detection timer (RFC 9002 A.8) is set once per poll of the timers, not once per datagram sent and received', () => {
    let deadline: { mock: { calls: unknown[] } } | undefined;
    let polls: { mock: { calls: unknown[] } }[] = [];
    const { datagrams } = upload(2_000_000, () => {
      deadline = vi.spyOn(LossDetection.prototype, 'timerDeadline');
      polls = [vi.spyOn(Connection.prototype, 'pollTimeout'), vi.spyOn(Connection.prototype, 'handleTimeout')];
    });
    expect(datagrams).toBeGreaterThan(1400);
    const timerPolls = polls[0]!.mock.calls.length + polls[1]!.mock.calls.length;
    // Before: once per datagram sent and once per datagram received (≥ 1 per datagram), many per poll.
    expect(timerPolls).toBeLessThan(datagrams / 2);
    expect(deadline!.mock.calls.length).toBeLessThanOrEqual(timerPolls);
  });

  it('one write-key lookup per packet sent: asking whether a PATH_RESPONSE is owed on another path (before every datagram) takes none', () => {
    let writeKeys: { mock: { calls: unknown[] } } | undefined;
    const { datagrams } = upload(1_000_000, () => {
      writeKeys = vi.spyOn(CryptoState.prototype, 'writeKeys');
    });
    // Before: two per datagram (the off-path PATH_RESPONSE check, then the packet).
    expect(writeKeys!.mock.calls.length).toBeLessThanOrEqual(datagrams * 1.1);
  });

  it('an ACK whose ranges reach far below the packets still tracked (a receiver reports until its ACK is acknowledged) looks up only the tracked numbers', () => {
    // 3,000 packets in flight (a bulk sender's window), 1,000..3,999; the receiver reports 0..1,029 (RFC 9000 §13.2.4).
    let lookups = 0;
    const sent = new (class extends Map<number, SentPacket<null>> {
      override get(k: number): SentPacket<null> | undefined {
        lookups++;
        return super.get(k);
      }
    })();
    for (let pn = 1000; pn < 4000; pn++) sent.set(pn, { pn, timeSent: 0, size: 1452, ackEliciting: true, inFlight: true, data: null });
    const acked = newlyAcked(sent, [[0, 1029]]);
    expect(acked.map((p) => p.pn)).toEqual(Array.from({ length: 30 }, (_, i) => 1000 + i));
    // Before: a lookup for each of the 1,030 numbers the range names.
    expect(lookups).toBeLessThanOrEqual(acked.length + 1);
    // Several ranges, some wholly below the oldest tracked packet, one straddling it, one above.
    lookups = 0;
    const more = newlyAcked(sent, [
      [3990, 3995],
      [990, 1002],
      [500, 600],
    ]);
    expect(more.map((p) => p.pn)).toEqual([3990, 3991, 3992, 3993, 3994, 3995, 1000, 1001, 1002]);
    expect(lookups).toBeLessThanOrEqual(more.length + 3);
  });
});
