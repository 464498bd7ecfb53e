/**
 * @module hq/hq-interop
 * HTTP/0.9 over QUIC, ALPN "hq-interop": the interop runner's community
 * convention (shared/specs/interop-runner-testcases.md). One request per
 * client-initiated bidirectional stream: the client sends `GET /path\r\n`
 * and FIN; the server sends the file's bytes and FIN. There are no status
 * codes, so a refused request is a stream reset (RESET_STREAM on the
 * response, STOP_SENDING on the request) with one of the codes below.
 */
import { StreamByteReader } from '../byte-reader.js';
import { type BidirectionalStream, type Session, StreamError } from '../session.js';
import { readFileChunks, type WwwRoot } from '../www.js';

/**
 * Our application error codes for hq-interop (no registry exists): used to
 * reset a response stream instead of sending a file, and as the connection
 * close code (0 for a normal close).
 */
export const HqErrorCode = {
  NO_ERROR: 0x0n,
  INTERNAL_ERROR: 0x1n,
  /** The request line is not `GET <path>`, or the path is malformed or contains `..`. */
  BAD_REQUEST: 0x2n,
  /** The path leads outside the document root (a symlink). */
  FORBIDDEN: 0x3n,
  /** No such regular file. */
  NOT_FOUND: 0x4n,
} as const;

/** Longest request we read (paths of a few hundred bytes are the most the runner uses). */
export const MAX_REQUEST_LENGTH = 8192;

const noop = (): void => undefined;
const LF = 0x0a;

// ---------------------------------------------------------------- client

/**
 * Sends `GET <path>\r\n` and FIN on a new stream and returns the response
 * body. The body ends cleanly only if the server sent FIN; a reset errors
 * it with the server's reason (whose `code` is one of `HqErrorCode`).
 */
export async function hqGet(session: Session, path: string): Promise<ReadableStream<Uint8Array>> {
  if (!path.startsWith('/') || /[\s\0]/.test(path) || path.length > MAX_REQUEST_LENGTH - 6) {
    throw new RangeError(`unusable hq-interop path ${JSON.stringify(path)}`);
  }
  const stream = await session.createBidirectionalStream();
  const writer = stream.writable.getWriter();
  await writer.write(new TextEncoder().encode(`GET ${path}\r\n`));
  writer.close().catch(noop); // the response matters, not whether our FIN was acknowledged
  return stream.readable;
}

// ---------------------------------------------------------------- server

/** Serves files from `root` on every stream the client opens, until the session closes. */
export async function serveHq(session: Session, root: WwwRoot): Promise<void> {
  const incoming = session.incomingBidirectionalStreams.getReader();
  try {
    for (;;) {
      const { value, done } = await incoming.read();
      if (done) return;
      void handleHqStream(value, root);
    }
  } catch {
    // the session is gone
  }
}

/** The request line, or the reason it cannot be one. */
export function parseRequestLine(line: string): { path: string } | { error: string } {
  const m = /^GET (\S+)$/.exec(line);
  if (!m) return { error: 'not a GET request line' };
  let target = m[1]!;
  // Some clients send an absolute URL; only its path and query count.
  if (/^https?:\/\//i.test(target)) {
    try {
      const url = new URL(target);
      target = url.pathname + url.search;
    } catch {
      return { error: 'bad absolute URL' };
    }
  }
  return { path: target };
}

/** Reads bytes up to the first LF (or FIN) and returns them as text without CR/LF, or undefined if too long. */
async function readRequestLine(r: StreamByteReader): Promise<string | undefined> {
  let text = '';
  for (;;) {
    const chunk = await r.readChunk(MAX_REQUEST_LENGTH);
    if (chunk === undefined) return text.replace(/\r$/, '');
    const lf = chunk.indexOf(LF);
    const part = lf < 0 ? chunk : chunk.subarray(0, lf);
    text += String.fromCharCode(...part);
    if (text.length > MAX_REQUEST_LENGTH) return undefined;
    if (lf >= 0) return text.replace(/\r$/, '');
  }
}

async function handleHqStream(stream: BidirectionalStream, root: WwwRoot): Promise<void> {
  const reader = new StreamByteReader(stream.readable);
  const writer = stream.writable.getWriter();
  writer.closed.catch(noop);
  const refuse = async (code: bigint, why: string): Promise<void> => {
    const reason = new StreamError(code, why);
    await reader.cancel(reason);
    await writer.abort(reason).catch(noop);
  };
  let line: string | undefined;
  try {
    line = await readRequestLine(reader);
  } catch {
    await refuse(HqErrorCode.INTERNAL_ERROR, 'request stream failed');
    return;
  }
  if (line === undefined) return refuse(HqErrorCode.BAD_REQUEST, 'request line too long');
  const request = parseRequestLine(line);
  if ('error' in request) return refuse(HqErrorCode.BAD_REQUEST, request.error);
  const target = await root.resolve(request.path);
  if (target.kind === 'bad-request') return refuse(HqErrorCode.BAD_REQUEST, target.reason);
  if (target.kind === 'forbidden') return refuse(HqErrorCode.FORBIDDEN, target.reason);
  if (target.kind === 'not-found') return refuse(HqErrorCode.NOT_FOUND, `${request.path} not found`);
  void drainRequest(reader);
  try {
    for await (const chunk of readFileChunks(target.path, target.size)) {
      await writer.ready;
      writer.write(chunk).catch(noop);
    }
    await writer.close();
  } catch {
    // The file failed, the client stopped reading, or the session went away; reset if we still can.
    await writer.abort(new StreamError(HqErrorCode.INTERNAL_ERROR, 'response not completed')).catch(noop);
  }
}

/** Reads whatever follows the request line up to FIN; a client sending more than a request's worth is told to stop. */
async function drainRequest(reader: StreamByteReader): Promise<void> {
  let extra = 0;
  try {
    for (;;) {
      const chunk = await reader.readChunk(MAX_REQUEST_LENGTH);
      if (chunk === undefined) return;
      extra += chunk.length;
      if (extra > MAX_REQUEST_LENGTH) {
        await reader.cancel(new StreamError(HqErrorCode.NO_ERROR, 'request too long'));
        return;
      }
    }
  } catch {
    // a reset request stream: nothing to do
  }
}
