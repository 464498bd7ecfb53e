/**
 * @module test/core/pair
 * An in-process client↔server pair: delivers each side's handshake-data to the
 * other at its level, answers client-hello with accept(), and records events.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { createClient, createServer, type ClientConfig, type Handshake, type HandshakeEvent, type ServerChoice, type ServerConfig } from '../../src/index.js';

export const fixture = (name: string): Uint8Array => new Uint8Array(readFileSync(fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url))));

export const serverChain = () => [fixture('core-server-cert.der')];
export const serverKey = () => fixture('core-server-key.der');

export interface PairResult {
  client: Handshake;
  server: Handshake;
  clientEvents: HandshakeEvent[];
  serverEvents: HandshakeEvent[];
}

export function runPair(
  ccfg: ClientConfig,
  scfg: ServerConfig,
  opts: {
    choose?: (e: Extract<HandshakeEvent, { type: 'client-hello' }>) => Partial<ServerChoice>;
    tamper?: (from: 'client' | 'server', e: Extract<HandshakeEvent, { type: 'handshake-data' }>) => Uint8Array;
    onVerify?: () => { ok: true } | { ok: false; alert: number };
    nowMs?: number;
  } = {},
): PairResult {
  const client = createClient(ccfg);
  const server = createServer(scfg);
  const clientEvents: HandshakeEvent[] = [];
  const serverEvents: HandshakeEvent[] = [];
  server.start(opts.nowMs ?? 0);
  const queue: { to: 'client' | 'server'; events: HandshakeEvent[] }[] = [{ to: 'server', events: client.start(opts.nowMs ?? 0) }];
  clientEvents.push(...queue[0]!.events);
  for (let guard = 0; queue.length > 0 && guard < 100; guard++) {
    const { to, events } = queue.shift()!;
    const target = to === 'server' ? server : client;
    const log = to === 'server' ? serverEvents : clientEvents;
    for (const e of events) {
      if (e.type !== 'handshake-data') continue;
      if (target.state === 'failed') break;
      const bytes = opts.tamper ? opts.tamper(to === 'server' ? 'client' : 'server', e) : e.bytes;
      let out = target.receive(e.level, bytes, opts.nowMs ?? 0);
      log.push(...out);
      const ch = out.find((x) => x.type === 'client-hello');
      if (ch && ch.type === 'client-hello' && target.state === 'suspended') {
        out = [...out, ...target.accept({ certificateChain: serverChain(), privateKey: serverKey(), ...opts.choose?.(ch) })];
        log.push(...out.slice(out.length - (out.length - 0)).filter((x) => !log.includes(x)));
      }
      if (out.some((x) => x.type === 'verify-peer') && target.state === 'suspended') {
        const more = target.resume(opts.onVerify?.() ?? { ok: true });
        log.push(...more);
        out = [...out, ...more];
      }
      queue.push({ to: to === 'server' ? 'client' : 'server', events: out });
    }
  }
  return { client, server, clientEvents, serverEvents };
}

export const ofType = <T extends HandshakeEvent['type']>(evs: HandshakeEvent[], t: T) => evs.filter((e): e is Extract<HandshakeEvent, { type: T }> => e.type === t);
