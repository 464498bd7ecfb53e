/**
 * @module store
 * The message log: one append-only file, `<data-dir>/messages.jsonl`, one
 * JSON object per line. An append is written and fsync'd (`datasync`) before
 * it is acknowledged, so a message a client saw accepted survives a crash or
 * a restart. Appends are serialised. On open, the log is replayed; a last
 * line cut short by a crash mid-write (no newline) was never acknowledged and
 * is truncated away, a damaged line elsewhere is a fatal error (nothing is
 * silently dropped).
 */
import { mkdir, open, readFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';

export interface StoredMessage {
  readonly id: number;
  readonly room: string;
  readonly nick: string;
  readonly text: string;
  readonly sentAtMs: number;
}

export const LOG_FILE = 'messages.jsonl';

export class MessageStore {
  private readonly rooms = new Map<string, StoredMessage[]>();
  private lastId = 0;
  private tail: Promise<unknown> = Promise.resolve();
  private closed = false;

  private constructor(
    readonly path: string,
    private readonly file: FileHandle,
  ) {}

  /** Opens (creating if needed) the log in `dataDir` and replays it. */
  static async open(dataDir: string): Promise<{ store: MessageStore; truncatedBytes: number }> {
    await mkdir(dataDir, { recursive: true });
    const path = join(dataDir, LOG_FILE);
    let bytes: Buffer;
    try {
      bytes = await readFile(path);
    } catch (e) {
      if ((e as { code?: string }).code !== 'ENOENT') throw e;
      bytes = Buffer.alloc(0);
    }
    const end = bytes.lastIndexOf(0x0a) + 1;
    const file = await open(path, 'a+');
    const store = new MessageStore(path, file);
    const text = bytes.subarray(0, end).toString('utf8');
    let lineNo = 0;
    for (const line of text.split('\n')) {
      lineNo++;
      if (line === '') continue;
      store.remember(parseLine(line, path, lineNo));
    }
    if (end < bytes.length) {
      // A crash during the last write: that message was never acknowledged.
      await file.truncate(end);
      await file.datasync();
    }
    if (bytes.length === 0) await syncDir(dataDir);
    return { store, truncatedBytes: bytes.length - end };
  }

  get messageCount(): number {
    return this.lastId;
  }

  get roomNames(): string[] {
    return [...this.rooms.keys()].sort();
  }

  /** Appends a message; resolves once it is on disk. */
  append(room: string, nick: string, text: string, sentAtMs: number): Promise<StoredMessage> {
    if (this.closed) return Promise.reject(new Error('the message store is closed'));
    const run = async (): Promise<StoredMessage> => {
      const msg: StoredMessage = { id: this.lastId + 1, room, nick, text, sentAtMs };
      await this.file.write(`${JSON.stringify(msg)}\n`);
      await this.file.datasync();
      this.remember(msg);
      return msg;
    };
    const p = this.tail.then(run, run);
    this.tail = p.catch(() => undefined);
    return p;
  }

  /** The latest `limit` messages of `room` with an id above `afterId`, oldest first. */
  history(room: string, limit: number, afterId = 0): StoredMessage[] {
    const all = this.rooms.get(room) ?? [];
    let start = all.length;
    while (start > 0 && all[start - 1]!.id > afterId) start--;
    return all.slice(Math.max(start, all.length - limit));
  }

  /** Waits for pending appends, then closes the file. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.tail;
    await this.file.close();
  }

  private remember(m: StoredMessage): void {
    if (m.id !== this.lastId + 1) throw new Error(`${this.path}: message id ${m.id} out of sequence (expected ${this.lastId + 1})`);
    this.lastId = m.id;
    const list = this.rooms.get(m.room);
    if (list) list.push(m);
    else this.rooms.set(m.room, [m]);
  }
}

function parseLine(line: string, path: string, lineNo: number): StoredMessage {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    throw new Error(`${path}:${lineNo}: not a JSON line`);
  }
  const m = v as Partial<StoredMessage> | null;
  if (m === null || typeof m !== 'object' || !Number.isSafeInteger(m.id) || typeof m.room !== 'string' || typeof m.nick !== 'string' || typeof m.text !== 'string' || typeof m.sentAtMs !== 'number') {
    throw new Error(`${path}:${lineNo}: not a stored message`);
  }
  return { id: m.id!, room: m.room, nick: m.nick, text: m.text, sentAtMs: m.sentAtMs };
}

/** fsync the directory so a newly created log file's entry is durable too. */
async function syncDir(dir: string): Promise<void> {
  const d = await open(dir, 'r');
  try {
    await d.sync();
  } catch {
    // Some file systems refuse fsync on a directory; the file itself is synced on every append.
  } finally {
    await d.close();
  }
}
