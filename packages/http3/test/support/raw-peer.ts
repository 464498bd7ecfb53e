/**
 * @module test/support/raw-peer
 * A hand-driven HTTP/3 peer for tests: raw streams, raw frames, no checks,
 * over one side of an in-memory session pair. Header sections are encoded
 * with the static table only.
 */
import { encodeFrame, FrameType } from '../../src/frames.js';
import { QpackDecoder, QpackEncoder } from '../../src/qpack/index.js';
import type { Http3Session, SessionBidirectionalStream } from '../../src/session.js';
import { encodeSettings } from '../../src/settings.js';
import { encodeVarint } from '../../src/varint.js';
import type { MemorySession } from './memory-session.js';

type Pair = readonly [string, string];

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

export const frame = (type: number | bigint, payload: Uint8Array = new Uint8Array(0)) => encodeFrame(type, payload);
export const varint = encodeVarint;

/** A static-only field section (RFC 9204 §4.5 with Required Insert Count 0). */
export function section(pairs: readonly Pair[]): Uint8Array {
  return new QpackEncoder({ maxTableCapacity: 0, maxBlockedStreams: 0 }).encodeFieldSection(
    0n,
    pairs.map(([name, value]) => ({ name, value })),
  );
}

/** Decodes a static-only (or literal) field section to pairs. */
export function decodeSection(bytes: Uint8Array): Pair[] {
  const r = new QpackDecoder({ maxTableCapacity: 0, maxBlockedStreams: 0 }).decodeFieldSection(0n, bytes);
  if (!('fields' in r)) throw new Error('blocked');
  return r.fields.map((f) => [f.name, f.value] as const);
}

export function settingsFrame(settings: Array<[number | bigint, number | bigint]> = []): Uint8Array {
  return encodeFrame(FrameType.SETTINGS, encodeSettings(settings.map(([k, v]) => [BigInt(k), BigInt(v)])));
}

export const headersFrame = (pairs: readonly Pair[]): Uint8Array => encodeFrame(FrameType.HEADERS, section(pairs));
export const dataFrame = (bytes: Uint8Array): Uint8Array => encodeFrame(FrameType.DATA, bytes);

export const GET = (path: string, authority = 'localhost'): Pair[] => [
  [':method', 'GET'],
  [':scheme', 'https'],
  [':authority', authority],
  [':path', path],
];

/** Opens a unidirectional stream and writes `bytes`; FIN unless `keepOpen`. Returns the writer. */
export async function openUni(session: Http3Session, bytes: Uint8Array, keepOpen = false): Promise<WritableStreamDefaultWriter<Uint8Array>> {
  const writer = (await session.createUnidirectionalStream()).getWriter();
  writer.closed.catch(() => undefined);
  writer.write(bytes).catch(() => undefined);
  if (!keepOpen) writer.close().catch(() => undefined);
  return writer;
}

/** A valid control stream (SETTINGS first), kept open, plus optional further bytes. */
export function openControl(session: Http3Session, more: Uint8Array = new Uint8Array(0), settings?: Array<[number | bigint, number | bigint]>): Promise<WritableStreamDefaultWriter<Uint8Array>> {
  return openUni(session, concat(varint(0x00), settingsFrame(settings), more), true);
}

/** Opens a bidirectional stream, writes `bytes`, FIN unless `keepOpen`. */
export async function openBidi(session: Http3Session, bytes: Uint8Array, keepOpen = false): Promise<SessionBidirectionalStream> {
  const stream = await session.createBidirectionalStream();
  const writer = stream.writable.getWriter();
  writer.closed.catch(() => undefined);
  writer.write(bytes).catch(() => undefined);
  if (!keepOpen) writer.close().catch(() => undefined);
  writer.releaseLock();
  return stream;
}

/** The close code of a memory session, as a number. */
export async function closeCode(session: MemorySession): Promise<number> {
  return Number((await session.closed).closeCode);
}

export async function nextUniStream(session: Http3Session): Promise<ReadableStream<Uint8Array>> {
  const reader = session.incomingUnidirectionalStreams.getReader();
  const { value, done } = await reader.read();
  reader.releaseLock();
  if (done) throw new Error('no more streams');
  return value;
}

export async function nextBidiStream(session: Http3Session): Promise<SessionBidirectionalStream> {
  const reader = session.incomingBidirectionalStreams.getReader();
  const { value, done } = await reader.read();
  reader.releaseLock();
  if (done) throw new Error('no more streams');
  return value;
}

/** Reads a stream until it holds at least `n` bytes (or ends). */
export async function readAtLeast(stream: ReadableStream<Uint8Array>, n: number): Promise<Uint8Array> {
  const reader = stream.getReader();
  let out: Uint8Array = new Uint8Array(0);
  while (out.length < n) {
    const { value, done } = await reader.read();
    if (done) break;
    out = concat(out, value);
  }
  reader.releaseLock();
  return out;
}

/** Every byte of a stream. */
export async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const chunk of stream) parts.push(chunk);
  return concat(...parts);
}

/** The rejection of a promise (fails if it resolves). */
export async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}

/** The code an error carries (`code`: bigint or number), as a number. */
export function codeOf(e: unknown): number | undefined {
  const code = (e as { code?: unknown } | undefined)?.code;
  return typeof code === 'bigint' || typeof code === 'number' ? Number(code) : undefined;
}

/** Parses a response stream: header sections decoded, DATA concatenated. */
export async function parseResponse(stream: ReadableStream<Uint8Array>): Promise<{ sections: Pair[][]; data: Uint8Array }> {
  const bytes = await collect(stream);
  const sections: Pair[][] = [];
  const data: Uint8Array[] = [];
  let pos = 0;
  const v = (): number => {
    const len = 1 << (bytes[pos]! >> 6);
    let value = bytes[pos]! & 0x3f;
    for (let i = 1; i < len; i++) value = value * 256 + bytes[pos + i]!;
    pos += len;
    return value;
  };
  while (pos < bytes.length) {
    const type = v();
    const length = v();
    const payload = bytes.subarray(pos, pos + length);
    if (type === FrameType.HEADERS) sections.push(decodeSection(payload));
    if (type === FrameType.DATA) data.push(payload);
    pos += length;
  }
  return { sections, data: concat(...data) };
}
