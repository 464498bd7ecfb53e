/**
 * TlsConnection as a new user meets it (issue 21): a real client and server over a Web Streams pair —
 * a server without a chooser uses its config's certificate, close_notify settles `closed` as
 * `allowHalfOpen` says, errors name the alert and say why, suites come with their names, and a raw
 * node:net socket is refused with the way to fix it.
 */
import { Socket } from 'node:net';
import { describe, expect, it } from 'vitest';
import { createClient, createServer } from '../../src/index.js';
import { TlsConnection, type DuplexStream } from '../../src/record/connection.js';
import { TlsRecordError } from '../../src/record/errors.js';
import { fixture, serverChain, serverKey } from '../core/pair.js';
import { testProvider as crypto } from '../core/test-crypto.js';

function pipePair(): [DuplexStream, DuplexStream] {
  const ab = new TransformStream<Uint8Array, Uint8Array>();
  const ba = new TransformStream<Uint8Array, Uint8Array>();
  return [
    { readable: ba.readable, writable: ab.writable },
    { readable: ab.readable, writable: ba.writable },
  ];
}

const client = (serverName = 'core-server.test') => createClient({ profile: { kind: 'tls' }, alpn: ['h2'], serverName, trustAnchors: [fixture('core-server-cert.der')], crypto });
const server = () => createServer({ profile: { kind: 'tls' }, alpn: ['h2'], certificateChain: serverChain(), privateKey: serverKey(), crypto });

/** Resolves with the value, or with what it rejected with. */
const settled = <T>(p: Promise<T>): Promise<T | unknown> =>
  p.then(
    (v) => v,
    (e: unknown) => e,
  );

describe('TlsConnection defaults', () => {
  it('a server without `choose` answers with the certificate and ALPN of its config', async () => {
    const [a, b] = pipePair();
    const [c, s] = await Promise.all([TlsConnection.open(a, client(), { crypto }), TlsConnection.open(b, server(), { crypto })]);
    expect([c.alpn, s.alpn, c.peerCertificates.length]).toEqual(['h2', 'h2', 1]);
    await Promise.all([c.close(), s.close()]);
    await Promise.all([c.closed, s.closed]);
  });

  it('reports the cipher suite by number and by name', async () => {
    const [a, b] = pipePair();
    const [c] = await Promise.all([TlsConnection.open(a, client(), { crypto }), TlsConnection.open(b, server(), { crypto })]);
    expect([c.handshakeInfo.cipherSuite, c.handshakeInfo.cipherSuiteName]).toEqual([0x1301, 'TLS_AES_128_GCM_SHA256']);
  });

  it('allowHalfOpen: false — the peer close_notify settles `closed` without a close() call, as node:tls', async () => {
    const [a, b] = pipePair();
    const [c, s] = await Promise.all([TlsConnection.open(a, client(), { crypto, allowHalfOpen: false }), TlsConnection.open(b, server(), { crypto })]);
    const body = new Response(c.readable).text();
    await s.close();
    expect(await body).toBe('');
    await c.closed; // would hang (the test time out) if the client waited for close()
    await s.closed;
  });

  it('by default the connection stays half-open after the peer close_notify: the reply still goes out, then `closed` settles', async () => {
    const [a, b] = pipePair();
    const [c, s] = await Promise.all([TlsConnection.open(a, client(), { crypto }), TlsConnection.open(b, server(), { crypto })]);
    const cw = c.writable.getWriter();
    await cw.write(new TextEncoder().encode('request'));
    await cw.close(); // the client's close_notify: its request is complete
    const request = await new Response(s.readable).text();
    const sw = s.writable.getWriter();
    await sw.write(new TextEncoder().encode(`reply to ${request}`));
    await sw.close();
    expect(await new Response(c.readable).text()).toBe('reply to request');
    await Promise.all([c.closed, s.closed]);
  });

  it('a failed handshake names the alert and says why (ours), or says the peer sent it', async () => {
    const [a, b] = pipePair();
    const [c, s] = await Promise.all([settled(TlsConnection.open(a, client('example.com'), { crypto })), settled(TlsConnection.open(b, server(), { crypto }))]);
    expect(TlsRecordError.isInstance(c) && { alertName: c.alertName, sent: c.sent, message: c.message }).toEqual({
      alertName: 'bad_certificate',
      sent: true,
      message: expect.stringMatching(/^sent bad_certificate \(42\): .*example\.com/),
    });
    expect(TlsRecordError.isInstance(s) && s.message).toBe('received bad_certificate (42) from the peer');
  });

  it('a node:net socket given as it is: a TypeError that says to pass Duplex.toWeb(socket)', () => {
    const socket = new Socket();
    expect(() => TlsConnection.open(socket as unknown as DuplexStream, client(), { crypto })).toThrow(/Duplex\.toWeb\(socket\)/);
    socket.destroy();
  });
});
