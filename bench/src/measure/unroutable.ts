/**
 * @module measure/unroutable
 * CPU per unroutable datagram (issue 22): what an off-path sender with no
 * keys costs a server. A sans-IO server endpoint (in this process) holds `n`
 * established connections; then it is handed 40-byte short-header datagrams
 * of random bytes, for no connection of its own. Each is parsed, looked up
 * among the connection IDs and among the peers' stateless reset tokens
 * (RFC 9000 §10.3.1), and answered with a stateless reset while the rate
 * limit allows (all at one instant here, so after the first burst they are
 * dropped). The figure is the time per datagram; it must not grow with `n`.
 * The servers are measured in alternating slices (median of each), so a
 * garbage collection or another process on the machine hits both alike.
 */
import { readFileSync } from 'node:fs';
import { Endpoint, type Path, type TransportSettings } from '@tsquic/quic-transport/core';
import type { Certs } from '../proc.js';

export const SERVER: Path = { address: '10.0.0.2', port: 443 };
export const CLIENT: Path = { address: '10.0.0.1', port: 5000 };

/**
 * `n` connections between two in-process endpoints, handshakes run in
 * batches over a perfect link (`transport`: settings for both sides).
 */
export function establishPair(certs: Certs, n: number, transport: Partial<TransportSettings> = {}): { server: Endpoint; client: Endpoint; now: number } {
  const server = new Endpoint({
    server: { tls: { certificateChain: [new Uint8Array(readFileSync(certs.certDer))], privateKey: new Uint8Array(readFileSync(certs.keyDer)), alpn: ['bench'] }, transport },
    maxConnections: n + 10,
    maxHandshakes: n + 10,
    retry: 'never',
  });
  const client = new Endpoint({ maxConnections: n + 10, transport });
  let now = 0;
  for (let done = 0; done < n;) {
    const batch = Math.min(200, n - done);
    const conns = Array.from({ length: batch }, () => client.connect(now, SERVER, { alpn: ['bench'], verifyPeer: 'none' }));
    for (let round = 0; round < 50 && !conns.every((c) => c.state === 'established'); round++) {
      for (let t = client.pollTransmit(now); t; t = client.pollTransmit(now)) server.handleDatagram(now, t.data, CLIENT);
      for (let t = server.pollTransmit(now); t; t = server.pollTransmit(now)) client.handleDatagram(now, t.data, SERVER);
      now += 1;
    }
    if (!conns.every((c) => c.state === 'established')) throw new Error('unroutable bench: handshakes did not complete');
    done += batch;
  }
  if (server.connections.size < n) throw new Error(`unroutable bench: server holds ${server.connections.size} of ${n} connections`);
  // Let the handshakes settle (HANDSHAKE_DONE, NEW_CONNECTION_ID, their ACKs) so the connections are idle.
  for (let round = 0; round < 20; round++) {
    now += 30;
    client.handleTimeout(now);
    server.handleTimeout(now);
    for (let t = client.pollTransmit(now); t; t = client.pollTransmit(now)) server.handleDatagram(now, t.data, CLIENT);
    for (let t = server.pollTransmit(now); t; t = server.pollTransmit(now)) client.handleDatagram(now, t.data, SERVER);
  }
  return { server, client, now };
}

const establish = (certs: Certs, n: number): Endpoint => establishPair(certs, n).server;

const SLICES = 9;

/** Microseconds per unroutable datagram at a server holding each of `connections` established connections. */
export function unroutableMicros(certs: Certs, connections: number[], datagrams: number): number[] {
  const servers = connections.map((n) => establish(certs, n));
  const per = Math.max(1, Math.floor(datagrams / SLICES));
  const junk = Array.from({ length: per }, () => {
    const d = crypto.getRandomValues(new Uint8Array(40));
    d[0] = 0x40 | (d[0]! & 0x3f);
    return d;
  });
  const from = { address: '203.0.113.9', port: 4444 };
  const slices: number[][] = servers.map(() => []);
  // A warm-up slice each (compiled code), then timed slices in turn; the resets queued are emptied outside the timing.
  for (let round = -1; round < SLICES; round++) {
    servers.forEach((server, i) => {
      const t0 = performance.now();
      for (const d of junk) server.handleDatagram(1e6, d, from);
      const t1 = performance.now();
      while (server.pollTransmit(1e6)) {}
      if (round >= 0) slices[i]!.push(((t1 - t0) * 1000) / per);
    });
  }
  return slices.map((xs) => xs.sort((a, b) => a - b)[xs.length >> 1]!);
}
