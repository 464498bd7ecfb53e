/**
 * @module core/handshake
 * The TLS handshake inside a QUIC connection (RFC 9001 §4): the TLS client
 * or server made from the connection's settings, and what each handshake
 * event does to the connection — CRYPTO data to send at a level (§4.1.3),
 * keys to install (§4.1.4), the server's choice of ALPN and certificate
 * (§8.1), a compatible version switch (RFC 9368 §4), 0-RTT accepted or
 * rejected (§4.6), session tickets carrying the server's transport
 * parameters (RFC 9000 §7.4.1), completion and confirmation (§4.1.1,
 * §4.1.2), alerts as CRYPTO_ERROR (§4.8). One handler per event type.
 */
import { encodeTransportParameters, toHex, type TransportParameters } from '@tsquic/quic-wire';
import { aeadTicketer, cipherSuiteName, createClient, createServer, defaultCrypto, type Handshake, type HandshakeEvent, type PeerVerifier, type Ticketer } from '@tsquic/tls13-handshake';
import type { ClientTlsSettings, ConnectionHooks, ServerTlsSettings } from './config.js';
import { TransportError, TransportErrorCode as E } from './errors.js';
import type { SpaceId } from './recovery/loss-detection.js';
import { resend } from './retransmission.js';
import { acceptsEarlyData, applyPeerParameters, earlyDataLimits, negotiateVersion, rememberable } from './transport-parameters.js';
import type { Connection } from './connection.js';
import type { HandshakeInfo, Path } from './types.js';

const SPACE_OF: Record<string, SpaceId> = { initial: 0, handshake: 1, application: 2 };
/** 1-RTT packets a server keeps while its handshake completes (RFC 9001 §5.7: a client's first flight of 1-RTT data). */
const MAX_HELD = 4;

/** The handshake's state beside the TLS object: parameters, confirmation, and the IDs §7.3 authenticates. */
export class HandshakeState {
  readonly tls: Handshake;
  info: HandshakeInfo | undefined;
  /** RFC 9001 §4.1.2: confirmed (server: at completion; client: HANDSHAKE_DONE or an acknowledged 1-RTT packet). */
  confirmed = false;
  peerParams: TransportParameters | undefined;
  /** Server: the ClientHello's transport parameters as version negotiation decoded them, until they are applied. */
  peerParamsDecoded: { bytes: Uint8Array; tp: TransportParameters } | undefined;
  /** Set from the first Initial of the peer (client: the server's SCID, §7.2). */
  peerInitialScid: Uint8Array | undefined;
  /** A packet from the peer authenticated (a client takes no Retry or Version Negotiation after it). */
  receivedFirstPacket: boolean;
  /** Client: the SCID of the Retry we followed (checked against retry_source_connection_id). */
  retrySourceCid: Uint8Array | undefined;
  /** Client: the token for Initial packets (Retry or NEW_TOKEN). */
  token: Uint8Array | undefined;
  /** Server: the transport limits remembered in the ticket the client resumes with (RFC 9000 §7.4.1). */
  ticketLimits: Uint8Array | undefined;
  /** Server: the application protocol chosen from the ClientHello (RFC 9001 §8.1), before the handshake completes. */
  alpn: string | undefined;
  /** Server: 1-RTT packets that arrived before the handshake completed, to open once it has (RFC 9001 §5.7); bounded. */
  held: Array<{ packet: Uint8Array; path: Path }> = [];

  /** Keep a copy of an early 1-RTT packet (at most MAX_HELD, each at most one datagram). */
  holdEarly(packet: Uint8Array, path: Path): void {
    if (this.held.length < MAX_HELD) this.held.push({ packet: new Uint8Array(packet), path });
  }

  constructor(
    side: 'client' | 'server',
    readonly tlsSettings: ClientTlsSettings | ServerTlsSettings,
    /** Our transport parameters (RFC 9000 §18.2); a server's change with a version switch. */
    public localParams: TransportParameters,
    readonly originalDcid: Uint8Array,
    readonly initialScid: Uint8Array,
    hooks: ConnectionHooks,
    random: (n: number) => Uint8Array,
  ) {
    this.receivedFirstPacket = side === 'server';
    const profile = { kind: 'quic' as const, transportParams: encodeTransportParameters(localParams) };
    const common = { profile, alpn: tlsSettings.alpn, cipherSuites: tlsSettings.cipherSuites, groups: tlsSettings.groups, crypto: tlsSettings.crypto, keylog: hooks.keylog, random };
    if (side === 'client') {
      const t = tlsSettings as ClientTlsSettings;
      this.tls = createClient({ ...common, serverName: t.serverName, resume: t.sessionTicket, enableEarlyData: t.earlyData === true, ...clientVerification(t) });
    } else {
      const t = tlsSettings as ServerTlsSettings;
      const ticketer = t.ticketKey ? this.limitsTicketer(aeadTicketer(t.crypto ?? defaultCrypto(), t.ticketKey)) : undefined;
      this.tls = createServer({ ...common, ...(ticketer ? { ticketer } : {}), ...(t.earlyData && ticketer ? { maxEarlyData: 0xffffffff, antiReplay: t.antiReplay } : {}) });
    }
  }

  /**
   * RFC 9000 §7.4.1: a server must not accept 0-RTT with limits below those
   * the client remembers. Its tickets carry the limits it advertised (sealed
   * with the ticket state: length, then the limits, then the TLS state), and
   * opening one tells the connection what the client remembers.
   */
  private limitsTicketer(inner: Ticketer): Ticketer {
    return {
      seal: (state, nowMs) => {
        const limits = earlyDataLimits(this.localParams);
        const framed = new Uint8Array(2 + limits.length + state.length);
        framed[0] = limits.length >> 8;
        framed[1] = limits.length & 0xff;
        framed.set(limits, 2);
        framed.set(state, 2 + limits.length);
        return inner.seal(framed, nowMs);
      },
      open: (ticket, nowMs) => {
        const framed = inner.open(ticket, nowMs);
        if (!framed || framed.length < 2) return null;
        const n = (framed[0]! << 8) | framed[1]!;
        if (framed.length < 2 + n) return null;
        this.ticketLimits = framed.slice(2, 2 + n);
        return framed.subarray(2 + n);
      },
    };
  }
}

type Handler<T extends HandshakeEvent['type']> = (c: Connection, e: Extract<HandshakeEvent, { type: T }>, now: number) => void;

/** What each TLS event does (RFC 9001 §4). */
const ON_EVENT: { [T in HandshakeEvent['type']]: Handler<T> } = {
  'handshake-data': (c, e) => c.spaces[SPACE_OF[e.level]!]!.cryptoSend.write(e.bytes),
  keys: (c, e, now) => {
    c.crypto.install(e.level, e.direction, e.cipherSuite, e.secret);
    if (e.level === 'handshake' && e.direction === 'read') c.recovery.hasHandshakeKeys = true;
    if (c.hooks.qlog) c.qlog(now, 'security:key_updated', { key_type: `${e.direction === 'read' ? (c.side === 'client' ? 'server' : 'client') : c.side}_${e.level}_secret`, trigger: 'tls' });
  },
  'client-hello': (c, e, now) => {
    const t = c.hs.tlsSettings as ServerTlsSettings;
    const alpn = t.alpn.find((p) => e.alpn.includes(p));
    const upgraded = negotiateVersion(c, e.transportParams, e.earlyDataOffered, now);
    // RFC 9000 §7.4.1: no 0-RTT when the limits the client remembers exceed ours now.
    const earlyData = !e.earlyDataOffered || acceptsEarlyData(c.hs.ticketLimits, c.hs.localParams);
    const cert = t.certificateFor?.({ serverName: e.serverName, alpn: alpn ?? '' }) ?? { certificateChain: t.certificateChain, privateKey: t.privateKey };
    if (alpn !== undefined) {
      c.hs.alpn = alpn;
      c.emit({ type: 'alpn', alpn, serverName: e.serverName });
    }
    // RFC 9001 §8.1: no common ALPN → no_application_protocol (120).
    const choice = { ...cert, alpn: alpn ?? '', ...(earlyData ? {} : { earlyData: false }), ...(upgraded ? { transportParams: encodeTransportParameters(c.hs.localParams) } : {}) };
    onTls(c, c.hs.tls.accept(choice), now);
  },
  'peer-transport-params': (c, e, now) => applyPeerParameters(c, e.bytes, now),
  'verify-peer': (c, e, now) => {
    const f = (c.hs.tlsSettings as ClientTlsSettings).verifyPeer;
    const ok = typeof f === 'function' ? safeVerify(f, e.chain, (c.hs.tlsSettings as ClientTlsSettings).serverName) : true;
    onTls(c, c.hs.tls.resume(ok ? { ok: true } : { ok: false, alert: 42 }), now);
  },
  complete: (c, e, now) => {
    c.hs.info = { alpn: e.alpn, cipherSuite: e.cipherSuite, cipherSuiteName: cipherSuiteName(e.cipherSuite), resumed: e.resumed, peerCertificates: e.peerCertificates, earlyData: e.earlyData, version: c.crypto.version };
    if (c.lifecycle.state === 'handshake') c.lifecycle = { state: 'established' };
    c.emit({ type: 'handshake-complete', info: c.hs.info });
    if (c.side === 'server') {
      // RFC 9001 §4.1.2: the server's handshake is confirmed at completion; it tells the client with HANDSHAKE_DONE.
      c.pending.handshakeDone = true;
      // RFC 9000 §8.1.3: a token for the client's next connection (sealed when it goes out).
      if (c.newTokenFactory) c.pending.newToken = true;
      c.confirmHandshake(now);
    }
    c.localCids.replenish(true);
  },
  // Remember the server's transport parameters with the ticket (RFC 9000 §7.4.1).
  'session-ticket': (c, e) => c.emit({ type: 'session-ticket', ticket: c.hs.peerParams ? { ...e.ticket, appData: encodeTransportParameters(rememberable(c.hs.peerParams)) } : e.ticket }),
  // RFC 9001 §4.6.2: on rejection everything the client sent in 0-RTT goes again in 1-RTT.
  'early-data': (c, e, now) => {
    c.crypto.earlyData = e.status;
    if (c.side !== 'client' || e.status === 'accepted') return;
    c.crypto.zeroRtt = undefined;
    c.qlog(now, 'transport:zero_rtt_rejected', { packets: resend(c, 2, (p) => p.data.zeroRtt === true, now) });
  },
  alert: (_c, e) => {
    // RFC 9001 §4.8: a TLS alert becomes CRYPTO_ERROR 0x0100 + description.
    // RFC 9001 §8.4, §4.6.1: some TLS faults are QUIC PROTOCOL_VIOLATIONs (the handshake says which).
    throw new TransportError(e.quicError ?? E.CRYPTO_ERROR_BASE + e.description, e.reason ? `TLS alert ${e.description}: ${e.reason}` : `TLS alert ${e.description}`, 0x06);
  },
};

/**
 * RFC 9000 §17.2.5.2: a client follows one Retry — new Destination
 * Connection ID, Initial keys from it, the token in every Initial, and
 * everything sent so far again, none of it counted as congestion (packet
 * numbers continue, §17.2.5.3).
 */
export function followRetry(c: Connection, scid: Uint8Array, token: Uint8Array, now: number): void {
  c.hs.retrySourceCid = new Uint8Array(scid);
  c.hs.token = new Uint8Array(token);
  c.remoteCids.replaceInitial(c.hs.retrySourceCid);
  c.crypto.rekeyInitial(c.hs.retrySourceCid);
  for (const space of [0, 2] as const) resend(c, space, () => true, now);
  c.qlog(now, 'transport:packet_received', { header: { packet_type: 'retry', scid: toHex(scid) } });
}

/** The TLS handshake's clock: calendar time when the shell gives one (certificates, ticket ages), else `now`. */
export function tlsTime(c: Connection, now: number): number {
  return c.hooks.wallClock ? c.hooks.wallClock() : now;
}

/** Act on the TLS handshake's events, in order. */
export function onTls(c: Connection, events: HandshakeEvent[], now: number): void {
  for (const e of events) (ON_EVENT[e.type] as Handler<typeof e.type>)(c, e as never, now);
}

function safeVerify(f: (chain: Uint8Array[], name: string | undefined) => boolean, chain: Uint8Array[], name: string | undefined): boolean {
  try {
    return f(chain, name) === true;
  } catch {
    return false;
  }
}

/**
 * The TLS client's certificate policy (docs/vocabulary.md): `verify` with `trustAnchors`, or one of the
 * deprecated `verifier` / `verifyPeer` (TypeError for a mix, or for no policy at all).
 */
function clientVerification(t: ClientTlsSettings): { verify: 'chain'; trustAnchors: Uint8Array[] } | { verify: 'none' | 'event' | PeerVerifier } {
  const given = [t.verify, t.verifier, t.verifyPeer].filter((x) => x !== undefined).length;
  if (given > 1) throw new TypeError('connect: give verify alone (verifier and verifyPeer are its deprecated spellings)');
  const verify = t.verify ?? t.verifier ?? (t.verifyPeer === undefined ? undefined : t.verifyPeer === 'none' ? 'none' : 'event');
  if (verify === undefined || verify === 'chain') {
    if (t.trustAnchors) return { verify: 'chain', trustAnchors: t.trustAnchors };
    throw new TypeError("connect: say how to check the server's certificate: trustAnchors (CA certificates), verify: a PeerVerifier such as trustExactly(cert), or verify: 'none' (development only)");
  }
  if (t.trustAnchors) throw new TypeError(`connect: trustAnchors are only used by verify: 'chain' (give chainVerifier({ trustAnchors }) inside allOf(...) to combine them with a policy)`);
  return { verify };
}
