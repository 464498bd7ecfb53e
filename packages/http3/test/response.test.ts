/**
 * Sending a `Response` on a request stream (RFC 9114 §4.1, response.ts),
 * write by write: a small response whose body is at hand is one stream write
 * (HEADERS and DATA in one buffer) and a FIN — issue 17's request rate; a
 * body still being made does not hold its HEADERS back; a large chunk is not
 * copied; a body that does not match its Content-Length is never sent
 * malformed (§4.1.2).
 */
import { describe, expect, it } from 'vitest';
import { H3ErrorCode, Http3Error } from '../src/errors.js';
import { FrameType } from '../src/frames.js';
import { MessageWriter, type SectionCodec } from '../src/message-io.js';
import type { FieldLine } from '../src/qpack/index.js';
import { sendResponse } from '../src/response.js';
import { encodeVarint } from '../src/varint.js';
import { expectsFirstChunkAtHand, firstChunkAtHand } from './support/first-chunk.js';

/** A section "encoding" that is just the status code's ASCII: enough to find the frames. */
const codec: SectionCodec = {
  encodeSection: (_id: bigint, fields: readonly FieldLine[]) => new TextEncoder().encode(fields[0]!.value),
  decodeSection: () => [],
  maxHeadersFrameSize: 1 << 16,
};

/** A stream writer that records each write and the FIN. */
function recorder(): { writer: MessageWriter; writes: Uint8Array[]; fin: () => boolean } {
  const writes: Uint8Array[] = [];
  let fin = false;
  const done = Promise.resolve();
  const writer = new MessageWriter(codec, 0n, {
    desiredSize: 1,
    ready: done,
    closed: done,
    write: (chunk: Uint8Array) => {
      writes.push(chunk);
      return done;
    },
    close: () => {
      fin = true;
      return done;
    },
    abort: () => done,
  });
  return { writer, writes, fin: () => fin };
}

/** The `Response` as the server has it: after `await handler(…)` (a body's stream has started by then). */
async function handled(response: Response): Promise<Response> {
  return await Promise.resolve(response);
}

const frame = (type: number, payload: Uint8Array): number[] => [...encodeVarint(type), ...encodeVarint(payload.length), ...payload];
const status = (code: string): Uint8Array => new TextEncoder().encode(code);

describe('sendResponse', () => {
  it('a small response made from bytes is one write (HEADERS + DATA) and a FIN', async () => {
    const body = new Uint8Array(100).fill(0x61);
    const r = recorder();
    await sendResponse(r.writer, 'GET', await handled(new Response(body)), () => undefined);
    // Before: HEADERS and DATA were two writes, each its own buffer. (Deno gives the first chunk a turn later: sendContent waits a second turn for it.)
    const atHand = await firstChunkAtHand();
    expect(atHand).toBe(expectsFirstChunkAtHand);
    expect(r.writes.length).toBe(atHand ? 1 : 2);
    expect(r.writes.flatMap((w) => [...w])).toEqual([...frame(FrameType.HEADERS, status('200')), ...frame(FrameType.DATA, body)]);
    expect(r.fin()).toBe(true);
  });

  it('small responses written to a direct writer share one buffer (views of a slab), each intact; a WritableStream gets buffers of its own', async () => {
    const r = recorder();
    const bodies = Array.from({ length: 3 }, (_, i) => new Uint8Array(100).fill(0x61 + i));
    // A body made from bytes is taken by its Response (read, its buffer is transferred): a copy for each.
    for (const body of bodies) await sendResponse(r.writer, 'GET', await handled(new Response(body.slice())), () => undefined);
    const bytes = r.writes.flatMap((w) => [...w]);
    expect(bytes).toEqual(bodies.flatMap((body) => [...frame(FrameType.HEADERS, status('200')), ...frame(FrameType.DATA, body)]));
    // Before: an ArrayBuffer per write (about a microsecond each on Node 20, made and collected).
    expect(new Set(r.writes.map((w) => w.buffer)).size).toBe(1);
    const chunks: Uint8Array[] = [];
    for (const body of bodies) {
      const own = new MessageWriter(codec, 0n, new WritableStream<Uint8Array>({ write: (c) => void chunks.push(c) }));
      await sendResponse(own, 'GET', await handled(new Response(body.slice())), () => undefined);
    }
    expect(chunks.flatMap((w) => [...w])).toEqual(bytes);
    expect(new Set(chunks.map((w) => w.buffer)).size).toBe(chunks.length);
  });

  it('a string body and a declared Content-Length also go in one write', async () => {
    const r = recorder();
    await sendResponse(r.writer, 'GET', await handled(new Response('hello', { headers: { 'content-length': '5' } })), () => undefined);
    expect(r.writes.length).toBe((await firstChunkAtHand()) ? 1 : 2);
    expect(r.writes.flatMap((w) => [...w])).toEqual([...frame(FrameType.HEADERS, status('200')), ...frame(FrameType.DATA, status('hello'))]);
  });

  it('a body made from bytes or a string is sent from its source where the platform keeps one (undici: Node 20, 22), its stream never read', async () => {
    // Node 24's undici keeps its state in private fields; Deno and Bun have their own Response: the stream is read there.
    const major = Number(globalThis.process?.versions?.node?.split('.')[0]);
    const expectsSource = !('Deno' in globalThis) && !('Bun' in globalThis) && (major === 20 || major === 22);
    const atHand = await firstChunkAtHand();
    for (const [response, content] of [
      [new Response(new Uint8Array(100).fill(0x62)), new Uint8Array(100).fill(0x62)],
      [new Response('hello'), status('hello')],
    ] as const) {
      const r = recorder();
      await sendResponse(r.writer, 'GET', await handled(response), () => undefined);
      expect(response.bodyUsed).toBe(!expectsSource);
      expect(r.writes.length).toBe(expectsSource || atHand ? 1 : 2);
      expect(r.writes.flatMap((w) => [...w])).toEqual([...frame(FrameType.HEADERS, status('200')), ...frame(FrameType.DATA, content)]);
    }
  });

  it('a body the handler has read from or cancelled is sent from its stream (what is left of it), a clone read elsewhere takes nothing from it', async () => {
    const read = new Response('abc');
    const reader = read.body!.getReader();
    await reader.read();
    reader.releaseLock();
    const r = recorder();
    await sendResponse(r.writer, 'GET', read, () => undefined);
    expect(r.writes.flatMap((w) => [...w])).toEqual(frame(FrameType.HEADERS, status('200')));
    const cancelled = new Response('abc');
    await cancelled.body!.cancel();
    const c = recorder();
    await sendResponse(c.writer, 'GET', cancelled, () => undefined);
    expect(c.writes.flatMap((w) => [...w])).toEqual(frame(FrameType.HEADERS, status('200')));
    const original = new Response('abc');
    expect(await original.clone().text()).toBe('abc');
    const o = recorder();
    await sendResponse(o.writer, 'GET', original, () => undefined);
    expect(o.writes.flatMap((w) => [...w])).toEqual([...frame(FrameType.HEADERS, status('200')), ...frame(FrameType.DATA, status('abc'))]);
  });

  it('a declared Content-Length is counted in place: no TransformStream piped per response', async () => {
    const g = globalThis as { TransformStream: typeof TransformStream };
    const saved = g.TransformStream;
    let made = 0;
    g.TransformStream = new Proxy(saved, {
      construct(target, args, newTarget) {
        made++;
        return Reflect.construct(target, args, newTarget) as object;
      },
    });
    try {
      const r = recorder();
      await sendResponse(r.writer, 'GET', await handled(new Response('hello', { headers: { 'content-length': '5' } })), () => undefined);
      expect(r.fin()).toBe(true);
    } finally {
      g.TransformStream = saved;
    }
    // Before: body.pipeThrough(new TransformStream(…)) for every response with a Content-Length.
    expect(made).toBe(0);
  });

  it('a body still being made does not hold the HEADERS back', async () => {
    let push!: ReadableStreamDefaultController<Uint8Array>;
    const body = new ReadableStream<Uint8Array>({ start: (c) => void (push = c) });
    const r = recorder();
    const sent = sendResponse(r.writer, 'GET', new Response(body), () => undefined);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(r.writes.map((w) => [...w])).toEqual([frame(FrameType.HEADERS, status('200'))]);
    push.enqueue(status('late'));
    push.close();
    await sent;
    expect(r.writes.map((w) => [...w])).toEqual([frame(FrameType.HEADERS, status('200')), frame(FrameType.DATA, status('late'))]);
    expect(r.fin()).toBe(true);
  });

  it('a large first chunk is written as it is, not copied next to the HEADERS', async () => {
    const big = new Uint8Array(64 * 1024).fill(7);
    const r = recorder();
    await sendResponse(r.writer, 'GET', new Response(new ReadableStream({ pull: (c) => (c.enqueue(big), c.close()) })), () => undefined);
    expect(r.writes.length).toBe(3);
    expect(r.writes[2]).toBe(big);
  });

  it('HEAD, 204 and 304 carry no content (RFC 9110 §6.4.1)', async () => {
    for (const [method, code] of [
      ['HEAD', 200],
      ['GET', 204],
      ['GET', 304],
    ] as const) {
      const r = recorder();
      await sendResponse(r.writer, method, new Response(code === 200 ? 'x' : null, { status: code }), () => undefined);
      expect(r.writes.map((w) => [...w])).toEqual([frame(FrameType.HEADERS, status(String(code)))]);
    }
  });

  it('a body longer than its Content-Length fails with H3_INTERNAL_ERROR before the extra bytes are sent (RFC 9114 §4.1.2)', async () => {
    const r = recorder();
    const errors: unknown[] = [];
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(status('abc'));
        c.enqueue(status('def'));
        c.close();
      },
    });
    const e = await sendResponse(r.writer, 'GET', new Response(body, { headers: { 'content-length': '4' } }), (x) => errors.push(x)).catch((x: unknown) => x);
    expect(Http3Error.isInstance(e) && e.code).toBe(H3ErrorCode.H3_INTERNAL_ERROR);
    expect((e as Error).message).toMatch(/content-length 4/);
    expect(errors).toHaveLength(1);
    expect(r.writes.map((w) => [...w])).toEqual([[...frame(FrameType.HEADERS, status('200')), ...frame(FrameType.DATA, status('abc'))]]);
    expect(r.fin()).toBe(false);
  });

  it('a body shorter than its Content-Length fails with H3_INTERNAL_ERROR and no FIN', async () => {
    const r = recorder();
    const e = await sendResponse(r.writer, 'GET', new Response('abc', { headers: { 'content-length': '10' } }), () => undefined).catch((x: unknown) => x);
    expect(Http3Error.isInstance(e) && e.code).toBe(H3ErrorCode.H3_INTERNAL_ERROR);
    expect(r.fin()).toBe(false);
  });
});
