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
import { TransportError, TransportErrorCode as E } from './errors.js';

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
  | { readonly state: 'handshake' }
  | { readonly state: 'established' }
  | { readonly state: 'closing'; readonly frame: CloseFrame; sendPending: boolean; received: number }
  | { readonly state: 'draining' }
  | { readonly state: 'closed' };

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
