/**
 * @module test/sim/forge
 * A hostile peer's pen: seal arbitrary frames (or raw payload bytes) into an
 * Initial, Handshake, 0-RTT or 1-RTT packet with a live connection's own
 * write keys (to any of the victim's connection IDs), as a peer that ignores
 * the rules would send them — through the same packet builder as every
 * packet the stack sends. The packet number is taken from the connection so
 * the victim does not drop the packet as a duplicate. This is the one place
 * tests reach into a connection's keys: the attacker holds them.
 */
import { encodeFrame, Writer, type EncodeOptions, type Frame } from '@tsquic/quic-wire';
import type { Connection } from '../../src/core/index.js';
import { PacketBuilder, type PacketKind, type SealingKeys } from '../../src/core/packet-builder.js';

type Space = 0 | 1 | 2 | '0rtt';

/** One packet of `space`, sealed by `c`, whose payload `write` fills. */
function seal(c: Connection, space: Space, write: (w: Writer) => void, opts: { padTo?: number; dcid?: Uint8Array; room?: number }): Uint8Array {
  const id = space === '0rtt' ? 2 : space;
  const wk = space === '0rtt' ? undefined : c.crypto.writeKeys(id);
  const keys: SealingKeys | undefined = space === '0rtt' ? c.crypto.zeroRtt : wk?.keys;
  const kind: PacketKind = space === '0rtt' ? '0rtt' : space === 0 ? 'initial' : space === 1 ? 'handshake' : '1rtt';
  if (!keys || (space === 2 && wk?.kind !== '1rtt')) throw new Error(`no ${kind} write keys to forge with`);
  const pn = c.spaces[id].nextPn++;
  const buf = new Uint8Array(Math.max(opts.padTo ?? 0, 1500) + (opts.room ?? 0));
  const b = PacketBuilder.start(buf, 0, buf.length, { kind, version: c.version, dcid: opts.dcid ?? c.remoteCids.current.cid, scid: c.hs.initialScid, pn, largestAcked: -1, pnLength: 4, keyPhase: wk?.keyPhase }, keys)!;
  write(b.w);
  const { end } = b.finish(opts.padTo ?? 0);
  // The sender's loss recovery must know the number was used, or the victim's ACK of it looks forged.
  c.recovery.onPacketSent(id, { pn, timeSent: 0, size: end, ackEliciting: false, inFlight: false, data: { frames: [], gen: 0, zeroRtt: false } });
  return buf.slice(0, end);
}

/** One datagram carrying one packet of `space` (0 Initial, 1 Handshake, 2 1-RTT, '0rtt') with `frames`, sealed by `c` (to `opts.dcid`, default its current DCID). */
export function forge(c: Connection, space: Space, frames: Frame[], opts: { padTo?: number; encode?: EncodeOptions; dcid?: Uint8Array } = {}): Uint8Array {
  const room = 64 * frames.length + frames.reduce((n, f) => n + ('data' in f && f.data ? f.data.length : 0), 0);
  return seal(c, space, (w) => frames.forEach((f) => encodeFrame(w, f, opts.encode)), { ...opts, room });
}

/** A 1-RTT packet whose payload is `payload` verbatim (sealed with `c`'s keys, not checked). */
export function forgeRaw(c: Connection, payload: Uint8Array): Uint8Array {
  return seal(c, 2, (w) => w.bytes(payload), { room: payload.length });
}
