/**
 * @module goaway
 * GOAWAY accounting (RFC 9114 §5.2), sans-IO. A server's GOAWAY names the
 * first request stream it will not process: every client-initiated
 * bidirectional stream below it that arrives (even late, reordered) is
 * served, every one at or above it is rejected with H3_REQUEST_REJECTED
 * (§4.1.1), and a later GOAWAY may only lower the ID. A client that
 * receives GOAWAY opens no new requests there; its requests at or above the
 * ID were not processed and may be retried on another connection. A
 * client's own GOAWAY carries a push ID; never having allowed a push, ours
 * is 0.
 */
import type { Role } from './frames.js';

export class GoawayState {
  /** Server: the highest request stream ID seen, -4 before any. */
  #highest = -4n;
  #sent: bigint | undefined;
  #received: bigint | undefined;

  constructor(readonly role: Role) {}

  /** The ID of the GOAWAY we sent last, if any. */
  get sent(): bigint | undefined {
    return this.#sent;
  }

  /** The ID of the peer's last GOAWAY, if any. */
  get received(): bigint | undefined {
    return this.#received;
  }

  /** True once either side sent GOAWAY: no new requests on this connection. */
  get draining(): boolean {
    return this.#sent !== undefined || this.#received !== undefined;
  }

  /** Server: a request stream arrived; false when a GOAWAY we sent excludes it (reject it, §5.2). */
  admitRequest(streamId: bigint): boolean {
    if (streamId > this.#highest) this.#highest = streamId;
    return this.#sent === undefined || streamId < this.#sent;
  }

  /**
   * The ID for a GOAWAY to send now and records it: a server names the
   * stream after the highest it has seen (all of those will be served), a
   * client push ID 0. Never above an earlier GOAWAY (§5.2).
   */
  prepare(): bigint {
    const id = this.role === 'server' ? this.#highest + 4n : 0n;
    this.#sent = this.#sent === undefined || id < this.#sent ? id : this.#sent;
    return this.#sent;
  }

  /** The peer's GOAWAY (already checked by the control stream: request stream ID, never increasing). */
  receive(id: bigint): void {
    this.#received = id;
  }

  /** Client: a request on `streamId` was not and will not be processed by the server (§5.2): retry elsewhere. */
  unprocessed(streamId: bigint): boolean {
    return this.role === 'client' && this.#received !== undefined && streamId >= this.#received;
  }
}
