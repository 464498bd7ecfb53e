import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface Fixture {
  readonly dir: string;
  readonly www: string;
  readonly downloads: string;
  readonly files: ReadonlyMap<string, Uint8Array>;
  cleanup(): Promise<void>;
}

/** A temporary www directory with random files of the given sizes, and an empty downloads directory. */
export async function makeFixture(sizes: Record<string, number>): Promise<Fixture> {
  const dir = await mkdtemp(join(tmpdir(), 'interop-'));
  const www = join(dir, 'www');
  const downloads = join(dir, 'downloads');
  await mkdir(www);
  await mkdir(downloads);
  const files = new Map<string, Uint8Array>();
  for (const [name, size] of Object.entries(sizes)) {
    const bytes = new Uint8Array(randomBytes(size));
    await writeFile(join(www, name), bytes);
    files.set(name, bytes);
  }
  return { dir, www, downloads, files, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

/** Every file in `dir`, by name. */
export async function readAll(dir: string): Promise<Map<string, Uint8Array>> {
  const out = new Map<string, Uint8Array>();
  for (const name of (await readdir(dir)).sort()) out.set(name, new Uint8Array(await readFile(join(dir, name))));
  return out;
}

/** Reads a web stream to the end. */
export async function collect(stream: ReadableStream<Uint8Array>): Promise<Uint8Array> {
  const reader = stream.getReader();
  const parts: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    parts.push(value);
    total += value.length;
  }
  const out = new Uint8Array(total);
  let pos = 0;
  for (const p of parts) {
    out.set(p, pos);
    pos += p.length;
  }
  return out;
}

/** The rejection reason of a promise that must reject. */
export async function rejection(p: Promise<unknown>): Promise<unknown> {
  try {
    await p;
  } catch (e) {
    return e;
  }
  throw new Error('expected a rejection');
}
