/**
 * @module test/sim/forge
 * A hostile peer's pen: seal arbitrary frames into an Initial, Handshake,
 * 0-RTT or 1-RTT packet with a live connection's own write keys (to any of
 * the victim's connection IDs), as a peer that
 * ignores the rules would send them. The packet number is taken from the
 * connection so the victim does not drop the packet as a duplicate.
 */
import type { DirectionalKeys, KeyPhase } from '@tsquic/quic-crypto-keys';
import { encodeFrame, patchLength, writeLongHeader, writeShortHeader, Writer, type Frame, type EncodeOptions } from '@tsquic/quic-wire';
import type { Connection } from '../../src/core/index.js';

const TAG = 16;

/** One datagram carrying one packet of `space` (0 Initial, 1 Handshake, 2 1-RTT, '0rtt') with `frames`, sealed by `c` (to `opts.dcid`, default its current DCID). */
export function forge(c: Connection, space: 0 | 1 | 2 | '0rtt', frames: Frame[], opts: { padTo?: number; encode?: EncodeOptions; dcid?: Uint8Array } = {}): Uint8Array {
  const early = space === '0rtt';
  const id = early ? 2 : space;
  const sp = c.spaces[id];
  const pn = sp.nextPn++;
  const buf = new Uint8Array(Math.max(opts.padTo ?? 0, 1500) + 64 * frames.length + frames.reduce((n, f) => n + ('data' in f && f.data ? f.data.length : 0), 0));
  const w = new Writer(buf, 0, buf.length - TAG);
  const pnLength = 4;
  let pnOffset: number;
  let info: ReturnType<typeof writeLongHeader> | undefined;
  const dcid = opts.dcid ?? c.remoteCids.current.cid;
  if (id < 2 || early) {
    info = writeLongHeader(w, { type: early ? '0rtt' : space === 0 ? 'initial' : 'handshake', version: c.version, dcid, scid: c.initialScid, pnLength, truncatedPn: pn >>> 0 });
    pnOffset = info.pnOffset;
  } else {
    const k = c.oneRtt!;
    pnOffset = writeShortHeader(w, { dcid, pnLength, truncatedPn: pn >>> 0, keyPhase: k.keyPhaseBit === 1 });
  }
  const payloadStart = w.pos;
  for (const f of frames) encodeFrame(w, f, opts.encode);
  if (opts.padTo && w.pos + TAG < opts.padTo) w.zeros(opts.padTo - TAG - w.pos);
  if (w.pos - payloadStart < 4) w.zeros(4 - (w.pos - payloadStart));
  const payloadEnd = w.pos;
  if (info) patchLength(buf, info, payloadEnd - pnOffset + TAG);
  if (id === 2 && !early) {
    const k = c.oneRtt!;
    k.writeKey.sealInPlace(pn, buf, 0, payloadStart, payloadEnd);
    k.writeHeader.protect(buf.subarray(0, payloadEnd + TAG), pnOffset);
  } else {
    const k = (early ? c.zeroRtt : sp.write) as DirectionalKeys;
    k.packet.sealInPlace(pn, buf, 0, payloadStart, payloadEnd);
    k.header.protect(buf.subarray(0, payloadEnd + TAG), pnOffset);
  }
  // The sender's loss recovery must know the number was used, or the victim's ACK of it looks forged.
  c.recovery.onPacketSent(id, { pn, timeSent: 0, size: payloadEnd + TAG, ackEliciting: false, inFlight: false, data: { frames: [], gen: 0, zeroRtt: false } });
  return buf.slice(0, payloadEnd + TAG);
}

export type { KeyPhase };
