/**
 * @module node/proxy
 * A blind WebSocket-to-TCP relay: each WebSocket connection opens one TCP
 * connection to the target fixed at start and copies bytes both ways. It
 * never parses, buffers for inspection or rewrites the bytes: the TLS 1.3
 * session (RFC 8446) runs end to end between the page and the TCP server, so
 * all the proxy ever carries is TLS records.
 */
import { connect, type Socket } from 'node:net';
import { WebSocketServer, type RawData, type WebSocket } from 'ws';

export type RelayDirection = 'to-target' | 'to-client';

export interface ProxyOptions {
  /** Where every WebSocket connection is relayed to (the only destination; clients cannot choose). */
  target: { host: string; port: number };
  /** Listen address (default 127.0.0.1) and port (default 0: any free port). */
  host?: string;
  port?: number;
  /** Accept only these Origin header values (default: any). */
  allowedOrigins?: string[];
  /** Observe each relayed chunk (logging, tests); the chunk is the one being forwarded, do not modify it. */
  onRelay?: (direction: RelayDirection, bytes: Uint8Array) => void;
  /** Observe connection errors (default: ignored; each failure closes that pair). */
  onError?: (error: Error) => void;
}

export interface Proxy {
  /** ws://host:port/ */
  readonly url: string;
  readonly port: number;
  /** Relayed pairs currently open. */
  readonly connections: number;
  /** Stop listening and close every open pair. */
  close(): Promise<void>;
}

/** Buffered bytes toward the browser above which the TCP side is paused. */
const HIGH_WATER_MARK = 1 << 20;

/** Start the relay; resolves once it listens. */
export function startProxy(options: ProxyOptions): Promise<Proxy> {
  const host = options.host ?? '127.0.0.1';
  const pairs = new Set<{ ws: WebSocket; tcp: Socket }>();
  const wss = new WebSocketServer({
    host,
    port: options.port ?? 0,
    // The relay carries raw TLS records: no compression, bounded message size.
    perMessageDeflate: false,
    maxPayload: 1 << 20,
    ...(options.allowedOrigins && {
      verifyClient: (info: { origin: string }) => options.allowedOrigins!.includes(info.origin),
    }),
  });
  wss.on('connection', (ws) => {
    const pair = { ws, tcp: relay(ws, options) };
    pairs.add(pair);
    pair.tcp.once('close', () => pairs.delete(pair));
  });
  return new Promise((resolve, reject) => {
    wss.once('error', reject);
    wss.once('listening', () => {
      wss.off('error', reject);
      const addr = wss.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      const urlHost = host.includes(':') ? `[${host}]` : host;
      resolve({
        url: `ws://${urlHost}:${port}/`,
        port,
        get connections() {
          return pairs.size;
        },
        close: () =>
          new Promise<void>((done) => {
            for (const p of pairs) {
              p.tcp.destroy();
              p.ws.terminate();
            }
            wss.close(() => done());
          }),
      });
    });
  });
}

/** Wire one WebSocket to a fresh TCP connection to the target. */
function relay(ws: WebSocket, options: ProxyOptions): Socket {
  const tcp = connect({ host: options.target.host, port: options.target.port });
  tcp.setNoDelay(true);
  const fail = (e: Error): void => {
    options.onError?.(e);
    tcp.destroy();
    if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(1011, 'relay failed');
  };

  // Browser → target. Text and binary messages alike are opaque bytes.
  ws.on('message', (data: RawData) => {
    for (const chunk of Array.isArray(data) ? data : [data]) {
      const bytes = chunk instanceof ArrayBuffer ? new Uint8Array(chunk) : new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.byteLength);
      options.onRelay?.('to-target', bytes);
      if (!tcp.write(bytes)) ws.pause();
    }
  });
  tcp.on('drain', () => ws.resume());

  // Target → browser, pausing the TCP side while the WebSocket is backed up.
  tcp.on('data', (chunk: Uint8Array) => {
    options.onRelay?.('to-client', chunk);
    if (ws.readyState !== ws.OPEN) return;
    ws.send(chunk, { binary: true }, () => {
      if (tcp.isPaused() && ws.bufferedAmount < HIGH_WATER_MARK) tcp.resume();
    });
    if (ws.bufferedAmount >= HIGH_WATER_MARK) tcp.pause();
  });

  // A WebSocket has no half-close: the target's FIN ends the WebSocket, and a closed WebSocket ends the TCP side.
  tcp.on('end', () => {
    if (ws.readyState === ws.OPEN) ws.close(1000, 'target closed');
  });
  tcp.on('close', () => {
    if (ws.readyState === ws.OPEN || ws.readyState === ws.CONNECTING) ws.close(1000, 'target closed');
  });
  tcp.on('error', fail);
  ws.on('close', () => tcp.end());
  ws.on('error', fail);
  return tcp;
}
