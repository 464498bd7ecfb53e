/**
 * @module peers/h2
 * The anchor for request rates: Node's own `http2` over TLS, one side per
 * process, one session, the same `/small` (100 bytes) as peers/h3.
 *   node peers/h2.js server <cert.pem> <key.pem>
 *   node peers/h2.js client <port> rps <concurrency> <seconds>
 */
import { readFileSync } from 'node:fs';
import { connect, createSecureServer } from 'node:http2';
import type { AddressInfo } from 'node:net';
import { cpuMicros, SAME_SUITE, type ParentMessage, type PeerMessage } from './ipc.js';
import { measureRequests, requestsResult } from './requests.js';

const SMALL = Buffer.alloc(100, 0x61);
/** Requests the server has answered (its CPU per request, asked for with `cpu`). */
let served = 0;

function send(m: PeerMessage): void {
  process.send!(m);
}

function server(certFile: string, keyFile: string): void {
  const s = createSecureServer({ cert: readFileSync(certFile), key: readFileSync(keyFile), minVersion: 'TLSv1.3', ciphers: SAME_SUITE, settings: { maxConcurrentStreams: 256 } }, (_req, res) => {
    served++;
    res.end(SMALL);
  });
  s.listen(0, '127.0.0.1', () => send({ type: 'ready', port: (s.address() as AddressInfo).port }));
  process.on('message', (m: ParentMessage) => {
    if (m.cmd === 'cpu') send({ type: 'cpu', micros: cpuMicros(), requests: served });
    if (m.cmd === 'exit') process.exit(0);
  });
}

async function client(port: number, concurrency: number, seconds: number): Promise<void> {
  const session = connect(`https://127.0.0.1:${port}`, { rejectUnauthorized: false, minVersion: 'TLSv1.3' });
  session.on('error', fail);
  const get = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const req = session.request({ ':path': '/small' });
      let n = 0;
      req.on('data', (d: Buffer) => (n += d.length));
      req.on('end', () => (n === 100 ? resolve() : reject(new Error('short response'))));
      req.on('error', reject);
      req.end();
    });
  await get();
  const r = await measureRequests(get, concurrency, seconds);
  send(requestsResult(r));
  session.close();
  setImmediate(() => process.exit(0));
}

function fail(e: unknown): void {
  send({ type: 'error', message: e instanceof Error ? (e.stack ?? e.message) : String(e) });
  process.exit(1);
}

const [role, ...rest] = process.argv.slice(2);
if (role === 'server') server(rest[0]!, rest[1]!);
else client(Number(rest[0]), Number(rest[2]), Number(rest[3])).catch(fail);
