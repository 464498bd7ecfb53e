/**
 * @module peers/handshakers
 * One handshake at a time, the same for every measurement of handshakes:
 * ours (a `QuicEndpoint` server with a ticket key; a client endpoint doing
 * connect → ready → close, resumed with one session ticket) and Node's TLS
 * 1.3 over TCP (connect → secureConnect → end, resumed with one TLS
 * session). The servers and the clients can live in one process or in two.
 * Both clients verify the server the same way: a path to the server's own
 * (self-signed) certificate as the one trust anchor, and the name
 * `localhost` against its SANs — Node's client checks the chain's
 * signatures even with `rejectUnauthorized: false`, so a client of ours that
 * skipped the check would be measured doing less.
 */
import type { AddressInfo } from 'node:net';
import { X509Certificate } from 'node:crypto';
import { connect, createSecureContext, createServer, type TLSSocket } from 'node:tls';
import { QuicEndpoint } from '@tsquic/quic-transport';
import type { SessionTicket } from '@tsquic/tls13-handshake';
import { SAME_SUITE } from './ipc.js';

export type Kind = 'quic' | 'tls';
export type Mode = 'full' | 'resumed';

export interface HandshakeServer {
  port: number;
  /** Connections the server has been handed so far (its window's handshakes are counted by it, not by the client). */
  readonly accepted: number;
  close(): Promise<void>;
}

/** The name both clients check against the certificate's SANs. */
const SERVER_NAME = 'localhost';

/** A client that completes one handshake per call, full or resumed. */
export interface Handshaker {
  once(mode: Mode): Promise<void>;
  close(): Promise<void>;
}

const ALPN = 'hs';

/** Our server: DER certificate and PKCS#8 key. */
export async function quicServer(cert: Uint8Array, key: Uint8Array): Promise<HandshakeServer> {
  const server = await QuicEndpoint.bind({ address: '127.0.0.1' });
  let accepted = 0;
  // Each connection handed to the application as it arrives, as Node's server hands each socket to its
  // listener. Not left on `incoming`: a server that never reads that stream keeps every connection it
  // accepted queued there (~25 KB each: 1,000 handshakes, 25 MB), and the garbage collector pays for it.
  server.listen({ tls: { certificateChain: [cert], privateKey: key, alpn: [ALPN], ticketKey: new Uint8Array(32).fill(9) }, onConnection: () => void accepted++ });
  return {
    port: server.address.port,
    get accepted() {
      return accepted;
    },
    close: () => server.close({ timeoutMs: 100 }),
  };
}

/** Our client: `trustAnchor` is the server's DER certificate. */
export async function quicHandshaker(port: number, trustAnchor: Uint8Array): Promise<Handshaker> {
  const client = await QuicEndpoint.bind({ address: '127.0.0.1' });
  const to = { address: '127.0.0.1', port };
  const tls = { alpn: [ALPN], serverName: SERVER_NAME, trustAnchors: [trustAnchor] };
  // One ticket, offered by every resumed connection.
  const first = client.connect(to, tls);
  const ticketArrives = new Promise<SessionTicket>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('no session ticket')), 5000);
    first.onSessionTicket = (tk) => {
      clearTimeout(t);
      resolve(tk);
    };
  });
  // A handshake that fails (a server the client does not trust) says so, rather than waiting for a ticket.
  await first.ready.catch(async (e: unknown) => {
    await client.close({ timeoutMs: 100 });
    throw e;
  });
  const ticket = await ticketArrives;
  void first.close();
  return {
    async once(mode) {
      const c = client.connect(to, { ...tls, ...(mode === 'resumed' ? { sessionTicket: ticket } : {}) });
      await c.ready;
      if (mode === 'resumed' && !c.handshakeInfo?.resumed) throw new Error('resumption was not accepted');
      void c.close();
    },
    close: () => client.close({ timeoutMs: 100 }),
  };
}

/** Node's TLS 1.3 server: PEM certificate and key. */
export async function tlsServer(cert: Uint8Array, key: Uint8Array): Promise<HandshakeServer> {
  let accepted = 0;
  const server = createServer({ cert: Buffer.from(cert), key: Buffer.from(key), minVersion: 'TLSv1.3', ciphers: SAME_SUITE }, (s) => {
    accepted++;
    // Kept open until the client leaves: a server that ends at once never lets the client read its session ticket.
    s.on('error', () => {});
    s.resume();
    s.on('end', () => s.end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    get accepted() {
      return accepted;
    },
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** Node's client: `trustAnchor` is the server's DER certificate, in a secure context made once (as ours is parsed once). */
export async function tlsHandshaker(port: number, trustAnchor: Uint8Array): Promise<Handshaker> {
  const secureContext = createSecureContext({ ca: new X509Certificate(trustAnchor).toString(), minVersion: 'TLSv1.3' });
  const opts = { host: '127.0.0.1', port, minVersion: 'TLSv1.3', secureContext, servername: SERVER_NAME, rejectUnauthorized: true } as const;
  // Get a session: wait for the ticket on one connection.
  const session = await new Promise<Buffer>((resolve, reject) => {
    const s = connect(opts);
    s.once('session', (sess: Buffer) => {
      s.destroy();
      resolve(sess);
    });
    s.on('error', reject);
    s.resume();
  });
  return {
    once: (mode) =>
      new Promise<void>((resolve, reject) => {
        const s: TLSSocket = connect({ ...opts, ...(mode === 'resumed' ? { session } : {}) }, () => {
          const reused = s.isSessionReused();
          // Ended, not destroyed: destroy() with the server's tickets unread resets the connection, and
          // Node's server then never reads the client's Finished — it stops at ECONNRESET, completing no
          // handshake and making no ticket (0 of 50 'secureConnection', 50 'tlsClientError'), less work
          // than ours does. After end() it completes every one, as ours does; the socket drains and closes.
          s.end();
          if (mode === 'resumed' && !reused) reject(new Error('node:tls did not resume'));
          else resolve();
        });
        s.resume();
        s.on('error', reject);
      }),
    close: () => Promise.resolve(),
  };
}

export const SERVERS: Record<Kind, (cert: Uint8Array, key: Uint8Array) => Promise<HandshakeServer>> = { quic: quicServer, tls: tlsServer };
export const HANDSHAKERS: Record<Kind, (port: number, trustAnchor: Uint8Array) => Promise<Handshaker>> = { quic: quicHandshaker, tls: tlsHandshaker };

/**
 * Sequential handshakes for `seconds` after a warm-up of as long (at least
 * one handshake): how many, over how long, and this process's CPU time.
 * The warm-up is the same for every stack; ours is JavaScript, whose
 * per-handshake code V8 compiles to optimized code only after a few hundred
 * handshakes, and a server runs far longer than a measurement (measured on
 * our server, 2 cores shared: 2.9 ms of CPU per full handshake cold, 2.15
 * after 3 s of handshakes, 1.85 after 10; Node's TLS server is native code).
 * `warmed` runs between the warm-up and the clock (a peer process reports it).
 */
export async function sequential(h: Handshaker, mode: Mode, seconds: number, warmed?: () => Promise<void>): Promise<{ handshakes: number; seconds: number; cpuSeconds: number }> {
  const warm = performance.now() + seconds * 1000;
  do await h.once(mode);
  while (performance.now() < warm);
  await warmed?.();
  let n = 0;
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  while (performance.now() < end) {
    await h.once(mode);
    n++;
  }
  const cpu = process.cpuUsage(cpu0);
  return { handshakes: n, seconds: (performance.now() - t0) / 1000, cpuSeconds: (cpu.user + cpu.system) / 1e6 };
}
