/**
 * @module core/streams/stream
 * One stream's two halves and their state machines (RFC 9000 §3.1 sending,
 * §3.2 receiving), with their flow-control limits.
 */
import { RecvWindow, SendCredit } from './flow-control.js';
import { RecvBuffer, type FragmentBudget } from './recv-buffer.js';
import { SendBuffer } from './send-buffer.js';

export type SendState = 'ready' | 'send' | 'data-sent' | 'data-recvd' | 'reset-sent' | 'reset-recvd';
export type RecvState = 'recv' | 'size-known' | 'data-recvd' | 'data-read' | 'reset-recvd' | 'reset-read';

export class SendHalf {
  state: SendState = 'ready';
  readonly buf = new SendBuffer();
  readonly credit: SendCredit;
  /** RESET_STREAM to (re)send: code and final size. */
  reset: { code: bigint; finalSize: number; pending: boolean } | undefined;
  /** The peer's STOP_SENDING code, once received. */
  stopCode: bigint | undefined;
  /** The app was told it may write again (edge-triggered 'writable'). */
  blockedByBudget = false;

  constructor(peerLimit: number) {
    this.credit = new SendCredit(peerLimit);
  }

  get terminal(): boolean {
    return this.state === 'data-recvd' || this.state === 'reset-recvd';
  }
}

export class RecvHalf {
  state: RecvState = 'recv';
  readonly buf: RecvBuffer;
  readonly window: RecvWindow;
  finalSize: number | undefined;
  /** STOP_SENDING to (re)send. */
  stop: { code: bigint; pending: boolean } | undefined;
  resetCode: bigint | undefined;
  /** A 'readable' event is outstanding until the app drains the stream. */
  signaled = false;

  constructor(window: number, maxWindow: number, maxPieces: number, budget?: FragmentBudget) {
    this.window = new RecvWindow(window, maxWindow);
    this.buf = new RecvBuffer(maxPieces, budget);
  }

  get terminal(): boolean {
    return this.state === 'data-read' || this.state === 'reset-read';
  }
}

export class Stream {
  send: SendHalf | undefined;
  recv: RecvHalf | undefined;
  constructor(readonly id: number) {}

  get closed(): boolean {
    return (!this.send || this.send.terminal) && (!this.recv || this.recv.terminal);
  }
}

/** RFC 9000 §2.1: bit 0 is the initiator (0 client), bit 1 the direction (0 bidirectional). */
export const isUni = (id: number): boolean => (id & 2) !== 0;
export const initiator = (id: number): 'client' | 'server' => ((id & 1) === 0 ? 'client' : 'server');
export const streamIndex = (id: number): number => Math.floor(id / 4);
export const streamId = (index: number, by: 'client' | 'server', uni: boolean): number => index * 4 + (uni ? 2 : 0) + (by === 'server' ? 1 : 0);
