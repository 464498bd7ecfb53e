/**
 * @module peers/tls
 * The anchor for bulk throughput: Node's TLS 1.3 over TCP, one side per
 * process, with the benchmark protocol of peers/ours (8-byte request, that
 * many bytes back; 0 = until the client stops reading).
 *   node peers/tls.js server <cert.pem> <key.pem>
 *   node peers/tls.js client <port> <bytes> <seconds>
 *   node peers/tls.js get <port> <bytes>     (spawned, no IPC: timed from spawn to exit)
 */
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { connect, createServer } from 'node:tls';
import { SAME_SUITE, type ParentMessage, type PeerMessage } from './ipc.js';

const CHUNK = Buffer.alloc(256 * 1024, 0x61);

/** To the suite over IPC, or (spawned with `get`) a result as one JSON line on stdout. */
function send(m: PeerMessage): void {
  if (process.send) process.send(m);
  else if (m.type === 'result') process.stdout.write(`${JSON.stringify({ bytes: m.bytes, seconds: m.seconds })}\n`);
  else process.stderr.write(`${m.type === 'error' ? m.message : JSON.stringify(m)}\n`);
}

function serve(certFile: string, keyFile: string): void {
  const server = createServer({ cert: readFileSync(certFile), key: readFileSync(keyFile), minVersion: 'TLSv1.3', ciphers: SAME_SUITE }, (s) => {
    let req = Buffer.alloc(0);
    s.on('error', () => {});
    s.on('data', (d: Buffer) => {
      if (req.length >= 8) return;
      req = Buffer.concat([req, d]);
      if (req.length < 8) return;
      const want = req.readUInt32BE(0) * 2 ** 32 + req.readUInt32BE(4);
      let sent = 0;
      const pump = (): void => {
        while (want === 0 || sent < want) {
          const piece = want === 0 || sent + CHUNK.length <= want ? CHUNK : CHUNK.subarray(0, want - sent);
          sent += piece.length;
          if (!s.write(piece)) return void s.once('drain', pump);
        }
        s.end();
      };
      pump();
    });
  });
  server.listen(0, '127.0.0.1', () => send({ type: 'ready', port: (server.address() as AddressInfo).port }));
  process.on('message', (m: ParentMessage) => {
    if (m.cmd === 'exit') process.exit(0);
  });
}

function client(port: number, bytes: number, seconds: number): void {
  const s = connect({ host: '127.0.0.1', port, minVersion: 'TLSv1.3', rejectUnauthorized: false }, () => {
    const req = Buffer.alloc(8);
    req.writeUInt32BE(Math.floor((seconds > 0 ? 0 : bytes) / 2 ** 32), 0);
    req.writeUInt32BE((seconds > 0 ? 0 : bytes) >>> 0, 4);
    let t0 = performance.now();
    // Time-bounded: measure `seconds` of steady state after half a second of ramp-up (as for ngtcp2).
    const deadline = seconds > 0 ? t0 + 500 + seconds * 1000 : Infinity;
    let n = 0;
    let base = 0;
    if (seconds > 0) setTimeout(() => ((base = n), (t0 = performance.now())), 500);
    let done = false;
    const finish = (): void => {
      if (done) return;
      done = true;
      const elapsed = (performance.now() - t0) / 1000;
      s.destroy();
      if (seconds === 0 && n !== bytes) return fail(new Error(`received ${n} of ${bytes} bytes`));
      send({ type: 'result', bytes: n - base, seconds: elapsed });
      setImmediate(() => process.exit(0));
    };
    s.on('data', (d: Buffer) => {
      n += d.length;
      if (performance.now() >= deadline) finish();
    });
    s.on('end', finish);
    s.write(req);
  });
  s.on('error', fail);
}

function fail(e: unknown): void {
  send({ type: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  process.exit(1);
}

const [role, a, b, c] = process.argv.slice(2);
try {
  if (role === 'server') serve(a!, b!);
  else if (role === 'client') client(Number(a), Number(b), Number(c));
  else if (role === 'get') client(Number(a), Number(b), 0);
  else throw new Error(`unknown role ${role}`);
} catch (e) {
  fail(e);
}
