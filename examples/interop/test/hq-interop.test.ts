import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hqGet, HqErrorCode, parseRequestLine, serveHq } from '../src/hq/hq-interop.js';
import { createMemorySessionPair } from '../src/memory-session.js';
import { type Session, StreamError, streamErrorCode } from '../src/session.js';
import { WwwRoot } from '../src/www.js';
import { collect, type Fixture, makeFixture, rejection } from './support/files.js';
import { ascii } from '@tsquic/test-support/hex';

let fx: Fixture;
let root: WwwRoot;

beforeAll(async () => {
  fx = await makeFixture({ 'small.txt': 1024, 'two.bin': 2 * 1024 * 1024, 'three.bin': 3 * 1024 * 1024 + 17, 'empty.bin': 0 });
  root = await WwwRoot.open(fx.www);
});
afterAll(() => fx.cleanup());

function pair(highWaterMark?: number): [Session, Session] {
  const [client, server] = createMemorySessionPair(highWaterMark === undefined ? {} : { highWaterMark });
  void serveHq(server, root);
  return [client, server];
}

/** Sends raw request bytes and FIN; returns the response stream. */
async function rawRequest(client: Session, bytes: Uint8Array): Promise<ReadableStream<Uint8Array>> {
  const s = await client.createBidirectionalStream();
  const w = s.writable.getWriter();
  await w.write(bytes);
  void w.close().catch(() => undefined);
  return s.readable;
}

describe('hq-interop client and server over an in-memory session', () => {
  it('fetches several files concurrently, byte for byte', async () => {
    const [client] = pair();
    const names = ['small.txt', 'two.bin', 'three.bin', 'empty.bin'];
    const bodies = await Promise.all(names.map(async (n) => collect(await hqGet(client, `/${n}`))));
    names.forEach((n, i) => expect(Buffer.from(bodies[i]!).equals(Buffer.from(fx.files.get(n)!)), n).toBe(true));
    client.close({ closeCode: HqErrorCode.NO_ERROR });
  });

  it('delivers a large file through a small window (back-pressure, nothing lost)', async () => {
    const [client] = pair(4096);
    const body = await collect(await hqGet(client, '/three.bin'));
    expect(Buffer.from(body).equals(Buffer.from(fx.files.get('three.bin')!))).toBe(true);
    client.close();
  });

  it('resets the stream with NOT_FOUND for a missing file, and stops reading the request', async () => {
    const [client] = pair();
    const e = await rejection(collect(await hqGet(client, '/missing.bin')));
    expect(streamErrorCode(e)).toBe(HqErrorCode.NOT_FOUND);
    client.close();
  });

  it.each([
    ['/../etc/passwd', HqErrorCode.BAD_REQUEST],
    ['/%2e%2e/%2e%2e/etc/passwd', HqErrorCode.BAD_REQUEST],
    ['/./small.txt', HqErrorCode.BAD_REQUEST],
  ])('refuses the traversal %s with a reset', async (path, code) => {
    const [client] = pair();
    expect(streamErrorCode(await rejection(collect(await hqGet(client, path))))).toBe(code);
    client.close();
  });

  it.each([
    ['a POST', 'POST /small.txt\r\n'],
    ['no path', 'GET\r\n'],
    ['an HTTP/1.1 request line', 'GET /small.txt HTTP/1.1\r\n'],
    ['a request line beyond 8 KiB', `GET /${'a'.repeat(9000)}\r\n`],
  ])('refuses %s with BAD_REQUEST', async (_, request) => {
    const [client] = pair();
    expect(streamErrorCode(await rejection(collect(await rawRequest(client, ascii(request)))))).toBe(HqErrorCode.BAD_REQUEST);
    client.close();
  });

  it('accepts a request without CRLF ended by FIN, with bare LF, and with an absolute URL', async () => {
    const [client] = pair();
    for (const request of ['GET /small.txt', 'GET /small.txt\n', 'GET https://server4:443/small.txt\r\n']) {
      const body = await collect(await rawRequest(client, ascii(request)));
      expect(body.length, request).toBe(1024);
    }
    client.close();
  });

  it('keeps serving other streams when one is reset by the client', async () => {
    const [client] = pair(4096);
    const doomed = await hqGet(client, '/two.bin');
    const reader = doomed.getReader();
    await reader.read();
    await reader.cancel(new StreamError(0x99n));
    const body = await collect(await hqGet(client, '/small.txt'));
    expect(body.length).toBe(1024);
    client.close();
  });

  it('refuses unusable client paths before sending', async () => {
    const [client] = pair();
    await expect(hqGet(client, 'relative')).rejects.toThrow(RangeError);
    await expect(hqGet(client, '/a b')).rejects.toThrow(RangeError);
    client.close();
  });

  it('parses request lines', () => {
    expect(parseRequestLine('GET /x?y=1')).toEqual({ path: '/x?y=1' });
    expect(parseRequestLine('GET http://h/p/q')).toEqual({ path: '/p/q' });
    expect('error' in parseRequestLine('GET  /x')).toBe(true);
  });
});
