/**
 * @module endpoint/server
 * The interop server: listen through the injected transport on the planned
 * addresses, and serve `${WWW}` on every accepted session with the test
 * case's protocol (hq-interop or HTTP/3) until told to stop. One bad
 * session never affects another.
 */
import { readFile } from 'node:fs/promises';
import { Http3Connection, type Http3Handler } from '@tsquic/http3';
import { serveHq } from '../hq/hq-interop.js';
import type { Session } from '../session.js';
import type { ListenOptions, QuicTransport } from '../transport.js';
import { readFileChunks, WwwRoot } from '../www.js';
import type { ServerPlan } from './plan.js';

export interface ServerIo {
  readonly log: (line: string) => void;
  readonly keylog?: (line: string) => void;
  /** Aborting it stops the server (SIGTERM from the runner). */
  readonly signal?: AbortSignal;
}

/** A lazy file read as a response body: the next chunk is read only when the stream has room. */
function fileBody(path: string, size: number): ReadableStream<Uint8Array> {
  const chunks = readFileChunks(path, size);
  return new ReadableStream<Uint8Array>(
    {
      async pull(controller) {
        const { value, done } = await chunks.next();
        if (done) controller.close();
        else controller.enqueue(value);
      },
      async cancel() {
        await chunks.return(undefined);
      },
    },
    { highWaterMark: 0 },
  );
}

const empty = (status: number, headers: Record<string, string> = {}): Response => new Response(null, { status, headers: { 'content-length': '0', ...headers } });

/** HTTP/3 file serving: 200 with content-length and the file, or 400/403/404/405 with no content. */
export function fileHandler(root: WwwRoot): Http3Handler {
  return async (request) => {
    if (request.method !== 'GET' && request.method !== 'HEAD') return empty(405, { allow: 'GET, HEAD' });
    const url = new URL(request.url);
    const target = await root.resolve(url.pathname + url.search);
    switch (target.kind) {
      case 'file':
        return new Response(request.method === 'HEAD' ? null : fileBody(target.path, target.size), { status: 200, headers: { 'content-length': String(target.size) } });
      case 'bad-request':
        return empty(400);
      case 'forbidden':
        return empty(403);
      case 'not-found':
        return empty(404);
    }
  };
}

/** Serves one accepted session with the plan's protocol. */
export function serveSession(session: Session, plan: ServerPlan, root: WwwRoot): void {
  if (plan.alpn === 'h3') Http3Connection.server(session, fileHandler(root));
  else void serveHq(session, root);
}

/** Runs the server plan until `io.signal` aborts; returns the exit status. */
export async function runServer(plan: ServerPlan, transport: QuicTransport, io: ServerIo): Promise<number> {
  const root = await WwwRoot.open(plan.www);
  const options: ListenOptions = {
    addresses: plan.addresses,
    alpn: [plan.alpn],
    cipherSuites: plan.cipherSuites,
    certificateChainPem: await readFile(plan.certificateFile, 'utf8'),
    privateKeyPem: await readFile(plan.privateKeyFile, 'utf8'),
    features: plan.features,
    ...(io.keylog ? { keylog: io.keylog } : {}),
    ...(plan.qlogDir !== undefined ? { qlogDir: plan.qlogDir } : {}),
    preferredAddresses: plan.preferredAddresses,
  };
  const listener = await transport.listen(options);
  const offered = plan.preferredAddresses.length ? `; preferred_address ${plan.preferredAddresses.map((a) => `${a.host}:${a.port}`).join(', ')}` : '';
  io.log(`serving ${plan.www} over ${plan.alpn} on ${plan.addresses.map((a) => `${a.host}:${a.port}`).join(', ')}${offered}`);
  const stopped = new Promise<void>((resolve) => {
    if (io.signal?.aborted) resolve();
    io.signal?.addEventListener('abort', () => resolve(), { once: true });
  });
  const accepting = (async () => {
    for await (const session of listener.sessions) serveSession(session, plan, root);
  })();
  await Promise.race([stopped, accepting]);
  await listener.close();
  await accepting.catch(() => undefined);
  return 0;
}
