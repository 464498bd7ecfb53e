/**
 * @module ticket
 * Server-side session tickets (RFC 8446 §4.6.1): the resumption state a
 * ticket carries, sealed by the configured ticketer (default: AES-256-GCM
 * under a key from the config, random nonce — no global state), and the
 * client's obfuscated ticket age (§4.2.11.1).
 */
import { equalBytes, Reader, utf8Once, Writer } from './codec.js';
import type { HandshakeCrypto } from './crypto/provider.js';
import { isCipherSuite, type CipherSuite } from './key-schedule.js';

/** Seals resumption state into tickets and opens them (RFC 8446 §4.6.1); `aeadTicketer` is the stock one. */
export interface Ticketer {
  /** A ticket carrying `state`, opaque to the client. */
  seal(state: Uint8Array, nowMs: number): Uint8Array;
  /** The state in `ticket`, or null when it is not ours, tampered with or expired. */
  open(ticket: Uint8Array, nowMs: number): Uint8Array | null;
}

export interface TicketState {
  suite: CipherSuite;
  psk: Uint8Array;
  ageAdd: number;
  issuedAtMs: number;
  lifetimeS: number;
  alpn: string;
  maxEarlyData: number;
}

/** Ticketers already made, per key array and provider: a server makes one per connection from the same config. */
const ticketers = new WeakMap<Uint8Array, { crypto: HandshakeCrypto; bytes: Uint8Array; ticketer: Ticketer }>();

/** The default ticketer: AES-256-GCM(key) with a 12-byte random nonce prepended (prepared once per key). */
export function aeadTicketer(crypto: HandshakeCrypto, key: Uint8Array): Ticketer {
  const known = ticketers.get(key);
  if (known?.crypto === crypto && equalBytes(known.bytes, key)) return known.ticketer;
  const ticketer = makeTicketer(crypto, key);
  ticketers.set(key, { crypto, bytes: key.slice(), ticketer });
  return ticketer;
}

function makeTicketer(crypto: HandshakeCrypto, key: Uint8Array): Ticketer {
  if (key.length !== 32) throw new TypeError('ticketKey must be 32 bytes');
  const aead = crypto.aead('aes-256-gcm', key);
  const aad = new TextEncoder().encode('tsquic ticket v1');
  return {
    seal(state) {
      const nonce = crypto.randomBytes(12);
      const sealed = aead.seal(nonce, aad, state);
      const out = new Uint8Array(12 + sealed.length);
      out.set(nonce);
      out.set(sealed, 12);
      return out;
    },
    open(ticket) {
      if (ticket.length < 12 + 16) return null;
      return aead.open(ticket.subarray(0, 12), aad, ticket.subarray(12));
    },
  };
}

export function encodeTicketState(s: TicketState): Uint8Array {
  return new Writer()
    .u16(s.suite)
    .vecBytes(1, s.psk)
    .u32(s.ageAdd)
    .u32(Math.floor(s.issuedAtMs / 0x100000000))
    .u32(s.issuedAtMs >>> 0)
    .u32(s.lifetimeS)
    .vecBytes(1, utf8Once(s.alpn))
    .u32(s.maxEarlyData)
    .finish();
}

/** Null for anything that is not a state we wrote (a ticket is peer data). */
export function decodeTicketState(b: Uint8Array): TicketState | null {
  try {
    const r = new Reader(b);
    const suite = r.u16();
    const psk = r.vec(1, 32);
    const ageAdd = r.u32();
    const issuedAtMs = r.u32() * 0x100000000 + r.u32();
    const lifetimeS = r.u32();
    const alpn = new TextDecoder().decode(r.vec(1));
    const maxEarlyData = r.u32();
    r.end();
    return isCipherSuite(suite) ? { suite, psk, ageAdd, issuedAtMs, lifetimeS, alpn, maxEarlyData } : null;
  } catch {
    return null;
  }
}

/** RFC 8446 §4.2.11.1: obfuscated_ticket_age = (age in ms + ticket_age_add) mod 2^32. */
export function obfuscateAge(ageMs: number, ageAdd: number): number {
  return (Math.max(0, Math.floor(ageMs)) + ageAdd) >>> 0;
}
