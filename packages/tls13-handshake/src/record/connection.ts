/**
 * @module record/connection
 * TLS 1.3 over any byte stream given as a Web Streams duplex
 * `{ readable, writable }` (a TCP socket via Duplex.toWeb, a WebSocket
 * wrapper, an in-memory pair): a thin async shell around the sans-IO
 * RecordLayer. `TlsConnection.open(duplex, handshake, { crypto })` resolves
 * once the handshake is complete (RFC 8446 §4) with a connection whose
 * `readable`/`writable` carry application data (§5), `keyUpdate()` (§4.6.3)
 * and `close()` (§6.1). The package README shows a client and a server over
 * `node:net` (through `Duplex.toWeb(socket)`).
 */
import type { HandshakeCrypto } from '../crypto/provider.js';
import { RecordAlert } from './content-type.js';
import { TlsRecordError, TlsTruncatedError } from './errors.js';
import type { CipherSuite, HandshakeEventLike, HandshakePort, PortEvent } from './handshake-port.js';
import { cipherSuiteName } from '../key-schedule.js';
import { RecordLayer, type RecordLayerOutput } from './record-layer.js';

/** A bidirectional byte stream, as WebTransport's bidirectional streams are. */
export interface DuplexStream {
  readable: ReadableStream<Uint8Array>;
  writable: WritableStream<Uint8Array>;
}

/** What the handshake negotiated. */
export interface HandshakeInfo {
  alpn?: string;
  cipherSuite: CipherSuite;
  /** The suite's IANA name, e.g. `TLS_AES_128_GCM_SHA256` (RFC 8446 §B.4). */
  cipherSuiteName: string;
  resumed: boolean;
  peerCertificates: Uint8Array[];
  earlyData: 'accepted' | 'rejected' | 'not-offered';
}

/** What a server chooser sees of the ClientHello. */
export interface ClientHelloInfo {
  serverName?: string;
  alpn: string[];
  cipherSuites: number[];
}

/** A `verifyPeer` answer: accept the chain, or fail with an alert. */
export type VerifyVerdict = { ok: true } | { ok: false; alert: number };

/** Clock, record sizes, padding, KeyUpdate policy, ticket and verification hooks, half-close of a TlsConnection. */
export interface TlsConnectionOptions {
  /** Wall clock for ticket ages (the shell's only clock). Default Date.now. */
  now?: () => number;
  /** Content bytes per record (≤ 2^14). */
  maxFragment?: number;
  /** RFC 8446 §5.4 padding: zero bytes to add to each protected record. */
  padding?: (contentType: number, length: number) => number;
  /** Records under one key before an automatic KeyUpdate (RFC 8446 §5.5). */
  keyUpdateAfterRecords?: number;
  /** Client: called for each NewSessionTicket (store it to resume later). */
  onSessionTicket?: (ticket: SessionTicketLike) => void;
  /** With `verify: 'event'`: decide on the peer's certificate chain. */
  verifyPeer?: (chain: Uint8Array[], serverName?: string) => VerifyVerdict | Promise<VerifyVerdict>;
  /**
   * What the peer's close_notify does to our write side. `true` (the default): nothing — RFC 8446
   * §6.1 lets each side close its write direction alone, so a peer that sent its request and
   * close_notify still gets the response; `readable` ends, and `closed` settles once we close too
   * (`close()` or `writable.close()`). `false`: answer with our own close_notify and end the
   * transport at once, as node:tls does (its `allowHalfOpen` defaults to false), so `closed`
   * settles without a `close()` call.
   */
  allowHalfOpen?: boolean;
}

/** A server's certificate/ALPN choice per ClientHello (SNI-based virtual hosting). */
export type ServerChooser<C = unknown> = (hello: ClientHelloInfo) => C | Promise<C>;

/** What `TlsConnection.open` takes: the record crypto (normally the Handshake's), the server chooser and the connection options. */
export interface TlsOpenOptions<C = unknown> extends TlsConnectionOptions {
  /** The provider for the record AEADs (normally the Handshake's own). */
  crypto: HandshakeCrypto;
  /**
   * Server: answers the Handshake's 'client-hello' event (passed to accept()), e.g. a certificate
   * per server name. Default: `{}`, the certificate and ALPN of the server's config.
   */
  choose?: ServerChooser<C>;
}

/** A session ticket as the Handshake reports it (opaque to the record layer). */
export type SessionTicketLike = Record<string, unknown>;

interface ClientHelloEvent {
  type: 'client-hello';
  serverName?: string;
  alpn?: string[];
  cipherSuites?: number[];
}
interface VerifyPeerEvent {
  type: 'verify-peer';
  chain: Uint8Array[];
  serverName?: string;
}
interface TicketEvent {
  type: 'session-ticket';
  ticket: SessionTicketLike;
}

/** TLS 1.3 over a Web Streams duplex: `TlsConnection.open(duplex, handshake, { crypto })`, then `readable` / `writable` for application data. */
export class TlsConnection {
  /** Decrypted application data; ends at the peer's close_notify, errors on an alert or truncation. */
  readonly readable: ReadableStream<Uint8Array>;
  /** Application data to protect and send; close() sends close_notify and ends the transport's write side. */
  readonly writable: WritableStream<Uint8Array>;
  /** Session tickets received so far (client). */
  readonly sessionTickets: SessionTicketLike[] = [];
  /**
   * Settles when both directions are finished (the peer's close_notify received and ours sent, see
   * `allowHalfOpen`); rejects with the TlsRecordError that ended the connection.
   */
  readonly closed: Promise<void>;

  private readonly layer: RecordLayer<HandshakeEventLike, unknown>;
  private readonly transportWriter: WritableStreamDefaultWriter<Uint8Array>;
  private readonly transportReader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly options: TlsConnectionOptions;
  private readonly choose: ServerChooser | undefined;
  private readonly now: () => number;
  private info: HandshakeInfo | undefined;
  private readCtl!: ReadableStreamDefaultController<Uint8Array>;
  private pullWaiter: (() => void) | undefined;
  private lastSend: Promise<void> = Promise.resolve();
  private failure: Error | undefined;
  private readDone = false;
  private writeDone = false;
  private settleHandshake!: { resolve: (c: TlsConnection) => void; reject: (e: Error) => void };
  private settleClosed!: { resolve: () => void; reject: (e: Error) => void };

  private constructor(duplex: DuplexStream, layer: RecordLayer<HandshakeEventLike, unknown>, options: TlsConnectionOptions, choose: ServerChooser | undefined) {
    this.layer = layer;
    this.options = options;
    this.choose = choose;
    this.now = options.now ?? Date.now;
    this.transportWriter = duplex.writable.getWriter();
    this.transportReader = duplex.readable.getReader();
    this.closed = new Promise((resolve, reject) => (this.settleClosed = { resolve, reject }));
    this.closed.catch(() => {});
    this.readable = new ReadableStream<Uint8Array>(
      {
        start: (c) => {
          this.readCtl = c;
        },
        pull: () => {
          this.pullWaiter?.();
          this.pullWaiter = undefined;
        },
        cancel: () => {
          this.readDone = true;
          this.maybeClosed();
        },
      },
      new ByteLengthQueuingStrategy({ highWaterMark: 65536 }),
    );
    this.writable = new WritableStream<Uint8Array>({
      write: (chunk) => this.send(this.layer.write(chunk)),
      close: () => this.closeWrite(),
      abort: () => this.closeWrite(),
    });
  }

  /**
   * Run `handshake` (from createClient/createServer, plain 'tls' profile)
   * over `duplex`; resolves once it is complete, rejects with TlsRecordError.
   */
  static open<C>(duplex: DuplexStream, handshake: HandshakePort<HandshakeEventLike, C>, options: TlsOpenOptions<C>): Promise<TlsConnection> {
    if (typeof duplex?.readable?.getReader !== 'function' || typeof duplex?.writable?.getWriter !== 'function') {
      throw new TypeError('TlsConnection.open needs a Web Streams duplex { readable: ReadableStream, writable: WritableStream }; ' + 'for a node:net socket pass Duplex.toWeb(socket) (Duplex is exported by node:stream)');
    }
    const layer = new RecordLayer<HandshakeEventLike, unknown>(handshake as HandshakePort<HandshakeEventLike, unknown>, {
      crypto: options.crypto,
      ...(options.maxFragment !== undefined && { maxFragment: options.maxFragment }),
      ...(options.keyUpdateAfterRecords !== undefined && { keyUpdateAfterRecords: options.keyUpdateAfterRecords }),
      ...(options.padding !== undefined && { padding: options.padding }),
    });
    const conn = new TlsConnection(duplex, layer, options, options.choose as ServerChooser | undefined);
    const ready = new Promise<TlsConnection>((resolve, reject) => (conn.settleHandshake = { resolve, reject }));
    void conn.send(layer.start(conn.now())).catch(() => {});
    void conn.pump();
    return ready;
  }

  // ---- getters ---------------------------------------------------------------

  /** The negotiated parameters (after the handshake). */
  get handshakeInfo(): HandshakeInfo {
    if (!this.info) throw new TypeError('handshake not complete');
    return this.info;
  }
  get alpn(): string | undefined {
    return this.handshakeInfo.alpn;
  }
  get cipherSuite(): CipherSuite {
    return this.handshakeInfo.cipherSuite;
  }
  get peerCertificates(): Uint8Array[] {
    return this.handshakeInfo.peerCertificates;
  }
  get resumed(): boolean {
    return this.handshakeInfo.resumed;
  }

  /** RFC 8446 §7.5 exporter. */
  exportKeyingMaterial(label: string, context: Uint8Array, length: number): Uint8Array {
    return this.layer.handshake.exportKeyingMaterial(label, context, length);
  }

  // ---- mutators -----------------------------------------------------------------

  /** RFC 8446 §4.6.3: send KeyUpdate (asking the peer to update too when requestPeer). */
  keyUpdate(requestPeer = false): Promise<void> {
    return this.send(this.layer.keyUpdate(requestPeer));
  }

  /** Send close_notify, end the transport's write side and stop reading. */
  async close(): Promise<void> {
    await this.closeWrite().catch(() => {});
    if (!this.readDone) {
      this.readDone = true;
      await this.transportReader.cancel().catch(() => {});
      try {
        this.readCtl.close();
      } catch {
        /* already closed or errored */
      }
    }
    this.maybeClosed();
  }

  // ---- internals -----------------------------------------------------------------

  private async closeWrite(): Promise<void> {
    if (this.writeDone) return this.lastSend;
    this.writeDone = true;
    const out = this.layer.close();
    await this.send(out);
    await this.transportWriter.close().catch(() => {});
    this.maybeClosed();
  }

  /** Queue the records in order (the transport writer keeps call order) and handle the output's events. */
  private send(out: RecordLayerOutput<HandshakeEventLike>): Promise<void> {
    const total = out.send.reduce((n, r) => n + r.length, 0);
    if (total > 0) {
      const buf = new Uint8Array(total);
      let off = 0;
      for (const r of out.send) {
        buf.set(r, off);
        off += r.length;
      }
      this.lastSend = this.transportWriter.write(buf);
    }
    const sent = this.lastSend;
    for (const data of out.appData) this.readCtl.enqueue(data);
    for (const ev of out.events) this.onEvent(ev);
    return sent;
  }

  private onEvent(raw: { type: string }): void {
    const ev = raw as PortEvent | ClientHelloEvent | VerifyPeerEvent | TicketEvent | { type: 'close-notify' | 'key-update' };
    switch (ev.type) {
      case 'complete':
        this.info = {
          ...(ev.alpn !== undefined && { alpn: ev.alpn }),
          cipherSuite: ev.cipherSuite,
          cipherSuiteName: cipherSuiteName(ev.cipherSuite),
          resumed: ev.resumed,
          peerCertificates: ev.peerCertificates,
          earlyData: ev.earlyData ?? 'not-offered',
        };
        this.settleHandshake.resolve(this);
        return;
      case 'client-hello': {
        const choose = this.choose;
        const hello: ClientHelloInfo = {
          ...(ev.serverName !== undefined && { serverName: ev.serverName }),
          alpn: ev.alpn ?? [],
          cipherSuites: ev.cipherSuites ?? [],
        };
        void Promise.resolve()
          .then(() => {
            // No chooser: the certificate and ALPN of the server's own config.
            return choose ? choose(hello) : ({} as unknown);
          })
          .then(
            (choice) => this.send(this.layer.accept(choice)),
            (e: unknown) => this.abortLocal(RecordAlert.internal_error, e),
          )
          .catch(() => {});
        return;
      }
      case 'verify-peer': {
        const verify = this.options.verifyPeer;
        void Promise.resolve()
          .then(() => (verify ? verify(ev.chain, ev.serverName) : ({ ok: false, alert: 42 } as const)))
          .then(
            (verdict) => this.send(this.layer.resume(verdict)),
            (e: unknown) => this.abortLocal(RecordAlert.internal_error, e),
          )
          .catch(() => {});
        return;
      }
      case 'session-ticket':
        this.sessionTickets.push(ev.ticket);
        this.options.onSessionTicket?.(ev.ticket);
        return;
      case 'close-notify':
        this.finishRead();
        // RFC 8446 §6.1: answer with our own close_notify unless the application keeps writing.
        if (this.options.allowHalfOpen === false) void this.closeWrite().catch(() => {});
        return;
      case 'alert':
        this.onFailure(new TlsRecordError(ev.description, ev.sent, ev.reason));
        return;
      default:
        return;
    }
  }

  /** A local (caller-side) failure during the handshake: send the alert and fail. */
  private abortLocal(alert: number, cause: unknown): void {
    const reason = cause instanceof Error ? cause.message : String(cause);
    const err = new TlsRecordError(alert, true, reason);
    const out = this.layer.abort(alert, reason);
    this.onFailure(err);
    void this.send(out).catch(() => {});
  }

  private onFailure(err: Error): void {
    if (this.failure) return;
    this.failure = err;
    this.settleHandshake.reject(err);
    try {
      this.readCtl.error(err);
    } catch {
      /* already closed */
    }
    this.readDone = true;
    this.writeDone = true;
    void this.lastSend
      .then(() => this.transportWriter.close())
      .catch(() => {})
      .finally(() => this.transportReader.cancel().catch(() => {}));
    this.settleClosed.reject(err);
  }

  private finishRead(): void {
    if (this.readDone) return;
    this.readDone = true;
    try {
      this.readCtl.close();
    } catch {
      /* already closed */
    }
    this.maybeClosed();
  }

  private maybeClosed(): void {
    if (this.readDone && this.writeDone && !this.failure) this.settleClosed.resolve();
  }

  /** Read the transport until EOF, honouring the application's read back-pressure. */
  private async pump(): Promise<void> {
    try {
      for (;;) {
        if (this.readDone || this.failure) return;
        if ((this.readCtl.desiredSize ?? 1) <= 0) {
          await new Promise<void>((r) => (this.pullWaiter = r));
          continue;
        }
        const { value, done } = await this.transportReader.read();
        if (done) break;
        await this.send(this.layer.receive(value, this.now()));
      }
    } catch (e) {
      if (!this.failure && !this.readDone) this.onFailure(e instanceof Error ? e : new Error(String(e)));
      return;
    }
    if (this.failure || this.layer.readClosed || this.readDone) return;
    // RFC 8446 §6.1: EOF without close_notify is a truncation.
    const err = new TlsTruncatedError(this.info ? undefined : 'transport closed during the handshake');
    if (!this.info) {
      this.onFailure(err);
      return;
    }
    this.readDone = true;
    try {
      this.readCtl.error(err);
    } catch {
      /* already closed */
    }
    this.maybeClosed();
  }
}
