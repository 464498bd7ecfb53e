// In-process: one sans-IO server sends BYTES to one client; datagrams move in batches like loopback's
// (everything one side can send, then the other side's turn); wall clock as `now`. CPU per side via process.cpuUsage
// around each side's turn; counts of datagrams and of the client's ACK-only datagrams (1-RTT packets with ACK only: a
// client datagram sent after the request that carries no stream data is ACK-only in this workload).
import { readFileSync } from 'node:fs';
const root = process.argv[2] || new URL('../../../..', import.meta.url).pathname.replace(/\/$/, '');
const { Endpoint } = await import(`${root}/packages/quic-transport/dist/core/index.js`);
const fx = (n) => new Uint8Array(readFileSync(`${root}/packages/quic-transport/test/fixtures/${n}`));
const BYTES = Number(process.argv[3] ?? 10e6);
const transport = { maxDatagramSize: 1452, pmtuDiscovery: false, ...JSON.parse(process.argv[4] ?? '{}') };
const CLIENT = { address: '10.0.0.1', port: 5000 }, SERVER = { address: '10.0.0.2', port: 443 };
const server = new Endpoint({ server: { tls: { certificateChain: [fx('server-cert.der')], privateKey: fx('server-key.der'), alpn: ['bench'] }, transport } });
const client = new Endpoint({ transport });
const now = () => performance.now();
const conn = client.connect(now(), SERVER, { serverName: 'localhost', alpn: ['bench'], verifyPeer: 'none' });
const cpu = { server: 0, client: 0 };
const n = { server: 0, client: 0, clientAfter: 0 };
let toServer = [], toClient = [];
let sc, rid = -1, sent = 0, got = 0, done = false, started = false;
const chunk = new Uint8Array(262144);
const turn = (side, f) => { const a = process.cpuUsage(); f(); const d = process.cpuUsage(a); cpu[side] += d.user + d.system; };
const measuring = () => started;
while (!done) {
  turn('client', () => {
    // A receiver that keeps up (a quiet machine): every datagram is its own event-loop turn, output polled after each.
    const one = (d) => {
      if (d) client.handleDatagram(now(), d, SERVER);
      client.handleTimeout(now());
    for (let e = conn.pollEvent(); e; e = conn.pollEvent()) {
      if (e.type === 'handshake-complete') conn.write(conn.openStream('bidi'), new TextEncoder().encode('GET'), true);
      if (e.type !== 'stream-readable') continue;
      for (let r = conn.read(e.id, 1 << 20, now()); r; r = r.fin ? null : conn.read(e.id, 1 << 20, now())) { got += r.data.length; if (r.fin) done = true; }
    }
      for (let t = client.pollTransmit(now()); t; t = client.pollTransmit(now())) { toServer.push(t.data.slice()); if (started) n.clientAfter++; n.client++; }
    };
    if (toClient.length === 0) one();
    for (const d of toClient) one(d);
    toClient = [];
  });
  turn('server', () => {
    for (const d of toServer) server.handleDatagram(now(), d, CLIENT);
    toServer = [];
    server.handleTimeout(now());
    sc ??= server.connections.values().next().value;
    for (let e = sc?.pollEvent(); sc && e; e = sc.pollEvent()) {
      if (e.type !== 'stream-incoming' && e.type !== 'stream-readable') continue;
      while (sc.read(e.id, 1 << 20, now()));
      if (rid < 0) { rid = e.id; started = true; cpu.server = 0; cpu.client = 0; n.server = 0; n.clientAfter = 0; }
    }
    while (sc && rid >= 0 && sent < BYTES) { const k = sc.write(rid, chunk.subarray(0, Math.min(chunk.length, BYTES - sent))); sent += k; if (sent === BYTES) sc.finish(rid); if (k === 0) break; }
    for (let t = server.pollTransmit(now()); t; t = server.pollTransmit(now())) { toClient.push(t.data.slice()); n.server++; }
  });
  if (toClient.length === 0 && toServer.length === 0 && !done) {
    const next = Math.min(client.pollTimeout() ?? Infinity, server.pollTimeout() ?? Infinity);
    while (now() < next && next !== Infinity) {}
  }
}
const perTenMB = (x) => (x * 10e6) / BYTES;
console.log(JSON.stringify({ transport: process.argv[4] ?? '{}', bytes: got, serverDatagrams: n.server, clientDatagrams: n.clientAfter, clientDatagramsPer10MB: Math.round(perTenMB(n.clientAfter)), serverUsPerDatagram: +(cpu.server / n.server).toFixed(2), clientUsPerDatagramReceived: +(cpu.client / n.server).toFixed(2), serverCpuMs: Math.round(cpu.server / 1000), clientCpuMs: Math.round(cpu.client / 1000) }));
