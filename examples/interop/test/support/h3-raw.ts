/** A hand-driven HTTP/3 peer for tests: raw streams, raw frames, no checks. */
import { encodeFrame, encodeSettings, FrameType } from '../../src/h3/frames.js';
import { encodeFieldSection, type FieldLine } from '../../src/qpack/field-section.js';
import type { BidirectionalStream, Session } from '../../src/session.js';
import { encodeVarint } from '../../src/varint.js';

export function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

export const frame = encodeFrame;
export const varint = encodeVarint;

export function settingsFrame(settings: [number, number][] = []): Uint8Array {
  return encodeFrame(FrameType.SETTINGS, encodeSettings(settings));
}

export function headersFrame(fields: readonly FieldLine[]): Uint8Array {
  return encodeFrame(FrameType.HEADERS, encodeFieldSection(fields));
}

export function dataFrame(bytes: Uint8Array): Uint8Array {
  return encodeFrame(FrameType.DATA, bytes);
}

/** Opens a unidirectional stream and writes `bytes`; FIN unless `keepOpen`. Returns the writer. */
export async function openUni(session: Session, bytes: Uint8Array, keepOpen = false): Promise<WritableStreamDefaultWriter<Uint8Array>> {
  const writer = (await session.createUnidirectionalStream()).getWriter();
  writer.closed.catch(() => undefined);
  writer.write(bytes).catch(() => undefined);
  if (!keepOpen) writer.close().catch(() => undefined);
  return writer;
}

/** A valid control stream (SETTINGS first), kept open, plus optional further bytes. */
export function openControl(session: Session, more: Uint8Array = new Uint8Array(0), settings?: [number, number][]): Promise<WritableStreamDefaultWriter<Uint8Array>> {
  return openUni(session, concat(varint(0x00), settingsFrame(settings), more), true);
}

/** Opens a bidirectional stream, writes `bytes`, FIN unless `keepOpen`. */
export async function openBidi(session: Session, bytes: Uint8Array, keepOpen = false): Promise<BidirectionalStream> {
  const stream = await session.createBidirectionalStream();
  const writer = stream.writable.getWriter();
  writer.closed.catch(() => undefined);
  writer.write(bytes).catch(() => undefined);
  if (!keepOpen) writer.close().catch(() => undefined);
  writer.releaseLock();
  return stream;
}

export const GET = (path: string): FieldLine[] => [
  [':method', 'GET'],
  [':scheme', 'https'],
  [':authority', 'localhost'],
  [':path', path],
];

/** The close code of a session, as a number. */
export async function closeCode(session: Session): Promise<number> {
  return Number((await session.closed).closeCode);
}

/** Collects the next `n` incoming unidirectional streams' first bytes (type and what is there so far). */
export async function nextUniStream(session: Session): Promise<ReadableStream<Uint8Array>> {
  const reader = session.incomingUnidirectionalStreams.getReader();
  const { value, done } = await reader.read();
  reader.releaseLock();
  if (done) throw new Error('no more streams');
  return value;
}

export async function nextBidiStream(session: Session): Promise<BidirectionalStream> {
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
