import { once } from 'node:events';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseResponse, getRequest, okResponse } from '../src/http.js';
import { readCertificates, readPrivateKey } from '../src/pem.js';
import { makeCerts, opensslServer } from './peers.js';

let certs: string;
beforeAll(() => {
  certs = makeCerts();
});
afterAll(() => rmSync(certs, { recursive: true, force: true }));

describe('the test harness itself', () => {
  it('make-certs.sh builds the PKI; PEM and DER read the same', () => {
    const pem = readCertificates(join(certs, 'server.pem'));
    const der = readCertificates(join(certs, 'server.der'));
    expect(pem.length).toBe(1);
    expect(Buffer.from(pem[0]!).equals(Buffer.from(der[0]!))).toBe(true);
    const k1 = readPrivateKey(join(certs, 'server.key'));
    const k2 = readPrivateKey(join(certs, 'server.key.der'));
    expect(Buffer.from(k1).equals(Buffer.from(k2))).toBe(true);
    expect(k1[0]).toBe(0x30);
  });

  it('openssl s_server -www answers Node tls.connect over TLS 1.3', async () => {
    const srv = await opensslServer(certs);
    try {
      const sock = connect({ host: '127.0.0.1', port: srv.port, servername: 'localhost', ca: readFileSync(join(certs, 'ca.pem')) });
      await once(sock, 'secureConnect');
      expect(sock.getProtocol()).toBe('TLSv1.3');
      sock.write(getRequest(new URL(`https://localhost:${srv.port}/`)));
      const chunks: Buffer[] = [];
      sock.on('data', (d: Buffer) => chunks.push(d));
      await once(sock, 'end');
      const res = parseResponse(new Uint8Array(Buffer.concat(chunks)));
      expect(res.status).toBe(200);
      expect(Buffer.from(res.body).toString()).toContain('Protocol  : TLSv1.3');
      sock.destroy();
    } finally {
      await srv.stop();
    }
  }, 10000);

  it('parses chunked and length-delimited HTTP responses', () => {
    const chunked = new TextEncoder().encode('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6;x=1\r\n world\r\n0\r\n\r\n');
    expect(new TextDecoder().decode(parseResponse(chunked).body)).toBe('hello world');
    const ok = parseResponse(okResponse('abc'));
    expect(ok.status).toBe(200);
    expect(new TextDecoder().decode(ok.body)).toBe('abc');
  });
});
