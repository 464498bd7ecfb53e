/**
 * Interop with ngtcp2 (Debian ngtcp2-client / ngtcp2-server: gtlsclient and
 * gtlsserver, HTTP/3 over QUIC v1, GnuTLS), on 127.0.0.1, every process
 * bounded in time and stopped by its test:
 * - our client downloads 10 MB from gtlsserver, clean and with 5% loss on
 *   the ngtcp2 side (both directions);
 * - gtlsclient downloads 10 MB from our server, likewise;
 * - a handshake with each TLS 1.3 cipher suite in both roles;
 * - resumption with 0-RTT in both roles (the requests travel in 0-RTT and are accepted);
 * - 1-RTT key update in both roles (tshark sees key phase 1 from both ends);
 * - tshark decrypts a capture of our server with our SSLKEYLOGFILE and sees
 *   the STREAM frames.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { makeCert, udpBound } from './support/peers.js';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '@tsquic/test-support/peers';
import { runEndpoint } from '../src/endpoint/run.js';
import { createQuicTransport } from '../src/transport.js';

let dir: string;
const procs = new Set<ChildProcess>();

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'interop-ngtcp2-'));
  for (const d of ['www', 'certs', 'dl']) mkdirSync(join(dir, d));
  makeCert(join(dir, 'certs'));
  writeFileSync(join(dir, 'www/f10m'), randomBytes(10_000_000));
  writeFileSync(join(dir, 'www/small'), randomBytes(3000));
});

afterAll(() => {
  for (const p of procs) p.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

function start(cmd: string, args: string[]): ChildProcess {
  const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  procs.add(p);
  p.once('exit', () => procs.delete(p));
  return p;
}

function exited(p: ChildProcess, timeoutMs: number): Promise<number | null> {
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      p.kill('SIGKILL');
      resolve(null);
    }, timeoutMs);
    p.once('exit', (code) => {
      clearTimeout(t);
      resolve(code);
    });
  });
}

function same(a: string, b: string): boolean {
  return existsSync(b) && readFileSync(a).equals(readFileSync(b));
}

/** gtlsserver serving `www` over HTTP/3 on `port`. */
/** Every qlog record our endpoint wrote into `dir`, as one string. */
function qlogText(dir: string): string {
  return readdirSync(dir)
    .map((f) => readFileSync(join(dir, f), 'utf8'))
    .join('');
}

async function ngtcp2Server(port: number, extra: string[] = []): Promise<ChildProcess> {
  const p = start('gtlsserver', ['-q', ...extra, '-d', join(dir, 'www'), '127.0.0.1', String(port), join(dir, 'certs/priv.key'), join(dir, 'certs/cert.pem')]);
  await udpBound(port); // gtlsserver prints nothing in -q mode: wait until its socket exists
  return p;
}

/** Our client (the interop endpoint, in process) fetching `file` from 127.0.0.1:port. */
async function ourClient(port: number, file: string, testCase = 'http3', qlogDir?: string, alpn?: 'h3'): Promise<number> {
  const downloads = join(dir, `dl-${port}`);
  mkdirSync(downloads, { recursive: true });
  return runEndpoint(
    { ROLE: 'client', TESTCASE: testCase, REQUESTS: `https://127.0.0.1:${port}/${file}`, DOWNLOADS: downloads, CERTS: join(dir, 'no-certs'), ...(qlogDir ? { QLOGDIR: qlogDir } : {}), ...(alpn ? { INTEROP_ALPN: alpn } : {}) },
    createQuicTransport(),
    { log: () => {} },
  );
}

/** Our server (in process) until the returned stop() is called. */
async function ourServer(port: number, testCase = 'http3', keylog?: string, alpn?: string, qlogDir?: string, extraEnv: Record<string, string> = {}): Promise<{ stop(): Promise<number> }> {
  const ac = new AbortController();
  let ready!: () => void;
  const listening = new Promise<void>((r) => (ready = r));
  const done = runEndpoint(
    {
      ROLE: 'server',
      TESTCASE: testCase,
      WWW: join(dir, 'www'),
      CERTS: join(dir, 'certs'),
      PORT: String(port),
      ...(keylog ? { SSLKEYLOGFILE: keylog } : {}),
      ...(alpn ? { INTEROP_ALPN: alpn } : {}),
      ...(qlogDir ? { QLOGDIR: qlogDir } : {}),
      ...extraEnv,
    },
    createQuicTransport(),
    {
      log: (l) => (l.startsWith('serving') ? ready() : undefined),
      signal: ac.signal,
    },
  );
  await Promise.race([listening, done]);
  return {
    stop: () => {
      ac.abort();
      return done;
    },
  };
}

/** Run a process to completion, returning its exit code and everything it printed. */
function run(cmd: string, args: string[], timeoutMs: number): Promise<{ code: number | null; out: string }> {
  const p = start(cmd, args);
  let out = '';
  p.stdout!.on('data', (d: Buffer) => (out += d.toString()));
  p.stderr!.on('data', (d: Buffer) => (out += d.toString()));
  return exited(p, timeoutMs).then((code) => ({ code, out }));
}

/** Start tshark on loopback and wait until it really captures. */
async function capture(file: string, filter: string): Promise<ChildProcess> {
  const tshark = start('tshark', ['-i', 'lo', '-f', filter, '-w', file]);
  await new Promise<void>((resolve, reject) => {
    const t = setTimeout(() => reject(new Error('tshark did not start capturing')), 10_000);
    tshark.stderr!.on('data', (d: Buffer) => {
      if (d.toString().includes('Capturing on')) {
        clearTimeout(t);
        setTimeout(resolve, 1500); // the message comes before the capture is really running
      }
    });
  });
  return tshark;
}

async function stopCapture(tshark: ChildProcess): Promise<void> {
  await new Promise((r) => setTimeout(r, 1000));
  tshark.kill('SIGINT');
  await exited(tshark, 5000);
}

function gtlsclient(port: number, file: string, extra: string[] = []): ChildProcess {
  const out = join(dir, `ng-dl-${port}`);
  mkdirSync(out, { recursive: true });
  return start('gtlsclient', ['-q', '--exit-on-all-streams-close', ...extra, '--download', out, '127.0.0.1', String(port), `https://localhost:${port}/${file}`]);
}

describe('interop with ngtcp2 (gtlsserver / gtlsclient)', () => {
  for (const loss of [0, 0.05]) {
    it(`our client downloads 10 MB from gtlsserver${loss ? ' with 5% loss both ways on the ngtcp2 side' : ''}`, async () => {
      const port = await freePort();
      const srv = await ngtcp2Server(port, loss ? ['-t', String(loss), '-r', String(loss)] : []);
      const status = await ourClient(port, 'f10m');
      srv.kill('SIGTERM');
      expect(status).toBe(0);
      expect(same(join(dir, 'www/f10m'), join(dir, `dl-${port}/f10m`))).toBe(true);
    }, 60_000);

    it(`gtlsclient downloads 10 MB from our server${loss ? ' with 5% loss both ways on the ngtcp2 side' : ''}`, async () => {
      const port = await freePort();
      const srv = await ourServer(port);
      const code = await exited(gtlsclient(port, 'f10m', loss ? ['-t', String(loss), '-r', String(loss)] : []), 50_000);
      await srv.stop();
      expect(code).toBe(0);
      expect(same(join(dir, 'www/f10m'), join(dir, `ng-dl-${port}/f10m`))).toBe(true);
    }, 60_000);
  }

  const SUITES: Array<[string, string]> = [
    ['TLS_AES_128_GCM_SHA256', 'AES-128-GCM'],
    ['TLS_AES_256_GCM_SHA384', 'AES-256-GCM'],
    ['TLS_CHACHA20_POLY1305_SHA256', 'CHACHA20-POLY1305'],
  ];
  for (const [name, gnutls] of SUITES) {
    const ciphers = `--ciphers=NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+${gnutls}`;
    it(`${name}: our client ↔ gtlsserver and gtlsclient ↔ our server`, async () => {
      const p1 = await freePort();
      const srv = await ngtcp2Server(p1, [ciphers]);
      const status = await ourClient(p1, 'small');
      srv.kill('SIGTERM');
      expect(status).toBe(0);
      expect(same(join(dir, 'www/small'), join(dir, `dl-${p1}/small`))).toBe(true);
      const p2 = await freePort();
      const ours = await ourServer(p2);
      const code = await exited(gtlsclient(p2, 'small', [ciphers]), 20_000);
      await ours.stop();
      expect(code).toBe(0);
      expect(same(join(dir, 'www/small'), join(dir, `ng-dl-${p2}/small`))).toBe(true);
    }, 40_000);
  }

  for (const [name, flags] of [
    ['changes its local address', ['--change-local-addr=50ms']],
    // With --nat-rebinding the client moves without telling its own stack, which then ignores
    // whatever still arrives at the old port; mid-download it has nothing else to send, so
    // (against gtlsserver too) the transfer stalls. The request is therefore delayed until
    // after the rebinding: our server sees the request come from a new port and must
    // validate that path before it sends the 10 MB there.
    ['is NAT-rebound before its request', ['--change-local-addr=20ms', '--delay-stream=200ms', '--nat-rebinding']],
  ] as const) {
    it(`migration: gtlsclient ${name}; our server validates the new path and the 10 MB arrive whole`, async () => {
      const port = await freePort();
      const qlogDir = join(dir, `qlog-${port}`);
      const srv = await ourServer(port, 'http3', undefined, undefined, qlogDir);
      const code = await exited(gtlsclient(port, 'f10m', [...flags]), 40_000);
      await srv.stop();
      expect(code).toBe(0);
      expect(same(join(dir, 'www/f10m'), join(dir, `ng-dl-${port}/f10m`))).toBe(true);
      // The server's qlog shows the peer's new address and its validation (RFC 9000 §9.3, §8.2).
      const qlog = qlogText(qlogDir);
      expect(qlog).toContain('connectivity:path_validated');
    }, 60_000);
  }

  it('Version Negotiation: gtlsclient starting with an unknown version gets our VN (RFC 9000 §6), picks v1 from it and downloads 10 MB', async () => {
    const port = await freePort();
    const srv = await ourServer(port);
    mkdirSync(join(dir, `ng-dl-${port}`), { recursive: true });
    const { code, out } = await run(
      'gtlsclient',
      ['-q', '-v', '0x1a2a3a4a', '--preferred-versions', 'v1', '--exit-on-all-streams-close', '--download', join(dir, `ng-dl-${port}`), '127.0.0.1', String(port), `https://localhost:${port}/f10m`],
      40_000,
    );
    await srv.stop();
    expect(out).toContain('ERR_RECV_VERSION_NEGOTIATION'); // the first attempt ended on our VN
    expect(code).toBe(0);
    expect(same(join(dir, 'www/f10m'), join(dir, `ng-dl-${port}/f10m`))).toBe(true);
  }, 60_000);

  it('v2 test case, ours ↔ ours (Debian’s ngtcp2 0.12 knows only the v2 draft): the v1 connection is upgraded to v2 and the file arrives', async () => {
    const port = await freePort();
    const qlogDir = join(dir, `qlog-v2-${port}`);
    const srv = await ourServer(port, 'v2', undefined, undefined, qlogDir);
    const status = await ourClient(port, 'f10m', 'v2');
    await srv.stop();
    expect(status).toBe(0);
    expect(same(join(dir, 'www/f10m'), join(dir, `dl-${port}/f10m`))).toBe(true);
    const qlog = qlogText(qlogDir);
    expect(qlog).toContain('"chosen_version":"6b3343cf","original_version":"1"');
  }, 60_000);

  it('migration: our client moves to a new local socket mid-download (QuicEndpoint.rebind); gtlsserver validates the path and the 10 MB arrive whole', async () => {
    const port = await freePort();
    const srv = await ngtcp2Server(port);
    const qlogDir = join(dir, `qlog-mig-${port}`);
    const status = await ourClient(port, 'f10m', 'migrate', qlogDir, 'h3');
    srv.kill('SIGTERM');
    expect(status).toBe(0);
    expect(same(join(dir, 'www/f10m'), join(dir, `dl-${port}/f10m`))).toBe(true);
    const qlog = qlogText(qlogDir);
    expect(qlog).toContain('connectivity:path_validated'); // gtlsserver answered our PATH_CHALLENGE on the new path
  }, 60_000);

  // retry: 1 — the download differed twice in CI's parallel run (2 of 3 fresh-clone runs on 2026-12-05), never in
  // isolation, under CPU load, or beside the webtransport and http3 suites here; the message below says how it
  // ended when it happens again. Listed as open in the transport's notes, not a pass by design.
  it('preferred_address: gtlsclient moves to our server’s preferred address (a second socket), we validate it and serve the 10 MB from there', { timeout: 60_000 }, async () => {
    const port = await freePort();
    const preferred = await freePort();
    const qlogDir = join(dir, `qlog-spa-${port}`);
    const srv = await ourServer(port, 'http3', undefined, undefined, qlogDir, { INTEROP_PREFERRED_ADDRESS: `127.0.0.1:${preferred}` });
    const code = await exited(gtlsclient(port, 'f10m'), 40_000);
    await srv.stop();
    expect(code).toBe(0);
    const qlog = qlogText(qlogDir);
    // Seen twice in CI's parallel run (never alone or under CPU load here): gtlsclient exits 0 with a download that
    // differs. The message carries what is needed to tell a short file from a corrupt one and how the connection ended.
    const got = join(dir, `ng-dl-${port}/f10m`);
    const why = () => `download ${existsSync(got) ? statSync(got).size : 'missing'} of ${statSync(join(dir, 'www/f10m')).size} bytes; our server's last qlog events: ${qlog.slice(-1500)}`;
    expect(same(join(dir, 'www/f10m'), got), why()).toBe(true);
    expect(qlog).toContain(`"local":"127.0.0.1:${preferred}"`); // the client arrived at the preferred address
    expect(qlog).toContain('connectivity:path_validated');
  });

  it('preferred_address: our client moves to gtlsserver’s preferred address, validates it and downloads 10 MB', async () => {
    const port = await freePort();
    const preferred = await freePort();
    const srv = await ngtcp2Server(port, [`--preferred-ipv4-addr=127.0.0.1:${preferred}`]);
    const qlogDir = join(dir, `qlog-pa-${port}`);
    const status = await ourClient(port, 'f10m', 'http3', qlogDir);
    srv.kill('SIGTERM');
    expect(status).toBe(0);
    expect(same(join(dir, 'www/f10m'), join(dir, `dl-${port}/f10m`))).toBe(true);
    const qlog = qlogText(qlogDir);
    expect(qlog).toContain(`"peer_address":"127.0.0.1:${preferred}","preferred_address":true`);
    expect(qlog).toContain(`"connectivity:path_validated","data":{"peer_address":"127.0.0.1:${preferred}"`);
  }, 60_000);

  it('Retry: our client follows gtlsserver -V’s Retry; gtlsclient follows ours', async () => {
    const port = await freePort();
    const srv = start('gtlsserver', ['-V', '-d', join(dir, 'www'), '127.0.0.1', String(port), join(dir, 'certs/priv.key'), join(dir, 'certs/cert.pem')]);
    let log = '';
    srv.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    srv.stdout!.on('data', (d: Buffer) => (log += d.toString()));
    await udpBound(port);
    const status = await ourClient(port, 'small');
    srv.kill('SIGTERM');
    expect(status).toBe(0);
    expect(same(join(dir, 'www/small'), join(dir, `dl-${port}/small`))).toBe(true);
    expect(log).toContain('Sending Retry packet');
    expect(log).toContain('Token was successfully validated');
    const port2 = await freePort();
    const ours = await ourServer(port2, 'retry', undefined, 'h3');
    mkdirSync(join(dir, 'ng-dl-retry'), { recursive: true });
    const r = await run('gtlsclient', ['--exit-on-all-streams-close', '--download', join(dir, 'ng-dl-retry'), '127.0.0.1', String(port2), `https://localhost:${port2}/small`], 20_000);
    await ours.stop();
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/pkt rx .*type=Retry/);
    expect(same(join(dir, 'www/small'), join(dir, 'ng-dl-retry/small'))).toBe(true);
  }, 60_000);

  it('resumption and 0-RTT: our client resumes against gtlsserver and sends its requests in 0-RTT', async () => {
    const port = await freePort();
    // Verbose gtlsserver: its frame log shows what arrived in 0-RTT packets.
    const srv = start('gtlsserver', ['-d', join(dir, 'www'), '127.0.0.1', String(port), join(dir, 'certs/priv.key'), join(dir, 'certs/cert.pem')]);
    let log = '';
    srv.stderr!.on('data', (d: Buffer) => (log += d.toString()));
    srv.stdout!.on('data', (d: Buffer) => (log += d.toString()));
    await udpBound(port);
    const downloads = join(dir, `dl-${port}`);
    mkdirSync(downloads, { recursive: true });
    const status = await runEndpoint(
      { ROLE: 'client', TESTCASE: 'zerortt', INTEROP_ALPN: 'h3', REQUESTS: `https://127.0.0.1:${port}/small https://127.0.0.1:${port}/f10m`, DOWNLOADS: downloads, CERTS: join(dir, 'no-certs') },
      createQuicTransport(),
      { log: () => {} },
    );
    srv.kill('SIGTERM');
    expect(status).toBe(0);
    expect(same(join(dir, 'www/f10m'), join(downloads, 'f10m'))).toBe(true);
    // The request for f10m (client bidi stream 0 of the second connection, with FIN) arrived in a 0-RTT packet.
    expect(log).toMatch(/frm rx \d+ 0RTT STREAM\(0x0b\) id=0x0 fin=1/);
  }, 60_000);

  it('resumption and 0-RTT: gtlsclient resumes against our server and its 0-RTT request is accepted', async () => {
    const port = await freePort();
    const srv = await ourServer(port, 'zerortt', undefined, 'h3');
    const sess = join(dir, `sess-${port}`);
    const tp = join(dir, `tp-${port}`);
    mkdirSync(join(dir, 'ng-dl-0rtt'), { recursive: true });
    const first = await run('gtlsclient', ['-q', '--exit-on-all-streams-close', '--session-file', sess, '--tp-file', tp, '--download', join(dir, 'ng-dl-0rtt'), '127.0.0.1', String(port), `https://localhost:${port}/small`], 20_000);
    // Verbose (its frame log is the evidence), so a small file.
    const second = await run('gtlsclient', ['--exit-on-all-streams-close', '--session-file', sess, '--tp-file', tp, '--download', join(dir, 'ng-dl-0rtt'), '127.0.0.1', String(port), `https://localhost:${port}/small`], 30_000);
    await srv.stop();
    expect([first.code, second.code]).toEqual([0, 0]);
    expect(same(join(dir, 'www/small'), join(dir, 'ng-dl-0rtt/small'))).toBe(true);
    expect(second.out).toMatch(/frm tx \d+ 0RTT STREAM\(0x0b\) id=0x0 fin=1/);
    // Accepted: ngtcp2 says so when a server rejects early data. (A later 1-RTT copy of the request
    // would only be a loss retransmission, which a loaded machine may cause.)
    expect(second.out).not.toContain('Early data was rejected by server');
  }, 60_000);

  it('key update: our client updates its keys with gtlsserver, gtlsclient updates with our server (tshark shows key phase 1 both ways)', async () => {
    const port = await freePort();
    const port2 = await freePort();
    const cap = join(dir, 'ku.pcapng');
    const keys = join(dir, 'ku-keys.txt');
    const tshark = await capture(cap, `udp port ${port} or udp port ${port2}`);
    const srv = await ngtcp2Server(port);
    const downloads = join(dir, `dl-ku-${port}`);
    mkdirSync(downloads, { recursive: true });
    const status = await runEndpoint(
      { ROLE: 'client', TESTCASE: 'keyupdate', INTEROP_ALPN: 'h3', REQUESTS: `https://127.0.0.1:${port}/f10m`, DOWNLOADS: downloads, CERTS: join(dir, 'no-certs'), SSLKEYLOGFILE: keys },
      createQuicTransport(),
      { log: () => {} },
    );
    srv.kill('SIGTERM');
    const ours = await ourServer(port2, 'transfer', keys, 'h3');
    const code = await exited(gtlsclient(port2, 'f10m', ['--key-update=5ms']), 30_000);
    await ours.stop();
    await stopCapture(tshark);
    expect([status, code]).toEqual([0, 0]);
    const r = spawnSync('tshark', ['-r', cap, '-o', `tls.keylog_file:${keys}`, '-Y', 'quic.short', '-T', 'fields', '-e', 'udp.srcport', '-e', 'quic.key_phase'], { encoding: 'utf8' });
    const phase1 = new Set(
      r.stdout
        .split('\n')
        .filter((l) => /\t1\b/.test(l))
        .map((l) => Number(l.split('\t')[0])),
    );
    // Key phase 1 sent by both ends of both connections.
    expect(phase1.has(port)).toBe(true);
    expect(phase1.has(port2)).toBe(true);
    expect(phase1.size).toBeGreaterThanOrEqual(4);
  }, 90_000);

  it('tshark decrypts our server’s traffic with our SSLKEYLOGFILE and shows the STREAM frames', async () => {
    const port = await freePort();
    const cap = join(dir, 'cap.pcapng');
    const keys = join(dir, 'keys.txt');
    const tshark = await capture(cap, `udp port ${port}`);
    const srv = await ourServer(port, 'http3', keys);
    const code = await exited(gtlsclient(port, 'small'), 20_000);
    await srv.stop();
    await stopCapture(tshark);
    expect(code).toBe(0);
    const keylog = readFileSync(keys, 'utf8');
    expect(keylog).toMatch(/^SERVER_TRAFFIC_SECRET_0 [0-9a-f]{64} [0-9a-f]{64}$/m);
    const r = spawnSync('tshark', ['-r', cap, '-o', `tls.keylog_file:${keys}`, '-Y', 'quic', '-T', 'fields', '-e', 'quic.frame_type'], { encoding: 'utf8' });
    const types = r.stdout.split(/[\n,]/).filter(Boolean).map(Number);
    // STREAM frames (0x08-0x0f) are only visible after decryption; CRYPTO (0x06) proves the handshake decrypted too.
    expect(types.some((t) => t >= 0x08 && t <= 0x0f)).toBe(true);
    expect(types).toContain(0x06);
    const v = spawnSync('tshark', ['-r', cap, '-o', `tls.keylog_file:${keys}`, '-Y', 'quic', '-V'], { encoding: 'utf8' });
    expect(v.stdout).not.toContain('Decryption failed');
  }, 40_000);
});
