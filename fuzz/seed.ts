/**
 * @module fuzz/seed
 * Regenerates the committed seed corpora (fuzz/corpus/<target>/) from real
 * bytes: RFC 9001 Appendix A packets, and captures of our own stack —
 * every datagram of a simulated QUIC handshake and a stream exchange, each
 * TLS flight of a handshake in both profiles, and certificates and keys of
 * the test fixtures (HTTP/3 and QPACK seeds: seed-http3.ts, seed-qpack.ts).
 * Run: `pnpm exec tsx fuzz/seed.ts` (idempotent).
 */
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as wire from '../packages/quic-wire/src/index.js';
import { SAMPLE_FRAMES } from '../packages/quic-wire/test/samples.js';
import * as tls from '../packages/tls13-handshake/src/index.js';
import * as certs from '../packages/cert-tool/src/index.js';
import { Endpoint } from '../packages/quic-transport/src/core/index.js';
import * as rpc from '../packages/rpc-framing/src/index.js';
import { fixture, SERVER_CERT, SERVER_KEY } from './targets.js';

const dir = (name: string) => fileURLToPath(new URL(`./corpus/${name}/`, import.meta.url));
const out = new Map<string, Uint8Array[]>();
const add = (name: string, ...bytes: Uint8Array[]) => out.set(name, [...(out.get(name) ?? []), ...bytes]);
const cat = (...parts: ArrayLike<number>[]) => Uint8Array.from(parts.flatMap((p) => Array.from(p)));

// RFC 9001 Appendix A: the protected client Initial (A.2), server Initial (A.3), ChaCha20 short header (A.5).
const rfc = readFileSync('/work/shared/specs/rfc9001.txt', 'utf8');
const block = (after: string, until: string) => {
  const s = rfc.indexOf(after, rfc.indexOf('Appendix A.  Sample Packet Protection'));
  return Uint8Array.from(Buffer.from(rfc.slice(s + after.length, rfc.indexOf(until, s)).replace(/[^0-9a-f]/g, ''), 'hex'));
};
const clientInitial = block('The resulting protected packet is:', 'A.3.');
const serverInitial = block('The final protected packet is then:', 'A.4.');
const chachaShort = Uint8Array.from(Buffer.from('4cfe4189655e5cd55c41f69080575d7999c25a5bfb', 'hex'));
// selector byte 0 of the crypto target: provider bit 0, initial/1-RTT bit 1, key index bits 2-3; byte 1: pn offset
add('quic-crypto-keys', cat([0x00, 18], clientInitial), cat([0x01, 18], clientInitial), cat([0x04, 18], serverInitial), cat([0x05, 18], serverInitial), cat([0x0a, 1], chachaShort), cat([0x02, 1], chachaShort));
add('quic-wire-packets', clientInitial, serverInitial, chachaShort);

// Frames: one of each type, and a few realistic payloads.
const frameBytes = (frames: wire.Frame[]) => {
  const w = wire.Writer.alloc(frames.reduce((n, f) => n + wire.frameSize(f), 0));
  for (const f of frames) wire.encodeFrame(w, f);
  return w.buf;
};
for (const f of SAMPLE_FRAMES) add('quic-wire-frames', cat([3], frameBytes([f])));
add(
  'quic-wire-frames',
  cat(
    [0],
    frameBytes([
      { type: 'ack', largest: 0, ackDelay: 0, ranges: [[0, 0]] },
      { type: 'crypto', offset: 0, data: new Uint8Array(40).fill(1) },
      { type: 'padding', length: 20 },
    ]),
  ),
);

// Transport parameters as both our sides send them.
const tpClient = wire.encodeTransportParameters({
  initialMaxData: 1 << 20,
  initialMaxStreamDataBidiLocal: 1 << 18,
  initialMaxStreamsBidi: 100,
  maxIdleTimeout: 30000,
  activeConnectionIdLimit: 4,
  initialSourceConnectionId: Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8),
  maxDatagramFrameSize: 1200,
});
const tpServer = wire.encodeTransportParameters({
  originalDestinationConnectionId: new Uint8Array(8).fill(9),
  statelessResetToken: new Uint8Array(16).fill(3),
  initialMaxData: 1 << 20,
  initialSourceConnectionId: new Uint8Array(8).fill(4),
  preferredAddress: { ipv4Address: Uint8Array.of(127, 0, 0, 1), ipv4Port: 443, ipv6Address: new Uint8Array(16), ipv6Port: 443, connectionId: new Uint8Array(8).fill(5), statelessResetToken: new Uint8Array(16).fill(6) },
  versionInformation: { chosenVersion: 1, availableVersions: [1, 0x6b3343cf] },
});
add('quic-wire-tp', cat([0], tpClient), cat([1], tpServer));

// A whole simulated QUIC handshake plus one stream round trip: every datagram, both directions.
{
  const server = new Endpoint({ server: { tls: { certificateChain: [SERVER_CERT()], privateKey: SERVER_KEY(), alpn: ['fuzz'] } } });
  const client = new Endpoint();
  const c = client.connect(0, { address: '10.0.0.2', port: 443 }, { serverName: 'localhost', alpn: ['fuzz'], verifyPeer: 'none' });
  const captured: Uint8Array[] = [];
  let now = 0;
  let sent = false;
  for (let i = 0; i < 30; i++) {
    for (let t = client.pollTransmit(now); t; t = client.pollTransmit(now)) (captured.push(t.data.slice()), server.handleDatagram(now, t.data, { address: '10.0.0.1', port: 5000 }));
    for (let t = server.pollTransmit(now); t; t = server.pollTransmit(now)) (captured.push(t.data.slice()), client.handleDatagram(now, t.data, { address: '10.0.0.2', port: 443 }));
    if (c.handshakeInfo && !sent) {
      const id = c.openStream('bidi')!;
      c.write(id, new TextEncoder().encode('GET /index.html\r\n'), true);
      sent = true;
    }
    now += 5;
  }
  add('quic-transport-datagrams', ...captured.slice(0, 12));
  add('quic-wire-packets', ...captured.slice(0, 8));
  add('quic-transport-datagrams', wire.encodeVersionNegotiation({ dcid: new Uint8Array(8).fill(1), scid: new Uint8Array(8).fill(2), versions: [1, 0x6b3343cf] }));
  const unknownVersion = new Uint8Array(1200);
  unknownVersion.set([0xc0, 0x1a, 0x2a, 0x3a, 0x4a, 8, 1, 2, 3, 4, 5, 6, 7, 8, 0]);
  add('quic-transport-datagrams', unknownVersion);
}

// TLS: each flight of a full handshake, in the QUIC and plain profiles.
for (const quic of [true, false]) {
  const profile = quic ? ({ kind: 'quic', transportParams: tpClient } as const) : ({ kind: 'tls' } as const);
  const c = tls.createClient({ profile, alpn: ['h3'], verify: 'none', serverName: 'localhost' });
  const s = tls.createServer({ profile, alpn: ['h3'] });
  s.start(0);
  const lvl = (l: tls.Level) => ['initial', 'early', 'handshake', 'application'].indexOf(l) << 2;
  const q = quic ? 0 : 0x40;
  const fromClient = c.start(0);
  for (const e of fromClient) if (e.type === 'handshake-data') add('tls13-server', cat([q | lvl(e.level)], e.bytes));
  let toClient = fromClient.flatMap((e) => (e.type === 'handshake-data' ? s.receive(e.level, e.bytes, 0) : []));
  if (s.state === 'suspended') toClient = [...toClient, ...s.accept({ certificateChain: [SERVER_CERT()], privateKey: SERVER_KEY(), alpn: 'h3' })];
  for (const e of toClient) if (e.type === 'handshake-data') add('tls13-client', cat([q | lvl(e.level)], e.bytes));
  const fin = toClient.flatMap((e) => (e.type === 'handshake-data' ? c.receive(e.level, e.bytes, 0) : []));
  for (const e of fin) if (e.type === 'handshake-data') add('tls13-server', cat([q | 1 | lvl(e.level)], e.bytes));
  const tickets = fin.flatMap((e) => (e.type === 'handshake-data' ? s.receive(e.level, e.bytes, 0) : []));
  for (const e of tickets) if (e.type === 'handshake-data') add('tls13-client', cat([q | 2 | lvl(e.level)], e.bytes));
}

// TLS records off the wire (plain profile through the record layer): the ClientHello record, the server's flight.
{
  const { RecordLayer } = await import('../packages/tls13-handshake/src/record/index.js');
  const c = new RecordLayer(tls.createClient({ profile: { kind: 'tls' }, alpn: ['h2'], verify: 'none', serverName: 'localhost' }), { crypto: tls.defaultCrypto() });
  const s = new RecordLayer(tls.createServer({ profile: { kind: 'tls' }, alpn: ['h2'] }), { crypto: tls.defaultCrypto() });
  s.start(0);
  const hello = c.start(0).send;
  for (const r of hello) add('tls13-records', cat([0], r));
  let flight = s.receive(cat(...hello), 0);
  if (flight.events.some((e) => e.type === 'client-hello')) flight = s.accept({ certificateChain: [SERVER_CERT()], privateKey: SERVER_KEY(), alpn: 'h2' } as never);
  add('tls13-records', cat([1], ...flight.send), cat([1 | (5 << 1)], ...flight.send));
}

// cert-tool: certificates and keys of every algorithm the fixtures hold (DER, and PEM text).
{
  const pki = 'packages/tls13-handshake/test/fixtures/pki/';
  const certFiles = ['leaf-by-ed.der', 'leaf-by-p384.der', 'leaf-by-rsa-pss.der', 'inter.der'];
  const keyFiles = ['leaf-by-ed.key.der', 'leaf-by-p384.key.der', 'inter.key.der'];
  for (const f of certFiles) add('cert-tool-der', cat([1], fixture(pki + f)));
  add('cert-tool-der', cat([1], SERVER_CERT()), cat([0], SERVER_KEY()));
  for (const f of keyFiles) add('cert-tool-der', cat([0], fixture(pki + f)));
  add('cert-tool-pem', new TextEncoder().encode(certs.certificatesToPem([SERVER_CERT(), fixture(pki + 'inter.der')])), new TextEncoder().encode(certs.privateKeyToPem(SERVER_KEY())));
}

// rpc-framing: a request, a response and push frames, as RpcClient and RpcServer write them.
add(
  'rpc-framing',
  cat([0], rpc.encodeRequestFrame({ methodId: 3, requestId: 7n, metadata: { authorization: 'Bearer x' }, payload: Uint8Array.of(10, 5, 104, 101, 108, 108, 111), timeoutMs: 5000 })),
  cat([1 | (4 << 2)], rpc.encodeResponseFrame({ status: 0, payload: Uint8Array.of(10, 2, 104, 105), metadata: { 'x-trace': 'abc' } }), rpc.encodeResponseFrame({ status: 5, message: 'not found' })),
  cat([2], rpc.encodePushFrame({ eventType: 'chat.message', payload: new Uint8Array(20).fill(0x41), requestId: 9n }), rpc.encodePushFrame({ eventType: 'tick', requestId: 9n })),
);

for (const [name, files] of out) {
  rmSync(dir(name), { recursive: true, force: true });
  mkdirSync(dir(name), { recursive: true });
  files.forEach((b, i) => writeFileSync(`${dir(name)}${String(i).padStart(3, '0')}.bin`, b));
  console.log(`${name.padEnd(28)} ${files.length} files, ${files.reduce((n, b) => n + b.length, 0)} bytes`);
}
