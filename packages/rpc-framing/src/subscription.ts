/**
 * @module subscription
 * A call that receives server pushes: the client registers the call's
 * request_id, runs the call, and the push stream whose header frame carries
 * that request_id becomes the subscription's event source. The stream may
 * arrive before or after the ResponseFrame; `push: false` in an OK response
 * means none will come.
 */

import type { ClientCall, RawResponse } from './client-call.js';
import type { PushEvent, PushStream } from './push.js';
import { RpcError, StatusCode } from './status.js';

/** The events of one subscription, in the order the server sent them. */
export class Subscription implements AsyncIterable<PushEvent> {
  /** Settles with the call's ResponseFrame: resolves when the subscription is established. */
  readonly response: Promise<RawResponse>;
  private stream: PushStream | null = null;
  private error: RpcError | null = null;
  private noPush = false;
  private finished = false;
  private wake: (() => void) | null = null;

  /** @internal Made by the client or server, not by applications. */
  constructor(
    private readonly call: ClientCall,
    private readonly onEnd: () => void,
  ) {
    call.onCancel = (e) => this.fail(e);
    this.response = call.run(true).then(
      (res) => {
        if (!res.push) {
          this.noPush = true;
          this.notify();
        }
        return res;
      },
      (e: RpcError) => {
        this.fail(e);
        throw e;
      },
    );
    this.response.catch(() => undefined);
  }

  get requestId(): bigint {
    return this.call.requestId;
  }

  /** Routes the call's push stream here (from the client's accept loop). Returns false if unwanted. */
  attach(stream: PushStream): boolean {
    if (this.stream !== null || this.finished) return false;
    this.stream = stream;
    this.notify();
    return true;
  }

  /** Cancels the subscription: the call's stream and the push stream are reset with CANCELLED; iteration throws CANCELLED. */
  cancel(): void {
    this.call.cancel(new RpcError(StatusCode.CANCELLED, 'the subscription was cancelled'));
  }

  /** The next event; `null` when the server ended the subscription. Throws `RpcError`. */
  async next(): Promise<PushEvent | null> {
    for (;;) {
      if (this.error) throw this.error;
      if (this.stream) {
        let ev: PushEvent | null;
        try {
          ev = await this.stream.next();
        } catch (e) {
          this.fail(e as RpcError);
          throw this.error ?? e;
        }
        if (this.error) throw this.error;
        if (ev === null) this.end();
        return ev;
      }
      if (this.noPush || this.finished) {
        this.end();
        return null;
      }
      await new Promise<void>((r) => (this.wake = r));
    }
  }

  /** The pushed events, in order, until the server ends the stream; an error status throws `RpcError`. */
  async *[Symbol.asyncIterator](): AsyncIterator<PushEvent> {
    try {
      for (;;) {
        const ev = await this.next();
        if (ev === null) return;
        yield ev;
      }
    } finally {
      // Leaving the loop early (break, return, throw in the body) cancels the subscription.
      if (!this.finished) this.cancel();
    }
  }

  private fail(e: RpcError): void {
    if (this.finished) return;
    this.error = e;
    this.stream?.cancel(e.code);
    this.end();
  }

  private end(): void {
    if (this.finished) return;
    this.finished = true;
    this.call.disarm();
    this.onEnd();
    this.notify();
  }

  private notify(): void {
    const w = this.wake;
    this.wake = null;
    w?.();
  }
}
