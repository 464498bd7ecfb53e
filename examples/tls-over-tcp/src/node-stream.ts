/**
 * @module node-stream
 * node:net sockets as Web Streams duplexes (`{ readable, writable }`), the
 * shape `connectTls` / `acceptTls` take, via `Duplex.toWeb`.
 */
import { connect, type Socket } from 'node:net';
import { Duplex } from 'node:stream';
import type { DuplexStream } from '@tsquic/tls13-handshake/record';

/** Wrap a connected socket. */
export function socketDuplex(socket: Socket): DuplexStream {
  socket.setNoDelay(true);
  const web = Duplex.toWeb(socket);
  return { readable: web.readable as ReadableStream<Uint8Array>, writable: web.writable as WritableStream<Uint8Array> };
}

/** Open a TCP connection, rejecting on error or after `timeoutMs`. */
export function dial(host: string, port: number, timeoutMs = 10000): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const s = connect({ host, port });
    const timer = setTimeout(() => {
      s.destroy();
      reject(new Error(`connect to ${host}:${port} timed out`));
    }, timeoutMs);
    s.once('connect', () => {
      clearTimeout(timer);
      s.removeListener('error', reject);
      resolve(s);
    });
    s.once('error', (e) => {
      clearTimeout(timer);
      reject(e);
    });
  });
}
