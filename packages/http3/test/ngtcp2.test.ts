/**
 * Interop with ngtcp2 + nghttp3 (Debian's ngtcp2-client / ngtcp2-server
 * 0.12, nghttp3 0.8: gtlsclient and gtlsserver) on 127.0.0.1, every process
 * bounded in time and stopped by its test:
 * - our server serves gtlsclient: many requests on one connection, two
 *   10 MB downloads among them, every file checked by hash;
 * - our client fetches from gtlsserver on one connection, 10 MB included;
 * - the QPACK dynamic table in both directions, seen in both sides' logs:
 *   nghttp3 enables it by default in these tools (SETTINGS_QPACK_MAX_TABLE_CAPACITY
 *   4096, SETTINGS_QPACK_BLOCKED_STREAMS 100, read off its SETTINGS here);
 *   ngtcp2's verbose log dumps the bytes it receives on our encoder stream,
 *   which decode to insertions, and shows it sending bytes on its own
 *   encoder stream; our side counts the insertions and dynamic references
 *   it decoded and encoded.
 */
import { spawnSync, type ChildProcess } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Http3Connection } from '../src/connection.js';
import { createClient, serve } from '../src/node/index.js';
import { QpackDecoder } from '../src/qpack/index.js';
import { freePort, makeCert, start, udpBound } from '@tsquic/test-support/peers';

const hasNgtcp2 = spawnSync('which', ['gtlsclient', 'gtlsserver']).status === 0;
let dir: string;
const procs = new Set<ChildProcess>();
const sha = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'http3-ngtcp2-'));
  for (const d of ['www', 'dl']) mkdirSync(join(dir, d));
  makeCert(dir, { key: 'key.pem' });
  writeFileSync(join(dir, 'www/f10m-a'), randomBytes(10_000_000));
  writeFileSync(join(dir, 'www/f10m-b'), randomBytes(10_000_000));
  for (let i = 0; i < 30; i++) writeFileSync(join(dir, `www/small-${i}`), randomBytes(1000 + i * 97));
});

afterAll(() => {
  for (const p of procs) p.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

/** Runs a process with all its output kept (the dynamic-table evidence is early in long logs), killed after `timeoutMs`. */
function run(cmd: string, args: string[], timeoutMs: number): { proc: ChildProcess; done: Promise<{ code: number | null; out: string }> } {
  const p = start(cmd, args, timeoutMs, undefined, Infinity);
  procs.add(p.child);
  const done = p.exited.then((code) => {
    procs.delete(p.child);
    return { code, out: p.output() };
  });
  return { proc: p.child, done };
}

/** The bytes ngtcp2's verbose log dumps as received on `streamId` ("Ordered STREAM data stream_id=0x..", then hexdump lines). */
function receivedOn(log: string, streamId: number): Uint8Array {
  const out: number[] = [];
  const lines = log.split('\n');
  for (let i = 0; i < lines.length; i++) {
    if (lines[i]!.trim() !== `Ordered STREAM data stream_id=0x${streamId.toString(16)}`) continue;
    for (let j = i + 1; j < lines.length; j++) {
      const m = /^[0-9a-f]{8} {2}((?:[0-9a-f]{2} {1,2})+)/.exec(lines[j]!);
      if (!m) break;
      for (const h of m[1]!.trim().split(/\s+/)) out.push(parseInt(h, 16));
    }
  }
  return Uint8Array.from(out);
}

/** Encoder-stream bytes (after the stream type) to the insertions they make, by a fresh decoder. */
function insertionsIn(encoderStream: Uint8Array): number {
  const d = new QpackDecoder({ maxTableCapacity: 1 << 16, maxBlockedStreams: 100 });
  d.receiveEncoderStream(encoderStream.subarray(1));
  return d.stats.inserts;
}

/** Payload bytes ngtcp2 logs sending on its own `streamId` ("frm tx ... STREAM(..) id=0x.. ... len=N"). */
function sentOn(log: string, streamId: number): number {
  let total = 0;
  for (const m of log.matchAll(new RegExp(`frm tx \\d+ 1RTT STREAM\\(0x[0-9a-f]+\\) id=0x${streamId.toString(16)} fin=0 offset=\\d+ len=(\\d+)`, 'g'))) total += Number(m[1]);
  return total;
}

describe.runIf(hasNgtcp2)('ngtcp2 / nghttp3 interop', () => {
  it('our server serves gtlsclient: 32 requests on one connection, two of them 10 MB, all byte-identical', async () => {
    const port = await freePort();
    const conns: Http3Connection[] = [];
    const server = await serve({ hostname: '127.0.0.1', port, cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') }, (req, info) => {
      if (!conns.includes(info.connection)) conns.push(info.connection);
      const name = new URL(req.url).pathname.slice(1);
      return new Response(new Uint8Array(readFileSync(join(dir, 'www', name))), { headers: { 'content-type': 'application/octet-stream', 'x-served-by': 'tsquic-http3' } });
    });
    try {
      const names = ['f10m-a', ...Array.from({ length: 30 }, (_, i) => `small-${i}`), 'f10m-b'];
      const dl = join(dir, 'dl', 'from-ours');
      mkdirSync(dl, { recursive: true });
      const { done } = run('gtlsclient', ['-q', '--exit-on-all-streams-close', '--download', dl, '127.0.0.1', String(port), ...names.map((n) => `https://localhost:${port}/${n}`)], 60_000);
      const { code } = await done;
      expect(code).toBe(0);
      for (const n of names) expect(sha(readFileSync(join(dl, n))), n).toBe(sha(readFileSync(join(dir, 'www', n))));
      expect(conns).toHaveLength(1); // one connection carried every request
      // nghttp3's encoder used the table we offered (its requests repeat :authority and user-agent).
      expect(conns[0]!.qpackStats.decoder.inserts).toBeGreaterThan(0);
      expect(conns[0]!.qpackStats.decoder.dynamicReferences).toBeGreaterThan(0);
    } finally {
      await server.close();
    }
  }, 90_000);

  it('our client fetches from gtlsserver: 31 requests on one connection, 10 MB among them, all byte-identical', async () => {
    const port = await freePort();
    const { done } = run('gtlsserver', ['-q', '-d', join(dir, 'www'), '127.0.0.1', String(port), join(dir, 'key.pem'), join(dir, 'cert.pem')], 60_000);
    void done;
    await udpBound(port);
    const client = createClient({ verifyPeer: 'none' });
    try {
      const names = ['f10m-a', ...Array.from({ length: 30 }, (_, i) => `small-${i}`)];
      const bodies = await Promise.all(names.map(async (n) => new Uint8Array(await (await client.fetch(`https://127.0.0.1:${port}/${n}`)).arrayBuffer())));
      names.forEach((n, i) => expect(sha(bodies[i]!), n).toBe(sha(readFileSync(join(dir, 'www', n)))));
      const conn = await client.connection(`https://127.0.0.1:${port}/`);
      // nghttp3 0.8 offers the dynamic table by default: QPACK_MAX_TABLE_CAPACITY 4096, BLOCKED_STREAMS 100.
      expect(conn.receivedSettings?.get(0x01n)).toBe(4096n);
      expect(conn.receivedSettings?.get(0x07n)).toBe(100n);
      expect(conn.qpackStats.encoder.inserts).toBeGreaterThan(0);
      expect(conn.qpackStats.decoder.inserts).toBeGreaterThan(0);
    } finally {
      await client.close();
      for (const p of procs) p.kill('SIGKILL');
    }
  }, 90_000);

  it('the dynamic table in both directions, in ngtcp2\u2019s own logs (verbose, small requests)', async () => {
    // gtlsclient against our server: it receives our encoder stream (server uni stream 0x7) and sends on its own (0x6).
    const port = await freePort();
    let ours: Http3Connection | undefined;
    const server = await serve({ hostname: '127.0.0.1', port, cert: readFileSync(join(dir, 'cert.pem'), 'utf8'), key: readFileSync(join(dir, 'key.pem'), 'utf8') }, (_req, info) => {
      ours = info.connection;
      return new Response('small', { headers: { 'x-served-by': 'tsquic-http3', 'cache-control': 'max-age=60, private' } });
    });
    try {
      const urls = Array.from({ length: 8 }, (_, i) => `https://localhost:${port}/s${i}`);
      const client = await run('gtlsclient', ['--exit-on-all-streams-close', '--no-http-dump', '127.0.0.1', String(port), ...urls], 30_000).done;
      expect(client.code).toBe(0);
      const fromOurEncoder = receivedOn(client.out, 0x7);
      expect(fromOurEncoder[0]).toBe(0x02); // the QPACK encoder stream type
      const ourInserts = insertionsIn(fromOurEncoder);
      expect(ourInserts).toBeGreaterThan(0);
      expect(ourInserts).toBe(ours!.qpackStats.encoder.inserts);
      expect(sentOn(client.out, 0x6)).toBeGreaterThan(0); // gtlsclient's encoder wrote instructions after the type byte
      expect(ours!.qpackStats.decoder.inserts).toBeGreaterThan(0);
      console.log(
        `gtlsclient: decoded ${ourInserts} insertions from our encoder stream; it inserted ${ours!.qpackStats.decoder.inserts} into ours (dynamic references: ours ${ours!.qpackStats.encoder.dynamicReferences}, theirs ${ours!.qpackStats.decoder.dynamicReferences})`,
      );
    } finally {
      await server.close();
    }
    // Our client against gtlsserver: it receives our encoder stream (client uni stream 0x6) and sends on its own (0x7).
    const port2 = await freePort();
    const srv = run('gtlsserver', ['-d', join(dir, 'www'), '127.0.0.1', String(port2), join(dir, 'key.pem'), join(dir, 'cert.pem')], 30_000);
    await udpBound(port2);
    const client = createClient({ verifyPeer: 'none' });
    let conn: Http3Connection;
    try {
      for (let i = 0; i < 8; i++) await (await client.fetch(`https://127.0.0.1:${port2}/small-${i}`, { headers: { 'x-client': 'tsquic-http3', 'accept-language': 'en' } })).arrayBuffer();
      conn = await client.connection(`https://127.0.0.1:${port2}/`);
    } finally {
      await client.close();
      srv.proc.kill('SIGTERM');
    }
    const log = (await srv.done).out;
    const inserts = insertionsIn(receivedOn(log, 0x6));
    expect(inserts).toBeGreaterThan(0);
    expect(inserts).toBe(conn.qpackStats.encoder.inserts);
    expect(sentOn(log, 0x7)).toBeGreaterThan(0);
    expect(conn.qpackStats.decoder.inserts).toBeGreaterThan(0);
    console.log(`gtlsserver: decoded ${inserts} insertions from our encoder stream; it inserted ${conn.qpackStats.decoder.inserts} into ours`);
  }, 90_000);
});
