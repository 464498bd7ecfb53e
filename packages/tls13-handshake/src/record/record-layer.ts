/**
 * @module record/record-layer
 * A sans-IO TLS 1.3 record layer (RFC 8446 §5) driving a plain-profile
 * Handshake: stream bytes in → { application data, records to send, events }.
 * It wraps `handshake-data` messages in records under the current write key,
 * installs keys exactly where the `keys` events appear (write keys switch in
 * event order, so a KeyUpdate goes out under the old key, RFC 8446 §4.6.3),
 * feeds decrypted handshake content to the Handshake at the current read
 * level, sends and surfaces alerts (§6), tolerates one compatibility CCS
 * record (§5, Appendix D.4) and enforces the §5.1 rules on handshake messages
 * and key changes, the server's max_early_data_size (§4.2.10) and a bound on
 * KeyUpdates without application data (§4.6.3; OpenSSL's 32). A KeyUpdate the
 * peer requested is sent before our next application data, once however many
 * requests came. No I/O, no clock: `nowMs` is passed in.
 */
import type { HandshakeCrypto } from '../crypto/provider.js';
import { alertLevelFor, ContentType, RecordAlert, RecordLimits } from './content-type.js';
import { TlsRecordError } from './errors.js';
import type { CipherSuite, HandshakeEventLike, HandshakePort, Level, PortEvent } from './handshake-port.js';
import { RecordReader, RecordWriter, type PaddingPolicy } from './record-framing.js';
import { RecordProtection } from './record-protection.js';
import { RecordSuites, recordTrafficKeys } from './traffic-keys.js';

/**
 * Events the record layer hands to its user: the Handshake's own events
 * (type E) minus those it consumes, plus its own.
 */
export type RecordLayerEvent<E extends { type: string } = HandshakeEventLike> =
  | Exclude<E, { type: 'handshake-data' | 'keys' | 'alert' }>
  /** Terminal: an alert we sent (sent: true, with why) or the peer's error alert (sent: false). */
  | { type: 'alert'; description: number; sent: boolean; reason?: string }
  /** The peer sent close_notify: end of its data (RFC 8446 §6.1). */
  | { type: 'close-notify' }
  /** A traffic key changed after the handshake (KeyUpdate, RFC 8446 §4.6.3). */
  | { type: 'key-update'; direction: 'read' | 'write' };

/** What one call produced, in order. */
export interface RecordLayerOutput<E extends { type: string } = HandshakeEventLike> {
  /** Records to write to the transport, in order. */
  send: Uint8Array[];
  /** Decrypted application data, in order. */
  appData: Uint8Array[];
  events: RecordLayerEvent<E>[];
}

/** Crypto provider, fragment size, padding and KeyUpdate policy of a RecordLayer. */
export interface RecordLayerOptions {
  /** The provider for the record AEADs (the Handshake's own, normally). */
  crypto: HandshakeCrypto;
  /** Content bytes per record, at most 2^14 (RFC 8446 §5.1). */
  maxFragment?: number;
  /**
   * Records sent under one application key before a KeyUpdate is triggered
   * automatically (RFC 8446 §5.5). Default: 2^24 for AES-GCM (below the
   * 2^24.5 limit), 2^48 for ChaCha20-Poly1305.
   */
  keyUpdateAfterRecords?: number;
  /** RFC 8446 §5.4 record padding for protected records (default: none). */
  padding?: PaddingPolicy;
  /** Bytes of rejected 0-RTT data a server skips (RFC 8446 §4.2.10); default 2^16. */
  maxSkippedEarlyData?: number;
}

/** Where a RecordLayer is: handshaking, open, closed (close_notify sent) or failed. */
export type RecordLayerState = 'handshaking' | 'open' | 'closed' | 'failed';

interface ReadState {
  level: Level;
  protection: RecordProtection | null;
}

/** Tracks handshake message boundaries across records (RFC 8446 §5.1 rules). */
class MessageBoundary {
  private header = 0; // header bytes seen of the current message (0..4)
  private length = 0; // body length being accumulated into the header
  private remaining = 0; // body bytes still expected

  get atBoundary(): boolean {
    return this.header === 0 && this.remaining === 0;
  }

  consume(bytes: Uint8Array): void {
    let i = 0;
    while (i < bytes.length) {
      if (this.remaining > 0) {
        const n = Math.min(this.remaining, bytes.length - i);
        this.remaining -= n;
        i += n;
        continue;
      }
      // Header byte: msg_type(1) then uint24 length.
      if (this.header > 0) this.length = (this.length << 8) | bytes[i]!;
      this.header++;
      i++;
      if (this.header === 4) {
        this.remaining = this.length;
        this.header = 0;
        this.length = 0;
      }
    }
  }
}

const DEFAULT_AES_LIMIT = 2 ** 24;
/** KeyUpdates a peer may send between two application data records (OpenSSL's MAX_KEY_UPDATE_MESSAGES). */
const MAX_KEY_UPDATES_WITHOUT_DATA = 32;
const DEFAULT_CHACHA_LIMIT = 2 ** 48;

/**
 * The sans-IO record layer over one Handshake (E: its event type, C: its
 * server-choice type). Methods: getters; input (`start`, `receive`, `accept`,
 * `resume`); application mutators (`write`, `keyUpdate`, `close`). Each call
 * returns what to send, the application data and the events, in order.
 */
export class RecordLayer<E extends { type: string } = HandshakeEventLike, C = unknown> {
  private readonly hs: HandshakePort<E, C>;
  private readonly crypto: HandshakeCrypto;
  private readonly reader = new RecordReader();
  private readonly writer: RecordWriter;
  private readonly keyUpdateLimit: number | undefined;
  private read: ReadState = { level: 'initial', protection: null };
  private writeLevel: Level = 'initial';
  private readonly boundary = new MessageBoundary();
  private ccsSeen = false;
  /** A whole handshake message has been received (the server's ClientHello, RFC 8446 §5 CCS rule). */
  private messageReceived = false;
  private firstRecordSent = false;
  private peerClosed = false;
  private localClosed = false;
  private earlySkipBudget = 0;
  private readonly maxSkippedEarlyData: number;
  /** Accepted 0-RTT bytes the server may still receive (the ticket's max_early_data_size, RFC 8446 §4.2.11). */
  private earlyDataLeft = Infinity;
  /** Peer KeyUpdates since its last application data record. */
  private keyUpdatesWithoutData = 0;
  private _state: RecordLayerState = 'handshaking';
  private nowMs = 0;

  constructor(handshake: HandshakePort<E, C>, options: RecordLayerOptions) {
    this.hs = handshake;
    this.crypto = options.crypto;
    this.writer = new RecordWriter(options.maxFragment, options.padding);
    this.keyUpdateLimit = options.keyUpdateAfterRecords;
    this.maxSkippedEarlyData = options.maxSkippedEarlyData ?? 65536;
  }

  // ---- getters -------------------------------------------------------------

  get state(): RecordLayerState {
    return this._state;
  }
  /** The Handshake this layer drives (for exporters and state). */
  get handshake(): HandshakePort<E, C> {
    return this.hs;
  }
  /** Level of the current read key ('initial' = plaintext). */
  get readLevel(): Level {
    return this.read.level;
  }
  /** Level of the current write key ('initial' = plaintext). */
  get writeLevelName(): Level {
    return this.writeLevel;
  }
  /** The peer sent close_notify. */
  get readClosed(): boolean {
    return this.peerClosed;
  }
  /** We sent close_notify (or failed). */
  get writeClosed(): boolean {
    return this.localClosed;
  }

  // ---- input ---------------------------------------------------------------

  /** Client: emit the ClientHello. Server: nothing to do until bytes arrive. */
  start(nowMs: number): RecordLayerOutput<E> {
    const out = emptyOutput<E>();
    this.nowMs = nowMs;
    this.guard(out, () => this.handleEvents(this.hs.start(nowMs), out));
    return out;
  }

  /** Bytes from the transport. */
  receive(bytes: Uint8Array, nowMs: number): RecordLayerOutput<E> {
    const out = emptyOutput<E>();
    this.nowMs = nowMs;
    if (this._state === 'failed' || this.peerClosed) return out; // RFC 8446 §6.1: data after closure is ignored
    this.reader.push(bytes);
    this.guard(out, () => this.drain(out));
    return out;
  }

  /** Server: the certificate/ALPN choice after a 'client-hello' event; continues buffered input. */
  accept(choice: C): RecordLayerOutput<E> {
    const out = emptyOutput<E>();
    this.guard(out, () => {
      this.handleEvents(this.hs.accept(choice), out);
      this.drain(out);
    });
    return out;
  }

  /** The verdict after a 'verify-peer' event; continues buffered input. */
  resume(verdict: { ok: true } | { ok: false; alert: number }): RecordLayerOutput<E> {
    const out = emptyOutput<E>();
    this.guard(out, () => {
      this.handleEvents(this.hs.resume(verdict), out);
      this.drain(out);
    });
    return out;
  }

  // ---- application mutators ------------------------------------------------

  /** Protect application data (fragmented into records of at most maxFragment bytes). */
  write(data: Uint8Array): RecordLayerOutput<E> {
    const out = emptyOutput<E>();
    if (this.localClosed || this._state === 'failed') throw new TypeError('connection is closed for writing');
    if (this.writeLevel !== 'application' && this.writeLevel !== 'early') {
      throw new TypeError('no application write key yet');
    }
    this.guard(out, () => {
      // RFC 8446 §4.6.3: the KeyUpdate the peer asked for goes before our next application data.
      if (this.hs.keyUpdateRequested && this._state === 'open') this.handleEvents(this.hs.keyUpdate(false), out);
      let off = 0;
      do {
        this.maybeAutoKeyUpdate(out);
        const chunk = data.subarray(off, off + RecordLimits.maxPlaintext);
        off += chunk.length;
        out.send.push(...this.writer.encode(ContentType.application_data, chunk));
      } while (off < data.length);
    });
    return out;
  }

  /** RFC 8446 §4.6.3: send KeyUpdate (under the old key) and switch the write key. */
  keyUpdate(requestPeer: boolean): RecordLayerOutput<E> {
    const out = emptyOutput<E>();
    if (this._state !== 'open' || this.localClosed) throw new TypeError('key update needs an open connection');
    this.guard(out, () => this.handleEvents(this.hs.keyUpdate(requestPeer), out));
    return out;
  }

  /** RFC 8446 §6.1: send close_notify; no more writes afterwards. */
  close(): RecordLayerOutput<E> {
    const out = emptyOutput<E>();
    if (this.localClosed || this._state === 'failed') return out;
    this.sendAlert(RecordAlert.close_notify, out);
    this.localClosed = true;
    this._state = 'closed';
    return out;
  }

  /** End the connection with an error alert of ours (e.g. internal_error when a server chooser failed). */
  abort(description: number, reason?: string): RecordLayerOutput<E> {
    const out = emptyOutput<E>();
    this.fail(description, true, out, reason);
    return out;
  }

  // ---- internals -------------------------------------------------------------

  /** Run `fn`; a TlsRecordError ends the connection with that alert sent. */
  private guard(out: RecordLayerOutput<E>, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      if (!TlsRecordError.isInstance(e)) throw e;
      this.fail(e.alert, e.sent, out, e.reason);
    }
  }

  private fail(description: number, sent: boolean, out: RecordLayerOutput<E>, reason?: string): void {
    if (this._state === 'failed') return;
    if (sent && !this.localClosed) this.sendAlert(description, out);
    this._state = 'failed';
    this.localClosed = true;
    out.events.push({ type: 'alert', description, sent, ...(reason !== undefined && { reason }) });
  }

  private sendAlert(description: number, out: RecordLayerOutput<E>): void {
    out.send.push(...this.writer.encode(ContentType.alert, new Uint8Array([alertLevelFor(description), description])));
  }

  /** Process buffered records one at a time, so that key changes apply between records. */
  private drain(out: RecordLayerOutput<E>): void {
    while (this._state !== 'failed' && !this.peerClosed && this.hs.state !== 'suspended') {
      const rec = this.reader.next();
      if (!rec) return;
      this.handleRecord(rec.contentType, rec.header, rec.body, out);
    }
  }

  private handleRecord(outerType: number, header: Uint8Array, body: Uint8Array, out: RecordLayerOutput<E>): void {
    if (outerType === ContentType.change_cipher_spec) return this.handleChangeCipherSpec(body);
    let type = outerType;
    let content: Uint8Array;
    if (this.read.protection === null) {
      if (outerType === ContentType.application_data) {
        // RFC 8446 §4.2.10: after a HelloRetryRequest / rejected 0-RTT, skip the client's early data.
        if (this.skipEarly(body.length)) return;
        throw new TlsRecordError(RecordAlert.unexpected_message, true, 'protected record before keys');
      }
      content = body.slice(); // the reader's buffer is reused; the Handshake may keep a view
    } else if (outerType !== ContentType.application_data) {
      // A peer that failed before deriving keys may still send a plaintext alert during the handshake.
      if (outerType === ContentType.alert && this._state === 'handshaking') {
        content = body.slice();
      } else {
        throw new TlsRecordError(RecordAlert.unexpected_message, true, 'unprotected record after keys');
      }
    } else {
      let opened;
      try {
        opened = this.read.protection.open(header, body);
      } catch (e) {
        if (TlsRecordError.isInstance(e) && e.alert === RecordAlert.bad_record_mac && this.skipEarly(body.length)) return;
        throw e;
      }
      type = opened.contentType;
      content = opened.content;
    }
    // RFC 8446 §5.1: a handshake message split over records admits no other record between them.
    if (type !== ContentType.handshake && !this.boundary.atBoundary) {
      throw new TlsRecordError(RecordAlert.unexpected_message, true, 'record interleaved with a fragmented handshake message');
    }
    switch (type) {
      case ContentType.handshake:
        return this.handleHandshake(content, out);
      case ContentType.alert:
        return this.handleAlert(content, out);
      case ContentType.application_data:
        return this.handleAppData(content, out);
      default:
        // RFC 8446 §5: CCS inside a protected record, or an unknown inner type.
        throw new TlsRecordError(RecordAlert.unexpected_message, true, `unexpected inner content type ${type}`);
    }
  }

  /**
   * RFC 8446 §5: one unprotected change_cipher_spec of value 0x01, after the
   * first ClientHello was sent or received and before the peer's Finished, is
   * dropped; §5.1: like any other record, never between the fragments of a
   * handshake message. Anything else → unexpected_message.
   */
  private handleChangeCipherSpec(body: Uint8Array): void {
    const problem =
      body.length !== 1 || body[0] !== 1
        ? 'a change_cipher_spec other than the single byte 0x01'
        : this.ccsSeen
          ? 'a second change_cipher_spec'
          : this.read.level === 'application'
            ? "change_cipher_spec after the peer's Finished"
            : this.hs.side === 'server' && !this.messageReceived
              ? 'change_cipher_spec before the ClientHello'
              : !this.boundary.atBoundary
                ? 'change_cipher_spec between the fragments of a handshake message'
                : undefined;
    if (problem) throw new TlsRecordError(RecordAlert.unexpected_message, true, problem);
    this.ccsSeen = true;
  }

  private skipEarly(n: number): boolean {
    if (this.earlySkipBudget < n) return false;
    this.earlySkipBudget -= n;
    return true;
  }

  private handleHandshake(content: Uint8Array, out: RecordLayerOutput<E>): void {
    // RFC 8446 §5.4: no zero-length handshake records.
    if (content.length === 0) throw new TlsRecordError(RecordAlert.unexpected_message, true, 'empty handshake record');
    this.boundary.consume(content);
    if (this.boundary.atBoundary) this.messageReceived = true;
    const levelBefore = this.read.protection;
    this.handleEvents(this.hs.receive(this.read.level, content, this.nowMs), out);
    // RFC 8446 §5.1: messages preceding a key change must end on a record boundary.
    if (this.read.protection !== levelBefore && !this.boundary.atBoundary) {
      throw new TlsRecordError(RecordAlert.unexpected_message, true, 'handshake message spans a key change');
    }
  }

  private handleAlert(content: Uint8Array, out: RecordLayerOutput<E>): void {
    // RFC 8446 §5.1 / §6: exactly one alert (level, description) per record.
    if (content.length !== 2) throw new TlsRecordError(RecordAlert.decode_error, true, 'malformed alert record');
    const description = content[1]!;
    if (description === RecordAlert.close_notify) {
      this.peerClosed = true;
      out.events.push({ type: 'close-notify' });
      return;
    }
    // RFC 8446 §6.1: user_canceled is followed by close_notify; not an error by itself.
    if (description === RecordAlert.user_canceled) return;
    // RFC 8446 §6.2: every other alert is an error alert; the connection ends without a reply.
    this.fail(description, false, out);
  }

  private handleAppData(content: Uint8Array, out: RecordLayerOutput<E>): void {
    // RFC 8446 §2: application data only under application (or accepted 0-RTT early) keys.
    if (this.read.level !== 'application' && this.read.level !== 'early') {
      throw new TlsRecordError(RecordAlert.unexpected_message, true, 'application data before the handshake keys');
    }
    if (this.read.level === 'early') {
      // RFC 8446 §4.6.1: more 0-RTT data than max_early_data_size → unexpected_message.
      this.earlyDataLeft -= content.length;
      if (this.earlyDataLeft < 0) throw new TlsRecordError(RecordAlert.unexpected_message, true, 'more 0-RTT data than max_early_data_size');
    }
    this.keyUpdatesWithoutData = 0;
    if (content.length > 0) out.appData.push(content);
  }

  private handleEvents(events: readonly E[], out: RecordLayerOutput<E>): void {
    for (const raw of events) {
      const ev = raw as unknown as PortEvent;
      switch (ev.type) {
        case 'handshake-data': {
          // RFC 8446 §4.2.10, §4.1.4: after a HelloRetryRequest the second ClientHello goes out in plaintext,
          // whether or not 0-RTT data was written under the early keys.
          if (ev.level === 'initial' && this.writeLevel === 'early' && this.hs.side === 'client') {
            this.writer.setProtection(null);
            this.writeLevel = 'initial';
          }
          if (ev.level !== this.writeLevel) {
            throw new TlsRecordError(RecordAlert.internal_error, true, `handshake data at ${ev.level}, write key at ${this.writeLevel}`);
          }
          // RFC 8446 §5.1: the initial ClientHello record MAY carry 0x0301 for compatibility.
          const legacy = !this.firstRecordSent && this.hs.side === 'client' ? 0x0301 : 0x0303;
          this.firstRecordSent = true;
          out.send.push(...this.writer.encode(ContentType.handshake, ev.bytes, legacy));
          break;
        }
        case 'keys': {
          const protection = this.protection(ev.cipherSuite, ev.secret);
          const isUpdate = ev.level === 'application' && this._state === 'open';
          if (ev.direction === 'write') {
            this.writer.setProtection(protection);
            this.writeLevel = ev.level;
          } else {
            this.read = { level: ev.level, protection };
          }
          if (isUpdate && ev.direction === 'read' && ++this.keyUpdatesWithoutData > MAX_KEY_UPDATES_WITHOUT_DATA) {
            throw new TlsRecordError(RecordAlert.unexpected_message, true, `more than ${MAX_KEY_UPDATES_WITHOUT_DATA} KeyUpdates without application data`);
          }
          if (isUpdate) out.events.push({ type: 'key-update', direction: ev.direction });
          break;
        }
        case 'alert':
          this.fail(ev.description, ev.sent, out, ev.reason);
          break;
        case 'complete':
          this._state = 'open';
          out.events.push(raw as RecordLayerEvent<E>);
          break;
        case 'early-data':
          if (this.hs.side === 'server' && ev.status === 'rejected') this.earlySkipBudget = this.maxSkippedEarlyData;
          if (this.hs.side === 'server' && ev.status === 'accepted' && ev.maxEarlyData !== undefined) this.earlyDataLeft = ev.maxEarlyData;
          out.events.push(raw as RecordLayerEvent<E>);
          break;
        default:
          out.events.push(raw as RecordLayerEvent<E>);
      }
    }
  }

  private protection(suite: CipherSuite, secret: Uint8Array): RecordProtection {
    const { key, iv } = recordTrafficKeys(this.crypto, suite, secret);
    return new RecordProtection(this.crypto.aead(RecordSuites[suite].aead, key), iv, suite);
  }

  /** RFC 8446 §5.5: update the write key before the AEAD limit. */
  private maybeAutoKeyUpdate(out: RecordLayerOutput<E>): void {
    const p = this.writer.current;
    if (!p || this._state !== 'open' || this.writeLevel !== 'application') return;
    const limit = this.keyUpdateLimit ?? (p.cipherSuite === 0x1303 ? DEFAULT_CHACHA_LIMIT : DEFAULT_AES_LIMIT);
    if (p.sequenceNumber >= limit) this.handleEvents(this.hs.keyUpdate(false), out);
  }
}

function emptyOutput<E extends { type: string }>(): RecordLayerOutput<E> {
  return { send: [], appData: [], events: [] };
}
