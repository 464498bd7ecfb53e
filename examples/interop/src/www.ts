/**
 * @module www
 * The server's document root: mapping a request path onto a regular file
 * below `${WWW}` without ever leaving it (no `..` segments, no encoded
 * escapes, no symlinks pointing outside), and reading a file as a lazy
 * sequence of chunks so that a 10 MB file is never held in memory and is
 * read only as fast as the stream accepts it.
 */
import { open, realpath, stat } from 'node:fs/promises';
import { isAbsolute, join, relative, sep } from 'node:path';

/** Where a request path leads. */
export type Resolution =
  { readonly kind: 'file'; readonly path: string; readonly size: number } | { readonly kind: 'not-found' } | { readonly kind: 'forbidden'; readonly reason: string } | { readonly kind: 'bad-request'; readonly reason: string };

/** Largest request path we look at. */
export const MAX_PATH_LENGTH = 4096;

export class WwwRoot {
  private constructor(readonly root: string) {}

  /** Opens a document root (its real path is taken once, so later checks compare like with like). */
  static async open(dir: string): Promise<WwwRoot> {
    const root = await realpath(dir);
    if (!(await stat(root)).isDirectory()) throw new Error(`${dir} is not a directory`);
    return new WwwRoot(root);
  }

  /**
   * Resolves a request target ("/a/b.txt", optionally "?query") to a regular
   * file below the root. `..` and `.` segments, backslashes, NUL and
   * undecodable percent-escapes are bad requests; a path whose real location
   * is outside the root (a symlink) is forbidden; anything missing, or not a
   * regular file, is not found.
   */
  async resolve(target: string): Promise<Resolution> {
    const segments = splitRequestPath(target);
    if (typeof segments === 'string') return { kind: 'bad-request', reason: segments };
    const candidate = join(this.root, ...segments);
    if (!isInside(this.root, candidate)) return { kind: 'bad-request', reason: 'path leaves the document root' };
    let real: string;
    try {
      real = await realpath(candidate);
    } catch {
      return { kind: 'not-found' };
    }
    if (!isInside(this.root, real)) return { kind: 'forbidden', reason: 'path resolves outside the document root' };
    try {
      const info = await stat(real);
      if (!info.isFile()) return { kind: 'not-found' };
      return { kind: 'file', path: real, size: info.size };
    } catch {
      return { kind: 'not-found' };
    }
  }
}

/** The decoded, checked segments of a request path, or the reason it is refused. */
export function splitRequestPath(target: string): string[] | string {
  if (target.length > MAX_PATH_LENGTH) return 'path too long';
  const path = target.replace(/[?#].*$/s, '');
  if (!path.startsWith('/')) return 'path does not start with /';
  const segments: string[] = [];
  for (const raw of path.split('/').slice(1)) {
    let segment: string;
    try {
      segment = decodeURIComponent(raw);
    } catch {
      return 'bad percent-encoding';
    }
    if (segment === '') continue;
    if (segment === '.' || segment === '..') return `"${segment}" segment`;
    if (/[\\/\0]/.test(segment)) return 'separator or NUL inside a segment';
    segments.push(segment);
  }
  if (segments.length === 0) return 'no file named';
  return segments;
}

function isInside(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel !== '' && !rel.startsWith(`..${sep}`) && rel !== '..' && !isAbsolute(rel);
}

/** Default read size: large enough for throughput, small enough to keep memory flat. */
export const FILE_CHUNK_SIZE = 64 * 1024;

/**
 * Reads a file lazily, one fresh chunk per step, stopping after `size`
 * bytes; throws if the file turns out shorter. The handle is closed when the
 * consumer finishes, stops early or fails.
 */
export async function* readFileChunks(path: string, size: number, chunkSize = FILE_CHUNK_SIZE): AsyncGenerator<Uint8Array> {
  const handle = await open(path, 'r');
  try {
    let offset = 0;
    while (offset < size) {
      const buf = new Uint8Array(Math.min(chunkSize, size - offset));
      const { bytesRead } = await handle.read(buf, 0, buf.length, offset);
      if (bytesRead === 0) throw new Error(`${path} is shorter than ${size} bytes`);
      offset += bytesRead;
      yield buf.subarray(0, bytesRead);
    }
  } finally {
    await handle.close();
  }
}
