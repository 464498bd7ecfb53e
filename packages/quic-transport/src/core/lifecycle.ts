/**
 * @module core/lifecycle
 * Where a connection is in its life (RFC 9000 §10), as a tagged union: in
 * its handshake, established, closing (we sent CONNECTION_CLOSE and answer
 * further packets with it at a falling rate, §10.2.1), draining (the peer
 * closed: we send nothing, §10.2.2), closed. Only the closing state carries
 * the close frame, so nothing can send one from any other state. The
 * closing and draining periods end on the connection's `close` timer.
 */
import { QuicWireError } from '@tsquic/quic-wire';
import type { Connection } from './connection.js';
import { TransportError, TransportErrorCode as E } from './errors.js';
import type { CloseInfo } from './types.js';

/** What our CONNECTION_CLOSE says (RFC 9000 §19.19). */
export interface CloseFrame {
  code: bigint;
  reason: string;
  /** Type 0x1d (application) rather than 0x1c. */
  application: boolean;
  /** The frame type that caused a transport error (0: unknown). */
  frameType: number;
}

export type Lifecycle =
  { readonly state: 'handshake' } | { readonly state: 'established' } | { readonly state: 'closing'; readonly frame: CloseFrame; sendPending: boolean; received: number } | { readonly state: 'draining' } | { readonly state: 'closed' };

/** The connection still exchanges packets with its peer (not closing, draining or closed). */
export function isOpen(l: Lifecycle): l is { state: 'handshake' } | { state: 'established' } {
  return l.state === 'handshake' || l.state === 'established';
}

/** A transport error for anything thrown while processing input (quic-wire's decode errors keep their code and frame type). */
export function asTransportError(e: unknown): TransportError {
  if (TransportError.isInstance(e)) return e;
  if (QuicWireError.isInstance(e)) return new TransportError(e.code, e.message, e.frameType);
  return new TransportError(E.INTERNAL_ERROR, e instanceof Error ? e.message : String(e));
}

/**
 * RFC 9000 §10.2.1: in the closing state a packet from the peer is answered
 * with CONNECTION_CLOSE at a progressively lower rate — on the 1st, 2nd, 4th,
 * 8th… packet received (and within 3x of an unvalidated address).
 */
export function onPacketWhileClosing(l: Extract<Lifecycle, { state: 'closing' }>): void {
  l.received++;
  if ((l.received & (l.received - 1)) === 0) l.sendPending = true;
}

/** We close (RFC 9000 §10.2.1): CONNECTION_CLOSE goes out, then the closing state for three PTOs. */
export function enterClosing(c: Connection, now: number, frame: CloseFrame, info: CloseInfo): void {
  c.lifecycle = { state: 'closing', frame, sendPending: true, received: 0 };
  closePeriod(c, now);
  c.emit({ type: 'closed', info });
  if (c.hooks.qlog) c.qlog(now, 'connectivity:connection_closed', { owner: 'local', error_code: Number(info.code), reason: info.reason });
}

/** The peer closed: drain for three PTOs, sending nothing (RFC 9000 §10.2.2). */
export function onPeerClose(c: Connection, now: number, code: bigint, reason: string, application: boolean): void {
  const was = c.lifecycle.state;
  if (was === 'draining' || was === 'closed') return;
  c.lifecycle = { state: 'draining' };
  closePeriod(c, now);
  if (was !== 'closing') c.emit({ type: 'closed', info: { code, reason, application, remote: true, kind: 'close' } });
  if (c.hooks.qlog) c.qlog(now, 'connectivity:connection_closed', { owner: 'remote', error_code: Number(code), reason });
}

/** RFC 9000 §10.2: closing and draining last three PTOs; no other timer runs meanwhile. */
function closePeriod(c: Connection, now: number): void {
  c.timers.clear();
  c.timers.set('close', now + 3 * c.recovery.ptoDuration());
}

/** A silent end: idle timeout (§10.1), stateless reset (§10.3), version negotiation (§6.2). */
export function terminate(c: Connection, info: CloseInfo): void {
  if (c.lifecycle.state === 'closed') return;
  const open = isOpen(c.lifecycle);
  end(c);
  if (open) c.emit({ type: 'closed', info });
}

/** The connection is gone: nothing more is sent or timed. */
export function end(c: Connection): void {
  c.lifecycle = { state: 'closed' };
  c.timers.clear();
}
