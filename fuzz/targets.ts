/**
 * @module fuzz/targets
 * Every decoder and state-machine entry point a peer's bytes reach, as fuzz
 * targets: what to run, which source files count as coverage, the seed
 * corpus (fuzz/corpus/<target>/, captured from our own stack by
 * fuzz/seed.ts, plus RFC vectors), and which exceptions are the correct,
 * typed rejection of bad input. Anything else is a crash.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as wire from '../packages/quic-wire/src/index.js';
import * as keys from '../packages/quic-crypto-keys/src/index.js';
import { makeNodeProvider } from '../packages/quic-crypto-keys/src/provider/make-node.js';
import * as tls from '../packages/tls13-handshake/src/index.js';
import { RecordLayer } from '../packages/tls13-handshake/src/record/index.js';
import * as certs from '../packages/cert-tool/src/index.js';
import { Endpoint, TransportErrorCode } from '../packages/quic-transport/src/core/index.js';
import * as nodeCrypto from 'node:crypto';
import * as rpc from '../packages/rpc-framing/src/index.js';
import type { Target } from './engine.js';
import { qpackTargets } from './targets-qpack.js';
import { http3Targets } from './targets-http3.js';
import { TLS_TARGETS } from './targets-tls.js';
import { QUIC_TARGETS } from './targets-quic.js';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));
export const fixture = (p: string) => new Uint8Array(readFileSync(here(`../${p}`)));
export const SERVER_CERT = () => fixture('packages/quic-transport/test/fixtures/server-cert.der');
export const SERVER_KEY = () => fixture('packages/quic-transport/test/fixtures/server-key.der');

/** The committed seed files of a target. */
export function corpus(name: string): Uint8Array[] {
  const dir = here(`./corpus/${name}`);
  let files: string[];
  try {
    files = readdirSync(dir).sort();
  } catch {
    return [];
  }
  return files.map((f) => new Uint8Array(readFileSync(`${dir}/${f}`)));
}

const hex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

/** A bug signal from inside a target (an outcome that should be impossible). */
class Violation extends Error {
  override name = 'Violation';
}

// ---------------------------------------------------------------- quic-wire

const wireTypes: wire.PacketSpaceType[] = ['initial', 'handshake', '0rtt', '1rtt'];

const quicWireFrames: Target = {
  name: 'quic-wire/frames',
  cover: ['/packages/quic-wire/src/'],
  seeds: () => corpus('quic-wire-frames'),
  // byte 0 picks the packet type whose §12.4 permissions apply; the rest is a packet payload
  run(d) {
    if (d.length === 0) return;
    const frames = wire.decodeFrames(d.subarray(1), wireTypes[d[0]! & 3]!);
    // every decoded frame must re-encode (the decoder produced a value the encoder accepts)
    const w = wire.Writer.alloc(frames.reduce((n, f) => n + wire.frameSize(f), 0));
    for (const f of frames) wire.encodeFrame(w, f);
  },
  expected: (e) => wire.QuicWireError.isInstance(e),
};

const quicWirePackets: Target = {
  name: 'quic-wire/packets',
  cover: ['/packages/quic-wire/src/'],
  seeds: () => corpus('quic-wire-packets'),
  run(d) {
    wire.coalescedPackets(d, 8);
    if (d.length > 0) wire.parsePacketHeader(d, 0, d[0]! & 0x1f);
    wire.statelessResetTokenOf(d);
  },
  expected: (e) => wire.QuicWireError.isInstance(e),
};

const quicWireTp: Target = {
  name: 'quic-wire/transport-parameters',
  cover: ['/packages/quic-wire/src/'],
  seeds: () => corpus('quic-wire-tp'),
  run(d) {
    const tp = wire.decodeTransportParameters(d.subarray(1), d[0]! & 1 ? 'server' : 'client');
    wire.encodeTransportParameters(tp);
  },
  expected: (e) => wire.QuicWireError.isInstance(e),
};

// ---------------------------------------------------------- quic-crypto-keys

const DCID = hex('8394c8f03e515708'); // RFC 9001 Appendix A
const providers = [keys.nobleProvider, makeNodeProvider(nodeCrypto as never)];
const initial = providers.map((p) => [keys.QuicVersion.V1, keys.QuicVersion.V2].flatMap((v) => [keys.initialKeys(p, v, DCID, 'server').read, keys.initialKeys(p, v, DCID, 'client').read]));
const oneRtt = providers.map((p) =>
  [keys.CipherSuite.TLS_AES_128_GCM_SHA256, keys.CipherSuite.TLS_AES_256_GCM_SHA384, keys.CipherSuite.TLS_CHACHA20_POLY1305_SHA256].map((s) =>
    keys.keysFromSecret(p, keys.QuicVersion.V1, s, new Uint8Array(s === keys.CipherSuite.TLS_AES_256_GCM_SHA384 ? 48 : 32).fill(7)),
  ),
);

const cryptoKeys: Target = {
  name: 'quic-crypto-keys/open',
  cover: ['/packages/quic-crypto-keys/src/'],
  seeds: () => corpus('quic-crypto-keys'),
  // byte 0: provider, version/suite, where the packet number starts; then a protected packet
  run(d) {
    if (d.length < 2) return;
    const sel = d[0]!;
    const packet = d.slice(2);
    const p = sel & 1;
    const k = sel & 2 ? oneRtt[p]![(sel >> 2) % 3]! : initial[p]![(sel >> 2) & 3]!;
    const pnOffset = d[1]!;
    const h = k.header.unprotect(packet, pnOffset);
    if (h) {
      const end = pnOffset + h.pnLength;
      if (end > packet.length) throw new Violation(`unprotect returned a packet number past the end (${end} > ${packet.length})`);
      k.packet.open(h.truncatedPn, packet.subarray(0, end), packet.subarray(end));
    }
    k.packet.open(sel, packet.subarray(0, Math.min(pnOffset, packet.length)), packet.subarray(Math.min(pnOffset, packet.length)));
    keys.verifyRetryIntegrity(sel & 1 ? keys.QuicVersion.V2 : keys.QuicVersion.V1, DCID, packet, providers[p]!);
  },
  expected: () => false,
};

// ---------------------------------------------------------- tls13-handshake

const LEVELS: tls.Level[] = ['initial', 'early', 'handshake', 'application'];
const tp = wire.encodeTransportParameters({ initialSourceConnectionId: new Uint8Array(8), initialMaxData: 1 << 20 });

function tlsPair(quic: boolean) {
  const profile = quic ? ({ kind: 'quic', transportParams: tp } as const) : ({ kind: 'tls' } as const);
  const c = tls.createClient({ profile, alpn: ['h3'], verify: 'none', serverName: 'localhost' });
  const s = tls.createServer({ profile, alpn: ['h3'] });
  return { c, s };
}

/** A handshake driven `steps` flights in, returning the side under test. */
function tlsAt(side: 'client' | 'server', steps: number, quic: boolean): tls.Handshake {
  const { c, s } = tlsPair(quic);
  s.start(0);
  let toServer = c.start(0);
  for (let i = 0; i < steps; i++) {
    let out = toServer.flatMap((e) => (e.type === 'handshake-data' && s.state === 'running' ? s.receive(e.level, e.bytes, 0) : []));
    if (s.state === 'suspended') out = [...out, ...s.accept({ certificateChain: [SERVER_CERT()], privateKey: SERVER_KEY(), alpn: 'h3' })];
    if (side === 'client' && i === steps - 1) return c;
    toServer = out.flatMap((e) => (e.type === 'handshake-data' && c.state !== 'failed' ? c.receive(e.level, e.bytes, 0) : []));
  }
  return side === 'client' ? c : s;
}

function tlsTarget(side: 'client' | 'server'): Target {
  return {
    name: `tls13-handshake/${side}`,
    cover: ['/packages/tls13-handshake/src/'],
    seeds: () => corpus(`tls13-${side}`),
    // byte 0: flights already exchanged (0-2), level, profile; then handshake bytes in one or two pieces
    run(d) {
      if (d.length < 2) return;
      const sel = d[0]!;
      const h = tlsAt(side, Math.min(2, sel & 3), (sel & 0x40) === 0);
      if (h.state === 'failed' || h.state === 'idle') return;
      const level = LEVELS[(sel >> 2) & 3]!;
      const body = d.subarray(1);
      const cut = sel & 0x80 ? Math.floor(body.length / 2) : body.length;
      const events = [...h.receive(level, body.subarray(0, cut), 0), ...(cut < body.length && (h.state as string) !== 'failed' ? h.receive(level, body.subarray(cut), 0) : [])];
      const alert = events.find((e) => e.type === 'alert');
      // internal_error (80) means an exception other than a TLS alert reached the guard: a bug
      if (alert && alert.type === 'alert' && alert.description === 80) throw new Violation(`internal_error alert: ${JSON.stringify(alert)}`);
      if (alert && (h.state as string) !== 'failed') throw new Violation('alert without the failed state');
    },
    expected: () => false,
    maxLength: 2048,
  };
}

/** A record layer over a fresh plain-TLS handshake: the server before the ClientHello, or the client after sending it. */
function recordLayer(side: 'client' | 'server') {
  const hs = side === 'client' ? tls.createClient({ profile: { kind: 'tls' }, alpn: ['h2'], verify: 'none', serverName: 'localhost' }) : tls.createServer({ profile: { kind: 'tls' }, alpn: ['h2'] });
  const layer = new RecordLayer(hs, { crypto: tls.defaultCrypto() });
  layer.start(0);
  return layer;
}

const tlsRecords: Target = {
  name: 'tls13-handshake/records',
  cover: ['/packages/tls13-handshake/src/'],
  seeds: () => corpus('tls13-records'),
  // byte 0: side (bit 0), where to split the input into two reads (bits 1-7); then TLS records off the wire
  run(d) {
    if (d.length === 0) return;
    const layer = recordLayer(d[0]! & 1 ? 'client' : 'server');
    const body = d.subarray(1);
    const cut = Math.min(body.length, (d[0]! >> 1) * 8);
    for (const part of [body.subarray(0, cut), body.subarray(cut)]) {
      const events = [...layer.receive(part, 0).events];
      if (events.some((e) => e.type === 'client-hello')) events.push(...layer.accept({ certificateChain: [SERVER_CERT()], privateKey: SERVER_KEY(), alpn: 'h2' } as never).events);
      for (const e of events) if (e.type === 'alert' && e.sent && e.description === 80) throw new Violation('record layer sent internal_error');
    }
  },
  expected: () => false,
  maxLength: 4096,
};

// ---------------------------------------------------------- cert-tool

const certDer: Target = {
  name: 'cert-tool/der',
  cover: ['/packages/cert-tool/src/'],
  seeds: () => corpus('cert-tool-der'),
  run(d) {
    const kind = d[0] ?? 0;
    const body = d.subarray(1);
    if (kind & 1) {
      certs.inspectCertificate(body);
      certs.publicKeyOf(body);
    } else certs.readPrivateKey(body);
  },
  expected: (e) => certs.CertToolError.isInstance(e),
};

const certPem: Target = {
  name: 'cert-tool/pem',
  cover: ['/packages/cert-tool/src/'],
  seeds: () => corpus('cert-tool-pem'),
  run(d) {
    const text = new TextDecoder().decode(d);
    certs.decodePemAll(text);
    certs.readCertificates(text);
  },
  expected: (e) => certs.CertToolError.isInstance(e),
};

// HTTP/3 and QPACK: targets-http3.ts and targets-qpack.ts (the package's modules).

// ---------------------------------------------------------- rpc-framing

const rpcFrames: Target = {
  name: 'rpc-framing/frames',
  cover: ['/packages/rpc-framing/src/', '@bufbuild/protobuf'],
  seeds: () => corpus('rpc-framing'),
  // byte 0: which message the stream carries (request, response, push) and where the bytes split
  // into two chunks; then the stream: varint-length-prefixed protobuf frames
  run(d) {
    if (d.length === 0) return;
    const kind = d[0]! % 3;
    const body = d.subarray(1);
    const cut = Math.min(body.length, d[0]! >> 2);
    const dec = new rpc.FrameDecoder(64 * 1024);
    dec.push(body.subarray(0, cut));
    dec.push(body.subarray(cut));
    for (let f = dec.next(); f; f = dec.next()) {
      if (kind === 0) rpc.encodeRequestFrame(rpc.decodeRequestFrame(f));
      else if (kind === 1) rpc.encodeResponseFrame(rpc.decodeResponseFrame(f));
      else rpc.encodePushFrame(rpc.decodePushFrame(f));
    }
    if (dec.buffered > body.length) throw new Violation('decoder holds more than it was given');
  },
  expected: (e) => rpc.FrameError.isInstance(e) || e instanceof rpc.MalformedFrameError,
};

// ---------------------------------------------------------- quic-transport

let ep: Endpoint | undefined;
let epUses = 0;

const transportEndpoint: Target = {
  name: 'quic-transport/endpoint',
  cover: ['/packages/quic-transport/src/core/'],
  seeds: () => corpus('quic-transport-datagrams'),
  // whole datagrams from anywhere to a server endpoint: routing, Initial acceptance, Version Negotiation, resets, Retry
  run(d) {
    if (!ep || ++epUses > 2000) {
      ep = new Endpoint({ server: { tls: { certificateChain: [SERVER_CERT()], privateKey: SERVER_KEY(), alpn: ['fuzz'] } }, maxConnections: 50, retry: { handshakes: 20 } });
      epUses = 0;
    }
    ep.handleDatagram(epUses, d, { address: '192.0.2.1', port: 1000 + (d[d.length - 1] ?? 0) });
    for (let t = ep.pollTransmit(epUses); t; t = ep.pollTransmit(epUses));
    if (epUses % 64 === 0) ep.handleTimeout(epUses * 1000);
    for (const c of ep.connections)
      for (let e = c.pollEvent(); e; e = c.pollEvent()) if (e.type === 'closed' && !e.info.remote && !e.info.application && e.info.code === BigInt(TransportErrorCode.INTERNAL_ERROR)) throw new Violation(`INTERNAL_ERROR: ${e.info.reason}`);
  },
  expected: () => false,
  maxLength: 1500,
};

export const TARGETS: Target[] = [
  quicWirePackets,
  quicWireFrames,
  quicWireTp,
  cryptoKeys,
  tlsTarget('client'),
  tlsTarget('server'),
  tlsRecords,
  certDer,
  certPem,
  rpcFrames,
  ...QUIC_TARGETS,
  transportEndpoint,
  ...qpackTargets(corpus),
  ...http3Targets(corpus),
  ...TLS_TARGETS,
];
