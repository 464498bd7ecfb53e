/**
 * @module core/path
 * A connection's network paths (RFC 9000 §8, §9): the current path and the
 * one we migrated away from, address validation and the anti-amplification
 * limit per address (§8.1, §9.3; core/amplification.ts keeps the accounts),
 * path validation with PATH_CHALLENGE / PATH_RESPONSE (§8.2) and its
 * timeout with the fall-back to the last validated path (§9.3.2), the
 * server following a peer whose address changed (§9.3), the client moving
 * to a new socket (§9.2) or to the server's preferred address (§9.6), and
 * the per-path state that starts afresh on a new path: ECN validation
 * (§13.4.2) here, congestion control and RTT (§9.4) through the host.
 */
import { equalBytes } from '@tsquic/quic-wire';
import { AmplificationLimit } from './amplification.js';
import { EcnValidator } from './ecn.js';
import { samePath, type Path } from './types.js';

/** What path state needs from its connection. */
export interface PathHost {
  random(n: number): Uint8Array;
  /** Move to an unused peer connection ID (§9.5), or to sequence `seq`; false when none is spare. */
  rotateCid(seq?: number): boolean;
  /**
   * §9.4: packets go to another path from now on; what was sent before no
   * longer counts in its congestion control and RTT estimate. `fresh`: the
   * path starts with a new congestion controller and RTT estimate too.
   */
  newPath(fresh: boolean): void;
  /** The current PTO (ms). */
  pto(): number;
  qlog(now: number, name: string, data: Record<string, unknown>): void;
}

interface Challenge {
  data: Uint8Array;
  path: Path;
  startedAt: number;
  sentAt: number;
  /** A PATH_CHALLENGE frame is owed. */
  pending: boolean;
}

/** PATH_RESPONSEs owed at once, at most (a flood keeps only the latest). */
const MAX_RESPONSES = 4;

const describe = (p: Path): string => `${p.address}:${p.port}`;

export class PathState {
  current: Path;
  /** The path we migrated away from, to fall back to if the new one does not validate (§9.3.2). */
  previous: Path | undefined;
  /** The peer's address on the current path is validated (§8.1): no amplification limit. */
  validated: boolean;
  /** Bytes received from and sent to each address not (yet) validated (§8, §9.3). */
  readonly amplification = new AmplificationLimit();
  /** Our outstanding PATH_CHALLENGE (§8.2.1). */
  challenge: Challenge | undefined;
  /** PATH_RESPONSEs owed, each on the path its challenge came from (§8.2.2). */
  readonly responses: Array<{ data: Uint8Array; path: Path }> = [];
  /** ECN marking and validation on the current path (§13.4.2). */
  ecn: EcnValidator;
  /** Client: the server's preferred address (§9.6), until used. */
  preferred: Path | undefined;

  constructor(
    path: Path,
    validated: boolean,
    private readonly ecnEnabled: boolean,
    /** kInitialRtt of a new path (§8.2.4). */
    private readonly initialRttMs: number,
    private readonly host: PathHost,
  ) {
    this.current = path;
    this.validated = validated;
    this.ecn = new EcnValidator(ecnEnabled);
  }

  /**
   * A datagram of `bytes` arrived from `from` (§8, §9.3): counted toward that
   * address's allowance while it is unvalidated. False when it must be
   * dropped: §9, a server takes nothing from another address before the
   * handshake is confirmed (a spoofed datagram must not buy bytes toward the
   * client's address).
   */
  onDatagram(from: Path, bytes: number, acceptOtherPaths: boolean): boolean {
    const onPath = samePath(from, this.current);
    if (!onPath && !acceptOtherPaths) return false;
    if (!onPath || !this.validated) this.amplification.onReceived(from, bytes, this.current);
    return true;
  }

  /** Bytes we may still send on the current path (§8.1: 3x what arrived while unvalidated). */
  allowance(): number {
    return this.validated ? Infinity : this.amplification.allowance(this.current);
  }

  /** A datagram of `bytes` left for `to`: counted while that address is unvalidated. */
  onSent(to: Path, bytes: number): void {
    if (!this.validated || !samePath(to, this.current)) this.amplification.onSent(to, bytes);
  }

  /** The address is validated by other means (a Handshake packet from it, §8.1; a token). */
  validate(): void {
    this.validated = true;
    this.amplification.forget(this.current);
  }

  /** Client, §9.2: our local address changed (the host rotated to a new connection ID): validate the path afresh. */
  rebind(now: number): void {
    this.startValidation(this.current, now);
    this.resetState();
  }

  /**
   * Server, §9.3: the peer's address changed (a non-probing packet with the
   * highest packet number), or it moved to our preferred address (§9.6.3).
   */
  peerMigrated(path: Path, now: number): void {
    const onlyPort = path.address === this.current.address && path.local === this.current.local;
    this.previous = this.current;
    this.current = path;
    // §9.5: a new path gets a new connection ID when the peer gave us a spare one.
    this.host.rotateCid();
    // §9.3: until the path is validated the 3x limit applies to it again; its account already
    // holds what arrived from there (this datagram included), and only that.
    this.validated = false;
    // §9.4: a port-only change (NAT rebinding) may keep the congestion state; a new address resets it.
    if (onlyPort) this.host.newPath(false);
    else this.resetState();
    this.startValidation(path, now);
    this.host.qlog(now, 'connectivity:path_updated', { peer_address: describe(path), only_port: onlyPort, ...(path.local !== undefined ? { local: path.local } : {}) });
  }

  /**
   * Client, §9.6.1: once the handshake is confirmed, move to the server's
   * preferred address with its connection ID (sequence 1) and validate it; if
   * validation fails we fall back to the original address (§9.6.2 allows
   * either order; we switch, then probe).
   */
  usePreferred(now: number): void {
    const to = this.preferred;
    this.preferred = undefined;
    if (!to || !this.host.rotateCid(1)) return;
    this.previous = this.current;
    this.current = to;
    this.resetState();
    this.startValidation(to, now);
    this.host.qlog(now, 'connectivity:path_updated', { peer_address: describe(to), preferred_address: true });
  }

  /** A PATH_RESPONSE arrived: the path is validated when it echoes our challenge (§8.2.3). */
  onResponse(data: Uint8Array, now: number): void {
    const ch = this.challenge;
    if (!ch || !equalBytes(ch.data, data)) return;
    this.challenge = undefined;
    this.previous = undefined;
    if (samePath(ch.path, this.current)) this.validated = true;
    this.amplification.forget(ch.path);
    this.host.qlog(now, 'connectivity:path_validated', { peer_address: describe(ch.path) });
  }

  /** A PATH_CHALLENGE: owe a PATH_RESPONSE on the path it came from (§8.2.2); a flood keeps only the latest few. */
  onChallenge(data: Uint8Array, from: Path): void {
    this.responses.push({ data: new Uint8Array(data), path: from });
    if (this.responses.length > MAX_RESPONSES) this.responses.shift();
  }

  /** The next PATH_RESPONSE owed on another path than the current one (it goes alone, §8.2.2). */
  takeOffPathResponse(): { data: Uint8Array; path: Path } | undefined {
    const i = this.responses.findIndex((r) => !samePath(r.path, this.current));
    return i < 0 ? undefined : this.responses.splice(i, 1)[0];
  }

  /** The next PATH_RESPONSE owed on the current path (it rides with other frames). */
  takeOnPathResponse(): Uint8Array | undefined {
    const i = this.responses.findIndex((r) => samePath(r.path, this.current));
    return i < 0 ? undefined : this.responses.splice(i, 1)[0]!.data;
  }

  /** A PATH_CHALLENGE or PATH_RESPONSE is owed on the current path. */
  owesOnPath(): boolean {
    return (this.challenge?.pending === true && this.challenge.path === this.current) || (this.responses.length > 0 && this.responses.some((r) => samePath(r.path, this.current)));
  }

  /** Our PATH_CHALLENGE to put in a packet on the current path now, if one is owed. */
  takeChallenge(now: number): Uint8Array | undefined {
    const ch = this.challenge;
    if (!ch?.pending || ch.path !== this.current) return undefined;
    ch.pending = false;
    ch.sentAt = now;
    return ch.data;
  }

  /** §8.2.4: resend the PATH_CHALLENGE each PTO; give up after the validation timeout (§9.3.2: back to the old path). */
  onTimeout(now: number): void {
    const ch = this.challenge;
    if (!ch) return;
    if (now >= ch.startedAt + this.validationTimeout()) {
      this.challenge = undefined;
      this.host.qlog(now, 'connectivity:path_validation_failed', { peer_address: describe(ch.path) });
      if (this.previous) {
        this.current = this.previous;
        this.previous = undefined;
        this.validated = true;
        this.host.newPath(false);
      }
    } else if (!ch.pending && now >= ch.sentAt + this.host.pto()) ch.pending = true;
  }

  /** When `onTimeout` next has something to do (Infinity: nothing outstanding). */
  deadline(): number {
    const ch = this.challenge;
    if (!ch) return Infinity;
    return Math.min(ch.startedAt + this.validationTimeout(), ch.pending ? Infinity : ch.sentAt + this.host.pto());
  }

  /** §8.2.4: three times the larger of the current PTO and the PTO a new path starts with (srtt = kInitialRtt, rttvar = kInitialRtt / 2). */
  private validationTimeout(): number {
    return 3 * Math.max(this.host.pto(), 3 * this.initialRttMs);
  }

  private startValidation(path: Path, now: number): void {
    this.challenge = { data: this.host.random(8), path, startedAt: now, sentAt: now, pending: true };
  }

  /** A new path starts with fresh congestion control, RTT estimate and ECN validation (§9.4, §13.4.2). */
  private resetState(): void {
    this.ecn = new EcnValidator(this.ecnEnabled);
    this.host.newPath(true);
  }
}
