/**
 * The handshake rows compare like with like (issue 19): both clients verify
 * the server — ours and Node's each complete against the certificate they
 * trust, and each refuses a server whose certificate is another one.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HANDSHAKERS, SERVERS, type Kind } from '../src/peers/handshakers.js';
import { makeCerts, removeDir, scratch, type Certs } from '../src/proc.js';

let dir: string;
let certs: Certs;
let other: Certs;
const read = (f: string) => new Uint8Array(readFileSync(f));

beforeAll(() => {
  dir = scratch('bench-hs');
  certs = makeCerts(join(dir, 'a'));
  other = makeCerts(join(dir, 'b'));
});
afterAll(() => removeDir(dir));

describe.each(['quic', 'tls'] as Kind[])('%s handshaker', (kind) => {
  const files = (c: Certs) => (kind === 'quic' ? [c.certDer, c.keyDer] : [c.certPem, c.keyPem]).map(read) as [Uint8Array, Uint8Array];

  it('completes full and resumed handshakes with the server it trusts', async () => {
    const server = await SERVERS[kind](...files(certs));
    try {
      const h = await HANDSHAKERS[kind](server.port, read(certs.certDer));
      await h.once('full');
      await h.once('resumed');
      await h.close();
    } finally {
      await server.close();
    }
  }, 20_000);

  it('the server completes every handshake, as the other server does (counted by the server: Node’s after a client destroy() stopped at ECONNRESET before the client’s Finished)', async () => {
    const server = await SERVERS[kind](...files(certs));
    try {
      const h = await HANDSHAKERS[kind](server.port, read(certs.certDer));
      const before = server.accepted;
      for (let i = 0; i < 10; i++) await h.once(i % 2 ? 'resumed' : 'full');
      await expect.poll(() => server.accepted - before, { timeout: 5000 }).toBe(10);
      await h.close();
    } finally {
      await server.close();
    }
  }, 20_000);

  it('refuses a server with another certificate (it verifies, as the other client does)', async () => {
    const server = await SERVERS[kind](...files(other));
    try {
      await expect(HANDSHAKERS[kind](server.port, read(certs.certDer)).then((h) => h.once('full'))).rejects.toThrow(kind === 'quic' ? /TLS alert 4[28]|certificate/i : /self[- ]signed|certificate|verify/i);
    } finally {
      await server.close();
    }
  }, 20_000);
});
