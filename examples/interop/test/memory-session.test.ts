import { describe, expect, it } from 'vitest';
import { createMemorySessionPair, SessionClosedError } from '../src/memory-session.js';
import { StreamError, streamErrorCode } from '../src/session.js';
import { collect, rejection } from './support/files.js';

async function first<T>(stream: ReadableStream<T>): Promise<T> {
  const reader = stream.getReader();
  const { value, done } = await reader.read();
  reader.releaseLock();
  if (done) throw new Error('stream ended');
  return value;
}

describe('in-memory session pair', () => {
  it('carries bidirectional streams both ways, in order, with FIN', async () => {
    const [client, server] = createMemorySessionPair();
    const s = await client.createBidirectionalStream();
    const w = s.writable.getWriter();
    void w.write(Uint8Array.of(1, 2));
    void w.write(Uint8Array.of(3));
    void w.close();
    const remote = await first(server.incomingBidirectionalStreams);
    expect(await collect(remote.readable)).toEqual(Uint8Array.of(1, 2, 3));
    const rw = remote.writable.getWriter();
    await rw.write(Uint8Array.of(9));
    await rw.close();
    expect(await collect(s.readable)).toEqual(Uint8Array.of(9));
  });

  it('carries unidirectional streams', async () => {
    const [client, server] = createMemorySessionPair();
    const w = (await server.createUnidirectionalStream()).getWriter();
    void w.write(Uint8Array.of(7));
    void w.close();
    expect(await collect(await first(client.incomingUnidirectionalStreams))).toEqual(Uint8Array.of(7));
  });

  it('maps abort to a reset of the peer readable and cancel to an error of the peer writable, code intact', async () => {
    const [client, server] = createMemorySessionPair();
    const s = await client.createBidirectionalStream();
    const remote = await first(server.incomingBidirectionalStreams);
    await s.writable.abort(new StreamError(0x10cn));
    expect(streamErrorCode(await rejection(collect(remote.readable)))).toBe(0x10cn);
    await s.readable.cancel(new StreamError(0x100n));
    expect(streamErrorCode(await rejection(remote.writable.getWriter().write(Uint8Array.of(1))))).toBe(0x100n);
  });

  it('applies back-pressure: a writer waits while the reader does not read', async () => {
    const [client, server] = createMemorySessionPair({ highWaterMark: 1024 });
    const s = await client.createBidirectionalStream();
    const w = s.writable.getWriter();
    let accepted = 0;
    const writing = (async () => {
      for (let i = 0; i < 64; i++) {
        await w.ready;
        void w.write(new Uint8Array(256));
        accepted += 256;
      }
    })();
    await new Promise((r) => setTimeout(r, 20));
    expect(accepted).toBeLessThanOrEqual(4 * 1024);
    const remote = await first(server.incomingBidirectionalStreams);
    const reader = remote.readable.getReader();
    let read = 0;
    while (read < 64 * 256) read += (await reader.read()).value!.length;
    await writing;
    expect(accepted).toBe(64 * 256);
  });

  it('closes both sides with the code, errors open streams and refuses new ones', async () => {
    const [client, server] = createMemorySessionPair();
    const s = await client.createBidirectionalStream();
    server.close({ closeCode: 0x105n, reason: 'bad frame' });
    client.close({ closeCode: 1n }); // idempotent: the first close wins
    expect(await client.closed).toEqual({ closeCode: 0x105n, reason: 'bad frame' });
    expect(await server.closed).toEqual({ closeCode: 0x105n, reason: 'bad frame' });
    expect(await rejection(collect(s.readable))).toBeInstanceOf(SessionClosedError);
    expect(await rejection(client.createBidirectionalStream())).toBeInstanceOf(SessionClosedError);
    expect(await rejection(first(server.incomingUnidirectionalStreams))).toBeInstanceOf(SessionClosedError);
  });
});
