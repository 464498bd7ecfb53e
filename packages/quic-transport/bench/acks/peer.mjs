// Two-process ours → ours over loopback UDP, 1,452-byte datagrams: `server` prints its port, answers one GET of N bytes
// and prints its CPU µs and packets sent from the request to the connection's close; `client PORT N` downloads and prints
// its CPU µs, packets sent (≈ ACK-only) and received, and Mbit/s, from the request to the last byte.
import { readFileSync } from 'node:fs';
const root = process.env.ROOT || new URL('../../../..', import.meta.url).pathname.replace(/\/$/, '');
const { QuicEndpoint } = await import(`${root}/packages/quic-transport/dist/index.js`);
const fx = (n) => new Uint8Array(readFileSync(`${root}/packages/quic-transport/test/fixtures/${n}`));
const transport = { maxDatagramSize: 1452, pmtuDiscovery: false, ...JSON.parse(process.env.T ?? '{}') };
const BIND = { address: '127.0.0.1', port: 0, recvBufferSize: 4 << 20, sendBufferSize: 4 << 20, transport };
const CHUNK = new Uint8Array(256 * 1024);
const [role, port, bytes] = process.argv.slice(2);
if (role === 'server') {
  const ep = await QuicEndpoint.bind(BIND);
  ep.listen({ tls: { certificateChain: [fx('server-cert.der')], privateKey: fx('server-key.der'), alpn: ['bench'] }, transport, onConnection: async (c) => {
    for await (const s of c.incomingBidirectionalStreams) {
      let want = 0;
      for await (const p of s.readable) want = Number(new TextDecoder().decode(p));
      const cpu0 = process.cpuUsage(); const sent0 = c.stats.packetsSent;
      const w = s.writable.getWriter();
      for (let sent = 0; sent < want; sent += CHUNK.length) await w.write(sent + CHUNK.length <= want ? CHUNK : CHUNK.subarray(0, want - sent));
      await w.close();
      await c.closed.catch(() => {});
      const d = process.cpuUsage(cpu0);
      console.log(JSON.stringify({ serverCpuUs: d.user + d.system, serverPacketsSent: c.stats.packetsSent - sent0 }));
      await ep.close({ timeoutMs: 50 }); process.exit(0);
    }
  } });
  console.log(ep.address.port);
} else {
  const ep = await QuicEndpoint.bind(BIND);
  const c = ep.connect({ address: '127.0.0.1', port: Number(port) }, { alpn: ['bench'], verifyPeer: 'none', transport });
  await c.ready;
  const s = await c.createBidirectionalStream();
  const cpu0 = process.cpuUsage(); const t0 = performance.now(); const sent0 = c.stats.packetsSent; const recv0 = c.stats.packetsReceived;
  const w = s.writable.getWriter(); await w.write(new TextEncoder().encode(String(bytes))); await w.close();
  let n = 0;
  for await (const p of s.readable) n += p.length;
  const t = (performance.now() - t0) / 1000; const d = process.cpuUsage(cpu0);
  const st = c.stats;
  console.log(JSON.stringify({ bytes: n, mbps: +((n * 8) / t / 1e6).toFixed(1), clientCpuUs: d.user + d.system, clientPacketsSent: st.packetsSent - sent0, clientPacketsReceived: st.packetsReceived - recv0, lost: st.packetsLost }));
  await c.close(); await ep.close({ timeoutMs: 50 }); process.exit(0);
}
