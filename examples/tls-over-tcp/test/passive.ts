/**
 * @module test/passive
 * Replays one direction of a captured TLS 1.3 connection between two real
 * peers through our RecordLayer: a passive HandshakePort follows the
 * handshake messages and emits `keys` events with the secrets the peers
 * wrote to their NSS key log, exactly where a real Handshake would (after
 * ServerHello / the last ClientHello, after Finished, on each KeyUpdate).
 */
import { createHmac } from 'node:crypto';
import { RecordLayer, RecordProtection, RecordSuites, recordTrafficKeys, type AeadAlg, type CipherSuite, type HandshakeCrypto, type HandshakeEventLike, type HandshakePort, type Level } from '@tsquic/tls13-handshake/record';
import { nodeAeadCrypto } from './node-aead.js';

/** NSS key log lines → label → secret (for one client random). */
export function parseKeylog(text: string): Map<string, Uint8Array> {
  const m = new Map<string, Uint8Array>();
  for (const line of text.split('\n')) {
    const [label, , secret] = line.trim().split(' ');
    if (label && secret) m.set(label, new Uint8Array(Buffer.from(secret, 'hex')));
  }
  return m;
}

const HASH = { 0x1301: 'sha256', 0x1302: 'sha384', 0x1303: 'sha256' } as const;

/** RFC 8446 §7.2: application_traffic_secret_N+1 = HKDF-Expand-Label(secret_N, "traffic upd", "", Hash.length). */
export function nextSecret(suite: CipherSuite, secret: Uint8Array): Uint8Array {
  const label = Buffer.from('tls13 traffic upd');
  const info = Buffer.concat([Buffer.from([0, secret.length, label.length]), label, Buffer.from([0, 1])]);
  return new Uint8Array(createHmac(HASH[suite], secret).update(info).digest());
}

export interface Observed {
  /** Handshake message types seen, in order, with the level they arrived at. */
  messages: Array<{ type: number; level: Level }>;
  appData: Uint8Array;
  events: string[];
  /** Protected records re-sealed by our RecordProtection from their plaintext: identical / total. */
  resealed: { identical: number; total: number };
}

class PassivePort implements HandshakePort {
  readonly side: 'client' | 'server';
  state: HandshakePort['state'] = 'running';
  readonly messages: Array<{ type: number; level: Level }> = [];
  private buf = new Uint8Array(0);
  private secret: Uint8Array | undefined;
  private clientHellosLeft: number;

  constructor(
    private readonly sender: 'client' | 'server',
    private readonly suite: CipherSuite,
    private readonly keys: Map<string, Uint8Array>,
    retries: number,
    private readonly ivs: Map<string, Uint8Array>,
  ) {
    this.side = sender === 'server' ? 'client' : 'server';
    this.clientHellosLeft = retries + 1;
  }

  start(): HandshakeEventLike[] {
    return [];
  }
  accept(): HandshakeEventLike[] {
    return [];
  }
  resume(): HandshakeEventLike[] {
    return [];
  }
  keyUpdate(): HandshakeEventLike[] {
    return [];
  }
  exportKeyingMaterial(): Uint8Array {
    return new Uint8Array(0);
  }

  private key(level: 'handshake' | 'application', secret: Uint8Array): HandshakeEventLike {
    this.secret = secret;
    const { key, iv } = recordTrafficKeys(nodeAeadCrypto, this.suite, secret);
    this.ivs.set(Buffer.from(key).toString('hex'), iv);
    return { type: 'keys', level, direction: 'read', cipherSuite: this.suite, secret };
  }

  private need(label: string): Uint8Array {
    const s = this.keys.get(label);
    if (!s) throw new Error(`key log has no ${label}`);
    return s;
  }

  receive(level: Level, bytes: Uint8Array): HandshakeEventLike[] {
    const all = new Uint8Array(this.buf.length + bytes.length);
    all.set(this.buf);
    all.set(bytes, this.buf.length);
    const out: HandshakeEventLike[] = [];
    let off = 0;
    const who = this.sender === 'server' ? 'SERVER' : 'CLIENT';
    while (all.length - off >= 4) {
      const len = (all[off + 1]! << 16) | (all[off + 2]! << 8) | all[off + 3]!;
      if (all.length - off < 4 + len) break;
      const type = all[off]!;
      const body = all.subarray(off + 4, off + 4 + len);
      off += 4 + len;
      this.messages.push({ type, level });
      const hrr = type === 2 && Buffer.from(body.subarray(2, 34)).toString('hex') === 'cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c';
      if ((type === 2 && !hrr) || (type === 1 && --this.clientHellosLeft === 0)) {
        out.push(this.key('handshake', this.need(`${who}_HANDSHAKE_TRAFFIC_SECRET`)));
      } else if (type === 20) {
        out.push(this.key('application', this.need(`${who}_TRAFFIC_SECRET_0`)));
        out.push({ type: 'complete', cipherSuite: this.suite, resumed: false, peerCertificates: [] });
      } else if (type === 24) {
        out.push(this.key('application', nextSecret(this.suite, this.secret!)));
      }
    }
    this.buf = all.slice(off);
    return out;
  }
}

/** Run one captured direction through a RecordLayer with key-log secrets. */
export function replay(sender: 'client' | 'server', stream: Uint8Array, suite: CipherSuite, keys: Map<string, Uint8Array>, retries = 0): Observed {
  const ivs = new Map<string, Uint8Array>();
  const port = new PassivePort(sender, suite, keys, retries, ivs);
  // Note every record the layer opens, to re-seal it afterwards with our own RecordProtection.
  const opened: Array<{ key: string; inner: Uint8Array; record: Uint8Array }> = [];
  const crypto: HandshakeCrypto = {
    ...nodeAeadCrypto,
    aead: (alg: AeadAlg, key: Uint8Array) => {
      const a = nodeAeadCrypto.aead(alg, key);
      return {
        seal: a.seal,
        open: (nonce, aad, sealed) => {
          const inner = a.open(nonce, aad, sealed);
          if (inner) opened.push({ key: Buffer.from(key).toString('hex'), inner, record: Buffer.concat([aad, sealed]) });
          return inner;
        },
      };
    },
  };
  const layer = new RecordLayer(port, { crypto });
  const chunks: Uint8Array[] = [];
  const events: string[] = [];
  // Feed in odd-sized pieces to exercise reassembly.
  for (let i = 0; i < stream.length; i += 777) {
    const o = layer.receive(stream.subarray(i, i + 777), 0);
    chunks.push(...o.appData);
    events.push(...o.events.map((e) => (e.type === 'alert' ? `alert:${(e as { description: number }).description}` : e.type)));
  }
  return { messages: port.messages, appData: Buffer.concat(chunks), events, resealed: reseal(opened, ivs, suite) };
}

function reseal(opened: Array<{ key: string; inner: Uint8Array; record: Uint8Array }>, ivs: Map<string, Uint8Array>, suite: CipherSuite) {
  const writers = new Map<string, RecordProtection>();
  let identical = 0;
  for (const o of opened) {
    let w = writers.get(o.key);
    if (!w) {
      w = new RecordProtection(nodeAeadCrypto.aead(RecordSuites[suite].aead, Buffer.from(o.key, 'hex')), ivs.get(o.key)!, suite);
      writers.set(o.key, w);
    }
    let end = o.inner.length - 1;
    while (end > 0 && o.inner[end] === 0) end--;
    const padding = o.inner.length - 1 - end;
    const again = w.seal(o.inner[end]!, o.inner.subarray(0, end), padding);
    if (Buffer.from(again).equals(Buffer.from(o.record))) identical++;
  }
  return { identical, total: opened.length };
}
