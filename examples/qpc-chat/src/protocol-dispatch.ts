/**
 * @module protocol-dispatch
 * One UDP port, two application protocols (RFC 7301 ALPN): `qpc` and `h3`
 * (WebTransport for browsers). The protocol of a connection is its ALPN,
 * known for sure once the handshake completes (`ready`). A returning qpc
 * client's calls can arrive before that, in 0-RTT, and must be answered at
 * once; quic-transport does not tell the server the ALPN it chose until the
 * handshake completes, so a connection whose first stream arrives earlier is
 * taken by that stream: a bidirectional stream first is qpc (an RPC call), a
 * unidirectional one is HTTP/3 (its control stream, RFC 9114 §6.2.1; HTTP/3
 * clients open it before any request). The guess is checked against the ALPN
 * at `ready`; a connection that contradicts it is closed.
 */
import type { HandshakeInfo, QuicBidirectionalStream, QuicConnection } from '@tsquic/quic-transport';

export type Protocol = 'qpc' | 'h3';

/** The connection as a protocol handler gets it: the same session, with any stream already read put back first. */
export interface SessionView {
  readonly ready: Promise<HandshakeInfo>;
  readonly closed: Promise<unknown>;
  readonly datagrams: QuicConnection['datagrams'];
  readonly incomingBidirectionalStreams: ReadableStream<QuicBidirectionalStream>;
  readonly incomingUnidirectionalStreams: ReadableStream<ReadableStream<Uint8Array>>;
  createBidirectionalStream(): Promise<QuicBidirectionalStream>;
  createUnidirectionalStream(): Promise<WritableStream<Uint8Array>>;
  close(info?: { closeCode?: bigint | number; reason?: string }): void;
}

/** QUIC application close code for a connection that spoke another protocol than its ALPN. */
export const PROTOCOL_MISMATCH = 0x1n;

type Read<T> = Promise<ReadableStreamReadResult<T>>;

/** A readable that yields `first`'s result, then the rest of `reader`. */
function resume<T>(first: Read<T>, reader: ReadableStreamDefaultReader<T>): ReadableStream<T> {
  let pending: Read<T> | undefined = first;
  return new ReadableStream<T>(
    {
      async pull(c) {
        const next = pending ?? reader.read();
        pending = undefined;
        const { value, done } = await next;
        if (done) c.close();
        else c.enqueue(value);
      },
      cancel: (reason) => reader.cancel(reason),
    },
    { highWaterMark: 0 },
  );
}

/** Decides the protocol of `conn` as early as it can and hands the connection to that protocol's handler. */
export async function dispatch(conn: QuicConnection, handlers: Record<Protocol, (session: SessionView) => void>): Promise<void> {
  const bidi = conn.incomingBidirectionalStreams.getReader();
  const uni = conn.incomingUnidirectionalStreams.getReader();
  const firstBidi = bidi.read();
  const firstUni = uni.read();
  // Nobody may await these if the connection ends first.
  firstBidi.catch(() => undefined);
  firstUni.catch(() => undefined);
  const guess = await Promise.race([
    conn.ready.then((info) => (info.alpn === 'h3' ? 'h3' : 'qpc') as Protocol),
    firstBidi.then((r) => (r.done ? undefined : ('qpc' as const))),
    firstUni.then((r) => (r.done ? undefined : ('h3' as const))),
  ]).catch(() => undefined);
  if (guess === undefined) return; // the connection ended before anything happened
  const view: SessionView = {
    ready: conn.ready,
    closed: conn.closed,
    get datagrams() {
      return conn.datagrams;
    },
    incomingBidirectionalStreams: resume(firstBidi, bidi),
    incomingUnidirectionalStreams: resume(firstUni, uni),
    createBidirectionalStream: () => conn.createBidirectionalStream(),
    createUnidirectionalStream: () => conn.createUnidirectionalStream(),
    close: (info) => void conn.close({ closeCode: BigInt(info?.closeCode ?? 0n), reason: info?.reason ?? '' }),
  };
  handlers[guess](view);
  conn.ready.then(
    (info) => {
      const alpn: Protocol = info.alpn === 'h3' ? 'h3' : 'qpc';
      if (alpn !== guess) void conn.close({ closeCode: PROTOCOL_MISMATCH, reason: `ALPN ${info.alpn} but the first stream was ${guess}'s` });
    },
    () => undefined,
  );
}
