/** Connection migration and NAT rebinding (RFC 9000 §9) over the simulated network. */
import { describe, expect, it } from 'vitest';
import { download as transferDownload } from '../sim/transfer.js';
import { named, pair, type LinkOptions } from '../sim/network.js';
import { established, inject } from '../sim/hostile.js';

const TLS = { serverName: 'localhost', alpn: ['test'], verifyPeer: 'none' as const };

const download = (size: number, onStep: (got: number, env: ReturnType<typeof pair>) => void, opts: { serverTransport?: Record<string, unknown> } = {}, link: LinkOptions = {}) =>
  transferDownload(size, { latencyMs: 5, seed: 21, ...link }, { ...opts, onStep, qlog: true });

describe('migration', () => {
  it('NAT rebinding mid-transfer: the server follows the new port, validates it, the download completes byte-identical', () => {
    let rebound = false;
    const r = download(8 << 20, (got, env) => {
      if (!rebound && got > 2 << 20) {
        rebound = true;
        env.net.clientPath = { address: '10.0.0.1', port: 6000 }; // the NAT picked a new port
      }
    });
    expect(rebound).toBe(true);
    expect(r.done).toBe(true);
    expect(r.ok).toBe(true);
    expect(r.s.remoteAddress).toEqual({ address: '10.0.0.1', port: 6000 });
    // The server validated the new path (RFC 9000 §8.2): the client echoed its challenge.
    expect(named(r.env.qlog.server, 'connectivity:path_validated').map((e) => e.data.peer_address)).toEqual(['10.0.0.1:6000']);
  });

  it('an address change resets congestion state and uses a new connection ID toward the client', () => {
    let rebound = false;
    const dcids = { before: new Set<string>(), after: new Set<string>() };
    let cwndBefore = 0;
    let cwndAfter = Infinity;
    const r = download(
      4 << 20,
      (got, env) => {
        const s = [...env.server.connections][0];
        if (rebound && s) cwndAfter = Math.min(cwndAfter, s.getStats().cwnd);
        if (!rebound && s) env.net.filter ??= (from, d) => (from === 'server' && (d[0]! & 0x80) === 0 ? dcids.before.add(Buffer.from(d.subarray(1, 9)).toString('hex')) : 0, d);
        if (!rebound && got > 1 << 20 && s) {
          rebound = true;
          cwndBefore = s.getStats().cwnd;
          env.net.clientPath = { address: '10.0.0.9', port: 7000 };
          // The Destination Connection ID of the server's short-header packets (8 bytes after the first byte).
          env.net.filter = (from, d) => (from === 'server' && (d[0]! & 0x80) === 0 ? dcids.after.add(Buffer.from(d.subarray(1, 9)).toString('hex')) : 0, d);
        }
      },
      {},
      { mtu: 1500 },
    ); // an Ethernet path: an initial window of 10 datagrams, not 2 of 64 KB
    expect(r.done && r.ok).toBe(true);
    // A new congestion controller: the initial window again, min(10, max(2, 14720 / size)) datagrams (RFC 9002 §7.2).
    const size = r.s.getStats().maxDatagramSize;
    expect(cwndAfter).toBeLessThanOrEqual(Math.min(10 * size, Math.max(2 * size, 14720)));
    expect(cwndBefore).toBeGreaterThan(10 * cwndAfter);
    expect(named(r.env.qlog.server, 'connectivity:path_updated')[0]!.data).toMatchObject({ peer_address: '10.0.0.9:7000', only_port: false });
    expect([...dcids.after].some((d) => !dcids.before.has(d))).toBe(true);
  });

  it('client-initiated migration: a new connection ID and path validation; refused when the server disables it', () => {
    let migrated: boolean | undefined;
    const r = download(2 << 20, (got, env) => {
      if (migrated === undefined && got > 512 << 10) {
        const c = [...env.client.connections][0]!;
        migrated = c.migrate(env.net.now);
        env.net.clientPath = { address: '10.0.0.5', port: 5555 }; // the new local socket
      }
    });
    expect(migrated).toBe(true);
    expect(r.done && r.ok).toBe(true);
    expect(named(r.env.qlog.client, 'connectivity:path_validated')).toHaveLength(1);

    let refused: boolean | undefined;
    const r2 = download(
      1 << 20,
      (got, env) => {
        if (refused === undefined && got > 256 << 10) refused = [...env.client.connections][0]!.migrate(env.net.now);
      },
      { serverTransport: { disableActiveMigration: true } },
    );
    expect(refused).toBe(false);
    expect(r2.done && r2.ok).toBe(true);
  });

  it('a PATH_CHALLENGE flood gets bounded responses', () => {
    const env = established();
    // 1,000 probing packets from as many spoofed ports, before the server sends anything: it owes at most 4 answers.
    for (let i = 0; i < 1000; i++) inject(env, 2, [{ type: 'path_challenge', data: Uint8Array.of(i & 0xff, 1, 2, 3, 4, 5, 6, 7) }], 1200, { address: '10.6.6.6', port: 10_000 + i });
    let responses = 0;
    for (let t = env.server.pollTransmit(env.net.now); t; t = env.server.pollTransmit(env.net.now)) if (t.path.address === '10.6.6.6') responses++;
    expect(responses).toBeGreaterThan(0);
    expect(responses).toBeLessThanOrEqual(4);
  });
});
