/**
 * @module core/spaces
 * One packet number space (RFC 9000 §12.3): its next packet number,
 * received-packet tracking, and its CRYPTO stream in each direction
 * (RFC 9000 §7.5, RFC 9001 §4.1.3). Its keys are in core/crypto-state.ts.
 */
import type { Level } from '@tsquic/tls13-handshake';
import { AckTracker } from './recovery/ack-tracker.js';
import type { SpaceId } from './recovery/loss-detection.js';
import { RecvBuffer } from './streams/recv-buffer.js';
import { SendBuffer } from './streams/send-buffer.js';

export const LEVEL_OF: Record<SpaceId, Level> = { 0: 'initial', 1: 'handshake', 2: 'application' };
export const SPACE_NAME: Record<SpaceId, string> = { 0: 'initial', 1: 'handshake', 2: '1RTT' };

export class PacketSpace {
  nextPn = 0;
  /** The packet number to leave unused next (RFC 9000 §21.4), -1 until chosen. */
  skipAt = -1;
  readonly ack: AckTracker;
  readonly cryptoSend = new SendBuffer();
  readonly cryptoRecv = new RecvBuffer(1024);
  /** ACK-only packets sent since the last ack-eliciting one (RFC 9000 §13.2.4). */
  ackOnlyRun = 0;
  /** Ack-eliciting probe packets owed after a PTO (RFC 9002 §6.2.4). */
  probes = 0;
  discarded = false;

  constructor(
    readonly id: SpaceId,
    ackThreshold: number,
    maxAckDelay = 25,
  ) {
    this.ack = new AckTracker(id !== 2, ackThreshold, maxAckDelay);
  }

  discard(): void {
    this.discarded = true;
    this.cryptoSend.discard();
    this.cryptoRecv.discard();
    this.probes = 0;
  }
}
