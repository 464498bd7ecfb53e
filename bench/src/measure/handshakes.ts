/**
 * @module measure/handshakes
 * Handshakes per second, sequential, client and server in this process:
 * ours (QUIC, full and resumed with a session ticket) and Node's TLS 1.3
 * over TCP (full, and resumed with a TLS session) as the anchor.
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { connect, createServer, type TLSSocket } from 'node:tls';
import { QuicEndpoint } from '@tsquic/quic-transport';
import type { SessionTicket } from '@tsquic/tls13-handshake';
import type { Certs } from '../proc.js';

async function rate(seconds: number, once: () => Promise<void>): Promise<number> {
  await once(); // warm-up
  let n = 0;
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  while (performance.now() < end) {
    await once();
    n++;
  }
  return n / ((performance.now() - t0) / 1000);
}

/** Ours: full and resumed QUIC handshakes per second (connect → ready → close). */
export async function oursHandshakes(certs: Certs, seconds: number): Promise<{ full: number; resumed: number }> {
  const server = await QuicEndpoint.bind({ address: '127.0.0.1' });
  server.listen({ tls: { certificateChain: [new Uint8Array(readFileSync(certs.certDer))], privateKey: new Uint8Array(readFileSync(certs.keyDer)), alpn: ['hs'], ticketKey: new Uint8Array(32).fill(9) } });
  const client = await QuicEndpoint.bind({ address: '127.0.0.1' });
  let ticket: SessionTicket | undefined;
  const once = async (resume: boolean): Promise<void> => {
    const c = client.connect(server.address, { alpn: ['hs'], verifyPeer: 'none', ...(resume && ticket ? { sessionTicket: ticket } : {}) });
    await c.ready;
    if (resume && !c.handshakeInfo?.resumed) throw new Error('resumption was not accepted');
    void c.close();
  };
  try {
    const full = await rate(seconds, () => once(false));
    // One ticket, offered by every resumed connection.
    const c = client.connect(server.address, { alpn: ['hs'], verifyPeer: 'none' });
    ticket = await new Promise<SessionTicket>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error('no session ticket')), 5000);
      c.onSessionTicket = (tk) => {
        clearTimeout(t);
        resolve(tk);
      };
    });
    void c.close();
    const resumed = await rate(seconds, () => once(true));
    return { full, resumed };
  } finally {
    await Promise.all([client.close({ timeoutMs: 100 }), server.close({ timeoutMs: 100 })]);
  }
}

/** Node's TLS 1.3 over TCP: full and resumed handshakes per second (connect → secureConnect → destroy). */
export async function nodeTlsHandshakes(certs: Certs, seconds: number): Promise<{ full: number; resumed: number }> {
  const server = createServer({ cert: readFileSync(certs.certPem), key: readFileSync(certs.keyPem), minVersion: 'TLSv1.3' }, (s) => {
    // Kept open until the client leaves: a server that ends at once never lets the client read its session ticket.
    s.on('error', () => {});
    s.resume();
    s.on('end', () => s.end());
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  let session: Buffer | undefined;
  const once = (resume: boolean): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      const s: TLSSocket = connect({ host: '127.0.0.1', port, minVersion: 'TLSv1.3', rejectUnauthorized: false, ...(resume ? { session } : {}) }, () => {
        const reused = s.isSessionReused();
        s.destroy();
        if (resume && !reused) reject(new Error('node:tls did not resume'));
        else resolve();
      });
      s.on('error', reject);
    });
  try {
    const full = await rate(seconds, () => once(false));
    // Get a session: wait for the ticket on one connection.
    await new Promise<void>((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port, minVersion: 'TLSv1.3', rejectUnauthorized: false });
      s.once('session', (sess: Buffer) => {
        session = sess;
        s.destroy();
        resolve();
      });
      s.on('error', reject);
      s.resume();
    });
    const resumed = await rate(seconds, () => once(true));
    return { full, resumed };
  } finally {
    server.close();
  }
}
