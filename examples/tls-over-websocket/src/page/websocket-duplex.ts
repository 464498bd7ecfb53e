/**
 * @module page/websocket-duplex
 * A WebSocket (RFC 6455, binary messages) as the `{ readable, writable }`
 * byte-stream duplex the TLS record layer runs over: every received message
 * is a chunk of the byte stream, every written chunk is sent as one binary
 * message. Message boundaries carry no meaning; the relay behind the socket
 * sees only what is written here (TLS records).
 */
import type { DuplexStream } from '@tsquic/tls13-handshake/record';

/** The part of the WHATWG WebSocket API used here (the browser's, or `ws` in Node tests). */
export interface WebSocketLike {
  binaryType: string;
  readonly readyState: number;
  readonly bufferedAmount: number;
  send(data: Uint8Array): void;
  close(code?: number, reason?: string): void;
  addEventListener(type: 'open' | 'close' | 'error' | 'message', listener: (ev: { data?: unknown; code?: number; reason?: string }) => void): void;
}

export type WebSocketFactory = (url: string) => WebSocketLike;

export interface WebSocketDuplex extends DuplexStream {
  /** Settles with the close code once the socket is closed. */
  readonly closed: Promise<number>;
}

/** Why a WebSocket did not open or closed abnormally. */
export class WebSocketError extends Error {
  constructor(
    message: string,
    readonly code?: number,
  ) {
    super(message);
    this.name = 'WebSocketError';
  }
}

const OPEN = 1;

/**
 * Bytes allowed in the socket's send buffer before a write waits. The
 * WebSocket API's only back-pressure signal is `bufferedAmount`, with no
 * event when it falls, so a blocked write polls it.
 */
const SEND_HIGH_WATER_MARK = 1 << 20;
const SEND_POLL_MS = 5;

/** Open `url` and resolve with the duplex once the socket is open. */
export function openWebSocketDuplex(url: string, factory: WebSocketFactory = (u) => new WebSocket(u) as unknown as WebSocketLike): Promise<WebSocketDuplex> {
  const ws = factory(url);
  ws.binaryType = 'arraybuffer';
  let readCtl!: ReadableStreamDefaultController<Uint8Array>;
  let settleClosed!: (code: number) => void;
  const closed = new Promise<number>((resolve) => (settleClosed = resolve));

  const readable = new ReadableStream<Uint8Array>({
    start: (c) => {
      readCtl = c;
    },
    cancel: () => ws.close(1000),
  });
  const writable = new WritableStream<Uint8Array>({
    write: async (chunk) => {
      if (ws.readyState !== OPEN) throw new WebSocketError('WebSocket is not open');
      ws.send(chunk);
      while (ws.bufferedAmount > SEND_HIGH_WATER_MARK && ws.readyState === OPEN) await new Promise<void>((r) => setTimeout(r, SEND_POLL_MS));
    },
    close: () => ws.close(1000),
    abort: () => ws.close(1000),
  });

  ws.addEventListener('message', (ev) => {
    const data = ev.data;
    if (data instanceof ArrayBuffer) readCtl.enqueue(new Uint8Array(data));
    else if (ArrayBuffer.isView(data)) readCtl.enqueue(new Uint8Array(data.buffer, data.byteOffset, data.byteLength));
    else readCtl.error(new WebSocketError('unexpected text message on a byte-stream WebSocket'));
  });

  return new Promise((resolve, reject) => {
    let opened = false;
    ws.addEventListener('open', () => {
      opened = true;
      resolve({ readable, writable, closed });
    });
    ws.addEventListener('error', () => {
      if (!opened) reject(new WebSocketError(`cannot open WebSocket ${url}`));
    });
    ws.addEventListener('close', (ev) => {
      const code = ev.code ?? 1005;
      settleClosed(code);
      if (!opened) {
        reject(new WebSocketError(`WebSocket ${url} closed before it opened (code ${code})`, code));
        return;
      }
      try {
        // 1000/1001/1005: an orderly end of the byte stream (EOF); anything else is a transport failure.
        if (code === 1000 || code === 1001 || code === 1005) readCtl.close();
        else readCtl.error(new WebSocketError(`WebSocket closed with code ${code}${ev.reason ? `: ${ev.reason}` : ''}`, code));
      } catch {
        /* the reader already finished */
      }
    });
  });
}
