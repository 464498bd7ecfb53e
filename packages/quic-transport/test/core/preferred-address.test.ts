/** The server's preferred address (RFC 9000 §9.6) over the simulated network. */
import { describe, expect, it } from 'vitest';
import { encodePreferredAddress, ipv6Bytes, ipv6Text, preferredPathFor } from '../../src/core/preferred-address.js';
import { download as transferDownload } from '../sim/transfer.js';
import { named, pair, SERVER_PATH } from '../sim/network.js';

const TLS = { serverName: 'localhost', alpn: ['test'], verifyPeer: 'none' as const };
const PREFERRED = { ipv4: { address: '10.0.0.3', port: 4433 }, ipv6: { address: 'fd00::3', port: 4433 } };

function download(opts: { client?: Record<string, unknown>; unreachable?: string[] } = {}) {
  return transferDownload(
    2 << 20,
    { latencyMs: 5, seed: 9, mtu: 1500 }, // an Ethernet path: the packet counts below assume datagrams of ~1,452 bytes, not 64 KB
    {
      serverTransport: { preferredAddress: PREFERRED },
      qlog: true,
      ...(opts.client ? { transport: opts.client } : {}),
      before: (env) => {
        for (const u of opts.unreachable ?? []) env.net.unreachable.add(u);
      },
    },
  );
}

describe('preferred_address (RFC 9000 §9.6)', () => {
  it('the client moves to the preferred address of its family with connection ID 1 and validates it; the download completes', () => {
    const r = download();
    expect(r.ok).toBe(true);
    expect(r.c.remoteAddress).toEqual({ address: '10.0.0.3', port: 4433 });
    // Validated: the server echoed the client's challenge there.
    expect(named(r.env.qlog.client, 'connectivity:path_validated').map((e) => e.data.peer_address)).toEqual(['10.0.0.3:4433']);
    expect(named(r.env.qlog.client, 'connectivity:path_updated')[0]!.data.preferred_address).toBe(true);
    expect(r.env.net.clientSentTo.get('10.0.0.3:4433')).toBeGreaterThan(100); // the bulk of the client's packets went there
    // The server saw the client arrive at its preferred address, validated that path and answers from there.
    const s = [...r.env.server.connections][0]!;
    expect(s.remoteAddress.local).toBe('10.0.0.3:4433');
    expect(named(r.env.qlog.server, 'connectivity:path_validated')).toHaveLength(1);
    expect(r.env.net.serverSentFrom.get('10.0.0.3:4433')).toBeGreaterThan(100);
  });

  it('a client with usePreferredAddress false stays on the address it connected to', () => {
    const r = download({ client: { usePreferredAddress: false } });
    expect(r.ok).toBe(true);
    expect(r.c.remoteAddress).toEqual(SERVER_PATH);
    expect(r.env.net.clientSentTo.has('10.0.0.3:4433')).toBe(false);
  });

  it('an unreachable preferred address: validation fails and the client falls back to the original address', () => {
    const r = download({ unreachable: ['10.0.0.3:4433'] });
    expect(r.ok).toBe(true);
    expect(r.c.remoteAddress).toEqual(SERVER_PATH);
    expect(r.env.net.clientSentTo.get('10.0.0.3:4433')).toBeGreaterThan(0);
  });

  it('encodes both families and picks the one of the current path; IPv6 text round-trips', () => {
    const pa = encodePreferredAddress(PREFERRED, { cid: Uint8Array.of(1, 2, 3, 4), resetToken: new Uint8Array(16) });
    expect([...pa.ipv4Address]).toEqual([10, 0, 0, 3]);
    expect(preferredPathFor(pa, { address: '10.0.0.2', port: 443 })).toEqual({ address: '10.0.0.3', port: 4433 });
    expect(preferredPathFor(pa, { address: '::1', port: 443 })).toEqual({ address: 'fd00::3', port: 4433 });
    expect(preferredPathFor({ ...pa, ipv6Port: 0 }, { address: '::1', port: 443 })).toBeUndefined();
    for (const a of ['::1', 'fd00::3', '2001:db8:1:2:3:4:5:6', 'fe80::1:0:0:2']) expect(ipv6Text(ipv6Bytes(a))).toBe(a);
  });

  it('path validation gives up only after three initial PTOs (RFC 9000 §8.2.4), however short the RTT', () => {
    const env = pair({ latencyMs: 1 }, { serverTransport: { preferredAddress: PREFERRED }, qlog: true });
    env.net.unreachable.add('10.0.0.3:4433');
    const c = env.client.connect(0, SERVER_PATH, TLS);
    const moved = () => named(env.qlog.client, 'connectivity:path_updated')[0];
    const failed = () => named(env.qlog.client, 'connectivity:path_validation_failed')[0];
    env.net.runUntil(() => failed() !== undefined, 20_000);
    const started = moved()!.time;
    const gaveUpAt = failed()!.time;
    const gaveUpAfter = gaveUpAt - started;
    expect(gaveUpAfter).toBeGreaterThanOrEqual(3 * 3 * 333 - 1);
    expect(gaveUpAfter).toBeLessThan(3 * 3 * 333 + 100);
    expect(c.remoteAddress).toEqual(SERVER_PATH);
    // The challenge was resent about once per PTO meanwhile, not once.
    expect(env.net.clientSentTo.get('10.0.0.3:4433')).toBeGreaterThan(3);
  });
});
