/**
 * @module core/timeouts
 * What each of a connection's timers (core/timers.ts) does when it expires —
 * the closing period ends (RFC 9000 §10.2), the handshake or idle timeout
 * ends the connection silently (§10.1), path validation retries or gives up
 * (§8.2.4), the previous 1-RTT read key goes (RFC 9001 §6.5), the loss
 * detection timer declares losses or sends probes (RFC 9002 §6, A.9), a
 * keep-alive PING goes out — and the deadlines that follow from state,
 * refreshed before every poll.
 */
import type { Connection } from './connection.js';
import { TransportErrorCode as E } from './errors.js';
import { end, isOpen, terminate } from './lifecycle.js';
import { onLossTimeout } from './retransmission.js';
import type { Timer } from './timers.js';

/** What each timer does when it expires (core/timers.ts names them). */
const ON_TIMER: Record<Timer, (c: Connection, now: number) => void> = {
  close: (c) => end(c),
  // No CONNECTION_CLOSE goes out and none came in: the kind says what happened, the code stays NO_ERROR (types.ts CloseInfo).
  handshake: (c) => terminate(c, { code: BigInt(E.NO_ERROR), reason: `handshake not complete within transport.handshakeTimeoutMs = ${c.settings.handshakeTimeoutMs} ms`, application: false, remote: false, kind: 'handshake-timeout' }),
  idle: (c) => terminate(c, { code: BigInt(E.NO_ERROR), reason: 'idle timeout', application: false, remote: false, kind: 'idle' }),
  pathValidation: (c, now) => c.paths.onTimeout(now),
  keyDiscard: (c) => c.crypto.oneRtt?.discardPreviousReadKey(),
  // RFC 9002 A.9: on expiry, losses or probes; then the timer is set again (A.8), here and on every send and receive.
  loss: (c, now) => {
    if (isOpen(c.lifecycle)) onLossTimeout(c, now);
    c.updateLossTimer(now);
  },
  keepAlive: (c) => void (c.spaces[2].probes = Math.max(c.spaces[2].probes, 1)),
  // Due ACKs and paced packets go out on the next pollTransmit.
  ack: () => {},
  pacing: () => {},
};

/** Run the expired timer `t`. */
export function onTimer(c: Connection, t: Timer, now: number): void {
  ON_TIMER[t](c, now);
}

/** The timers that follow from state (the close and key-discard timers are set where their events happen, the loss timer marked there). */
export function refreshTimers(c: Connection): void {
  // RFC 9002 A.8: the loss detection timer, set again once for everything sent and received since the last poll.
  if (!Number.isNaN(c.lossTimerNow)) {
    c.timers.set('loss', isOpen(c.lifecycle) ? c.recovery.timerDeadline(c.lossTimerNow) : null);
    c.lossTimerNow = NaN;
  }
  if (!isOpen(c.lifecycle)) return;
  const s = c.settings;
  const t = c.timers;
  t.set('idle', c.idle.deadline(s.idleTimeoutMs, c.hs.peerParams?.maxIdleTimeout ?? 0, c.recovery.ptoDuration()));
  t.set('handshake', c.lifecycle.state === 'handshake' ? c.startTime + s.handshakeTimeoutMs : null);
  // An ACK deadline only counts where an ACK can be sent (the server reads 0-RTT before it has 1-RTT keys).
  let ack = Infinity;
  for (const sp of c.spaces) if (!sp.discarded && (sp.id === 2 ? c.crypto.oneRtt : c.crypto.hasWriteKeys(sp.id))) ack = Math.min(ack, sp.ack.ackDeadline);
  t.set('ack', ack);
  t.set('pacing', c.pacingDeadline > 0 ? c.pacingDeadline : null);
  t.set('pathValidation', c.paths.deadline());
  t.set('keepAlive', s.keepAliveMs > 0 && c.lifecycle.state === 'established' ? c.idle.keepAliveAt(s.keepAliveMs) : null);
}
