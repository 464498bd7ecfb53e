/**
 * A conformance suite for the `RpcSession` contract rpc-framing relies on:
 * ordered bytes, FIN, resets in both directions with bigint codes, flow
 * control, and session close. It uses nothing but the interface, so any
 * transport (the memory pair here, QUIC later) can run it:
 * `describeSessionConformance('quic', async () => [client, server])`.
 */
import { describe, expect, test } from 'vitest';
import { SessionClosedError, StreamError, type DuplexLike, type RpcSession } from '../src/index.js';
import { concat, readAll, sleep } from './helpers.js';

export type PairFactory = () => Promise<{ client: RpcSession; server: RpcSession; close(): Promise<void> | void }>;

async function accept<T>(incoming: ReadableStream<T>): Promise<T> {
  const reader = incoming.getReader();
  try {
    const { value, done } = await reader.read();
    if (done) throw new Error('no incoming stream');
    return value;
  } finally {
    reader.releaseLock();
  }
}

const bytes = (...xs: number[]): Uint8Array => Uint8Array.from(xs);

/** The error a promise rejects with (fails the test if it resolves). */
async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

export function describeSessionConformance(name: string, makePair: PairFactory): void {
  describe(`RpcSession conformance: ${name}`, () => {
    test('bidirectional stream: ordered bytes both ways, FIN ends each half', async () => {
      const { client, server, close } = await makePair();
      const s = await client.createBidirectionalStream();
      const w = s.writable.getWriter();
      await w.write(bytes(1, 2, 3));
      await w.write(bytes(4));
      await w.close();
      const peer = await accept(server.incomingBidirectionalStreams);
      expect(await readAll(peer.readable)).toEqual(bytes(1, 2, 3, 4));
      const pw = peer.writable.getWriter();
      await pw.write(bytes(9, 8));
      await pw.close();
      expect(await readAll(s.readable)).toEqual(bytes(9, 8));
      await close();
    });

    test('unidirectional stream from either side', async () => {
      const { client, server, close } = await makePair();
      for (const [from, to] of [
        [client, server],
        [server, client],
      ] as const) {
        const w = (await from.createUnidirectionalStream()).getWriter();
        await w.write(bytes(5, 6));
        await w.close();
        expect(await readAll(await accept(to.incomingUnidirectionalStreams))).toEqual(bytes(5, 6));
      }
      await close();
    });

    test('writable.abort(reason) resets the stream: the peer reads an error with the code', async () => {
      const { client, server, close } = await makePair();
      const s = await client.createBidirectionalStream();
      const w = s.writable.getWriter();
      await w.write(bytes(1));
      const peer = await accept(server.incomingBidirectionalStreams);
      await w.abort(new StreamError(0x1234n));
      const e = await rejection(readAll(peer.readable));
      expect((e as { code?: unknown }).code).toBe(0x1234n);
      await close();
    });

    test('readable.cancel(reason) stops sending: the peer writer fails with the code', async () => {
      const { client, server, close } = await makePair();
      const s = await client.createBidirectionalStream();
      const w = s.writable.getWriter();
      await w.write(bytes(1));
      const peer = await accept(server.incomingBidirectionalStreams);
      await peer.readable.cancel(new StreamError(77n));
      const e = await rejection(w.closed);
      expect((e as { code?: unknown }).code).toBe(77n);
      await expect(w.write(bytes(2))).rejects.toMatchObject({ code: 77n });
      await close();
    });

    test('the other half of a stream survives a reset of one half', async () => {
      const { client, server, close } = await makePair();
      const s = await client.createBidirectionalStream();
      const w = s.writable.getWriter();
      await w.write(bytes(1));
      const peer = await accept(server.incomingBidirectionalStreams);
      await w.abort(new StreamError(3n));
      const pw = peer.writable.getWriter();
      await pw.write(bytes(42));
      await pw.close();
      expect(await readAll(s.readable)).toEqual(bytes(42));
      await close();
    });

    test('flow control: a writer nobody reads from is held back, and released by reading', async () => {
      const { client, server, close } = await makePair();
      const s = await client.createBidirectionalStream();
      const w = s.writable.getWriter();
      const chunk = new Uint8Array(16384);
      let written = 0;
      let blocked = false;
      while (written < 64 * 1024 * 1024) {
        const ready = await Promise.race([w.ready.then(() => true), sleep(50).then(() => false)]);
        if (!ready) {
          blocked = true;
          break;
        }
        void w.write(chunk).catch(() => undefined);
        written += chunk.length;
      }
      expect(blocked).toBe(true);
      const peer = await accept(server.incomingBidirectionalStreams);
      const reader = peer.readable.getReader();
      let read = 0;
      const readDone = (async () => {
        for (;;) {
          const { value, done } = await reader.read();
          if (done) return;
          read += value.byteLength;
        }
      })();
      await w.ready;
      await w.close();
      await readDone;
      expect(read).toBe(written);
      await close();
    });

    test('streams are independent: one stream reset, its neighbours complete', async () => {
      const { client, server, close } = await makePair();
      const streams: DuplexLike[] = [];
      for (let i = 0; i < 3; i++) streams.push(await client.createBidirectionalStream());
      const writers = streams.map((s) => s.writable.getWriter());
      for (const [i, w] of writers.entries()) await w.write(bytes(i));
      await writers[1]!.abort(new StreamError(1n));
      await writers[0]!.close();
      await writers[2]!.close();
      const results: (Uint8Array | bigint)[] = [];
      for (let i = 0; i < 3; i++) {
        const peer = await accept(server.incomingBidirectionalStreams);
        results.push(await readAll(peer.readable).catch((e: { code: bigint }) => e.code));
      }
      expect(results).toEqual([bytes(0), 1n, bytes(2)]);
      await close();
    });

    test('closing the session fails open streams on both sides and ends the incoming queues', async () => {
      const { client, server } = await makePair();
      const s = await client.createBidirectionalStream();
      const w = s.writable.getWriter();
      await w.write(bytes(1));
      const peer = await accept(server.incomingBidirectionalStreams);
      const peerReader = peer.readable.getReader();
      await peerReader.read();
      client.close?.({ closeCode: 5, reason: 'bye' });
      await expect(peerReader.read()).rejects.toBeDefined();
      await expect(w.write(bytes(2))).rejects.toBeDefined();
      const incoming = server.incomingBidirectionalStreams.getReader();
      expect((await incoming.read()).done).toBe(true);
      await expect(client.createBidirectionalStream()).rejects.toBeDefined();
      await client.closed;
      await server.closed;
    });
  });
}

export { concat, SessionClosedError };
