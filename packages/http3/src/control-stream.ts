/**
 * @module control-stream
 * The peer's control stream (RFC 9114 §6.2.1), sans-IO: bytes in (with the
 * caller's `now`), control events out. It enforces SETTINGS first and once
 * (§6.2.1, §7.2.4), the frame rules of Table 1 (§7.2), the ID rules of
 * GOAWAY (§5.2, §7.2.6), MAX_PUSH_ID (§7.2.7) and CANCEL_PUSH (§7.2.3, for
 * an endpoint that never promises or allows pushes), skips unknown and
 * reserved frame types (§9), and bounds what a hostile peer can make us do:
 * the size of a buffered frame, and the rate of frames after SETTINGS (a
 * token bucket, H3_EXCESSIVE_LOAD beyond it, §10.5).
 */
import { connectionError, H3ErrorCode, type Http3Error } from './errors.js';
import { FrameDecoder, type FrameDisposition } from './frame-decoder.js';
import { classifyFrame, decodeIdPayload, FrameType, type Role } from './frames.js';
import { decodeSettings } from './settings.js';

export type ControlEvent = { readonly kind: 'settings'; readonly settings: Map<bigint, bigint> } | { readonly kind: 'goaway'; readonly id: bigint } | { readonly kind: 'max-push-id'; readonly id: bigint };

export interface ControlStreamLimits {
  /** Largest SETTINGS payload accepted (default 16 KiB); above it H3_EXCESSIVE_LOAD. */
  readonly maxSettingsSize?: number;
  /** Frames after SETTINGS allowed in a burst (default 1,000). */
  readonly frameBurst?: number;
  /** Sustained frames per second after the burst (default 100). */
  readonly framesPerSecond?: number;
}

/** GOAWAY, MAX_PUSH_ID and CANCEL_PUSH carry one varint: more than 8 bytes cannot be valid (§7.1). */
const ID_FRAME_MAX = 8;

export class ControlStreamReceiver {
  readonly #decoder: FrameDecoder;
  readonly #burst: number;
  readonly #rate: number;
  #tokens: number;
  #lastRefill: number | undefined;
  /** Frame headers read so far. */
  #frames = 0;
  #goaway: bigint | undefined;
  #maxPushId: bigint | undefined;

  constructor(
    /** Who reads this stream: Table 1 depends on it. */
    readonly receiver: Role,
    limits: ControlStreamLimits = {},
  ) {
    const maxSettings = limits.maxSettingsSize ?? 16 * 1024;
    this.#burst = limits.frameBurst ?? 1000;
    this.#rate = limits.framesPerSecond ?? 100;
    this.#tokens = this.#burst;
    const settingsTooLarge = (): Http3Error => connectionError(H3ErrorCode.H3_EXCESSIVE_LOAD, `SETTINGS frame above ${maxSettings} bytes`);
    const idTooLong = (): Http3Error => connectionError(H3ErrorCode.H3_FRAME_ERROR, 'ID frame payload longer than one varint');
    this.#decoder = new FrameDecoder((type): FrameDisposition => {
      if (this.#frames++ === 0) {
        // RFC 9114 §6.2.1: the first frame MUST be SETTINGS, else H3_MISSING_SETTINGS.
        if (type !== FrameType.SETTINGS) throw connectionError(H3ErrorCode.H3_MISSING_SETTINGS, `control stream starts with frame type 0x${type.toString(16)}, not SETTINGS`);
      } else {
        // RFC 9114 §7.2.4: a second SETTINGS frame is H3_FRAME_UNEXPECTED.
        if (type === FrameType.SETTINGS) throw connectionError(H3ErrorCode.H3_FRAME_UNEXPECTED, 'second SETTINGS frame');
        // RFC 9114 §10.5: a peer sending frames (of any type) faster than the bucket allows is H3_EXCESSIVE_LOAD.
        if (--this.#tokens < 0) throw connectionError(H3ErrorCode.H3_EXCESSIVE_LOAD, 'control frames arrive faster than allowed');
      }
      const kind = classifyFrame(type, 'control', receiver);
      if (kind === 'settings') return { action: 'buffer', max: maxSettings, tooLarge: settingsTooLarge };
      return kind === undefined ? { action: 'skip' } : { action: 'buffer', max: ID_FRAME_MAX, tooLarge: idTooLong };
    });
  }

  /** Feeds the next bytes of the stream, received at `nowMs`. Throws `Http3Error` (connection scope) for violations. */
  push(bytes: Uint8Array, nowMs: number): ControlEvent[] {
    this.#refill(nowMs);
    const events: ControlEvent[] = [];
    for (const e of this.#decoder.push(bytes)) {
      if (e.kind !== 'frame') continue; // no frame is streamed here
      const event = this.#frame(e.type, e.payload);
      if (event) events.push(event);
    }
    return events;
  }

  /** The stream ended or was reset: RFC 9114 §6.2.1, H3_CLOSED_CRITICAL_STREAM. */
  closed(how: 'ended' | 'reset'): Http3Error {
    return connectionError(H3ErrorCode.H3_CLOSED_CRITICAL_STREAM, `peer ${how} its control stream`);
  }

  #refill(nowMs: number): void {
    if (this.#lastRefill !== undefined && nowMs > this.#lastRefill) {
      this.#tokens = Math.min(this.#burst, this.#tokens + ((nowMs - this.#lastRefill) * this.#rate) / 1000);
    }
    this.#lastRefill = nowMs;
  }

  #frame(type: number, payload: Uint8Array): ControlEvent {
    if (type === FrameType.SETTINGS) return { kind: 'settings', settings: decodeSettings(payload) };
    if (type === FrameType.GOAWAY) return { kind: 'goaway', id: this.#onGoaway(decodeIdPayload(payload, 'GOAWAY')) };
    if (type === FrameType.MAX_PUSH_ID) return { kind: 'max-push-id', id: this.#onMaxPushId(decodeIdPayload(payload, 'MAX_PUSH_ID')) };
    // CANCEL_PUSH (the only other frame buffered here). RFC 9114 §7.2.3: we never sent MAX_PUSH_ID (client) and
    // never promised a push (server), so every push ID is one the peer cannot name: H3_ID_ERROR.
    throw connectionError(H3ErrorCode.H3_ID_ERROR, `CANCEL_PUSH for push ID ${decodeIdPayload(payload, 'CANCEL_PUSH')}, no push was allowed`);
  }

  #onGoaway(id: bigint): bigint {
    // RFC 9114 §7.2.6: from a server, a client-initiated bidirectional stream ID, else H3_ID_ERROR.
    if (this.receiver === 'client' && id % 4n !== 0n) throw connectionError(H3ErrorCode.H3_ID_ERROR, `GOAWAY with stream ID ${id}, not a request stream`);
    // RFC 9114 §5.2: an identifier greater than one received before is H3_ID_ERROR.
    if (this.#goaway !== undefined && id > this.#goaway) throw connectionError(H3ErrorCode.H3_ID_ERROR, `GOAWAY ID increased from ${this.#goaway} to ${id}`);
    this.#goaway = id;
    return id;
  }

  #onMaxPushId(id: bigint): bigint {
    // RFC 9114 §7.2.7: a MAX_PUSH_ID below an earlier one is H3_ID_ERROR.
    if (this.#maxPushId !== undefined && id < this.#maxPushId) throw connectionError(H3ErrorCode.H3_ID_ERROR, `MAX_PUSH_ID reduced from ${this.#maxPushId} to ${id}`);
    this.#maxPushId = id;
    return id;
  }
}
