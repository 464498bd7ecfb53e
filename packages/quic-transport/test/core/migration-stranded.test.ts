/**
 * NAT rebinding after a silence (RFC 9000 §9.3, §9.4, §8.2.1), from the
 * interop matrix's rebind cells against gtlsclient (examples/interop
 * test-results/rebind-port-our-server): a NAT rebinding drops everything
 * the server sends for a while, so its congestion window fills with packets
 * lost to the old binding; the client's next ack-eliciting packet comes
 * from a new port and the server migrates. Its PATH_CHALLENGE used to wait
 * for the PTO (1.1 s through the relay, 2 s here) behind that window —
 * RFC 9000 §9.4: "Packets sent on the old path MUST NOT contribute to
 * congestion control or RTT estimation for the new path" (and a sender
 * "can make exceptions for probe packets"). Observed from outside: the
 * datagrams on the simulated wire and the server's qlog events.
 */
import { describe, expect, it } from 'vitest';
import type { Transmit } from '../../src/core/index.js';
import { named } from '../sim/network.js';
import { established, inject } from '../sim/hostile.js';
import { download } from '../sim/transfer.js';

const OLD = { address: '10.0.0.1', port: 5000 };
const NEW = { address: '10.0.0.1', port: 6000 };
const same = (a: { address: string; port: number }, b: { address: string; port: number }): boolean => a.address === b.address && a.port === b.port;

/** The run (once per file). */
let outcome: ReturnType<typeof run> | undefined;
function run() {
  let lostFrom: number | undefined; // the server's datagrams stop reaching the client
  let reboundAt: number | undefined; // the NAT gives the client a new port
  const toNew: number[] = []; // when the server sent each datagram to the new port
  const r = download(
    2 << 20,
    { latencyMs: 5, seed: 5, lossRate: 0.01 },
    {
      // The client's keep-alive PING stands for gtlsclient's PMTU probes: its first ack-eliciting packet after the
      // silence, from the new port. (1% loss keeps the window small enough to fill.)
      transport: { keepAliveMs: 2000 },
      qlog: true,
      before: (env) => {
        const poll = env.server.pollTransmit.bind(env.server);
        // The NAT: from `lostFrom` the server's datagrams are lost (the old binding, then the old port).
        env.server.pollTransmit = (now: number): Transmit | null => {
          for (let t = poll(now); t; t = poll(now)) {
            if (same(t.path, NEW)) toNew.push(now);
            if (lostFrom === undefined || (reboundAt !== undefined && !same(t.path, OLD))) return t;
          }
          return null;
        };
      },
      onStep: (got, env) => {
        const now = env.net.now;
        if (lostFrom === undefined && got > 1 << 20) lostFrom = now;
        // A long silence first: the server's PTO backs off (its window stays full of lost packets).
        if (lostFrom !== undefined && reboundAt === undefined && now >= lostFrom + 1200) {
          reboundAt = now;
          env.net.clientPath = NEW;
        }
      },
      maxMs: 30_000,
    },
  );
  const updated = named(r.env.qlog.server, 'connectivity:path_updated');
  const validated = named(r.env.qlog.server, 'connectivity:path_validated');
  return { r, reboundAt, updated, validated, toNew };
}
const rebindAfterSilence = () => (outcome ??= run());

describe('NAT rebinding after a silence', () => {
  it('the server migrates to the port the client’s PING comes from, and the download completes byte-identical', () => {
    const { r, reboundAt, updated, validated } = rebindAfterSilence();
    expect(reboundAt).toBeDefined();
    expect(updated.map((e) => e.data)).toEqual([{ peer_address: '10.0.0.1:6000', only_port: true }]);
    expect(validated.map((e) => e.data.peer_address)).toEqual(['10.0.0.1:6000']);
    expect(r.done && r.ok).toBe(true);
  });

  it('it challenges the new port at once and validates it within three round trips, not at its next PTO', () => {
    const { updated, validated, toNew } = rebindAfterSilence();
    const migratedAt = updated[0]!.time;
    // The first datagram to the new port (the PATH_CHALLENGE) leaves in the same instant the server hears from it.
    expect(toNew[0]).toBe(migratedAt);
    // 5 ms each way: three round trips are 30 ms. Before the fix (seed 5): migrated at 5,744 ms, challenged at 7,779 ms, by the PTO.
    expect(validated[0]!.time - migratedAt).toBeLessThanOrEqual(30);
  });
});

describe('path validation frames and the congestion window (RFC 9000 §8.2, §9.4)', () => {
  it('a PATH_RESPONSE owed on the current path goes out at once while the congestion window is full, padded to 1,200 bytes', () => {
    const env = established({ pacing: false }, {}, { qlog: true });
    const { net, c, s } = env;
    net.runUntil(() => s.getStats().bytesInFlight === 0, 1000);
    // The client stops hearing the server, which fills its window with data nobody acknowledges.
    net.filter = (from, d) => (from === 'server' ? null : d);
    const id = s.openStream('bidi')!;
    s.write(id, new Uint8Array(1 << 20));
    net.flush();
    const stats = s.getStats();
    expect(stats.bytesInFlight).toBeGreaterThan(stats.cwnd - stats.maxDatagramSize);
    // The client moves to a new connection ID and validates the path it is on (RFC 9000 §9.5): the server owes a
    // PATH_RESPONSE on its current path, where its window is full.
    const sizes: number[] = [];
    net.filter = (from, d) => (from === 'server' && sizes.push(d.length), d);
    const start = net.now;
    expect(c.migrate(start)).toBe(true);
    expect(net.runUntil(() => named(env.qlog.client, 'connectivity:path_validated').length > 0, 5000)).toBe(true);
    // One round trip (10 ms each way), not the server's PTO.
    expect(named(env.qlog.client, 'connectivity:path_validated')[0]!.time - start).toBeLessThanOrEqual(21);
    expect(sizes[0]).toBeGreaterThanOrEqual(1200);
    const first = named(env.qlog.server, 'transport:packet_sent').find((e) => e.time > start)!;
    expect(first.data.frames).toEqual(expect.arrayContaining([{ frame_type: 'path' }]));
    // Both sides' packets with path validation frames (the client's PATH_CHALLENGE, the server's PATH_RESPONSE) are 1,200 bytes or more.
    const withPath = [...env.qlog.client, ...env.qlog.server].filter((e) => e.name === 'transport:packet_sent' && (e.data.frames as Array<{ frame_type: string }>).some((f) => f.frame_type === 'path'));
    expect(withPath).toHaveLength(2);
    for (const e of withPath) expect((e.data.raw as { length: number }).length).toBeGreaterThanOrEqual(1200);
  });
});
