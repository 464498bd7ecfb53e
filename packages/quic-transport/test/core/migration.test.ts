/** Connection migration and NAT rebinding (RFC 9000 §9) over the simulated network. */
import { describe, expect, it } from 'vitest';
import { download as transferDownload } from '../sim/transfer.js';
import { pair, SERVER_PATH } from '../sim/network.js';
import { onPathChallenge } from '../../src/core/path.js';

const TLS = { serverName: 'localhost', alpn: ['test'], verifyPeer: 'none' as const };

const download = (size: number, onStep: (got: number, env: ReturnType<typeof pair>) => void, opts: { serverTransport?: Record<string, unknown> } = {}) =>
  transferDownload(size, { latencyMs: 5, seed: 21 }, { ...opts, onStep });

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
    expect(r.s.path).toEqual({ address: '10.0.0.1', port: 6000 });
    expect(r.s.pathChallenge).toBeUndefined(); // validated
    expect(r.s.peerAddressValidated).toBe(true);
  });

  it('an address change resets congestion state and uses a new connection ID toward the client', () => {
    let rebound = false;
    let cidBefore = '';
    const r = download(4 << 20, (got, env) => {
      const s = [...env.server.connections][0];
      if (!rebound && got > 1 << 20 && s) {
        rebound = true;
        cidBefore = Buffer.from(s.remoteCids.current.cid).toString('hex');
        env.net.clientPath = { address: '10.0.0.9', port: 7000 };
      }
    });
    expect(r.done && r.ok).toBe(true);
    expect(Buffer.from(r.s.remoteCids.current.cid).toString('hex')).not.toBe(cidBefore);
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
    expect(r.c.pathChallenge).toBeUndefined();

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
    const env = pair();
    const c = env.client.connect(0, SERVER_PATH, TLS);
    env.net.runUntil(() => c.handshakeInfo !== undefined, 5000);
    const s = [...env.server.connections][0]!;
    for (let i = 0; i < 1000; i++) onPathChallenge(s, Uint8Array.of(i & 0xff, 1, 2, 3, 4, 5, 6, 7), { address: '10.6.6.6', port: i });
    expect(s.pathResponses.length).toBeLessThanOrEqual(4);
  });
});
