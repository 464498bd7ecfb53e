/**
 * @module test/sim/acks
 * Counting a receiver's ACKs (RFC 9000 §13.2, draft-ietf-quic-ack-frequency):
 * which qlog packet records are ACK-only 1-RTT packets, and forged client
 * packets handed to the server with what the server sends at once.
 */
import type { Frame } from '@tsquic/quic-wire';
import { forge } from './forge.js';
import type { Env } from './hostile.js';
import type { QlogRecord } from './network.js';

export const frameTypes = (r: QlogRecord): string[] => (r.data.frames as Array<{ frame_type: string }>).map((f) => f.frame_type);
export const oneRtt = (r: QlogRecord): boolean => (r.data.header as { packet_type: string }).packet_type === '1RTT';
export const isAckOnly = (r: QlogRecord): boolean => oneRtt(r) && frameTypes(r).every((t) => t === 'ack' || t === 'padding');

/** Deliver one forged 1-RTT client packet (PING unless `frames`), `skip` packet numbers after the last; returns how many datagrams the server sends at once. */
export function toServer(p: Env, frames: Frame[] = [{ type: 'ping' }], skip = 0): number {
  p.c.spaces[2].nextPn += skip;
  p.server.handleDatagram(p.net.now, forge(p.c, 2, frames), p.net.clientPath);
  let n = 0;
  while (p.server.pollTransmit(p.net.now)) n++;
  return n;
}
