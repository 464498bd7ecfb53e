/**
 * @module test/record/layer-pair
 * A real client and server (createClient / createServer, plain profile),
 * each behind a RecordLayer, joined by an in-memory byte pipe that a test
 * can edit record by record: the record-level counterpart of
 * test/core/pair.ts. `forge` seals a record as one side would under its
 * newest application write key (with `sequence` the records already sent
 * under that key), for edits a real peer would have to encrypt.
 */
import { createClient, createServer, StrikeRegister, type ClientConfig, type HandshakeEvent, type ServerChoice, type ServerConfig, type SessionTicket } from '../../src/index.js';
import { RecordLayer, RecordSuites, recordHeader, recordNonce, recordTrafficKeys, type RecordLayerEvent, type RecordLayerOutput } from '../../src/record/index.js';
import { serverChain, serverKey } from '../core/pair.js';
import { testProvider as crypto } from '../core/test-crypto.js';

export type Side = 'client' | 'server';

export interface Peer {
  readonly layer: RecordLayer<HandshakeEvent, ServerChoice>;
  readonly events: RecordLayerEvent<HandshakeEvent>[];
  readonly appData: Uint8Array[];
  /** Every record this side put on the wire, in order (after edits). */
  readonly sent: Uint8Array[];
  /** Application write secrets in the order they were installed. */
  readonly appWriteSecrets: Uint8Array[];
  suite: 0x1301 | 0x1302 | 0x1303 | undefined;
}

/** Edit one record on its way: return the records to deliver instead (none drops it). */
export type RecordEdit = (from: Side, record: Uint8Array, index: number) => Uint8Array[];

export interface LayerPair {
  client: Peer;
  server: Peer;
  /** Deliver queued bytes both ways until nothing moves. */
  pump(nowMs?: number): void;
  /** Queue raw bytes from `from` to the other side (delivered by the next pump). */
  inject(from: Side, bytes: Uint8Array): void;
  /** Queue a layer's output from `from`. */
  queue(from: Side, out: RecordLayerOutput<HandshakeEvent>): void;
  /** A record sealed as `from` would under its newest application write key, as the `sequence`-th record under it. */
  forge(from: Side, contentType: number, content: Uint8Array, sequence?: number): Uint8Array;
  /** The same with any TLSInnerPlaintext (content ‖ type ‖ padding), however malformed. */
  forgeInner(from: Side, inner: Uint8Array, sequence?: number): Uint8Array;
  /** The alert a side ended with, if any. */
  alertOf(side: Side): { description: number; sent: boolean } | undefined;
}

export function layerPair(ccfg: Partial<ClientConfig> = {}, scfg: Partial<ServerConfig> = {}, opts: { edit?: RecordEdit; choose?: Partial<ServerChoice>; nowMs?: number } = {}): LayerPair {
  const peer = (layer: RecordLayer<HandshakeEvent, ServerChoice>): Peer => ({ layer, events: [], appData: [], sent: [], appWriteSecrets: [], suite: undefined });
  const watch = <H extends { keyUpdate(r: boolean): HandshakeEvent[]; receive(...a: never[]): HandshakeEvent[]; start(n: number): HandshakeEvent[]; accept(c: ServerChoice): HandshakeEvent[]; resume(v: never): HandshakeEvent[] }>(
    hs: H,
    p: () => Peer,
  ): H => {
    const note = (evs: HandshakeEvent[]) => {
      for (const e of evs) {
        if (e.type !== 'keys' || e.direction !== 'write' || e.level !== 'application') continue;
        p().appWriteSecrets.push(e.secret);
        p().suite = e.cipherSuite;
      }
      return evs;
    };
    for (const m of ['keyUpdate', 'receive', 'start', 'accept', 'resume'] as const) {
      const f = (hs[m] as (...a: unknown[]) => HandshakeEvent[]).bind(hs);
      (hs as Record<string, unknown>)[m] = (...a: unknown[]) => note(f(...a));
    }
    return hs;
  };
  let client!: Peer;
  let server!: Peer;
  const chs = watch(createClient({ profile: { kind: 'tls' }, alpn: ['h2'], crypto, verify: 'none', serverName: 'server.test', ...ccfg } as ClientConfig), () => client);
  const shs = watch(createServer({ profile: { kind: 'tls' }, alpn: ['h2'], crypto, certificateChain: serverChain(), privateKey: serverKey(), ...scfg } as ServerConfig), () => server);
  client = peer(new RecordLayer<HandshakeEvent, ServerChoice>(chs, { crypto }));
  server = peer(new RecordLayer<HandshakeEvent, ServerChoice>(shs, { crypto }));
  const wire: Record<Side, Uint8Array[]> = { client: [], server: [] }; // bytes travelling from that side
  const counts: Record<Side, number> = { client: 0, server: 0 };
  const other = (s: Side): Side => (s === 'client' ? 'server' : 'client');
  const queue = (from: Side, out: RecordLayerOutput<HandshakeEvent>) => {
    const p = from === 'client' ? client : server;
    for (const r of out.send) {
      const edited = opts.edit ? opts.edit(from, r, counts[from]++) : [r];
      p.sent.push(...edited);
      wire[from].push(...edited);
    }
    p.events.push(...out.events);
    p.appData.push(...out.appData);
    const s = from === 'client' ? client : server;
    if (from === 'server' && out.events.some((e) => e.type === 'client-hello')) queue('server', s.layer.accept(opts.choose ?? {}));
    if (out.events.some((e) => e.type === 'verify-peer')) queue(from, s.layer.resume({ ok: true }));
  };
  const pair: LayerPair = {
    client,
    server,
    pump(nowMs = opts.nowMs ?? 0) {
      for (let guard = 0; guard < 1000 && (wire.client.length > 0 || wire.server.length > 0); guard++) {
        for (const from of ['client', 'server'] as const) {
          const bytes = wire[from].splice(0);
          const to = other(from);
          const p = to === 'client' ? client : server;
          for (const b of bytes) if (p.layer.state !== 'failed') queue(to, p.layer.receive(b, nowMs));
        }
      }
    },
    inject(from, bytes) {
      wire[from].push(bytes);
    },
    queue,
    forge(from, contentType, content, sequence = 0) {
      return pair.forgeInner(from, Uint8Array.from([...content, contentType]), sequence);
    },
    forgeInner(from, inner, sequence = 0) {
      const p = from === 'client' ? client : server;
      const secret = p.appWriteSecrets[p.appWriteSecrets.length - 1];
      if (!secret || !p.suite) throw new Error(`${from} has no application write key yet`);
      const { key, iv } = recordTrafficKeys(crypto, p.suite, secret);
      const header = recordHeader(23, inner.length + 16);
      return Uint8Array.from([...header, ...crypto.aead(RecordSuites[p.suite].aead, key).seal(recordNonce(iv, sequence), header, inner)]);
    },
    alertOf(side) {
      const e = (side === 'client' ? client : server).events.find((x) => x.type === 'alert');
      return e && e.type === 'alert' ? { description: e.description, sent: e.sent } : undefined;
    },
  };
  queue('client', client.layer.start(opts.nowMs ?? 0));
  server.layer.start(opts.nowMs ?? 0);
  return pair;
}

const ticketKey = new Uint8Array(32).fill(9);

/** A session ticket from a first connection to a server that allows `maxEarlyData` bytes of 0-RTT. */
export function earlyDataTicket(maxEarlyData: number): SessionTicket {
  const p = layerPair({}, { ticketKey, maxEarlyData });
  p.pump();
  const t = p.client.events.find((e) => e.type === 'session-ticket');
  if (!t || t.type !== 'session-ticket') throw new Error('no ticket');
  return t.ticket;
}

/** A client resuming with 0-RTT; `early` is written under the early keys before anything is delivered. */
export function resume0Rtt(t: SessionTicket, early: Uint8Array[], server: { groups?: ('x25519' | 'secp256r1')[]; maxEarlyData?: number } = {}): LayerPair {
  const p = layerPair(
    { resume: t, enableEarlyData: true, groups: ['x25519', 'secp256r1'] },
    { ticketKey, maxEarlyData: server.maxEarlyData ?? t.maxEarlyData, antiReplay: new StrikeRegister(), ...(server.groups && { groups: server.groups }) },
  );
  for (const d of early) p.queue('client', p.client.layer.write(d));
  p.pump();
  return p;
}
