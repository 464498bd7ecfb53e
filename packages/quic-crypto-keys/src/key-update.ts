/**
 * @module key-update
 * 1-RTT key update (RFC 9001 §6; RFC 9369 §3.3.2 for v2 labels): the next
 * generation of each traffic secret is HKDF-Expand-Label(secret, "quic ku",
 * "", Hash.length); the header protection keys are not updated (§6.1).
 *
 * `KeyPhase` holds the 1-RTT keys of both directions and answers the
 * questions the transport asks per packet: which key phase bit to send,
 * which read key to try for a received bit (current, the precomputed next
 * one — precomputed so a key update costs no visible time, §6.3 — or the
 * previous one kept for reordered packets, §6.5), and when the keys rotate.
 * Time is the transport's business: it calls `discardPreviousReadKey()`
 * three PTOs after a rotation (§6.5) and decides when to `initiate()`.
 */
import type { HeaderKey } from './header-protection.js';
import { hkdfExpandLabel } from './hkdf.js';
import { keysFromSecret, packetKeyFromSecret, type DirectionalKeys } from './keys.js';
import type { PacketKey } from './packet-protection.js';
import type { CryptoProvider } from './provider.js';
import { suiteParams, versionConstants } from './suites.js';

const EMPTY = new Uint8Array(0);

/** RFC 9001 §6.1: the next generation of a 1-RTT traffic secret. */
export function nextSecret(version: number, suite: number, secret: Uint8Array): Uint8Array {
  const p = suiteParams(suite);
  return hkdfExpandLabel(p.hash, secret, versionConstants(version).kuLabel, EMPTY, secret.length);
}

/** Which 1-RTT read key opened a packet: the current one, the next (the peer updated) or the previous (a late packet). */
export type ReadGeneration = 'current' | 'next' | 'previous';

/**
 * The 1-RTT keys across key updates (RFC 9001 §6): current keys, the next
 * read key precomputed, the previous one kept for late packets. The current
 * keys and the header-protection keys are made when first used (a server
 * whose client closes at once never seals a 1-RTT packet, its client never
 * opens one): the derivation is the same, only later. The next read key is
 * made when the first 1-RTT packet arrives, whatever its Key Phase bit (so
 * no packet's handling time depends on that bit), and at every rotation, as
 * §6.3 and §9.5 want it ready; a connection that never receives a 1-RTT
 * packet (its peer closed in a Handshake packet) derives none.
 */
export class KeyPhase {
  private readPhase: 0 | 1 = 0;
  private writePhase: 0 | 1 = 0;
  private readSecret: Uint8Array;
  private writeSecret: Uint8Array;
  /**
   * The first generation's keys, made on use (keys.ts), until that generation rotates out; their header
   * keys serve every generation (§6.1) and are kept apart then, so no old packet key outlives its phase.
   */
  private readFirst: DirectionalKeys | undefined;
  private writeFirst: DirectionalKeys | undefined;
  private readHp: HeaderKey | undefined;
  private writeHp: HeaderKey | undefined;
  /** After the first read rotation: the current read key (before it, `first.read.packet`). */
  private readCurrent: PacketKey | undefined;
  /** Made by the first `readKeyFor` (see the class comment), then at every rotation. */
  private readNext: PacketKey | undefined;
  private readPrevious: PacketKey | null = null;
  /** After the first write rotation: the write key (before it, `first.write.packet`). */
  private write: PacketKey | undefined;
  /** Lowest packet number opened in the current read phase: below it a flipped bit means "previous". */
  private firstPnInReadPhase: number | undefined;
  /** Incremented at every write-key rotation; the transport tags sent packets with it. */
  private writeGen = 0;
  private writeConfirmed = true;

  constructor(
    private readonly provider: CryptoProvider,
    private readonly version: number,
    private readonly suite: number,
    secrets: { read: Uint8Array; write: Uint8Array },
  ) {
    this.readFirst = keysFromSecret(provider, version, suite, secrets.read);
    this.writeFirst = keysFromSecret(provider, version, suite, secrets.write);
    this.readSecret = secrets.read;
    this.writeSecret = secrets.write;
  }

  /** §6.1: a new generation's key and IV; the header protection key stays, so none is derived. */
  private derivePacketKey(secret: Uint8Array): PacketKey {
    return packetKeyFromSecret(this.provider, this.version, this.suite, secret);
  }

  /** Header protection keys (fixed for the life of the connection, §6.1). */
  get readHeader(): HeaderKey {
    return (this.readHp ??= this.readFirst!.header);
  }

  get writeHeader(): HeaderKey {
    return (this.writeHp ??= this.writeFirst!.header);
  }

  /** §6.6: packets one write key may seal (the suite's, whether or not the key is made yet). */
  get confidentialityLimit(): number {
    return suiteParams(this.suite).confidentialityLimit;
  }

  private currentReadKey(): PacketKey {
    return this.readCurrent ?? this.readFirst!.packet;
  }

  /** The Key Phase bit to put in outgoing short headers. */
  get keyPhaseBit(): 0 | 1 {
    return this.writePhase;
  }

  get writeKey(): PacketKey {
    return this.write ?? this.writeFirst!.packet;
  }

  /** Write-key generation (0 at the start); record it with each sent packet for `confirmWrite`. */
  get writeGeneration(): number {
    return this.writeGen;
  }

  /** RFC 9001 §6.1: a new update may start only after a packet of the current write phase was acknowledged. */
  get canInitiate(): boolean {
    return this.writeConfirmed && this.readPhase === this.writePhase;
  }

  /** The key to open a received 1-RTT packet whose (unprotected) Key Phase bit is `bit`; null when no key fits. */
  readKeyFor(bit: 0 | 1, pn: number): { key: PacketKey; generation: ReadGeneration } | null {
    const next = (this.readNext ??= this.derivePacketKey(nextSecret(this.version, this.suite, this.readSecret)));
    if (bit === this.readPhase) return { key: this.currentReadKey(), generation: 'current' };
    // §6.5: a flipped bit on a packet older than the current phase belongs to the previous keys.
    if (this.firstPnInReadPhase !== undefined && pn < this.firstPnInReadPhase) {
      return this.readPrevious ? { key: this.readPrevious, generation: 'previous' } : null;
    }
    return { key: next, generation: 'next' };
  }

  /**
   * Report a packet that authenticated with `generation`. A 'next' packet
   * means the peer moved to the new keys: read keys rotate, and if the peer
   * initiated, our write keys follow (§6.2). Returns true when keys rotated.
   */
  onPacketOpened(generation: ReadGeneration, pn: number): boolean {
    if (generation === 'previous') return false;
    if (generation === 'current') {
      if (this.firstPnInReadPhase === undefined || pn < this.firstPnInReadPhase) this.firstPnInReadPhase = pn;
      return false;
    }
    this.readPrevious = this.currentReadKey();
    void this.readHeader; // kept; the first generation's packet key goes with readPrevious
    this.readFirst = undefined;
    this.readCurrent = this.readNext!; // made by the readKeyFor that found this packet's key
    this.readSecret = nextSecret(this.version, this.suite, this.readSecret);
    this.readNext = this.derivePacketKey(nextSecret(this.version, this.suite, this.readSecret));
    this.readPhase ^= 1;
    this.firstPnInReadPhase = pn;
    if (this.writePhase !== this.readPhase) this.rotateWrite(); // the peer initiated: respond
    return true;
  }

  /** Start a key update (§6.1): new write keys now; the peer answers with the same phase. */
  initiate(): void {
    if (!this.canInitiate) throw new Error('key update not allowed before the previous one is acknowledged');
    this.rotateWrite();
  }

  private rotateWrite(): void {
    this.writeSecret = nextSecret(this.version, this.suite, this.writeSecret);
    this.write = this.derivePacketKey(this.writeSecret);
    void this.writeHeader;
    this.writeFirst = undefined;
    this.writePhase ^= 1;
    this.writeGen++;
    this.writeConfirmed = false;
  }

  /** An ACK arrived for a packet sent with write generation `generation`. */
  confirmWrite(generation: number): void {
    if (generation === this.writeGen) this.writeConfirmed = true;
  }

  /** §6.5: drop the previous read key (the transport calls this ~3 PTOs after a rotation). */
  discardPreviousReadKey(): void {
    this.readPrevious = null;
  }

  get hasPreviousReadKey(): boolean {
    return this.readPrevious !== null;
  }
}
