/**
 * @module test/streams/close-error
 * How the streams shell reports a connection's end (RFC 9000 §10): a clean
 * close resolves `closed` and makes no error object (an Error captures a
 * stack trace at the end of every short connection), an error close rejects
 * `closed`, `ready` and new streams with a QuicConnectionError carrying the code.
 */
import { describe, expect, it } from 'vitest';
import { QuicConnectionError, QuicSocketEndpoint, type QuicConnection } from '../../src/streams/index.js';
import { serverTls } from '../sim/network.js';
import { socketPair } from './memory-link.js';

type WithEnd = { endState?: { clean: boolean; err?: unknown } };

async function pair() {
  const [cs, ss] = socketPair();
  const server = new QuicSocketEndpoint(ss);
  const accepted: QuicConnection[] = [];
  server.listen({ tls: serverTls(), onConnection: (c) => void accepted.push(c) });
  const client = new QuicSocketEndpoint(cs);
  const conn = client.connect(ss.localAddress, { serverName: 'localhost', alpn: ['test'], verifyPeer: 'none' });
  await conn.ready;
  return { conn, server, client, accepted };
}

describe('the end of a connection in the streams shell', () => {
  it('a clean close resolves closed with NO_ERROR and makes no QuicConnectionError; streams opened afterwards are refused with one', async () => {
    const { conn, server, client } = await pair();
    const info = await conn.close();
    expect(info.code).toBe(0n);
    expect((conn as unknown as WithEnd).endState).toMatchObject({ clean: true });
    expect((conn as unknown as WithEnd).endState?.err).toBeUndefined();
    // Made when something asks: the same error each time.
    const e1 = await conn.createBidirectionalStream().catch((e: unknown) => e);
    const e2 = await conn.createUnidirectionalStream().catch((e: unknown) => e);
    expect(QuicConnectionError.isInstance(e1)).toBe(true);
    expect(e2).toBe(e1);
    await client.close();
    await server.close();
  });

  it('an application close with a code resolves the peer’s closed with that code and reason (the application ended it)', async () => {
    const { conn, server, client, accepted } = await pair();
    await expect.poll(() => accepted.length).toBe(1);
    await accepted[0]!.ready;
    // The server: its handshake is confirmed, so the close goes in 1-RTT with the application's code
    // (before confirmation it would go as APPLICATION_ERROR in Handshake packets, RFC 9000 §10.2.3).
    await accepted[0]!.close({ closeCode: 0x1234, reason: 'bye' });
    const info = await conn.closed;
    expect(info).toMatchObject({ kind: 'close', application: true, code: 0x1234n, reason: 'bye' });
    await client.close();
    await server.close();
  });

  it('a client that closes as soon as it is ready still lets the server complete its handshake (its Finished goes out with the close)', async () => {
    const [cs, ss] = socketPair();
    const server = new QuicSocketEndpoint(ss);
    const serverSide: Array<{ completed: boolean; closed?: { code: bigint; application: boolean; reason: string } }> = [];
    server.listen({
      tls: serverTls(),
      onConnection: (c) => {
        const seen: (typeof serverSide)[number] = { completed: false };
        serverSide.push(seen);
        c.ready.then(
          () => (seen.completed = true),
          () => undefined,
        );
        c.closed.then(
          (i) => (seen.closed = i),
          (e: QuicConnectionError) => (seen.closed = e.info),
        );
      },
    });
    const client = new QuicSocketEndpoint(cs);
    for (let i = 0; i < 3; i++) {
      const conn = client.connect(ss.localAddress, { serverName: 'localhost', alpn: ['test'], verifyPeer: 'none' });
      await conn.ready;
      void conn.close({ closeCode: 7, reason: 'done' });
      await expect.poll(() => serverSide[i]?.closed).toBeDefined();
      // The client's Finished reached the server before the close did (RFC 9000 §10.2.3: a client knows the
      // server has Handshake keys, so the close goes in Handshake and 1-RTT packets, not an Initial that would
      // end the server's handshake unfinished). Before confirmation the server reads the close in its
      // Handshake packet: APPLICATION_ERROR, the application's code withheld.
      expect(serverSide[i]).toMatchObject({ completed: true, closed: { code: 0x0cn, application: false } });
    }
    await client.close();
    await server.close();
  });

  it('an idle timeout rejects closed and new streams with the same QuicConnectionError (kind idle)', async () => {
    const [cs, ss] = socketPair();
    const server = new QuicSocketEndpoint(ss);
    server.listen({ tls: serverTls(), onConnection: () => {} });
    const client = new QuicSocketEndpoint(cs, { transport: { idleTimeoutMs: 300 } });
    const conn = client.connect(ss.localAddress, { serverName: 'localhost', alpn: ['test'], verifyPeer: 'none' });
    await conn.ready;
    ss.closed = true; // the server goes silent
    const err = await conn.closed.catch((e: unknown) => e);
    expect(QuicConnectionError.isInstance(err)).toBe(true);
    expect((err as QuicConnectionError).info.kind).toBe('idle');
    expect(await conn.createBidirectionalStream().catch((e: unknown) => e)).toBe(err);
    await client.close();
    ss.closed = false;
    await server.close();
  });
});

describe('QuicConnectionError', () => {
  it('is made without a stack trace (it is always made while the endpoint dispatches an event) and leaves Error.stackTraceLimit as it was', () => {
    const before = Error.stackTraceLimit;
    const e = new QuicConnectionError({ kind: 'close', code: 0x0cn, application: false, remote: true, reason: 'bye' });
    expect(Error.stackTraceLimit).toBe(before);
    expect(e.message).toBe('peer closed: APPLICATION_ERROR (0xc) (bye)');
    expect(e.stack ?? '').not.toMatch(/\n\s+at /); // no frames (V8 and JavaScriptCore alike)
    expect(e.code).toBe(0x0cn);
    expect(e).toBeInstanceOf(Error);
    // Other errors still capture their frames.
    expect(new Error('x').stack).toMatch(/\n\s+at /);
  });
});
