/**
 * Our record layer (RecordLayer from @tsquic/tls13-handshake/record) reading
 * real TLS 1.3 traffic between two peers nobody here wrote — Node's TLS and
 * OpenSSL's s_client/s_server — captured by a TCP relay and decrypted with the
 * secrets from their NSS key logs: ServerHello/HRR in clear, the compatibility
 * CCS, handshake and application keys, tickets, KeyUpdate, close_notify.
 */
import { once } from 'node:events';
import { readFileSync, rmSync } from 'node:fs';
import { connect as netConnect, createServer as netServer, type AddressInfo } from 'node:net';
import { join } from 'node:path';
import { connect as tlsConnect, createServer as tlsServer } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeCerts, opensslClient, opensslServer } from './peers.js';
import { parseKeylog, replay } from './passive.js';

let certs: string;
beforeAll(() => {
  certs = makeCerts();
});
afterAll(() => rmSync(certs, { recursive: true, force: true }));

/** A TCP relay to `port` that records both directions of one connection. */
async function relay(port: number) {
  const c2s: Buffer[] = [];
  const s2c: Buffer[] = [];
  let done!: () => void;
  const finished = new Promise<void>((r) => (done = r));
  const server = netServer((inbound) => {
    const outbound = netConnect(port, '127.0.0.1');
    let open = 2;
    const end = () => --open === 0 && done();
    inbound.on('data', (d: Buffer) => (c2s.push(d), outbound.write(d)));
    outbound.on('data', (d: Buffer) => (s2c.push(d), inbound.write(d)));
    inbound.on('end', () => outbound.end());
    outbound.on('end', () => inbound.end());
    inbound.on('close', end);
    outbound.on('close', end);
    inbound.on('error', () => outbound.destroy());
    outbound.on('error', () => inbound.destroy());
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    finished,
    c2s: () => new Uint8Array(Buffer.concat(c2s)),
    s2c: () => new Uint8Array(Buffer.concat(s2c)),
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

const SUITES = [
  ['TLS_AES_128_GCM_SHA256', 0x1301],
  ['TLS_AES_256_GCM_SHA384', 0x1302],
  ['TLS_CHACHA20_POLY1305_SHA256', 0x1303],
] as const;
const text = (b: Uint8Array) => Buffer.from(b).toString();
const types = (m: Array<{ type: number; level: string }>) => m.map((x) => `${x.type}@${x.level}`);

describe("RecordLayer decrypts Node's TLS 1.3 (OpenSSL inside Node) with key-log secrets", () => {
  for (const [suite, code] of SUITES) {
    it(
      suite,
      async () => {
        let keylog = '';
        const server = tlsServer({ cert: readFileSync(join(certs, 'server.pem')), key: readFileSync(join(certs, 'server.key')), minVersion: 'TLSv1.3', ciphers: suite }, (s) => {
          s.once('data', () => s.end('pong from node server'));
        });
        server.on('keylog', (line: Buffer) => (keylog += line.toString()));
        server.listen(0, '127.0.0.1');
        await once(server, 'listening');
        const r = await relay((server.address() as AddressInfo).port);
        try {
          const c = tlsConnect({ host: '127.0.0.1', port: r.port, servername: 'localhost', ca: readFileSync(join(certs, 'ca.pem')), ciphers: suite });
          await once(c, 'secureConnect');
          c.write('ping from node client');
          c.resume();
          await once(c, 'end');
          c.end();
          await r.finished;
          const keys = parseKeylog(keylog);
          const fromServer = replay('server', r.s2c(), code, keys);
          expect(types(fromServer.messages).slice(0, 5)).toEqual(['2@initial', '8@handshake', '11@handshake', '15@handshake', '20@handshake']);
          expect(types(fromServer.messages).slice(5)).toEqual(['4@application', '4@application']);
          expect(text(fromServer.appData)).toBe('pong from node server');
          expect(fromServer.events).toEqual(['complete', 'close-notify']);
          const fromClient = replay('client', r.c2s(), code, keys);
          expect(types(fromClient.messages)).toEqual(['1@initial', '20@handshake']);
          expect(text(fromClient.appData)).toBe('ping from node client');
          expect(fromClient.events).toContain('complete');
          // Our RecordProtection re-seals every protected record of both peers byte for byte.
          for (const o of [fromServer, fromClient]) {
            expect(o.resealed.total).toBeGreaterThan(1);
            expect(o.resealed.identical).toBe(o.resealed.total);
          }
        } finally {
          await r.close();
          await new Promise<void>((res) => server.close(() => res()));
        }
      },
      8000,
    );
  }
});

describe('RecordLayer decrypts openssl s_client ↔ s_server across a HelloRetryRequest and a KeyUpdate', () => {
  it('HRR (server P-256 only), KeyUpdate with update_requested, data both ways', async () => {
    const srv = await opensslServer(certs, ['-groups', 'P-256'], false);
    const r = await relay(srv.port);
    const keyfile = join(certs, 'replay-keys.txt');
    const cl = opensslClient(r.port, ['-servername', 'localhost', '-CAfile', join(certs, 'ca.pem'), '-keylogfile', keyfile]);
    try {
      await cl.waitFor(/Verify return code: 0/);
      cl.proc.stdin.write('K\n');
      await cl.waitFor(/KEYUPDATE/);
      cl.proc.stdin.write('after-update from s_client\n');
      await srv.waitFor(/after-update from s_client/);
      srv.proc.stdin.write('reply from s_server\n');
      await cl.waitFor(/reply from s_server/);
      cl.proc.stdin.end();
      await cl.exited;
      await r.finished;
      const keys = parseKeylog(readFileSync(keyfile, 'utf8'));
      const fromClient = replay('client', r.c2s(), 0x1302, keys, 1);
      expect(types(fromClient.messages)).toEqual(['1@initial', '1@initial', '20@handshake', '24@application']);
      expect(text(fromClient.appData)).toBe('after-update from s_client\n');
      const fromServer = replay('server', r.s2c(), 0x1302, keys);
      const t = types(fromServer.messages);
      expect(t.slice(0, 6)).toEqual(['2@initial', '2@initial', '8@handshake', '11@handshake', '15@handshake', '20@handshake']);
      expect(t).toContain('24@application');
      expect(text(fromServer.appData)).toBe('reply from s_server\n');
      expect(fromServer.events).toContain('key-update');
      expect(fromClient.events).toContain('key-update');
      for (const o of [fromServer, fromClient]) {
        expect(o.resealed.total).toBeGreaterThan(2);
        expect(o.resealed.identical).toBe(o.resealed.total);
      }
    } finally {
      await cl.stop();
      await srv.stop();
      await r.close();
    }
  }, 10000);
});
