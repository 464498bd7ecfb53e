/**
 * @module test/sim/handshake-pairs
 * Short connections in the simulator, as the bench's handshake rows make
 * them: a server with tickets and a client that closes as soon as it is
 * ready (its Finished leaves with its close), one after the other.
 */
import { expect } from 'vitest';
import { Endpoint } from '../../src/core/index.js';
import { Network, SERVER_PATH, serverTls } from './network.js';

const TLS = { serverName: 'localhost', alpn: ['test'], verifyPeer: 'none' as const };

/** A server with tickets and a client that closes as soon as it is ready: the returned function runs `n` such connections. */
export function closingPairs(): (n: number) => void {
  const server = new Endpoint({ server: { tls: { ...serverTls(), ticketKey: new Uint8Array(32).fill(9) } } });
  const client = new Endpoint({});
  const net = new Network(client, server, { latencyMs: 1 });
  return (n: number) => {
    for (let i = 0; i < n; i++) {
      const c = client.connect(net.now, SERVER_PATH, TLS);
      expect(net.runUntil(() => c.state === 'established', 5000)).toBe(true);
      c.close(net.now);
      expect(net.runUntil(() => server.connections.size === 0 && client.connections.size === 0, 5000)).toBe(true);
    }
  };
}
