/**
 * @module downloads
 * The client's side of the file contract: each URL's body goes to
 * `${DOWNLOADS}/<last path component>`, written as it arrives, and removed
 * again if the body does not arrive whole (the runner compares the set of
 * files, so a partial file must not stay behind).
 */
import { open, rm } from 'node:fs/promises';
import { join } from 'node:path';

/** The file name a URL downloads to: its last path component, percent-decoded. */
export function downloadName(url: URL): string {
  const last = url.pathname.split('/').pop() ?? '';
  let name: string;
  try {
    name = decodeURIComponent(last);
  } catch {
    throw new TypeError(`${url.href}: undecodable file name`);
  }
  if (name === '' || name === '.' || name === '..' || /[\\/\0]/.test(name)) {
    throw new TypeError(`${url.href}: no usable file name in the path`);
  }
  return name;
}

/** Writes a body to `dir/name` chunk by chunk; on any failure deletes the partial file and rethrows. Returns the byte count. */
export async function saveBody(body: ReadableStream<Uint8Array>, dir: string, name: string): Promise<number> {
  const path = join(dir, name);
  const handle = await open(path, 'w');
  const reader = body.getReader();
  let total = 0;
  try {
    for (;;) {
      const { value: chunk, done: ended } = await reader.read();
      if (ended) break;
      let done = 0;
      while (done < chunk.length) {
        const { bytesWritten } = await handle.write(chunk, done, chunk.length - done);
        done += bytesWritten;
      }
      total += chunk.length;
    }
    await handle.close();
    return total;
  } catch (e) {
    await reader.cancel(e).catch(() => undefined);
    await handle.close().catch(() => undefined);
    await rm(path, { force: true });
    throw e;
  }
}
