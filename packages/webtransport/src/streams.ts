/**
 * @module streams
 * WebTransport data streams as the W3C interface gives them — a receive
 * stream is a `ReadableStream<Uint8Array>`, a send stream a
 * `WritableStream<Uint8Array>`, a bidirectional stream `{ readable,
 * writable }` — over the QUIC streams @tsquic/http3 hands out after the stream
 * header. Application error codes cross in both directions through the
 * draft-ietf-webtrans-http3 §4.3 mapping: `writable.abort(new
 * WebTransportError({ streamErrorCode: n }))` sends RESET_STREAM with n's
 * HTTP/3 code, `readable.cancel(…)` STOP_SENDING; a peer's reset errors the
 * matching side with a WebTransportError carrying n (or `null` for a code
 * outside the WebTransport range). Each stream registers with its session,
 * which resets what is left of it when the session ends (§5).
 */
import { codeReason, http3CodeOf, WebTransportError } from './errors.js';
import { http3CodeToWebTransport, webTransportCodeToHttp3 } from './error-codes.js';

/** One half of a stream the session can end: reset (send side) or stop (receive side) with `code`. */
export interface StreamTracker {
  /** Registers a half; the returned function unregisters it (when it has finished on its own). */
  track(terminate: (code: bigint) => void): () => void;
}

const noop = (): void => undefined;

/** The WebTransport application code an application reason carries: W3C `streamErrorCode`, or a small `code` (rpc-framing's StreamError); else 0 (W3C). */
export function applicationCodeOf(reason: unknown): number {
  if (typeof reason !== 'object' || reason === null) return 0;
  const { streamErrorCode, code } = reason as { streamErrorCode?: unknown; code?: unknown };
  for (const c of [streamErrorCode, code]) {
    const n = typeof c === 'bigint' ? Number(c) : c;
    if (typeof n === 'number' && Number.isInteger(n) && n >= 0 && n <= 0xffffffff) return n;
  }
  return 0;
}

/** The error a peer's RESET_STREAM or STOP_SENDING (or the stream's loss) surfaces as. */
export function streamFailure(e: unknown, what: string): WebTransportError {
  if (WebTransportError.isInstance(e)) return e;
  const h3 = http3CodeOf(e);
  if (h3 === undefined) return new WebTransportError(`${what}: ${e instanceof Error ? e.message : String(e)}`, { source: 'session', cause: e });
  const code = http3CodeToWebTransport(h3);
  return new WebTransportError(`${what} with ${code === undefined ? `HTTP/3 code 0x${h3.toString(16)}` : `code ${code}`}`, { source: 'stream', streamErrorCode: code ?? null, cause: e });
}

/**
 * A stream half registered with its session: `terminate(code)` runs if the
 * session ends first; `end()` unregisters it once the half finished itself.
 */
function tracked(session: StreamTracker, terminate: (code: bigint) => void): { end(): void } {
  let untrack = session.track(terminate);
  return {
    end() {
      untrack();
      untrack = noop;
    },
  };
}

/** A WebTransport receive stream over `reader`, whose first bytes (`head`) were already read. */
export function receiveStream(head: Uint8Array, reader: ReadableStreamDefaultReader<Uint8Array>, session: StreamTracker): ReadableStream<Uint8Array> {
  let pending: Uint8Array | undefined = head.length > 0 ? head : undefined;
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const readable = new ReadableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
      },
      async pull(c) {
        if (pending) {
          c.enqueue(pending);
          pending = undefined;
          return;
        }
        let next;
        try {
          next = await reader.read();
        } catch (e) {
          end();
          throw streamFailure(e, 'the peer reset the stream');
        }
        if (next.done) {
          end();
          c.close();
        } else c.enqueue(next.value);
      },
      cancel(reason) {
        end();
        // STOP_SENDING with the application's code (W3C: 0 without one).
        return reader.cancel(codeReason(webTransportCodeToHttp3(applicationCodeOf(reason)), 'reading cancelled'));
      },
    },
    { highWaterMark: 0 },
  );
  const { end } = tracked(session, (code) => {
    reader.cancel(codeReason(code, 'the session ended')).catch(noop);
    try {
      controller.error(new WebTransportError('the session ended', { source: 'session' }));
    } catch {
      // already closed
    }
  });
  return readable;
}

/** A WebTransport send stream over the QUIC stream's writable (after its header). */
export function sendStream(writable: WritableStream<Uint8Array>, session: StreamTracker): WritableStream<Uint8Array> {
  const writer = writable.getWriter();
  writer.closed.catch(noop);
  let controller!: WritableStreamDefaultController;
  const out = new WritableStream<Uint8Array>(
    {
      start(c) {
        controller = c;
      },
      async write(chunk) {
        try {
          await writer.write(chunk);
        } catch (e) {
          end();
          throw streamFailure(e, 'the peer stopped the stream');
        }
      },
      async close() {
        try {
          await writer.close();
        } finally {
          end();
        }
      },
      abort(reason) {
        end();
        // RESET_STREAM with the application's code (W3C: 0 without one).
        return writer.abort(codeReason(webTransportCodeToHttp3(applicationCodeOf(reason)), 'writing aborted'));
      },
    },
    // The QUIC stream below has its own send buffer and back-pressure: keep one chunk here.
    { highWaterMark: 1 },
  );
  const { end } = tracked(session, (code) => {
    writer.abort(codeReason(code, 'the session ended')).catch(noop);
    controller.error(new WebTransportError('the session ended', { source: 'session' }));
  });
  return out;
}
