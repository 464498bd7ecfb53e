/**
 * @module core/path
 * Path validation and connection migration (RFC 9000 §8.2, §9): the server
 * following a peer whose address changed (NAT rebinding or active
 * migration), the client moving to a new local socket or to the server's
 * preferred address (§9.6), PATH_CHALLENGE / PATH_RESPONSE, the validation
 * timeout and the fall-back to the last validated path, and the per-path
 * state that starts afresh (congestion control, RTT, ECN).
 */
import { Cubic } from './congestion/cubic.js';
import { NewReno } from './congestion/new-reno.js';
import { equal, type Connection, type Path } from './connection.js';
import { EcnValidator } from './ecn.js';

/**
 * Client: the local address changed (the shell rebound its socket): a new
 * connection ID and path validation (§9.2, §9.5). False when migration is not
 * allowed (the server set disable_active_migration, or no spare connection
 * ID) or the handshake is not confirmed.
 */
export function migrateClient(c: Connection, now: number): boolean {
  if (c.side !== 'client' || !c.handshakeConfirmed || c.peerParams?.disableActiveMigration) return false;
  if (!c.remoteCids.rotate()) return false;
  startValidation(c, c.path, now);
  // §9.4: the new path's congestion state starts afresh.
  resetPathState(c);
  return true;
}

/** Both ends of two paths are the same. */
export function samePath(a: Path, b: Path): boolean {
  return a.address === b.address && a.port === b.port && a.local === b.local;
}

/**
 * Server, §9.3: the peer's address changed (a non-probing packet with the
 * highest packet number), or it moved to our preferred address (§9.6.3).
 */
export function onPeerMigrated(c: Connection, path: Path, now: number): void {
  const onlyPort = path.address === c.path.address && path.local === c.path.local;
  c.previousPath = c.path;
  c.path = path;
  // §9.5: a new path gets a new connection ID when the peer gave us a spare one.
  c.remoteCids.rotate();
  // §9.3: until the path is validated, the 3x amplification limit applies to it again; its account
  // already holds what arrived from there (this datagram included), and only that.
  c.peerAddressValidated = false;
  // §9.4: a port-only change (NAT rebinding) may keep the congestion state; a new address resets it.
  if (!onlyPort) resetPathState(c);
  startValidation(c, path, now);
  c.qlog(now, 'connectivity:path_updated', { peer_address: `${path.address}:${path.port}`, only_port: onlyPort, ...(path.local !== undefined ? { local: path.local } : {}) });
}

/**
 * Client, §9.6.1: once the handshake is confirmed, move to the server's
 * preferred address with its connection ID (sequence 1) and validate it; if
 * validation fails we fall back to the original address (§9.6.2 allows either
 * order; we switch, then probe).
 */
export function usePreferredAddress(c: Connection, now: number): void {
  const to = c.peerPreferred;
  c.peerPreferred = undefined;
  if (c.side !== 'client' || !to || !c.settings.usePreferredAddress) return;
  if (!c.remoteCids.rotate(1)) return;
  c.previousPath = c.path;
  c.path = to;
  resetPathState(c);
  startValidation(c, to, now);
  c.qlog(now, 'connectivity:path_updated', { peer_address: `${to.address}:${to.port}`, preferred_address: true });
}

/** A PATH_RESPONSE arrived: the path is validated when it echoes our challenge (§8.2.3). */
export function onPathResponse(c: Connection, data: Uint8Array, now: number): void {
  const ch = c.pathChallenge;
  if (!ch || !equal(ch.data, data)) return;
  c.pathChallenge = undefined;
  c.previousPath = undefined;
  if (samePath(ch.path, c.path)) c.peerAddressValidated = true;
  c.amplification.forget(ch.path);
  c.qlog(now, 'connectivity:path_validated', { peer_address: `${ch.path.address}:${ch.path.port}` });
}

/** A PATH_CHALLENGE: owe a PATH_RESPONSE on the path it came from (§8.2.2); a flood keeps only the latest few. */
export function onPathChallenge(c: Connection, data: Uint8Array, path: Path): void {
  c.pathResponses.push({ data: data.slice(), path });
  if (c.pathResponses.length > 4) c.pathResponses.shift();
}

/** §8.2.4: resend the PATH_CHALLENGE each PTO; give up after the validation timeout (§9.3.2: back to the old path). */
export function onPathTimeout(c: Connection, now: number): void {
  const ch = c.pathChallenge;
  if (!ch) return;
  if (now >= ch.startedAt + validationTimeout(c)) {
    c.pathChallenge = undefined;
    c.qlog(now, 'connectivity:path_validation_failed', { peer_address: `${ch.path.address}:${ch.path.port}` });
    if (c.previousPath) {
      c.path = c.previousPath;
      c.previousPath = undefined;
      c.peerAddressValidated = true;
    }
  } else if (!ch.pending && now >= ch.sentAt + c.recovery.ptoDuration()) ch.pending = true;
}

/** When onPathTimeout next has something to do (Infinity: nothing outstanding). */
export function pathDeadline(c: Connection): number {
  const ch = c.pathChallenge;
  if (!ch) return Infinity;
  return Math.min(ch.startedAt + validationTimeout(c), ch.pending ? Infinity : ch.sentAt + c.recovery.ptoDuration());
}

/**
 * §8.2.4: three times the larger of the current PTO and the PTO a new path
 * starts with (kInitialRtt: srtt = initial, rttvar = initial / 2).
 */
function validationTimeout(c: Connection): number {
  return 3 * Math.max(c.recovery.ptoDuration(), 3 * c.settings.initialRttMs);
}

function startValidation(c: Connection, path: Path, now: number): void {
  c.pathChallenge = { data: c.random(8), path, startedAt: now, sentAt: now, pending: true };
}

/** A new path starts with fresh congestion control, RTT estimate and ECN validation (§9.4, §13.4.2). */
function resetPathState(c: Connection): void {
  const s = c.settings;
  c.ecn = new EcnValidator(s.ecn);
  c.recovery.resetForNewPath(s.congestionControl === 'newreno' ? new NewReno(c.maxDatagramSize) : new Cubic(c.maxDatagramSize), s.initialRttMs);
}
