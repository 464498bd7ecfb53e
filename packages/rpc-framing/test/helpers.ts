/**
 * Test fixtures: the echo service from test/proto over a memory session pair,
 * and small stream utilities.
 */
import { EchoService } from './gen/tsquic/rpc/test/v1/echo_pb.js';
import {
  RpcClient,
  RpcError,
  RpcServer,
  createClient,
  createMemorySessionPair,
  registerService,
  serviceFromDesc,
  type CallContext,
  type MemorySession,
  type MemorySessionOptions,
  type RpcClientOptions,
  type RpcServerOptions,
  type ServerConnection,
} from '../src/index.js';

export const Echo = serviceFromDesc(EchoService, { echo: 1, count: 2 });

/** Raw method ids used beside the typed service. */
export const RAW = { reverse: 10, hang: 11, fail: 12 } as const;

export interface Fixture {
  client: RpcClient;
  echo: ReturnType<typeof createClient<typeof Echo>>;
  server: RpcServer<{ name: string }>;
  connection: ServerConnection<{ name: string }>;
  sessions: [MemorySession, MemorySession];
  /** Contexts of calls to RAW.hang, in arrival order. */
  hung: CallContext<{ name: string }>[];
  /** The errors the server's onError saw. */
  serverErrors: unknown[];
  close(): void;
}

/** The test server: the Echo service plus the RAW methods; `hung` collects RAW.hang contexts. */
export function testServer<P>(options: RpcServerOptions = {}): { server: RpcServer<P>; hung: CallContext<P>[]; serverErrors: unknown[] } {
  const serverErrors: unknown[] = [];
  const server = new RpcServer<P>({ ...options, onError: (e) => serverErrors.push(e) });
  const hung: CallContext<P>[] = [];
  registerService(server, Echo, {
    async echo(req, ctx) {
      if (req.delayMs > 0) await sleep(req.delayMs, ctx.signal);
      return { text: req.text, blob: req.blob };
    },
    async count(req, ctx) {
      const events = await ctx.openEvents();
      void (async () => {
        for (let i = 0; i < req.n; i++) await events.send({ i });
        await events.close();
      })().catch(() => undefined);
    },
  });
  server.handle(RAW.reverse, (payload) => payload.slice().reverse());
  server.handle(RAW.hang, (_payload, ctx) => {
    hung.push(ctx);
    return new Promise<Uint8Array>((_, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)));
  });
  server.handle(RAW.fail, () => {
    throw new Error('secret internal detail');
  });
  return { server, hung, serverErrors };
}

export function fixture(opts: { session?: MemorySessionOptions; client?: RpcClientOptions; server?: RpcServerOptions } = {}): Fixture {
  const sessions = createMemorySessionPair(opts.session);
  const { server, hung, serverErrors } = testServer<{ name: string }>(opts.server);
  const connection = server.serve(sessions[1], { name: 'peer-1' });
  const client = new RpcClient(sessions[0], opts.client);
  return {
    client,
    echo: createClient(Echo, client),
    server,
    connection,
    sessions,
    hung,
    serverErrors,
    close: () => sessions[0].close({ closeCode: 0n, reason: 'test done' }),
  };
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms);
    signal?.addEventListener('abort', () => {
      clearTimeout(t);
      reject(signal.reason);
    });
  });
}

/** Waits until `cond()` holds, checking every few ms; fails after `ms`. */
export async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > ms) throw new Error('condition not met in time');
    await sleep(2);
  }
}

/** Reads a stream to its end and concatenates the chunks. */
export async function readAll(readable: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const parts: Uint8Array[] = [];
  for await (const c of readable) parts.push(c);
  return concat(parts);
}

export function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.byteLength;
  }
  return out;
}

export const hex = (b: Uint8Array): string => Buffer.from(b).toString('hex');
export const unhex = (s: string): Uint8Array => new Uint8Array(Buffer.from(s.replace(/\s+/g, ''), 'hex'));

/** The RpcError a promise rejects with (any other outcome fails the test). */
export async function rpcError(p: Promise<unknown>): Promise<RpcError> {
  try {
    await p;
  } catch (e) {
    if (RpcError.isInstance(e)) return e;
    throw e;
  }
  throw new Error('expected an RpcError');
}
