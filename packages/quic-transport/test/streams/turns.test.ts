/**
 * How the streams shell shares the event loop between input and output: at
 * most `eventsPerTurn` connection events reach the application per turn,
 * and the output loop runs between turns, so the answers to the first
 * requests of a large batch leave while the rest are being handled (the
 * peer works on them meanwhile instead of waiting for the whole batch); and
 * `ACCEPT_BIDI`, incoming bidirectional streams handed to a function
 * rather than through a ReadableStream.
 */
import { describe, expect, it } from 'vitest';
import { ACCEPT_BIDI } from '../../src/streams/connection.js';
import { QuicSocketEndpoint, type QuicBidirectionalStream, type QuicConnection } from '../../src/streams/index.js';
import { STREAM_IO } from '../../src/streams/stream.js';
import { serverTls } from '../sim/network.js';
import { socketPair } from './memory-link.js';

const REQUESTS = 64;

/** A server answering each bidirectional stream's byte with the same byte, through `accept`; what it had handed out each time it sent a datagram. */
async function batch(eventsPerTurn: number | undefined, accept: (c: QuicConnection, each: (s: QuicBidirectionalStream) => void) => void) {
  const [cs, ss] = socketPair();
  const server = new QuicSocketEndpoint(ss, eventsPerTurn === undefined ? {} : { eventsPerTurn });
  let accepted = 0;
  const acceptedAtSend: number[] = [];
  const send = ss.send.bind(ss);
  ss.send = (data, to, sent) => (acceptedAtSend.push(accepted), send(data, to, sent));
  server.listen({
    tls: serverTls(),
    onConnection: (c) =>
      accept(c, (s) => {
        accepted++;
        const io = (s as unknown as { [STREAM_IO]: { reader: ReadableStreamDefaultReader<Uint8Array>; writer: WritableStreamDefaultWriter<Uint8Array> } })[STREAM_IO];
        void io.reader.read().then(({ value }) => io.writer.write(value!).then(() => io.writer.close()));
      }),
  });
  const client = new QuicSocketEndpoint(cs);
  const conn = client.connect(ss.localAddress, { serverName: 'localhost', alpn: ['test'], verifyPeer: 'none' });
  await conn.ready;
  const before = acceptedAtSend.length;
  // Every request written in one turn: they reach the server together.
  const streams = await Promise.all(Array.from({ length: REQUESTS }, () => conn.createBidirectionalStream()));
  const answers = streams.map(async (s, i) => {
    const w = s.writable.getWriter();
    void w.write(new Uint8Array([i])).then(() => w.close());
    const parts: number[] = [];
    for await (const chunk of s.readable) parts.push(...chunk);
    return parts;
  });
  const got = await Promise.all(answers);
  await client.close();
  await server.close();
  return { got, acceptedAtSend: acceptedAtSend.slice(before) };
}

const viaStream = (c: QuicConnection, each: (s: QuicBidirectionalStream) => void): void =>
  void (async () => {
    for await (const s of c.incomingBidirectionalStreams) each(s);
  })();

describe('turns of the streams shell', () => {
  it(`with eventsPerTurn 8, answers leave before all ${REQUESTS} requests of a batch were handed out; every answer arrives whole`, async () => {
    const { got, acceptedAtSend } = await batch(8, viaStream);
    expect(got).toEqual(Array.from({ length: REQUESTS }, (_, i) => [i]));
    // Datagrams sent while only part of the batch had reached the application: the pipelining.
    expect(acceptedAtSend.some((n) => n > 0 && n < REQUESTS)).toBe(true);
  });

  it('without a limit the whole batch reaches the application in one turn, before any answer leaves', async () => {
    const { got, acceptedAtSend } = await batch(Number.POSITIVE_INFINITY, viaStream);
    expect(got).toEqual(Array.from({ length: REQUESTS }, (_, i) => [i]));
    expect(acceptedAtSend.some((n) => n > 0 && n < REQUESTS)).toBe(false);
  });

  it('ACCEPT_BIDI hands each incoming bidirectional stream to the function, with the default limit', async () => {
    let direct = false;
    const { got } = await batch(undefined, (c, each) => {
      direct = c[ACCEPT_BIDI](each);
    });
    expect(direct).toBe(true);
    expect(got).toEqual(Array.from({ length: REQUESTS }, (_, i) => [i]));
  });

  it('ACCEPT_BIDI refuses once incomingBidirectionalStreams is in use, and the streams keep coming there', async () => {
    let direct = true;
    const { got } = await batch(undefined, (c, each) => {
      viaStream(c, each);
      direct = c[ACCEPT_BIDI](() => {
        throw new Error('not this way');
      });
    });
    expect(direct).toBe(false);
    expect(got).toEqual(Array.from({ length: REQUESTS }, (_, i) => [i]));
  });
});
