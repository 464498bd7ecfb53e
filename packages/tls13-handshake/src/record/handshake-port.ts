/**
 * @module record/handshake-port
 * The part of the sans-IO Handshake (the package README, "API") that the
 * record layer drives, as structural types:
 * bytes in per level, events out. Any Handshake with this shape (the
 * package's createClient/createServer in the plain 'tls' profile) fits.
 */

import type { CipherSuite } from '../key-schedule.js';
import type { Direction, Level } from '../events.js';

export type { CipherSuite, Direction, Level };

/** The events the record layer acts on; every other event is passed through to its user. */
export type PortEvent =
  | { type: 'handshake-data'; level: Level; bytes: Uint8Array }
  | { type: 'keys'; level: Exclude<Level, 'initial'>; direction: Direction; cipherSuite: CipherSuite; secret: Uint8Array }
  | { type: 'early-data'; status: 'accepted' | 'rejected'; /** Server, accepted: the ticket's max_early_data_size. */ maxEarlyData?: number }
  | {
      type: 'complete';
      alpn?: string;
      cipherSuite: CipherSuite;
      resumed: boolean;
      peerCertificates: Uint8Array[];
      earlyData?: 'accepted' | 'rejected' | 'not-offered';
    }
  | { type: 'alert'; description: number; sent: boolean; /** Why we sent it (ours only). */ reason?: string };

/** Any other event of the Handshake (client-hello, verify-peer, session-ticket, …). */
export interface OtherEvent {
  type: string;
  [k: string]: unknown;
}

/** Any event a Handshake returns: the ones the record layer consumes and the rest. */
export type HandshakeEventLike = PortEvent | OtherEvent;

/** The part of a Handshake the record layer drives (structural, so `createClient`/`createServer` results fit). */
export interface HandshakePort<E extends { type: string } = HandshakeEventLike, C = unknown> {
  readonly side: 'client' | 'server';
  readonly state: 'idle' | 'running' | 'suspended' | 'complete' | 'failed';
  /** The peer asked for a KeyUpdate not sent yet (RFC 8446 §4.6.3): sent before the next application data. */
  readonly keyUpdateRequested?: boolean;
  /** See `Handshake.start`. */
  start(nowMs: number): E[];
  /** See `Handshake.receive`. */
  receive(level: Level, bytes: Uint8Array, nowMs: number): E[];
  /** See `Handshake.accept`. */
  accept(choice: C): E[];
  /** See `Handshake.resume`. */
  resume(verdict: { ok: true } | { ok: false; alert: number }): E[];
  /** See `Handshake.exportKeyingMaterial`. */
  exportKeyingMaterial(label: string, context: Uint8Array, length: number): Uint8Array;
  /** See `Handshake.keyUpdate`. */
  keyUpdate(requestPeer: boolean): E[];
}
