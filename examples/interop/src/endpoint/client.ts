/**
 * @module endpoint/client
 * The interop client: for each planned connection in turn, connect through
 * the injected transport, fetch that connection's URLs concurrently with
 * the test case's protocol, write every body to `${DOWNLOADS}`, close. The
 * run succeeds only when every file arrived whole: FIN on hq-interop, a
 * 200 with matching Content-Length and a clean end on HTTP/3.
 */
import { readFile } from 'node:fs/promises';
import { Http3Connection } from '@tsquic/http3';
import { downloadName, saveBody } from '../downloads.js';
import { hqGet, HqErrorCode } from '../hq/hq-interop.js';
import type { Session } from '../session.js';
import type { ConnectOptions, QuicTransport } from '../transport.js';
import type { ClientPlan, ConnectionPlan } from './plan.js';

export interface ClientIo {
  readonly log: (line: string) => void;
  readonly keylog?: (line: string) => void;
}

/** Requests in flight per connection at most (bounds open files; the runner's largest case is ~2000 files). */
export const MAX_CONCURRENT_REQUESTS = 256;

/** Runs `tasks` with at most `limit` running at once; results in input order. */
export async function runLimited<T>(tasks: readonly (() => Promise<T>)[], limit: number): Promise<T[]> {
  const results = new Array<T>(tasks.length);
  let next = 0;
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const i = next++;
      results[i] = await tasks[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, tasks.length) }, worker));
  return results;
}

async function readIfExists(path: string): Promise<string | undefined> {
  try {
    return await readFile(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/** Fetches one URL over hq-interop into the downloads directory. */
async function fetchHq(session: Session, url: URL, downloads: string): Promise<number> {
  const body = await hqGet(session, url.pathname + url.search);
  return saveBody(body, downloads, downloadName(url));
}

/** Fetches one URL over HTTP/3 into the downloads directory; anything but 200 is a failure. */
async function fetchH3(client: Http3Connection, url: URL, downloads: string): Promise<number> {
  const response = await client.fetch(url);
  if (response.status !== 200 || !response.body) {
    await response.body?.cancel();
    throw new Error(`status ${response.status}`);
  }
  return saveBody(response.body, downloads, downloadName(url));
}

/** Fetches every URL of one connection concurrently; true when all arrived whole. */
export async function fetchOnSession(session: Session, plan: ClientPlan, connection: ConnectionPlan, log: (line: string) => void): Promise<boolean> {
  const h3 = plan.alpn === 'h3' ? Http3Connection.client(session) : undefined;
  const tasks = connection.urls.map((url) => async (): Promise<boolean> => {
    try {
      const bytes = h3 ? await fetchH3(h3, url, plan.downloads) : await fetchHq(session, url, plan.downloads);
      log(`${url.href}: ${bytes} bytes`);
      return true;
    } catch (e) {
      log(`${url.href}: failed: ${e instanceof Error ? e.message : String(e)}`);
      return false;
    }
  });
  const results = await runLimited(tasks, MAX_CONCURRENT_REQUESTS);
  // The runner's transfer test expects the connection to be closed with error code 0 (hq) / H3_NO_ERROR.
  if (h3) h3.close();
  else session.close({ closeCode: HqErrorCode.NO_ERROR, reason: '' });
  return results.every(Boolean);
}

/** Runs the client plan; returns the exit status (0 when every file arrived whole, else 1). */
export async function runClient(plan: ClientPlan, transport: QuicTransport, io: ClientIo): Promise<number> {
  const ca = await readIfExists(plan.caFile);
  let ok = true;
  for (const connection of plan.connections) {
    const options: ConnectOptions = {
      alpn: [plan.alpn],
      cipherSuites: plan.cipherSuites,
      serverName: connection.serverName,
      features: plan.features,
      ...(io.keylog ? { keylog: io.keylog } : {}),
      ...(ca !== undefined ? { ca } : {}),
      ...(plan.qlogDir !== undefined ? { qlogDir: plan.qlogDir } : {}),
    };
    let session: Session;
    try {
      session = await transport.connect(connection.host, connection.port, options);
    } catch (e) {
      io.log(`connect to ${connection.host}:${connection.port} failed: ${e instanceof Error ? e.message : String(e)}`);
      ok = false;
      continue;
    }
    if (!(await fetchOnSession(session, plan, connection, io.log))) ok = false;
  }
  return ok ? 0 : 1;
}
