/** A `QuicTransport` over in-memory session pairs: what the endpoint driver sees is exactly the seam. */
import { createMemorySessionPair } from '../../src/memory-session.js';
import type { Session } from '../../src/session.js';
import type { ConnectOptions, ListenOptions, Listener, QuicTransport } from '../../src/transport.js';

export interface MemoryTransport extends QuicTransport {
  readonly connects: { host: string; port: number; options: ConnectOptions }[];
  readonly listens: ListenOptions[];
  /** Resolves once `listen` has been called. */
  readonly listening: Promise<void>;
  closedListeners: number;
}

/** One transport serves both roles: `connect` reaches whatever `listen` set up (ALPN must match). */
export function memoryTransport(options: { refuse?: (host: string) => boolean } = {}): MemoryTransport {
  let controller: ReadableStreamDefaultController<Session> | undefined;
  let listenAlpn: readonly string[] = [];
  let resolveListening!: () => void;
  const t: MemoryTransport = {
    connects: [],
    listens: [],
    listening: new Promise<void>((r) => (resolveListening = r)),
    closedListeners: 0,
    async connect(host, port, opts) {
      t.connects.push({ host, port, options: opts });
      if (options.refuse?.(host)) throw new Error(`connection to ${host} refused`);
      if (!controller) throw new Error('nobody is listening');
      if (!opts.alpn.some((a) => listenAlpn.includes(a))) throw new Error('no_application_protocol');
      const [client, server] = createMemorySessionPair();
      controller.enqueue(server);
      return client;
    },
    async listen(opts) {
      t.listens.push(opts);
      listenAlpn = opts.alpn;
      const stream = new ReadableStream<Session>({ start: (c) => void (controller = c) });
      const reader = stream.getReader();
      resolveListening();
      const listener: Listener = {
        sessions: {
          async *[Symbol.asyncIterator]() {
            for (;;) {
              const { value, done } = await reader.read();
              if (done) return;
              yield value;
            }
          },
        },
        async close() {
          t.closedListeners++;
          controller?.close();
          controller = undefined;
        },
      };
      return listener;
    },
  };
  return t;
}
