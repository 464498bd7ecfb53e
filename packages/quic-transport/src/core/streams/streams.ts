/**
 * @module core/streams/streams
 * All streams of a connection (RFC 9000 §2–§4, §19.4–§19.14): opening under
 * the peer's MAX_STREAMS, implicit opening of lower-numbered peer streams,
 * our limits enforced (STREAM_LIMIT_ERROR, FLOW_CONTROL_ERROR,
 * FINAL_SIZE_ERROR, STREAM_STATE_ERROR), connection- and stream-level flow
 * control, round-robin scheduling of stream data, the control frames to
 * send (and to resend with current values when lost), and the events the
 * application sees. The connection calls it in three families: frames in
 * (`on*`), frames out (`pollControl`, `pollStream`, `onAcked`, `onLost`),
 * and application calls (`open`, `write`, `read`, `reset`, `stopSending`).
 */
import { maxStreamDataThatFits, type Frame } from '@tsquic/quic-wire';
import { TransportError, TransportErrorCode as E } from '../errors.js';
import { RecvWindow, SendCredit } from './flow-control.js';
import type { FragmentBudget } from './recv-buffer.js';
import { initiator, isUni, RecvHalf, SendHalf, Stream, streamId, streamIndex } from './stream.js';

/** Stream limits and flow-control windows (RFC 9000 §4). */
export interface StreamSettings {
  /** Our limits, advertised in transport parameters. */
  maxStreamsBidi: number;
  maxStreamsUni: number;
  /** Initial receive window per stream we open (bidi), per peer-opened bidi stream, per peer uni stream. */
  streamWindowBidiLocal: number;
  streamWindowBidiRemote: number;
  streamWindowUni: number;
  /** Auto-tuning ceiling per stream. */
  maxStreamWindow: number;
  connWindow: number;
  maxConnWindow: number;
  /** Unacknowledged bytes a stream may hold before write() pushes back. */
  sendBufferSize: number;
  /**
   * Out-of-order fragments held by all receive streams of the connection
   * together (bytes are bounded by flow control; this bounds the bookkeeping
   * a flood of tiny fragments costs). Default: maxConnWindow / 1024, at
   * least 1024. Beyond it the connection closes with PROTOCOL_VIOLATION.
   */
  maxReassemblyFragments?: number;
}

/** The stream settings a connection gets when it is given none. */
export const defaultStreamSettings: StreamSettings = {
  maxStreamsBidi: 100,
  maxStreamsUni: 100,
  streamWindowBidiLocal: 256 * 1024,
  streamWindowBidiRemote: 256 * 1024,
  streamWindowUni: 256 * 1024,
  maxStreamWindow: 16 * 1024 * 1024,
  connWindow: 1024 * 1024,
  maxConnWindow: 24 * 1024 * 1024,
  sendBufferSize: 4 * 1024 * 1024,
};

/** The peer's limits, from its transport parameters. */
export interface PeerStreamLimits {
  initialMaxData: number;
  initialMaxStreamDataBidiLocal: number;
  initialMaxStreamDataBidiRemote: number;
  initialMaxStreamDataUni: number;
  initialMaxStreamsBidi: number;
  initialMaxStreamsUni: number;
}

/** What the streams report: a stream opened by the peer, readable or writable again, reset or stopped by the peer. */
export type StreamEvent =
  | { type: 'stream-incoming'; id: number }
  | { type: 'stream-readable'; id: number }
  | { type: 'stream-writable'; id: number }
  /** The peer acknowledged all the data we sent on the stream and its FIN (RFC 9000 §3.1 Data Recvd). */
  | { type: 'stream-acked'; id: number }
  | { type: 'stream-reset'; id: number; code: bigint }
  | { type: 'stop-sending'; id: number; code: bigint }
  | { type: 'stream-closed'; id: number };

/** What a sent packet remembers of each stream-related frame, to resend or release it. */
export type StreamRecord =
  | { k: 'stream'; id: number; offset: number; len: number; fin: boolean }
  | { k: 'max_data' }
  | { k: 'max_stream_data'; id: number }
  | { k: 'max_streams'; bidi: boolean }
  | { k: 'data_blocked' }
  | { k: 'stream_data_blocked'; id: number }
  | { k: 'streams_blocked'; bidi: boolean }
  | { k: 'reset_stream'; id: number }
  | { k: 'stop_sending'; id: number };

export interface StreamChunk {
  id: number;
  offset: number;
  data: Uint8Array;
  fin: boolean;
}

const DIRS = ['bidi', 'uni'] as const;
type Dir = (typeof DIRS)[number];

export class Streams {
  private readonly streams = new Map<number, Stream>();
  private readonly events: StreamEvent[] = [];
  private readonly side: 'client' | 'server';
  private readonly peerSide: 'client' | 'server';
  // Stream counts: next index we open, the peer's limit for us, our limit for the peer, how many the peer opened.
  private readonly nextLocal = { bidi: 0, uni: 0 };
  private readonly peerMax = { bidi: 0, uni: 0 };
  private readonly localMax: Record<Dir, number>;
  private readonly peerOpened = { bidi: 0, uni: 0 };
  private readonly maxStreamsPending = { bidi: false, uni: false };
  private readonly streamsBlockedAt = { bidi: -1, uni: -1 };
  private readonly streamsBlockedPending = { bidi: false, uni: false };
  /** Connection-level flow control. */
  readonly connSend = new SendCredit(0);
  readonly connRecv: RecvWindow;
  private peer: PeerStreamLimits = { initialMaxData: 0, initialMaxStreamDataBidiLocal: 0, initialMaxStreamDataBidiRemote: 0, initialMaxStreamDataUni: 0, initialMaxStreamsBidi: 0, initialMaxStreamsUni: 0 };
  /** Streams with data or a FIN to send, in round-robin order. */
  private sendQueue: number[] = [];
  private readonly queued = new Set<number>();
  /** Stream data waits for connection credit: a DATA_BLOCKED is due (once per limit). */
  private connBlocked = false;
  /** Streams with new data held back by connection credit alone: rescheduled when MAX_DATA raises it. */
  private readonly connWaiting = new Set<number>();
  /** Streams with a control frame to send. */
  private readonly controlPending = new Set<number>();
  /** RTT estimate for window auto-tuning (the connection keeps it current). */
  rtt = 100;
  private maxPieces: number;
  private readonly fragments: FragmentBudget;

  constructor(
    side: 'client' | 'server',
    readonly settings: StreamSettings = defaultStreamSettings,
  ) {
    this.side = side;
    this.peerSide = side === 'client' ? 'server' : 'client';
    this.localMax = { bidi: settings.maxStreamsBidi, uni: settings.maxStreamsUni };
    this.connRecv = new RecvWindow(settings.connWindow, settings.maxConnWindow);
    // Reassembly pieces per stream: proportional to the window (an honest peer's gaps), at least 1024.
    this.maxPieces = Math.max(1024, Math.ceil(settings.maxStreamWindow / 1024));
    this.fragments = { used: 0, max: settings.maxReassemblyFragments ?? Math.max(1024, Math.ceil(settings.maxConnWindow / 1024)) };
  }

  /** Out-of-order fragments held across every stream now. */
  get reassemblyFragments(): number {
    return this.fragments.used;
  }

  /** The connection-wide fragment ceiling (`maxReassemblyFragments`). */
  get maxReassemblyFragments(): number {
    return this.fragments.max;
  }

  /** Apply the peer's transport parameters (their limits on what we send). */
  setPeerLimits(p: PeerStreamLimits): void {
    this.peer = p;
    this.connSend.raise(p.initialMaxData);
    this.peerMax.bidi = Math.max(this.peerMax.bidi, p.initialMaxStreamsBidi);
    this.peerMax.uni = Math.max(this.peerMax.uni, p.initialMaxStreamsUni);
    for (const s of this.streams.values()) if (s.send) s.send.credit.raise(this.peerSendLimit(s.id));
  }

  private peerSendLimit(id: number): number {
    if (isUni(id)) return this.peer.initialMaxStreamDataUni;
    return initiator(id) === this.side ? this.peer.initialMaxStreamDataBidiRemote : this.peer.initialMaxStreamDataBidiLocal;
  }

  private recvWindowFor(id: number): number {
    if (isUni(id)) return this.settings.streamWindowUni;
    return initiator(id) === this.side ? this.settings.streamWindowBidiLocal : this.settings.streamWindowBidiRemote;
  }

  private create(id: number): Stream {
    const s = new Stream(id);
    const local = initiator(id) === this.side;
    if (!isUni(id) || local) s.send = new SendHalf(this.peerSendLimit(id));
    if (!isUni(id) || !local) s.recv = new RecvHalf(this.recvWindowFor(id), this.settings.maxStreamWindow, this.maxPieces, this.fragments);
    this.streams.set(id, s);
    return s;
  }

  // ---- application calls ----

  /** Open a stream; null when the peer's MAX_STREAMS is exhausted (a STREAMS_BLOCKED is queued). */
  open(dir: Dir): number | null {
    if (this.nextLocal[dir] >= this.peerMax[dir]) {
      if (this.streamsBlockedAt[dir] !== this.peerMax[dir]) this.streamsBlockedPending[dir] = true;
      return null;
    }
    const id = streamId(this.nextLocal[dir]++, this.side, dir === 'uni');
    this.create(id);
    return id;
  }

  /** How many more streams of `dir` we may open now. */
  openable(dir: Dir): number {
    return this.peerMax[dir] - this.nextLocal[dir];
  }

  private sendHalf(id: number): SendHalf {
    const s = this.streams.get(id);
    if (!s?.send) throw new TypeError(`stream ${id} has no open sending side`);
    return s.send;
  }

  /** Queue data; returns the bytes accepted (the send buffer's budget — back-pressure). */
  write(id: number, data: Uint8Array, fin = false): number {
    const h = this.sendHalf(id);
    if (h.state !== 'ready' && h.state !== 'send') throw new TypeError(`stream ${id} is ${h.state}: cannot write`);
    const room = Math.max(0, this.settings.sendBufferSize - h.buf.unacked);
    const n = Math.min(room, data.length);
    if (n > 0) h.buf.write(n === data.length ? data : data.subarray(0, n));
    if (n < data.length) h.blockedByBudget = true;
    else if (fin) this.finishHalf(h);
    if (n > 0 || fin) {
      if (h.state === 'ready') h.state = 'send';
      this.schedule(id);
    }
    return n;
  }

  /** Bytes `write()` would accept now. */
  writable(id: number): number {
    const h = this.sendHalf(id);
    return Math.max(0, this.settings.sendBufferSize - h.buf.unacked);
  }

  finish(id: number): void {
    const h = this.sendHalf(id);
    if (h.state !== 'ready' && h.state !== 'send') return;
    this.finishHalf(h);
    this.schedule(id);
  }

  private finishHalf(h: SendHalf): void {
    h.buf.finish();
    if (h.state === 'ready') h.state = 'send';
  }

  /** Read up to `max` bytes in order; null when nothing is readable (check `fin` for the end). */
  read(id: number, max: number, now: number): { data: Uint8Array; fin: boolean } | null {
    const s = this.streams.get(id);
    const h = s?.recv;
    if (!h) throw new TypeError(`stream ${id} has no receiving side`);
    if (h.state === 'reset-recvd' || h.state === 'reset-read') {
      h.state = 'reset-read';
      this.maybeClose(s!);
      return null;
    }
    const data = h.buf.read(max);
    const atEnd = h.finalSize !== undefined && h.buf.readOffset === h.finalSize;
    if (data) {
      h.window.consume(data.length, now, this.rtt);
      this.connRecv.consume(data.length, now, this.rtt);
      if (h.window.updatePending) this.controlPending.add(id);
    }
    if (h.buf.readable === 0 && !atEnd) h.signaled = false;
    if (atEnd && h.state !== 'data-read') {
      h.state = 'data-read';
      this.maybeClose(s!);
      return { data: data ?? EMPTY, fin: true };
    }
    return data ? { data, fin: false } : null;
  }

  /** Bytes readable now without waiting. */
  readable(id: number): number {
    return this.streams.get(id)?.recv?.buf.readable ?? 0;
  }

  /** Abandon sending: RESET_STREAM with `code` (RFC 9000 §3.1). */
  reset(id: number, code: bigint): void {
    const s = this.streams.get(id);
    const h = s?.send;
    if (!h || h.state === 'data-recvd' || h.state === 'reset-sent' || h.state === 'reset-recvd') return;
    h.reset = { code, finalSize: h.buf.nextNew, pending: true };
    h.state = 'reset-sent';
    h.buf.discard();
    this.controlPending.add(id);
  }

  /** Ask the peer to stop sending: STOP_SENDING with `code` (RFC 9000 §3.5). */
  stopSending(id: number, code: bigint): void {
    const s = this.streams.get(id);
    const h = s?.recv;
    if (!h || h.stop || h.state === 'data-recvd' || h.state === 'data-read' || h.state === 'reset-recvd' || h.state === 'reset-read') return;
    h.stop = { code, pending: true };
    this.controlPending.add(id);
  }

  pollEvent(): StreamEvent | undefined {
    return this.events.shift();
  }

  get hasEvents(): boolean {
    return this.events.length > 0;
  }

  // ---- frames from the peer ----

  /** Look up a stream a frame names, opening peer streams as §2.1/§3.2 require; null for one already closed and gone. */
  private streamFor(id: number, frameType: number): Stream | null {
    const existing = this.streams.get(id);
    if (existing) return existing;
    const dir: Dir = isUni(id) ? 'uni' : 'bidi';
    const index = streamIndex(id);
    if (initiator(id) === this.side) {
      // RFC 9000 §19.8 etc.: a frame for a locally-initiated stream not yet created is STREAM_STATE_ERROR.
      if (index >= this.nextLocal[dir]) throw new TransportError(E.STREAM_STATE_ERROR, `frame for unopened local stream ${id}`, frameType);
      return null; // closed and garbage-collected
    }
    if (index < this.peerOpened[dir]) return null; // closed and gone
    // RFC 9000 §4.6: beyond our limit is a STREAM_LIMIT_ERROR.
    if (index >= this.localMax[dir]) throw new TransportError(E.STREAM_LIMIT_ERROR, `peer opened stream ${id} beyond MAX_STREAMS ${this.localMax[dir]}`, frameType);
    // §3.2: opening a stream opens every lower-numbered one of its type.
    let s: Stream | undefined;
    for (let i = this.peerOpened[dir]; i <= index; i++) {
      const sid = streamId(i, this.peerSide, dir === 'uni');
      s = this.create(sid);
      this.events.push({ type: 'stream-incoming', id: sid });
    }
    this.peerOpened[dir] = index + 1;
    return s!;
  }

  private recvHalfFor(id: number, frameType: number): RecvHalf | null {
    if (isUni(id) && initiator(id) === this.side) throw new TransportError(E.STREAM_STATE_ERROR, `stream ${id} is send-only for us`, frameType);
    const s = this.streamFor(id, frameType);
    return s?.recv ?? null;
  }

  private sendHalfFor(id: number, frameType: number): SendHalf | null {
    if (isUni(id) && initiator(id) !== this.side) throw new TransportError(E.STREAM_STATE_ERROR, `stream ${id} is receive-only for us`, frameType);
    const s = this.streamFor(id, frameType);
    return s?.send ?? null;
  }

  /** RFC 9000 §4.5: a final size must not change, and no data may lie beyond it. */
  private checkFinalSize(h: RecvHalf, end: number, fin: boolean, frameType: number): void {
    if (h.finalSize !== undefined) {
      if (end > h.finalSize || (fin && end !== h.finalSize)) throw new TransportError(E.FINAL_SIZE_ERROR, `final size ${h.finalSize} changed or exceeded (${end})`, frameType);
    } else if (fin && end < h.buf.highest) throw new TransportError(E.FINAL_SIZE_ERROR, `final size ${end} below data already received (${h.buf.highest})`, frameType);
  }

  /** Account `end` against stream and connection limits (§4.1: by highest offset received). */
  private accountHighest(h: RecvHalf, end: number, frameType: number): void {
    if (h.window.exceeds(end)) throw new TransportError(E.FLOW_CONTROL_ERROR, `stream data to ${end} beyond MAX_STREAM_DATA ${h.window.limit}`, frameType);
    if (end > h.window.highest) {
      const delta = end - h.window.highest;
      if (this.connRecv.exceeds(this.connRecv.highest + delta)) throw new TransportError(E.FLOW_CONTROL_ERROR, `connection data beyond MAX_DATA ${this.connRecv.limit}`, frameType);
      h.window.highest = end;
      this.connRecv.highest += delta;
    }
  }

  onStreamFrame(id: number, offset: number, data: Uint8Array, fin: boolean, frameType = 0x08): void {
    const h = this.recvHalfFor(id, frameType);
    if (!h || h.state === 'reset-recvd' || h.state === 'reset-read' || h.state === 'data-read') return;
    const end = offset + data.length;
    this.checkFinalSize(h, end, fin, frameType);
    this.accountHighest(h, end, frameType);
    if (fin && h.finalSize === undefined) {
      h.finalSize = end;
      h.state = 'size-known';
    }
    // Small pieces are copied so they do not pin whole packet buffers in memory.
    const added = h.buf.insert(offset, data.length < 512 && data.length > 0 ? new Uint8Array(data) : data);
    if (added < 0) throw new TransportError(E.PROTOCOL_VIOLATION, `stream ${id}: too many out-of-order fragments`, frameType);
    if (h.finalSize !== undefined && h.state === 'size-known' && h.buf.received.covers(0, h.finalSize)) h.state = 'data-recvd';
    if (!h.signaled && (h.buf.readable > 0 || (h.finalSize !== undefined && h.buf.readOffset === h.finalSize))) {
      h.signaled = true;
      this.events.push({ type: 'stream-readable', id });
    }
  }

  onResetStream(id: number, code: bigint, finalSize: number, frameType = 0x04): void {
    const h = this.recvHalfFor(id, frameType);
    if (!h || h.state === 'reset-recvd' || h.state === 'reset-read') return;
    this.checkFinalSize(h, finalSize, true, frameType);
    this.accountHighest(h, finalSize, frameType);
    h.finalSize = finalSize;
    if (h.state === 'data-read') return; // all data already delivered: the reset changes nothing
    // §4.5: unread bytes up to the final size count as consumed for connection flow control.
    const unread = finalSize - h.buf.readOffset;
    if (unread > 0) this.connRecv.consume(unread, 0, this.rtt);
    h.state = 'reset-recvd';
    h.resetCode = code;
    h.buf.discard();
    h.stop = undefined;
    this.events.push({ type: 'stream-reset', id, code });
  }

  onStopSending(id: number, code: bigint, frameType = 0x05): void {
    const h = this.sendHalfFor(id, frameType);
    if (!h || h.stopCode !== undefined) return;
    h.stopCode = code;
    this.events.push({ type: 'stop-sending', id, code });
    // §3.5: answer with RESET_STREAM carrying the same code.
    this.reset(id, code);
  }

  onMaxData(max: number): void {
    if (!this.connSend.raise(max)) return;
    for (const id of this.connWaiting) this.schedule(id);
    this.connWaiting.clear();
  }

  /** A stream leaves the send queue: remember it when only connection credit holds its new data back. */
  private unqueue(id: number, h: SendHalf): void {
    this.queued.delete(id);
    if (h.buf.nextNew < h.buf.written && h.buf.nextNew < h.credit.limit) this.connWaiting.add(id);
  }

  onMaxStreamData(id: number, max: number, frameType = 0x11): void {
    const h = this.sendHalfFor(id, frameType);
    if (h?.credit.raise(max) && h.buf.hasPending()) this.schedule(id);
  }

  onMaxStreams(bidi: boolean, max: number): void {
    const dir: Dir = bidi ? 'bidi' : 'uni';
    if (max > this.peerMax[dir]) this.peerMax[dir] = max;
  }

  onStreamDataBlocked(id: number, frameType = 0x15): void {
    // Informational; a send-only stream of ours cannot be blocked by the peer.
    this.recvHalfFor(id, frameType);
  }

  // ---- frames to the peer ----

  private schedule(id: number): void {
    if (!this.queued.has(id)) {
      this.queued.add(id);
      this.sendQueue.push(id);
    }
  }

  /** Stream data could be sent if packets allowed it. */
  get hasStreamData(): boolean {
    for (const id of this.sendQueue) {
      const h = this.streams.get(id)?.send;
      if (h && h.buf.hasPending(Math.min(h.credit.limit, h.buf.nextNew + this.connSend.available))) return true;
    }
    return false;
  }

  /** Asked several times a packet: plain field reads, no closure. */
  get hasControl(): boolean {
    const m = this.maxStreamsPending;
    const b = this.streamsBlockedPending;
    return this.controlPending.size > 0 || this.connRecv.updatePending || (this.connBlocked && this.connSend.blockedPending) || m.bidi || m.uni || b.bidi || b.uni;
  }

  /** The next control frame that fits in `budget` bytes, with its record; null when none. */
  pollControl(budget: number): { frame: Frame; rec: StreamRecord } | null {
    if (budget < 3) return null;
    if (this.connRecv.updatePending && budget >= 9) {
      this.connRecv.updatePending = false;
      return { frame: { type: 'max_data', maximum: this.connRecv.limit }, rec: { k: 'max_data' } };
    }
    for (const d of DIRS) {
      if (this.maxStreamsPending[d] && budget >= 9) {
        this.maxStreamsPending[d] = false;
        return { frame: { type: 'max_streams', bidi: d === 'bidi', maximum: this.localMax[d] }, rec: { k: 'max_streams', bidi: d === 'bidi' } };
      }
      if (this.streamsBlockedPending[d] && budget >= 9) {
        this.streamsBlockedPending[d] = false;
        this.streamsBlockedAt[d] = this.peerMax[d];
        return { frame: { type: 'streams_blocked', bidi: d === 'bidi', limit: this.peerMax[d] }, rec: { k: 'streams_blocked', bidi: d === 'bidi' } };
      }
    }
    if (this.connBlocked && this.connSend.blockedPending && budget >= 9) {
      this.connBlocked = false;
      this.connSend.markBlockedSent();
      return { frame: { type: 'data_blocked', limit: this.connSend.limit }, rec: { k: 'data_blocked' } };
    }
    for (const id of this.controlPending) {
      const s = this.streams.get(id);
      if (!s) {
        this.controlPending.delete(id);
        continue;
      }
      if (budget < 25) return null;
      const send = s.send;
      const recv = s.recv;
      if (send?.reset?.pending) {
        send.reset.pending = false;
        return { frame: { type: 'reset_stream', streamId: id, errorCode: send.reset.code, finalSize: send.reset.finalSize }, rec: { k: 'reset_stream', id } };
      }
      if (recv?.stop?.pending) {
        recv.stop.pending = false;
        return { frame: { type: 'stop_sending', streamId: id, errorCode: recv.stop.code }, rec: { k: 'stop_sending', id } };
      }
      if (recv?.window.updatePending) {
        recv.window.updatePending = false;
        if (recv.state === 'recv') return { frame: { type: 'max_stream_data', streamId: id, maximum: recv.window.limit }, rec: { k: 'max_stream_data', id } };
      }
      if (send && send.credit.blockedPending && send.buf.nextNew < send.buf.written && (send.state === 'send' || send.state === 'ready')) {
        send.credit.markBlockedSent();
        return { frame: { type: 'stream_data_blocked', streamId: id, limit: send.credit.limit }, rec: { k: 'stream_data_blocked', id } };
      }
      this.controlPending.delete(id);
    }
    return null;
  }

  /**
   * The next STREAM frame's content fitting a frame of at most `budget` bytes
   * (Length field included), round-robin across streams, within connection
   * and stream flow control. Null when nothing can be sent.
   */
  pollStream(budget: number): StreamChunk | null {
    for (let tries = this.sendQueue.length; tries > 0; tries--) {
      const id = this.sendQueue.shift()!;
      const s = this.streams.get(id);
      const h = s?.send;
      if (!h || (h.state !== 'send' && h.state !== 'data-sent')) {
        this.queued.delete(id);
        continue;
      }
      const creditEnd = Math.min(h.credit.limit, h.buf.nextNew + this.connSend.available);
      if (!h.buf.hasPending(creditEnd)) {
        if (h.credit.blockedPending && h.buf.nextNew < h.buf.written) this.controlPending.add(id);
        if (this.connSend.available === 0 && h.buf.nextNew < h.buf.written && h.buf.nextNew < h.credit.limit) this.connBlocked = true;
        this.unqueue(id, h);
        continue;
      }
      const max = maxStreamDataThatFits(id, h.buf.peekOffset(), budget);
      if (max < 0) {
        this.sendQueue.unshift(id);
        return null;
      }
      const before = h.buf.nextNew;
      const e = h.buf.emit(max, creditEnd);
      if (!e) {
        this.queued.delete(id);
        continue;
      }
      const fresh = h.buf.nextNew - before;
      if (fresh > 0) {
        h.credit.used = h.buf.nextNew;
        this.connSend.used += fresh;
      }
      if (h.buf.finSent && h.buf.finalSize !== undefined && h.buf.nextNew === h.buf.finalSize && h.state === 'send') h.state = 'data-sent';
      if (h.buf.hasPending(Math.min(h.credit.limit, h.buf.nextNew + this.connSend.available))) this.sendQueue.push(id);
      else this.unqueue(id, h);
      return { id, offset: e.offset, data: e.data, fin: e.fin };
    }
    return null;
  }

  onAcked(rec: StreamRecord): void {
    switch (rec.k) {
      case 'stream': {
        const s = this.streams.get(rec.id);
        const h = s?.send;
        if (!h || h.state === 'reset-sent' || h.state === 'reset-recvd') return;
        h.buf.onAcked(rec.offset, rec.len, rec.fin);
        if (h.blockedByBudget && h.buf.unacked < this.settings.sendBufferSize) {
          h.blockedByBudget = false;
          this.events.push({ type: 'stream-writable', id: rec.id });
        }
        if (h.buf.allAcked && h.state !== 'data-recvd') {
          h.state = 'data-recvd';
          this.events.push({ type: 'stream-acked', id: rec.id });
          this.maybeClose(s!);
        }
        return;
      }
      case 'reset_stream': {
        const s = this.streams.get(rec.id);
        if (s?.send?.state === 'reset-sent') {
          s.send.state = 'reset-recvd';
          this.maybeClose(s);
        }
        return;
      }
      default:
        return;
    }
  }

  onLost(rec: StreamRecord): void {
    switch (rec.k) {
      case 'stream': {
        const h = this.streams.get(rec.id)?.send;
        if (!h || h.state === 'reset-sent' || h.state === 'reset-recvd' || h.state === 'data-recvd') return;
        h.buf.onLost(rec.offset, rec.len, rec.fin);
        this.schedule(rec.id);
        return;
      }
      case 'max_data':
        this.connRecv.updatePending = true; // resent with the current value
        return;
      case 'max_streams':
        this.maxStreamsPending[rec.bidi ? 'bidi' : 'uni'] = true;
        return;
      case 'data_blocked':
        this.connSend.blockedLost();
        this.connBlocked = this.connSend.available === 0;
        return;
      case 'streams_blocked': {
        const d: Dir = rec.bidi ? 'bidi' : 'uni';
        if (this.nextLocal[d] >= this.peerMax[d]) this.streamsBlockedPending[d] = true;
        return;
      }
      case 'max_stream_data': {
        const h = this.streams.get(rec.id)?.recv;
        if (h && h.state === 'recv') {
          h.window.updatePending = true;
          this.controlPending.add(rec.id);
        }
        return;
      }
      case 'stream_data_blocked': {
        const h = this.streams.get(rec.id)?.send;
        if (h) {
          h.credit.blockedLost();
          this.controlPending.add(rec.id);
        }
        return;
      }
      case 'reset_stream': {
        const h = this.streams.get(rec.id)?.send;
        if (h?.reset && h.state === 'reset-sent') {
          h.reset.pending = true;
          this.controlPending.add(rec.id);
        }
        return;
      }
      case 'stop_sending': {
        const h = this.streams.get(rec.id)?.recv;
        if (h?.stop && (h.state === 'recv' || h.state === 'size-known')) {
          h.stop.pending = true;
          this.controlPending.add(rec.id);
        }
        return;
      }
    }
  }

  /** Forget a fully closed stream; a closed peer stream lets the peer open another (MAX_STREAMS, §4.6). */
  private maybeClose(s: Stream): void {
    if (!s.closed || !this.streams.has(s.id)) return;
    this.streams.delete(s.id);
    this.queued.delete(s.id);
    this.controlPending.delete(s.id);
    this.events.push({ type: 'stream-closed', id: s.id });
    if (initiator(s.id) !== this.side) {
      const d: Dir = isUni(s.id) ? 'uni' : 'bidi';
      this.localMax[d]++;
      this.maxStreamsPending[d] = true;
    }
  }

  /** Stream state, for tests and stats. */
  get(id: number): Stream | undefined {
    return this.streams.get(id);
  }

  get openCount(): number {
    return this.streams.size;
  }

  /** Our current MAX_STREAMS for the peer (tests). */
  limitFor(dir: Dir): number {
    return this.localMax[dir];
  }
}

const EMPTY = new Uint8Array(0);
