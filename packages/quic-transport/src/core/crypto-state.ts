/**
 * @module core/crypto-state
 * A connection's packet protection keys by encryption level (RFC 9001 §4,
 * §5): Initial keys from the client's Destination Connection ID (§5.2) — made
 * again after a Retry (RFC 9000 §17.2.5.2) or a compatible version switch
 * (RFC 9368 §2.1, RFC 9369 §3.3) — Handshake keys, 0-RTT keys (RFC 9001
 * §4.6), 1-RTT keys with key update (§6), installation from the TLS
 * handshake's secrets and discard (§4.9). It answers which keys seal a
 * packet of a space and which open one; it knows nothing of packets,
 * streams or timers.
 */
import { initialKeys, KeyPhase, keysFromSecret, type CryptoProvider, type DirectionalKeys, type QuicVersion } from '@tsquic/quic-crypto-keys';
import type { CipherSuite, Level } from '@tsquic/tls13-handshake';
import type { PacketKind, SealingKeys } from './packet-builder.js';
import type { SpaceId } from './recovery/loss-detection.js';

export type EarlyDataStatus = 'offered' | 'accepted' | 'rejected' | 'not-offered';

/** The keys to seal the next packet of a space with, and how to mark it. */
export interface WriteKeys {
  keys: SealingKeys;
  kind: PacketKind;
  /** 1-RTT: the Key Phase bit and the write generation (for key update confirmation). */
  keyPhase: boolean;
  gen: number;
}

/** Both directions' Initial keys (RFC 9001 §5.2). */
export interface InitialKeys {
  read: DirectionalKeys;
  write: DirectionalKeys;
  /** Server: the client's first Initial packet as the endpoint's check opened it (stateless.ts initialCarriesCrypto). */
  opened?: OpenedInitial;
}

/**
 * A packet already unprotected and opened (RFC 9001 §5.4, §5.3): the first
 * Initial of a client's first datagram, which the server's endpoint opens
 * before it commits to a connection; the connection reads this instead of
 * opening the same bytes again.
 */
export interface OpenedInitial {
  /** The datagram it came in and where in it the packet starts. */
  datagram: Uint8Array;
  start: number;
  /** A copy of the packet with its header protection removed. */
  packet: Uint8Array;
  pnLength: number;
  truncatedPn: number;
  payload: Uint8Array;
}

interface LevelKeys {
  read?: DirectionalKeys;
  write?: DirectionalKeys;
}

export class CryptoState {
  /** The version in use: the one we started with, or the one negotiated (RFC 9368). */
  version: QuicVersion;
  /** The version of the client's first Initial. */
  readonly originalVersion: QuicVersion;
  /** Initial (0) and Handshake (1) keys; undefined once discarded or before installed. */
  private readonly levels: [LevelKeys, LevelKeys];
  /** 1-RTT keys (both directions, with key update). */
  oneRtt: KeyPhase | undefined;
  /** 0-RTT keys (RFC 9001 §4.6): the client writes, the server reads. */
  zeroRtt: DirectionalKeys | undefined;
  earlyData: EarlyDataStatus = 'not-offered';
  /** Server after a version upgrade: the original version's Initial read keys, for the client's Initials sent before it saw ours. */
  originalInitialRead: DirectionalKeys | undefined;
  /** 1-RTT packets sent with the current write key (RFC 9001 §6.6 confidentiality limit). */
  packetsThisKeyPhase = 0;
  /** Packets that failed to authenticate (RFC 9001 §6.6 integrity limit). */
  authFailures = 0;
  keyUpdates = 0;
  /** The DCID the Initial keys come from (RFC 9001 §5.2). */
  private initialDcid: Uint8Array;
  private readonly appSecrets: { read?: Uint8Array; write?: Uint8Array } = {};
  /** Server: the first Initial, opened by the endpoint's check, until the connection reads it. */
  private opened: OpenedInitial | undefined;

  constructor(
    private readonly provider: CryptoProvider,
    private readonly side: 'client' | 'server',
    version: QuicVersion,
    initialDcid: Uint8Array,
    /** This side's Initial keys for `version` and `initialDcid` when already derived (the server's check of the first Initial). */
    given?: InitialKeys,
  ) {
    this.version = version;
    this.originalVersion = version;
    this.initialDcid = initialDcid;
    this.levels = [{}, {}];
    this.makeInitialKeys(given);
    this.opened = given?.opened;
  }

  /**
   * The first Initial as the endpoint opened it, when the packet at `start` of `datagram` is that one;
   * asked once (the first long-header packet a server reads is that one).
   */
  takeOpened(datagram: Uint8Array, start: number): OpenedInitial | undefined {
    const o = this.opened;
    this.opened = undefined;
    return o && o.datagram === datagram && o.start === start ? o : undefined;
  }

  private makeInitialKeys(given?: InitialKeys): void {
    const init = given ?? initialKeys(this.provider, this.version, this.initialDcid, this.side);
    this.levels[0].read = init.read;
    this.levels[0].write = init.write;
  }

  /** RFC 9000 §17.2.5.2: a client that follows a Retry makes new Initial keys from the Retry's SCID. */
  rekeyInitial(dcid: Uint8Array): void {
    this.initialDcid = dcid;
    this.makeInitialKeys();
  }

  /** Use `version` from now on: Initial keys from the same DCID with its salt and labels (RFC 9368 §2.1). */
  switchVersion(version: QuicVersion): void {
    if (this.side === 'server') this.originalInitialRead = this.levels[0].read;
    this.version = version;
    this.makeInitialKeys();
  }

  /** Undo a version switch that did not open the packet it was tried for (client). */
  restore(saved: { version: QuicVersion; read?: DirectionalKeys; write?: DirectionalKeys }): void {
    this.version = saved.version;
    this.levels[0].read = saved.read;
    this.levels[0].write = saved.write;
  }

  /** What `restore` needs. */
  snapshot(): { version: QuicVersion; read?: DirectionalKeys; write?: DirectionalKeys } {
    return { version: this.version, read: this.levels[0].read, write: this.levels[0].write };
  }

  /**
   * Install a secret from the TLS handshake (RFC 9001 §4.1.4); returns the
   * level that became readable or writable. 1-RTT keys exist once both
   * directions' secrets have arrived.
   */
  install(level: Level, dir: 'read' | 'write', suite: CipherSuite, secret: Uint8Array): void {
    if (level === 'early') {
      this.zeroRtt = keysFromSecret(this.provider, this.version, suite, secret);
      if (this.side === 'client') this.earlyData = 'offered';
    } else if (level === 'handshake') {
      this.levels[1][dir] = keysFromSecret(this.provider, this.version, suite, secret);
    } else if (level === 'application') {
      this.appSecrets[dir] = secret;
      if (this.appSecrets.read && this.appSecrets.write) {
        this.oneRtt = new KeyPhase(this.provider, this.version, suite, { read: this.appSecrets.read, write: this.appSecrets.write });
        // RFC 9001 §4.9.3: a client stops using 0-RTT keys once it has 1-RTT keys.
        if (this.side === 'client') this.zeroRtt = undefined;
      }
    }
  }

  /** RFC 9001 §4.9: Initial or Handshake keys are gone for good. */
  discard(space: 0 | 1): void {
    this.levels[space] = {};
    if (space === 0) this.originalInitialRead = undefined;
  }

  /** Initial or Handshake read keys. */
  readKeys(space: 0 | 1): DirectionalKeys | undefined {
    return this.levels[space].read;
  }

  hasWriteKeys(space: SpaceId): boolean {
    return space === 2 ? this.oneRtt !== undefined || (this.side === 'client' && this.zeroRtt !== undefined) : this.levels[space].write !== undefined;
  }

  /** The client sends application data in 0-RTT packets until it has 1-RTT keys (RFC 9001 §4.6.1). */
  get sendsZeroRtt(): boolean {
    return !this.oneRtt && this.side === 'client' && this.zeroRtt !== undefined;
  }

  /** The keys to seal a packet of `space` with, or undefined when there are none. */
  writeKeys(space: SpaceId): WriteKeys | undefined {
    if (space < 2) {
      const k = this.levels[space as 0 | 1].write;
      return k && { keys: k, kind: space === 0 ? 'initial' : 'handshake', keyPhase: false, gen: 0 };
    }
    const p = this.oneRtt;
    if (p) return { keys: { packet: p.writeKey, header: p.writeHeader }, kind: '1rtt', keyPhase: p.keyPhaseBit === 1, gen: p.writeGeneration };
    if (this.sendsZeroRtt) return { keys: this.zeroRtt!, kind: '0rtt', keyPhase: false, gen: 0 };
    return undefined;
  }

  /** RFC 9001 §6.1: start a key update when allowed (the handshake confirmed, the last one acknowledged). */
  initiateKeyUpdate(handshakeConfirmed: boolean): boolean {
    if (!this.oneRtt || !handshakeConfirmed || !this.oneRtt.canInitiate) return false;
    this.oneRtt.initiate();
    this.onRotated();
    return true;
  }

  /**
   * RFC 9001 §6: is a key update due — every `interval` packets when set,
   * and in any case before the AEAD's confidentiality limit (§6.6)?
   */
  keyUpdateDue(interval: number): boolean {
    const k = this.oneRtt;
    if (!k) return false;
    return (interval > 0 && this.packetsThisKeyPhase >= interval) || this.packetsThisKeyPhase >= k.confidentialityLimit * 0.75;
  }

  /** 1-RTT keys rotated (either side started it). */
  onRotated(): void {
    this.keyUpdates++;
    this.packetsThisKeyPhase = 0;
  }
}
